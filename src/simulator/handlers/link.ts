import { SimError, invalidField } from "../errors";
import type { JsonObject } from "../validate";
import { COUNTRY_CODES, checkProducts, type HandlerContext } from "./common";
import { isWebhookUrl } from "../webhooks";
import { isoSeconds } from "../dates";

/** /link/token/create: new-Item tokens need products; update-mode tokens carry access_token. */
export function linkTokenCreate(ctx: HandlerContext): JsonObject {
  const f = ctx.fields;
  const clientName = f.string("client_name", { required: true });
  const language = f.string("language", { required: true });
  const countryCodes = f.stringArray("country_codes", { required: true, minItems: 1 });
  const user = f.object("user");
  const userId = f.string("user_id");
  if (!user && !userId) f.object("user", true);
  const clientUserId = user?.string("client_user_id", { required: true });
  const accessToken = f.string("access_token", { minLength: 1 });
  const products = f.stringArray("products");
  f.stringArray("required_if_supported_products");
  f.stringArray("optional_products");
  f.stringArray("additional_consented_products");
  const webhook = f.string("webhook");
  const redirectUri = f.string("redirect_uri");
  const tx = f.object("transactions");
  const daysRequested = tx?.integer("days_requested", { min: 1, max: 730 }) ?? 90;
  f.done();
  user?.done();
  void clientUserId;

  for (const c of countryCodes ?? [])
    if (!COUNTRY_CODES.has(c)) throw invalidField("country_codes", `contains an unsupported country code: ${c}`);
  checkProducts("products", products);
  if (webhook !== undefined && !isWebhookUrl(webhook)) throw invalidField("webhook", "must be a valid URL");
  if (redirectUri !== undefined) {
    let u: URL;
    try {
      u = new URL(redirectUri);
    } catch {
      throw invalidField("redirect_uri", "must be a valid URI");
    }
    if (u.search || u.hash) throw invalidField("redirect_uri", "must not contain query parameters or a fragment");
    if (u.protocol !== "https:" && u.protocol !== "http:") throw invalidField("redirect_uri", "must be an http(s) URI");
  }

  let itemId: string | null = null;
  if (accessToken !== undefined) {
    // Update mode: products are ignored (the Item keeps its own), as Plaid recommends omitting them.
    itemId = ctx.core.store.resolve(accessToken).itemId;
  } else if (!products || products.length === 0) {
    throw new SimError("INVALID_FIELD", "products must contain at least one product unless access_token is provided (update mode)");
  }
  const rec = ctx.core.linkTokens.create({
    mode: itemId ? "update" : "add",
    itemId,
    clientName: clientName as string,
    countryCodes: countryCodes as string[],
    language: language as string,
    products: products ?? [],
    webhook: webhook ?? null,
    redirectUri: redirectUri ?? null,
    daysRequested,
  });
  return { link_token: rec.token, expiration: isoSeconds(new Date(rec.expiresAt)) };
}

export function publicTokenExchange(ctx: HandlerContext): JsonObject {
  const token = ctx.fields.string("public_token", { required: true });
  ctx.fields.done();
  const { accessToken, item } = ctx.core.store.exchangePublicToken(token as string);
  return { access_token: accessToken, item_id: item.itemId };
}
