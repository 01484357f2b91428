/**
 * What the link code needs of a plaid-config node: the node (src/nodes/plaid-config.ts) provides
 * it, the link service and its helpers read it, and none of them imports Node-RED.
 */
import type { PlaidApi } from "plaid";

export type LinkModeSetting = "hosted" | "embedded";

/** A deployed plaid-config, as the link code sees it. */
export interface ConfigLike {
  id: string;
  environment: string;
  /** `custom`: the Plaid-compatible API's base URL. */
  basePath?: string;
  clientName: string;
  countryCodes: string[];
  language: string;
  /** OAuth banks in embedded mode ("" = none). */
  redirectUri: string;
  /** Transaction history asked for when a bank is linked (1–730). */
  daysRequested: number;
  /** Hosted Link (Plaid's own page, the default) or the embedded Link page of the admin routes. */
  linkMode: LinkModeSetting;
  /** Lifetime of a re-login URL (DESIGN §4.6: a day or more). */
  relinkLifetimeSeconds: number;
  /** Why the config cannot be used (e.g. keys missing), or null when it can. Names what is wrong. */
  problem(): string | null;
  /** The official client for this environment. In `demo` this starts the in-process simulator on first use. */
  getClient(): Promise<PlaidApi>;
  /** The editor URL as the user's browser sees it (publicUrl, or a guess from settings), no trailing slash. */
  publicBaseUrl(): string;
  /**
   * Plaid's hosted_link_url as a browser can reach it: unchanged at Plaid; in demo mode the
   * in-process simulator's loopback URL mapped onto the demo proxy of `base` (the editor's origin
   * when known, else publicBaseUrl()).
   */
  browserHostedUrl(url: string, base?: string): string;
}
