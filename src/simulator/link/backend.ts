import * as path from "node:path";
import type { SimulatorCore } from "../core";
import { INSTITUTIONS, type SimInstitution } from "../data/institutions";
import { profileFor } from "../data/users";
import { SimError } from "../errors";
import type { Handler, HandlerContext } from "../handlers/common";
import { createItemFromLogin, usableInstitution } from "../handlers/sandbox";
import { newUuid } from "../ids";
import { plaidId } from "../prng";
import type { LinkTokenRecord } from "../store/link-tokens";
import type { SimItem } from "../store/item";
import type { JsonObject } from "../validate";
import { renderOauthPage } from "./oauth-page";

/** The stand-in browser script, written separately; resolved next to this module (src or dist). */
export const LINK_SCRIPT_FILE = path.join(__dirname, "link-initialize.js");

interface LinkAccount {
  id: string;
  name: string;
  mask: string | null;
  type: string;
  subtype: string | null;
}

function updateItem(core: SimulatorCore, rec: LinkTokenRecord): SimItem {
  const item = rec.itemId ? core.store.get(rec.itemId) : undefined;
  if (!item) throw new SimError("ITEM_NOT_FOUND");
  return item;
}

function institutionFor(core: SimulatorCore, rec: LinkTokenRecord, institutionId: unknown): SimInstitution {
  if (typeof institutionId !== "string" || !institutionId) throw new SimError("MISSING_FIELDS", "the following required fields are missing: institution_id");
  const inst = usableInstitution(institutionId);
  if (rec.mode === "update" && updateItem(core, rec).rec.institution_id !== inst.institution_id)
    throw new SimError("INVALID_INSTITUTION", "update mode must use the Item's own institution");
  return inst;
}

function text(body: JsonObject, key: string): string {
  const v = body[key];
  return typeof v === "string" ? v : "";
}

/** Validates a login and returns the accounts the user can pick, with the ids the Item will have. */
function login(core: SimulatorCore, rec: LinkTokenRecord, inst: SimInstitution, username: string, password: string): LinkAccount[] {
  if (rec.mode === "update") {
    const item = updateItem(core, rec);
    const good = inst.anyCredentials || (username === "user_good" && password === "pass_good");
    if (!good) {
      if (username !== item.rec.profile.username) throw new SimError("INVALID_CREDENTIALS");
      profileFor(inst, username, password, rec.daysRequested); // throws on a wrong password
    }
    return item.accounts({ withInvestments: true }).map((a) => ({ id: a.account_id, name: a.name, mask: a.mask, type: a.type, subtype: a.subtype }));
  }
  const profile = profileFor(inst, username, password, rec.daysRequested);
  const itemId = core.linkTokens.draftItemId(rec.token, inst.institution_id, username);
  return profile.accounts.map((a, i) => ({ id: plaidId(itemId, "acct", i), name: a.name, mask: a.mask, type: a.type, subtype: a.subtype }));
}

function session(ctx: HandlerContext): JsonObject {
  const rec = ctx.core.linkTokens.get(ctx.body.link_token);
  const item = rec.mode === "update" ? updateItem(ctx.core, rec) : null;
  return {
    mode: rec.mode,
    client_name: rec.clientName,
    institutions: INSTITUTIONS.filter((i) => i.country_codes.some((c) => rec.countryCodes.includes(c))).map((i) => ({
      institution_id: i.institution_id,
      name: i.name,
      oauth: i.oauth,
    })),
    item: item ? { item_id: item.itemId, institution_id: item.rec.institution_id, institution_name: item.rec.institution_name } : null,
  };
}

function loginRoute(ctx: HandlerContext): JsonObject {
  const rec = ctx.core.linkTokens.get(ctx.body.link_token);
  const inst = institutionFor(ctx.core, rec, ctx.body.institution_id);
  return { accounts: login(ctx.core, rec, inst, text(ctx.body, "username"), text(ctx.body, "password")) };
}

