/**
 * What the three nodes expose to each other at runtime. plaid-transactions depends only on these
 * shapes, not on how plaid-config and plaid-link implement them.
 */
import type { Node } from "node-red";
import type { PlaidApi } from "plaid";
import type { PlaidEnvironmentName } from "../plaid/client";

import type { LinkedAccount } from "../plaid/types";
import type { LinkModeSetting } from "../link/service";

export type { LinkedAccount };

export interface PlaidConfigNode extends Node {
  environment: PlaidEnvironmentName;
  clientName: string;
  countryCodes: string[];
  language: string;
  redirectUri: string;
  daysRequested: number;
  /** Hosted Link (Plaid's own page, the default) or the embedded Link page of the admin routes. */
  linkMode: LinkModeSetting;
  /** How long a re-login URL (msg.error.cause.relinkUrl) stays valid. */
  relinkLifetimeSeconds: number;
  /** Plaid's hosted_link_url as a browser reaches it (demo: through the admin routes' proxy). */
  browserHostedUrl(url: string, base?: string): string;
  /** The official client for this environment. In `demo` this starts the in-process simulator on first use. */
  getClient(): Promise<PlaidApi>;
  /** Why the config cannot be used (e.g. keys missing), or null when it can. Names what is wrong. */
  problem(): string | null;
  /** The editor URL as the user's browser sees it (publicUrl, or a guess from settings), no trailing slash. */
  publicBaseUrl(): string;
}

export interface PlaidLinkNode extends Node {
  /** The plaid-config this Item belongs to, or null when it is missing or not deployed. */
  configNode(): PlaidConfigNode | null;
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
  /** Read fresh from the credential store at each use: an admin route may have replaced it since deploy. */
  getAccessToken(): string | undefined;
  /**
   * The re-login URL of this Item's current "needs login" episode (absolute, for notifications):
   * created on the first call, then the same URL until it is used or about to expire. Hosted Link:
   * Plaid's own page, usable from any device.
   */
  relinkUrl(): Promise<string>;
  /** A sync worked: the Item needs no re-login URL any more. */
  loginWorks(): void;
  /** `listener` runs when the Item logs in again (from any device); returns the unsubscribe. */
  onLoginRepaired(listener: () => void): () => void;
}
