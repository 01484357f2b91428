import { SimError, invalidField } from "../errors";
import type { Fields, JsonObject } from "../validate";
import { COUNTRY_CODES, checkProducts, type HandlerContext } from "./common";
import { isWebhookUrl } from "../webhooks";
import { isoSeconds } from "../dates";
import { HOSTED_MAX_LIFETIME_S, type LinkTokenInit } from "../store/link-tokens";
import { linkSessionJson } from "../store/link-sessions";
import { HOSTED_LINK_PATH } from "../link/hosted";

/** Schemes a completion redirect may never use: the hosted page navigates the browser there. */
const SCRIPT_SCHEMES = new Set(["javascript:", "data:", "vbscript:", "blob:", "file:"]);

/**
 * `hosted_link` (LinkTokenCreateHostedLink). Present, even as {}, it enables Hosted Link.
 * Unknown keys are accepted (the schema allows additional properties).
 */
function readHostedLink(f: Fields, user: Fields | undefined): LinkTokenInit["hosted"] {
  const h = f.object("hosted_link");
  if (!h) return null;
  const lifetime = h.integer("url_lifetime_seconds", { min: 1, max: HOSTED_MAX_LIFETIME_S });
  const redirect = h.string("completion_redirect_uri");
  const isMobileApp = h.boolean("is_mobile_app") ?? false;
  const delivery = h.string("delivery_method");
  h.done();
  if (redirect !== undefined) {
    let u: URL;
    try {
      u = new URL(redirect);
    } catch {
      throw invalidField("hosted_link.completion_redirect_uri", "must be a valid URI");
    }
    // Mobile apps register custom schemes (myapp://done), so any scheme but the scriptable ones.
    if (SCRIPT_SCHEMES.has(u.protocol)) throw invalidField("hosted_link.completion_redirect_uri", `must not use the ${u.protocol} scheme`);
  }
  if (delivery !== undefined) {
    if (delivery !== "sms" && delivery !== "email") throw invalidField("hosted_link.delivery_method", "must be one of: sms, email");
    const needs = delivery === "sms" ? "phone_number" : "email_address";
    if (!user?.has(needs)) throw invalidField("hosted_link.delivery_method", `${delivery} delivery requires user.${needs}`);
  }
  return { lifetimeSeconds: lifetime ?? null, completionRedirectUri: redirect ?? null, isMobileApp, deliveryMethod: delivery ?? null };
}

/**
 * `update` (LinkTokenCreateRequestUpdate): every field type-checked; only
 * account_selection_enabled has an effect, and only in update mode. `user` / `item_ids` need a
 * user_token, which the simulator does not support.
 */
function readUpdate(f: Fields): boolean {
  const u = f.object("update");
  if (!u) return false;
  const selection = u.boolean("account_selection_enabled") ?? false;
  u.boolean("reauthorization_enabled");
  if (u.boolean("user")) throw invalidField("update.user", "requires a user_token, which the simulator does not support");
  u.stringArray("item_ids");
  u.done();
  return selection;
}

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
  const hosted = readHostedLink(f, user);
  const accountSelection = readUpdate(f);
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
    // Add mode always offers account selection in the stand-in Link; the flag is update mode's.
    accountSelection: itemId !== null && accountSelection,
    clientName: clientName as string,
    countryCodes: countryCodes as string[],
    language: language as string,
    products: products ?? [],
    webhook: webhook ?? null,
    redirectUri: redirectUri ?? null,
    daysRequested,
    hosted,
  });
  const out: JsonObject = { link_token: rec.token, expiration: isoSeconds(new Date(rec.expiresAt)) };
  if (rec.hosted) out.hosted_link_url = `${ctx.origin}${HOSTED_LINK_PATH}${rec.hosted.id}`;
  return out;
}

/**
 * /link/token/get: the token's dates, its link sessions (as the stand-in Link backend recorded
 * them) and the create call's settings. An expired token still answers during the grace period.
 */
export function linkTokenGet(ctx: HandlerContext): JsonObject {
  const token = ctx.fields.string("link_token", { required: true });
  ctx.fields.done();
  const links = ctx.core.linkTokens;
  const rec = links.lookup(token);
  return {
    link_token: rec.token,
    created_at: isoSeconds(new Date(rec.createdAt)),
    expiration: isoSeconds(new Date(rec.expiresAt)),
    link_sessions: links.visibleSessions(rec).map(linkSessionJson),
    metadata: {
      initial_products: rec.products,
      webhook: rec.webhook,
      country_codes: rec.countryCodes,
      language: rec.language,
      redirect_uri: rec.redirectUri,
      client_name: rec.clientName,
    },
  };
}

export function publicTokenExchange(ctx: HandlerContext): JsonObject {
  const token = ctx.fields.string("public_token", { required: true });
  ctx.fields.done();
  const { accessToken, item } = ctx.core.store.exchangePublicToken(token as string);
  return { access_token: accessToken, item_id: item.itemId };
}