function oauthResume(ctx: HandlerContext): JsonObject {
  const rec = ctx.core.linkTokens.get(ctx.body.link_token);
  const { institutionId } = ctx.core.linkTokens.oauthState(ctx.body.oauth_state_id, rec.token);
  const inst = institutionFor(ctx.core, rec, institutionId);
  // The institution is echoed because the page resuming after the bank may have lost its state.
  return {
    institution: { institution_id: inst.institution_id, name: inst.name },
    accounts: login(ctx.core, rec, inst, "", ""),
  };
}

function complete(ctx: HandlerContext): JsonObject {
  const core = ctx.core;
  const rec = core.linkTokens.get(ctx.body.link_token);
  const inst = institutionFor(core, rec, ctx.body.institution_id);
  const username = text(ctx.body, "username");
  const password = text(ctx.body, "password");
  const offered = login(core, rec, inst, username, password);
  const raw = ctx.body.account_ids;
  let selected = offered;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string")) throw new SimError("INVALID_FIELD", "account_ids must be an array of strings");
    if (raw.some((id) => !offered.some((a) => a.id === id))) throw new SimError("INVALID_ACCOUNT_ID");
    if (raw.length) selected = offered.filter((a) => raw.includes(a.id));
  }

  let item: SimItem;
  if (rec.mode === "update") {
    item = updateItem(core, rec);
    item.rec.login_required = false;
    core.store.save();
    core.webhooks.send(item, { webhook_type: "ITEM", webhook_code: "LOGIN_REPAIRED", item_id: item.itemId, environment: "sandbox" });
  } else {
    const itemId = core.linkTokens.consumeDraft(rec.token, inst.institution_id, username);
    item = createItemFromLogin(core, {
      institution: inst,
      username,
      password,
      products: rec.products,
      webhook: rec.webhook,
      daysRequested: rec.daysRequested,
      itemId,
      accountPositions: selected.map((a) => offered.indexOf(a)),
      // Keep the ids the user saw at login, whatever subset was selected.
      accountIds: selected.map((a) => a.id),
    });
    selected = item.accounts({ withInvestments: true }).map((a) => ({ id: a.account_id, name: a.name, mask: a.mask, type: a.type, subtype: a.subtype }));
  }
  return {
    public_token: core.store.issuePublicToken(item.itemId),
    metadata: {
      institution: { name: inst.name, institution_id: inst.institution_id },
      accounts: selected.map((a) => ({ ...a, verification_status: null, class_type: null })),
      link_session_id: newUuid(),
      transfer_status: null,
    },
  };
}

/** GET /simulator/link/oauth: the stand-in bank's consent page for OAuth institutions. */
export function oauthPage(core: SimulatorCore, params: URLSearchParams): { status: number; html: string } {
  try {
    const rec = core.linkTokens.get(params.get("link_token"));
    const inst = institutionFor(core, rec, params.get("institution_id"));
    if (!rec.redirectUri) throw new SimError("INVALID_FIELD", "this link_token has no redirect_uri, which OAuth institutions need");
    const stateId = newUuid();
    core.linkTokens.addOauthState(stateId, rec.token, inst.institution_id);
    const target = new URL(rec.redirectUri);
    target.searchParams.set("oauth_state_id", stateId);
    return { status: 200, html: renderOauthPage({ institution: inst.name, client: rec.clientName, authorizeUrl: target.toString() }) };
  } catch (e) {
    const msg = e instanceof SimError ? `${e.errorCode}: ${e.message}` : "unexpected error";
    return { status: 400, html: renderOauthPage({ error: msg }) };
  }
}

/** JSON routes of the stand-in Link (CORS *, no client credentials: the link_token is the credential). */
export const LINK_BACKEND_ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["/simulator/link/session", session],
  ["/simulator/link/login", loginRoute],
  ["/simulator/link/complete", complete],
  ["/simulator/link/oauth-resume", oauthResume],
]);
