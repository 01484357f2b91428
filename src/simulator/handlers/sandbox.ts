import { findInstitution, type SimInstitution } from "../data/institutions";
import { profileFor } from "../data/users";
import { addDays, dayNumber } from "../dates";
import { SimError, invalidField, itemLoginRequiredObject } from "../errors";
import { addSandboxTransactions, openNewAccount, type CustomSandboxTxn } from "../ledger/activity";
import type { SimulatorCore } from "../core";
import type { SimItem } from "../store/item";
import { Fields, isObject, type JsonObject } from "../validate";
import { isWebhookUrl, syncUpdatesAvailable } from "../webhooks";
import { checkProducts, itemFor, type HandlerContext } from "./common";

/** An institution usable for a new Item, or Plaid's error for it. */
export function usableInstitution(id: string): SimInstitution {
  const inst = findInstitution(id);
  if (!inst) throw new SimError("INVALID_INSTITUTION");
  if (inst.down) throw new SimError("INSTITUTION_DOWN");
  return inst;
}

/** Creates an Item for a successful login; shared by the Sandbox API and the stand-in Link. */
export function createItemFromLogin(
  core: SimulatorCore,
  init: {
    institution: SimInstitution;
    username: string;
    password: string;
    products: string[];
    webhook: string | null;
    daysRequested: number;
    itemId?: string;
    /** The accounts the user chose to share (positions in the login's list); default all. The others stay at the institution. */
    sharedPositions?: number[];
  },
): SimItem {
  if (init.institution.unsupported || init.products.some((p) => !init.institution.products.includes(p) && p !== "transactions_refresh"))
    throw new SimError("PRODUCTS_NOT_SUPPORTED", "the requested products are not supported by this institution");
  const profile = profileFor(init.institution, init.username, init.password, init.daysRequested);
  return core.store.createItem({
    institutionId: init.institution.institution_id,
    institutionName: init.institution.name,
    createdDate: core.today(),
    profile,
    products: init.products,
    webhook: init.webhook,
    itemId: init.itemId,
    sharedPositions: init.sharedPositions,
  });
}

export function sandboxPublicTokenCreate(ctx: HandlerContext): JsonObject {
  const f = ctx.fields;
  const institutionId = f.string("institution_id", { required: true });
  const products = f.stringArray("initial_products", { required: true, minItems: 1 });
  const options = f.object("options");
  f.done();
  const webhook = options?.string("webhook");
  const username = options?.string("override_username") ?? "user_good";
  const password = options?.string("override_password") ?? "pass_good";
  const tx = options?.object("transactions");
  const daysRequested = tx?.integer("days_requested", { min: 1, max: 730 }) ?? 90;
  const startDate = tx?.date("start_date");
  tx?.date("end_date");
  checkProducts("initial_products", products);
  if (webhook !== undefined && !isWebhookUrl(webhook)) throw invalidField("options.webhook", "must be a valid URL");
  const institution = usableInstitution(institutionId as string);
  const days = startDate ? Math.max(1, dayNumber(ctx.core.today()) - dayNumber(startDate) + 1) : daysRequested;
  const item = createItemFromLogin(ctx.core, { institution, username, password, products: products as string[], webhook: webhook ?? null, daysRequested: days });
  return { public_token: ctx.core.store.issuePublicToken(item.itemId) };
}

export function sandboxResetLogin(ctx: HandlerContext): JsonObject {
  const item = itemFor(ctx, { allowLoginRequired: true });
  item.rec.login_required = true;
  ctx.core.store.save();
  ctx.core.webhooks.send(item, { webhook_type: "ITEM", webhook_code: "ERROR", item_id: item.itemId, error: { ...itemLoginRequiredObject(), status: 400 }, environment: "sandbox" });
  return { reset_login: true };
}

