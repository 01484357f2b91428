/**
 * The official client, configured. Loaded only where Plaid is called: the worker process of
 * remote-client.ts (or Node-RED itself with plaidSync.clientInWorker false), the tests and the
 * bench — never when Node-RED loads the nodes.
 */
import { Configuration, PlaidApi } from "../vendor/plaid";
import { normaliseBasePath, type PlaidClientOptions } from "./environments";

export { hostedBasePath, normaliseBasePath, type PlaidClientOptions, type PlaidEnvironmentName } from "./environments";

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
