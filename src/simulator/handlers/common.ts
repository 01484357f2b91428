import type { SimulatorCore } from "../core";
import { SimError, itemLoginRequiredObject } from "../errors";
import type { SimItem } from "../store/item";
import type { Fields, JsonObject } from "../validate";

export interface HandlerContext {
  path: string;
  body: JsonObject;
  fields: Fields;
  requestId: string;
  core: SimulatorCore;
  /** The origin the request was addressed to (its Host header), e.g. http://127.0.0.1:4599. */
  origin: string;
}

export type Handler = (ctx: HandlerContext) => Promise<JsonObject> | JsonObject;

/** Products Plaid accepts in product lists; `balance` is deliberately absent (INVALID_PRODUCT). */
export const PRODUCTS = new Set([
  "assets", "auth", "beacon", "employment", "identity", "income_verification", "identity_verification", "investments",
  "investments_auth", "liabilities", "payment_initiation", "standing_orders", "signal", "statements", "transactions",
  "transfer", "transactions_refresh", "recurring_transactions", "cra_base_report", "cra_income_insights",
  "protect_transactions",
]);

export const COUNTRY_CODES = new Set([
  "US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE", "AT", "FI",
]);

export function checkProducts(field: string, products: string[] | undefined): void {
  for (const p of products ?? [])
    if (!PRODUCTS.has(p)) throw new SimError("INVALID_PRODUCT", `invalid product provided in ${field}: ${p}`);
}

/**
 * Resolves `access_token`. Data endpoints refuse Items in ITEM_LOGIN_REQUIRED; /item/get,
 * /item/remove and the sandbox controls still work on them, as in Plaid.
 */
export function itemFor(ctx: HandlerContext, opts: { allowLoginRequired?: boolean } = {}): SimItem {
  const token = ctx.fields.string("access_token", { required: true });
  ctx.fields.done();
  const item = ctx.core.store.resolve(token as string);
  if (item.rec.login_required && !opts.allowLoginRequired) throw new SimError("ITEM_LOGIN_REQUIRED");
  return item;
}

const ALL_PRODUCTS = ["assets", "auth", "balance", "identity", "investments", "liabilities", "transactions"];

/** The spec's Item object; `withConsent` adds ItemWithConsentFields' extras (/item/get). */
export function itemJson(item: SimItem, withConsent: boolean): JsonObject {
  const r = item.rec;
  const out: JsonObject = {
    item_id: r.item_id,
    institution_id: r.institution_id,
    institution_name: r.institution_name,
    webhook: r.webhook,
    auth_method: null,
    error: r.login_required ? itemLoginRequiredObject() : null,
    available_products: ALL_PRODUCTS.filter((p) => !r.products.includes(p)),
    billed_products: [...r.products],
    products: [...r.products],
    consented_products: [...r.products],
    consent_expiration_time: r.consent_expiration_time ?? null,
    update_type: "background",
  };
  if (withConsent) {
    out.created_at = r.created_at;
    out.consented_use_cases = ["Track and manage your finances"];
    out.consented_data_scopes = r.products.includes("transactions")
      ? ["account_balance_info", "contact_info", "transactions"]
      : ["account_balance_info", "contact_info"];
  }
  return out;
}
