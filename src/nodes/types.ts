/**
 * What the three nodes expose to each other at runtime. plaid-transactions depends only on these
 * shapes, not on how plaid-config and plaid-link implement them.
 */
import type { Node } from "node-red";
import type { PlaidApi } from "plaid";
import type { PlaidEnvironmentName } from "../plaid/client";

export interface LinkedAccount {
  account_id: string;
  name: string;
  mask: string | null;
  type: string;
  subtype: string | null;
}

export interface PlaidConfigNode extends Node {
  environment: PlaidEnvironmentName;
  clientName: string;
  countryCodes: string[];
  language: string;
  redirectUri: string;
  daysRequested: number;
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
  /** A fresh, single-use update-mode ("Log in again") Link URL for this Item, absolute, for notifications. */
  createRelinkUrl(): Promise<string>;
}
