/**
 * The /link/token/create request for one plaid-link node (DESIGN §4, §4.6): a new Item with
 * Transactions and the configured history, or update mode ("Log in again") with the Item's
 * access token and no products, as Plaid asks ("Add new accounts" is update mode with account
 * selection). Hosted Link adds `hosted_link`; Plaid then serves
 * the flow itself and handles OAuth banks, so no `redirect_uri` is needed for it.
 */
import type { CountryCode, LinkTokenCreateRequest, Products } from "plaid";
import type { LinkMode } from "./sessions";

export interface LinkTokenConfig {
  clientName: string;
  language: string;
  countryCodes: string[];
  daysRequested: number;
}

export interface LinkTokenInput {
  linkId: string;
  mode: LinkMode;
  /** Update mode: the Item's access token. */
  accessToken?: string;
  /** Embedded Link only: where an OAuth bank sends the user back. */
  redirectUri?: string;
  /** Hosted Link: how long Plaid's URL (and the link token with it) stays valid. */
  hostedLifetimeSeconds?: number;
}

/** Plaid's limit for `hosted_link.url_lifetime_seconds`. */
export const MAX_HOSTED_LIFETIME_SECONDS = 21 * 86_400;

export function linkTokenRequest(config: LinkTokenConfig, input: LinkTokenInput): LinkTokenCreateRequest {
  const request: LinkTokenCreateRequest = {
    client_name: config.clientName || "Node-RED",
    language: config.language || "en",
    country_codes: (config.countryCodes.length ? config.countryCodes : ["US"]) as CountryCode[],
    // Stable per node: Plaid ties its returning-user experience and its logs to it. Not personal data.
    user: { client_user_id: `node-red-${input.linkId}` },
  };
  if (input.mode === "add") {
    request.products = ["transactions" as Products];
    request.transactions = { days_requested: config.daysRequested };
  } else {
    request.access_token = input.accessToken;
    // "Add new accounts": Plaid shows its account selection in update mode only when asked.
    if (input.mode === "accounts") request.update = { account_selection_enabled: true };
  }
  if (input.hostedLifetimeSeconds !== undefined) {
    request.hosted_link = { url_lifetime_seconds: input.hostedLifetimeSeconds };
  } else if (input.redirectUri) {
    request.redirect_uri = input.redirectUri;
  }
  return request;
}