const FIREABLE = new Set([
  "DEFAULT_UPDATE", "NEW_ACCOUNTS_AVAILABLE", "SMS_MICRODEPOSITS_VERIFICATION", "AUTHORIZATION_GRANTED", "USER_PERMISSION_REVOKED",
  "USER_ACCOUNT_REVOKED", "PENDING_DISCONNECT", "RECURRING_TRANSACTIONS_UPDATE", "LOGIN_REPAIRED", "SYNC_UPDATES_AVAILABLE",
  "PRODUCT_READY", "ERROR",
]);

export function sandboxFireWebhook(ctx: HandlerContext): JsonObject {
  const f = ctx.fields;
  const code = f.string("webhook_code", { required: true });
  const type = f.string("webhook_type");
  const item = itemFor(ctx, { allowLoginRequired: true });
  if (!FIREABLE.has(code as string)) throw invalidField("webhook_code", "is not a webhook code the Sandbox can fire");
  if (!item.rec.webhook || !isWebhookUrl(item.rec.webhook)) throw new SimError("SANDBOX_WEBHOOK_INVALID");
  let payload: Record<string, unknown>;
  switch (code) {
    case "SYNC_UPDATES_AVAILABLE":
      payload = syncUpdatesAvailable(item);
      break;
    case "DEFAULT_UPDATE":
      payload = { webhook_type: "TRANSACTIONS", webhook_code: code, item_id: item.itemId, error: null, new_transactions: 0, environment: "sandbox" };
      break;
    case "ERROR":
      payload = { webhook_type: "ITEM", webhook_code: code, item_id: item.itemId, error: { ...itemLoginRequiredObject(), status: 400 }, environment: "sandbox" };
      break;
    case "NEW_ACCOUNTS_AVAILABLE":
      // Plaid's webhook says the user has accounts not shared yet; the simulator opens one.
      openNewAccount(item);
      payload = { webhook_type: "ITEM", webhook_code: code, item_id: item.itemId, error: null, environment: "sandbox" };
      break;
    case "PENDING_DISCONNECT":
      payload = { webhook_type: "ITEM", webhook_code: code, item_id: item.itemId, reason: "INSTITUTION_MIGRATION", environment: "sandbox" };
      break;
    default:
      payload = { webhook_type: type ?? "ITEM", webhook_code: code, item_id: item.itemId, environment: "sandbox" };
  }
  ctx.core.webhooks.send(item, payload);
  ctx.core.store.save();
  return { webhook_fired: true };
}

export function sandboxTransactionsCreate(ctx: HandlerContext): JsonObject {
  const raw = ctx.fields.array("transactions", true);
  const item = itemFor(ctx);
  if (!item.rec.profile.allowsCreate)
    throw invalidField("access_token", "belongs to an Item not created with user_transactions_dynamic; /sandbox/transactions/create works only for those");
  const list = raw as unknown[];
  if (list.length < 1 || list.length > 10) throw invalidField("transactions", "must contain between 1 and 10 transactions");
  const today = item.today();
  const oldest = addDays(today, -14);
  const txns: CustomSandboxTxn[] = list.map((t, k) => {
    if (!isObject(t)) throw invalidField(`transactions[${k}]`, "must be an object");
    const tf = new Fields(t, `transactions[${k}].`);
    const dateTransacted = tf.date("date_transacted", true);
    const datePosted = tf.date("date_posted", true);
    const amount = tf.number("amount", true);
    const description = tf.string("description", { required: true });
    const currency = tf.string("iso_currency_code");
    tf.done();
    for (const [name, d] of [["date_transacted", dateTransacted], ["date_posted", datePosted]] as const)
      if (d > today || d < oldest) throw invalidField(`transactions[${k}].${name}`, "must be today or at most 14 days in the past");
    return { date_transacted: dateTransacted, date_posted: datePosted, amount, description: description as string, iso_currency_code: currency };
  });
  addSandboxTransactions(item, txns);
  item.rec.last_successful_update = new Date(ctx.core.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  ctx.core.store.save();
  if (item.rec.sync_called) ctx.core.webhooks.send(item, syncUpdatesAvailable(item));
  return {};
}
