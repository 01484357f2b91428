import type { Handler } from "../handlers/common";
import { linkTokenCreate, linkTokenGet, publicTokenExchange } from "../handlers/link";
import { sandboxFireWebhook, sandboxPublicTokenCreate, sandboxResetLogin, sandboxTransactionsCreate } from "../handlers/sandbox";
import { transactionsGet, transactionsRefresh, transactionsSync } from "../handlers/transactions";
import { accountsGet, institutionsGetById, itemGet, itemRemove, itemWebhookUpdate } from "../handlers/item";

/** The Plaid endpoints: POST, JSON, authenticated with client_id/secret, subject to faults. */
export const PLAID_ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["/link/token/create", linkTokenCreate],
  ["/link/token/get", linkTokenGet],
  ["/item/public_token/exchange", publicTokenExchange],
  ["/sandbox/public_token/create", sandboxPublicTokenCreate],
  ["/sandbox/item/reset_login", sandboxResetLogin],
  ["/sandbox/item/fire_webhook", sandboxFireWebhook],
  ["/sandbox/transactions/create", sandboxTransactionsCreate],
  ["/transactions/sync", transactionsSync],
  ["/transactions/get", transactionsGet],
  ["/transactions/refresh", transactionsRefresh],
  ["/accounts/get", accountsGet],
  ["/accounts/balance/get", accountsGet],
  ["/item/get", itemGet],
  ["/item/remove", itemRemove],
  ["/item/webhook/update", itemWebhookUpdate],
  ["/institutions/get_by_id", institutionsGetById],
]);
