/** Shapes the linking logic shares with the nodes (the nodes import them from here, never the reverse). */

/** One account of a linked Item, as shown in the editor and kept in flows.json (nothing secret). */
export interface LinkedAccount {
  account_id: string;
  name: string;
  mask: string | null;
  type: string;
  subtype: string | null;
}
