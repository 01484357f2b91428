import { Configuration, PlaidApi, PlaidEnvironments } from "plaid";

export type PlaidEnvironmentName = "demo" | "sandbox" | "production" | "custom";

export interface PlaidClientOptions {
  /** Base URL of a Plaid-compatible API, without a trailing slash. */
  basePath: string;
  clientId: string;
  secret: string;
  /** Per-request timeout; a hung connection must not stall a sync forever. */
  timeoutMs?: number;
}

/** The hosted Plaid API for an environment; demo and custom resolve their URL elsewhere. */
export function hostedBasePath(environment: "sandbox" | "production"): string {
  return PlaidEnvironments[environment];
}

/** Strips trailing slashes: the official client concatenates basePath and "/transactions/sync". */
export function normaliseBasePath(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * The official client, configured the way Plaid's own quickstart does it. Credentials travel as
 * headers, which is also why raw axios errors must never be logged (see errors.ts).
 */
export function createPlaidClient(options: PlaidClientOptions): PlaidApi {
  const configuration = new Configuration({
    basePath: normaliseBasePath(options.basePath),
    baseOptions: {
      timeout: options.timeoutMs ?? 60_000,
      headers: {
        "PLAID-CLIENT-ID": options.clientId,
        "PLAID-SECRET": options.secret,
        "Plaid-Version": "2020-09-14",
      },
    },
  });
  return new PlaidApi(configuration);
}
