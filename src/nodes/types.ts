/**
 * What the three nodes expose to each other at runtime. plaid-transactions depends only on these
 * shapes, not on how plaid-config and plaid-link implement them.
 */
import type { Node } from "node-red";
import type { ConfigLike } from "../link/config-like";
import type { PlaidEnvironmentName } from "../plaid/environments";
import type { LinkedAccount } from "../plaid/types";

export type { LinkedAccount };

/**
 * A deployed plaid-config: what the linking logic needs of it (ConfigLike: the link-token
 * settings, the client, problem(), the editor's URL), as a Node-RED node.
 */
export interface PlaidConfigNode extends Node, ConfigLike {
  environment: PlaidEnvironmentName;
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
