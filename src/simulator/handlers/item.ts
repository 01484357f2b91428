import { findInstitution } from "../data/institutions";
import { SimError, invalidField } from "../errors";
import type { JsonObject } from "../validate";
import { isWebhookUrl } from "../webhooks";
import { COUNTRY_CODES, itemFor, itemJson, type HandlerContext } from "./common";

export function itemGet(ctx: HandlerContext): JsonObject {
  const item = itemFor(ctx, { allowLoginRequired: true });
  const r = item.rec;
  return {
    item: itemJson(item, true),
    status: {
      transactions: { last_successful_update: r.last_successful_update, last_failed_update: null },
      last_webhook: r.last_webhook ? { ...r.last_webhook } : null,
    },
  };
}

export function itemRemove(ctx: HandlerContext): JsonObject {
  ctx.fields.string("reason_code");
  ctx.fields.string("reason_note", { maxLength: 512 });
  const item = itemFor(ctx, { allowLoginRequired: true });
  ctx.core.store.remove(item);
  return {};
}

export function itemWebhookUpdate(ctx: HandlerContext): JsonObject {
  const webhook = ctx.fields.string("webhook");
  const item = itemFor(ctx, { allowLoginRequired: true });
  if (webhook !== undefined && webhook !== "" && !isWebhookUrl(webhook)) throw invalidField("webhook", "must be a valid URL");
  item.rec.webhook = webhook || null;
  ctx.core.store.save();
  if (item.rec.webhook)
    ctx.core.webhooks.send(item, { webhook_type: "ITEM", webhook_code: "WEBHOOK_UPDATE_ACKNOWLEDGED", item_id: item.itemId, new_webhook_url: item.rec.webhook, error: null, environment: "sandbox" });
  return { item: itemJson(item, false) };
}

/** /accounts/get and /accounts/balance/get (balances here are always current). */
export function accountsGet(ctx: HandlerContext): JsonObject {
  const options = ctx.fields.object("options");
  const ids = options?.stringArray("account_ids");
  options?.string("min_last_updated_datetime");
  const item = itemFor(ctx);
  let accounts = item.accounts({ withInvestments: true });
  if (ids) {
    if (ids.some((id) => item.sharedPos(id) < 0)) throw new SimError("INVALID_ACCOUNT_ID");
    accounts = accounts.filter((a) => ids.includes(a.account_id));
  }
  return { accounts, item: itemJson(item, false) };
}

export function institutionsGetById(ctx: HandlerContext): JsonObject {
  const f = ctx.fields;
  const id = f.string("institution_id", { required: true });
  const countries = f.stringArray("country_codes", { required: true, minItems: 1 });
  const options = f.object("options");
  f.done();
  const withMeta = options?.boolean("include_optional_metadata") ?? false;
  const withStatus = options?.boolean("include_status") ?? false;
  options?.boolean("include_auth_metadata");
  options?.boolean("include_payment_initiation_metadata");
  for (const c of countries as string[]) if (!COUNTRY_CODES.has(c)) throw invalidField("country_codes", `contains an unsupported country code: ${c}`);
  const inst = findInstitution(id as string);
  if (!inst || !inst.country_codes.some((c) => (countries as string[]).includes(c))) throw new SimError("INVALID_INSTITUTION");
  const institution: JsonObject = {
    institution_id: inst.institution_id,
    name: inst.name,
    products: [...inst.products],
    country_codes: [...inst.country_codes],
    routing_numbers: [...inst.routing_numbers],
    dtc_numbers: [],
    oauth: inst.oauth,
    url: withMeta ? inst.url : null,
    primary_color: withMeta ? inst.primary_color : null,
    logo: null,
  };
  if (withStatus) {
    const status = inst.down ? "DOWN" : inst.degraded ? "DEGRADED" : "HEALTHY";
    const since = "2024-01-01T00:00:00Z";
    const breakdown = inst.down
      ? { success: 0, error_plaid: 0.01, error_institution: 0.99 }
      : inst.degraded
        ? { success: 0.5, error_plaid: 0.05, error_institution: 0.45 }
        : { success: 0.98, error_plaid: 0.01, error_institution: 0.01 };
    institution.status = {
      item_logins: { status, last_status_change: since, breakdown },
      transactions_updates: { status, last_status_change: since, breakdown: { ...breakdown, refresh_interval: inst.down ? "STOPPED" : inst.degraded ? "DELAYED" : "NORMAL" } },
    };
  }
  return { institution };
}
