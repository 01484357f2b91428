/**
 * Where each environment's Plaid API lives, and the client's options — without loading `plaid`
 * (the main thread never does; see remote-client.ts). The hosted URLs are the official client's
 * PlaidEnvironments, which a unit test keeps equal.
 */

export type PlaidEnvironmentName = "demo" | "sandbox" | "production" | "custom";

export interface PlaidClientOptions {
  /** Base URL of a Plaid-compatible API, without a trailing slash. */
  basePath: string;
  clientId: string;
  secret: string;
  /** Per-request timeout; a hung connection must not stall a sync forever. */
  timeoutMs?: number;
}

const HOSTED: Readonly<Record<"sandbox" | "production", string>> = {
  sandbox: "https://sandbox.plaid.com",
  production: "https://production.plaid.com",
};

/** The hosted Plaid API for an environment; demo and custom resolve their URL elsewhere. */
export function hostedBasePath(environment: "sandbox" | "production"): string {
  return HOSTED[environment];
}

/** Strips trailing slashes: the official client concatenates basePath and "/transactions/sync". */
export function normaliseBasePath(url: string): string {
  return url.trim().replace(/\/+$/, "");
}
