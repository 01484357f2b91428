/** Shapes of Plaid data the linking logic, the sync engine and the nodes share (they import them from here; nothing here imports them). */

/** One account of a linked Item, as shown in the editor and kept in flows.json (nothing secret). */
export interface LinkedAccount {
  account_id: string;
  name: string;
  mask: string | null;
  type: string;
  subtype: string | null;
}
