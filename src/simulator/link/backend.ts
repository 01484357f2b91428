import * as path from "node:path";
import type { SimulatorCore } from "../core";
import { INSTITUTIONS, findInstitution, type SimInstitution } from "../data/institutions";
import { profileFor } from "../data/users";
import { SimError } from "../errors";
import type { Handler, HandlerContext } from "../handlers/common";
import { createItemFromLogin, usableInstitution } from "../handlers/sandbox";
import { newRequestId, newUuid } from "../ids";
import { plaidId } from "../prng";
import { addLinkEvent, type LinkExitError, type LinkSessionRecord } from "../store/link-sessions";
import type { LinkTokenRecord } from "../store/link-tokens";
import type { SimItem } from "../store/item";
import type { AccountBase } from "../types";
import { isObject, type JsonObject } from "../validate";
import { HOSTED_LINK_PATH } from "./hosted";
import { renderOauthPage, type OauthPage } from "./oauth-page";

/** The stand-in browser script, written separately; resolved next to this module (src or dist). */
export const LINK_SCRIPT_FILE = path.join(__dirname, "link-initialize.js");

interface LinkAccount {
  id: string;
  name: string;
  mask: string | null;
  type: string;
  subtype: string | null;
  /** Pre-checked in the account selection (update mode: currently shared). */
  selected: boolean;
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
    // With account selection: every account the institution has for the login, the shared ones selected.
    const all = item.accounts({ withInvestments: true, unshared: !!rec.accountSelection });
    return all.map((a) => ({ ...linkAccount(a), selected: item.isShared(item.rec.account_ids.indexOf(a.account_id)) }));
  }
  const profile = profileFor(inst, username, password, rec.daysRequested);
  const itemId = core.linkTokens.draftItemId(rec, inst.institution_id, username);
  return profile.accounts.map((a, i) => ({ id: plaidId(itemId, "acct", i), name: a.name, mask: a.mask, type: a.type, subtype: a.subtype, selected: true }));
}

function linkAccount(a: AccountBase): Omit<LinkAccount, "selected"> {
  return { id: a.account_id, name: a.name, mask: a.mask, type: a.type, subtype: a.subtype };
}

/** Plaid's exit statuses (LinkSessionExitMetadata.status). */
const EXIT_STATUSES = new Set([
  "requires_questions", "requires_selections", "requires_code", "choose_device", "requires_credentials",
  "requires_account_selection", "requires_oauth", "institution_not_found", "institution_not_supported",
]);

/** The link session a call belongs to (see LinkTokens.session). */
function sessionOf(core: SimulatorCore, rec: LinkTokenRecord, linkSessionId: unknown): LinkSessionRecord {
  return core.linkTokens.session(rec, linkSessionId).session;
}

/** SELECT_INSTITUTION once per change of institution (a retried login does not repeat it). */
function selectInstitution(core: SimulatorCore, s: LinkSessionRecord, inst: SimInstitution, requestId: string): void {
  if (s.institution?.institution_id === inst.institution_id) return;
  s.institution = { name: inst.name, institution_id: inst.institution_id };
  addLinkEvent(s, "SELECT_INSTITUTION", core.now(), { request_id: requestId });
}

/**
 * Runs one stand-in Link step for a session: a Plaid error it raises becomes an ERROR event
 * (as Link reports it) before it goes back to the browser; either way the session is saved.
 */
function recorded<T>(ctx: HandlerContext, s: LinkSessionRecord, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof SimError)
      addLinkEvent(s, "ERROR", ctx.core.now(), { error_type: e.errorType, error_code: e.errorCode, error_message: e.message, request_id: ctx.requestId });
    throw e;
  } finally {
    ctx.core.linkTokens.save();
  }
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
    account_selection_enabled: rec.mode === "update" && !!rec.accountSelection,
  };
}

/**
 * `open`: Link's UI was opened for the token: a link session starts (OPEN). After an OAuth
 * redirect it is the session that went to the bank, whatever id the reopened Link proposes.
 */
function open(ctx: HandlerContext): JsonObject {
  const links = ctx.core.linkTokens;
  const rec = links.get(ctx.body.link_token);
  let id: unknown = ctx.body.link_session_id;
  if (ctx.body.oauth_state_id !== undefined && ctx.body.oauth_state_id !== null) {
    try {
      id = links.oauthState(rec, ctx.body.oauth_state_id).linkSessionId;
    } catch {
      // A stale state: oauth-resume reports it to the user.
    }
  }
  const { session: s, started } = links.session(rec, id);
  if (started) addLinkEvent(s, "OPEN", ctx.core.now(), { request_id: ctx.requestId });
  links.save();
  return { link_session_id: s.id };
}

function loginRoute(ctx: HandlerContext): JsonObject {
  const rec = ctx.core.linkTokens.get(ctx.body.link_token);
  const s = sessionOf(ctx.core, rec, ctx.body.link_session_id);
  return recorded(ctx, s, () => {
    const inst = institutionFor(ctx.core, rec, ctx.body.institution_id);
    selectInstitution(ctx.core, s, inst, ctx.requestId);
    addLinkEvent(s, "SUBMIT_CREDENTIALS", ctx.core.now(), { request_id: ctx.requestId });
    return { accounts: login(ctx.core, rec, inst, text(ctx.body, "username"), text(ctx.body, "password")) };
  });
}

function oauthResume(ctx: HandlerContext): JsonObject {
  const links = ctx.core.linkTokens;
  const rec = links.get(ctx.body.link_token);
  let state: ReturnType<typeof links.oauthState> | null = null;
  try {
    state = links.oauthState(rec, ctx.body.oauth_state_id);
  } catch {
    state = null;
  }
  const s = sessionOf(ctx.core, rec, state ? state.linkSessionId : ctx.body.link_session_id);
  return recorded(ctx, s, () => {
    if (!state) throw new SimError("INVALID_FIELD", "oauth_state_id is invalid or expired");
    const inst = institutionFor(ctx.core, rec, state.institutionId);
    selectInstitution(ctx.core, s, inst, ctx.requestId);
    addLinkEvent(s, "CLOSE_OAUTH", ctx.core.now(), { request_id: ctx.requestId });
    // The institution is echoed because the page resuming after the bank may have lost its state.
    return {
      institution: { institution_id: inst.institution_id, name: inst.name },
      accounts: login(ctx.core, rec, inst, "", ""),
    };
  });
}

function complete(ctx: HandlerContext): JsonObject {
  const core = ctx.core;
  const links = core.linkTokens;
  const rec = links.get(ctx.body.link_token);
  let sessionId: unknown = ctx.body.link_session_id;
  if (sessionId === undefined && typeof ctx.body.oauth_state_id === "string") {
    try {
      sessionId = links.oauthState(rec, ctx.body.oauth_state_id).linkSessionId;
    } catch {
      // not needed to complete: the institution's credentials decide
    }
  }
  const s = sessionOf(core, rec, sessionId);
  return recorded(ctx, s, () => {
    const inst = institutionFor(core, rec, ctx.body.institution_id);
    selectInstitution(core, s, inst, ctx.requestId);
    const out = completeLogin(ctx, rec, inst);
    const now = core.now();
    addLinkEvent(s, "HANDOFF", now, { request_id: ctx.requestId });
    // Update mode adds no Item: Plaid documents item_add_results as "the set of Item adds".
    s.result =
      rec.mode === "update"
        ? null
        : {
            public_token: out.publicToken,
            institution: { name: inst.name, institution_id: inst.institution_id },
            accounts: out.accounts.map((a) => ({
              id: a.id,
              name: a.name,
              mask: a.mask,
              type: a.type,
              // LinkSessionSuccessMetadataAccount.subtype is a string: left out rather than null.
              ...(a.subtype === null ? {} : { subtype: a.subtype }),
              verification_status: null,
              class_type: null,
            })),
          };
    s.finishedAt = now;
    if (rec.hosted && rec.hosted.completedAt === null) rec.hosted.completedAt = now;
    return {
      public_token: out.publicToken,
      metadata: {
        institution: { name: inst.name, institution_id: inst.institution_id },
        accounts: out.accounts.map(({ selected: _, ...a }) => ({ ...a, verification_status: null, class_type: null })),
        link_session_id: s.id,
        transfer_status: null,
      },
    };
  });
}

/**
 * The accounts `complete` leaves shared: `account_ids` if given (a subset of those offered),
 * else the pre-checked ones. An empty list means "as offered" in add mode, but is refused where
 * the user edits an existing selection (update mode with account selection: one must stay).
 */
function chosenAccounts(rec: LinkTokenRecord, offered: LinkAccount[], raw: unknown): LinkAccount[] {
  if (raw === undefined || raw === null) return offered.filter((a) => a.selected);
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== "string")) throw new SimError("INVALID_FIELD", "account_ids must be an array of strings");
  if (raw.some((id) => !offered.some((a) => a.id === id))) throw new SimError("INVALID_ACCOUNT_ID");
  if (raw.length) return offered.filter((a) => raw.includes(a.id));
  if (rec.accountSelection) throw new SimError("INVALID_FIELD", "account_ids must select at least one account");
  return offered.filter((a) => a.selected);
}

/** Checks the login once more, creates (add mode) or repairs (update mode) the Item. */
function completeLogin(ctx: HandlerContext, rec: LinkTokenRecord, inst: SimInstitution): { publicToken: string; accounts: LinkAccount[] } {
  const core = ctx.core;
  const username = text(ctx.body, "username");
  const password = text(ctx.body, "password");
  const offered = login(core, rec, inst, username, password);
  let selected = chosenAccounts(rec, offered, ctx.body.account_ids);
  // Update mode without account selection keeps the Item's accounts, whatever was sent.
  if (rec.mode === "update" && !rec.accountSelection) selected = offered;

  let item: SimItem;
  if (rec.mode === "update") {
    item = updateItem(core, rec);
    const wasBroken = item.rec.login_required;
    item.rec.login_required = false;
    // A re-login renews the consent, as Plaid's update mode does for an expiring Item.
    item.renewConsent(core.now());
    if (rec.accountSelection) item.setShared(new Set(selected.map((a) => item.rec.account_ids.indexOf(a.id))));
    core.store.save();
    if (wasBroken) core.webhooks.send(item, { webhook_type: "ITEM", webhook_code: "LOGIN_REPAIRED", item_id: item.itemId, environment: "sandbox" });
  } else {
    const itemId = core.linkTokens.consumeDraft(rec, inst.institution_id, username);
    item = createItemFromLogin(core, {
      institution: inst,
      username,
      password,
      products: rec.products,
      webhook: rec.webhook,
      daysRequested: rec.daysRequested,
      itemId,
      sharedPositions: selected.map((a) => offered.indexOf(a)),
    });
    selected = item.accounts({ withInvestments: true }).map((a) => ({ ...linkAccount(a), selected: true }));
  }
  return { publicToken: core.store.issuePublicToken(item.itemId), accounts: selected };
}

/** Link's onExit error, if it has Plaid's shape; anything else is dropped rather than stored. */
function exitError(raw: unknown): LinkExitError | null {
  if (!isObject(raw)) return null;
  const code = /^[A-Z0-9_]{1,80}$/;
  const str = (v: unknown): string | null => (typeof v === "string" && v.length <= 1000 ? v : null);
  if (typeof raw.error_type !== "string" || !code.test(raw.error_type) || typeof raw.error_code !== "string" || !code.test(raw.error_code)) return null;
  return { error_type: raw.error_type, error_code: raw.error_code, error_message: str(raw.error_message) ?? "", display_message: str(raw.display_message) };
}

/**
 * `exit` {link_token, link_session_id, error, status, institution_id}: Link was closed without
 * success; the session records onExit's error and metadata. Accepted for an expired token (a
 * user may close Link after it expired); a second exit, or one after success, changes nothing.
 */
function exitRoute(ctx: HandlerContext): JsonObject {
  const core = ctx.core;
  const links = core.linkTokens;
  const rec = links.lookup(ctx.body.link_token);
  const known = links.findSession(rec, ctx.body.link_session_id);
  if (known && known.finishedAt !== null) return {};
  const s = known ?? sessionOf(core, rec, ctx.body.link_session_id);
  const inst = typeof ctx.body.institution_id === "string" ? findInstitution(ctx.body.institution_id) : undefined;
  const institution = inst ? { name: inst.name, institution_id: inst.institution_id } : s.institution;
  // Plaid's status "requires_credentials" also covers "has not yet selected a financial institution".
  const status = typeof ctx.body.status === "string" && EXIT_STATUSES.has(ctx.body.status) ? ctx.body.status : "requires_credentials";
  const error = exitError(ctx.body.error);
  const now = core.now();
  addLinkEvent(s, "EXIT", now, {
    exit_status: status,
    error_type: error?.error_type,
    error_code: error?.error_code,
    error_message: error?.error_message,
    institution_id: institution?.institution_id,
    institution_name: institution?.name,
    request_id: ctx.requestId,
  });
  s.exit = { error, institution, status, request_id: ctx.requestId };
  s.finishedAt = now;
  links.save();
  return {};
}

/**
 * GET /simulator/link/oauth: the stand-in bank's consent page for OAuth institutions. Its
 * "Authorize" follows Plaid's OAuth redirect with oauth_state_id: to the token's redirect_uri,
 * or, for a hosted token, back into the hosted page (relative, so it works under a proxy prefix).
 */
export function oauthPage(core: SimulatorCore, params: URLSearchParams): OauthPage {
  const links = core.linkTokens;
  try {
    const rec = links.get(params.get("link_token"));
    const inst = institutionFor(core, rec, params.get("institution_id"));
    if (!rec.hosted && !rec.redirectUri) throw new SimError("INVALID_FIELD", "this link_token has no redirect_uri, which OAuth institutions need");
    const s = sessionOf(core, rec, params.get("link_session_id"));
    const requestId = newRequestId();
    selectInstitution(core, s, inst, requestId);
    addLinkEvent(s, "OPEN_OAUTH", core.now(), { request_id: requestId });
    const stateId = newUuid();
    links.addOauthState(rec, stateId, inst.institution_id, s.id);
    if (rec.hosted) {
      // From <base>/simulator/link/oauth, ../../hl/<id> is <base>/hl/<id>.
      const back = `../..${HOSTED_LINK_PATH}${rec.hosted.id}`;
      return renderOauthPage({ institution: inst.name, client: rec.clientName, authorizeUrl: `${back}?oauth_state_id=${stateId}`, cancelUrl: back, strict: true });
    }
    const target = new URL(rec.redirectUri as string);
    target.searchParams.set("oauth_state_id", stateId);
    return renderOauthPage({ institution: inst.name, client: rec.clientName, authorizeUrl: target.toString() });
  } catch (e) {
    const msg = e instanceof SimError ? `${e.errorCode}: ${e.message}` : "unexpected error";
    return { ...renderOauthPage({ error: msg, strict: true }), status: 400 };
  }
}

/** JSON routes of the stand-in Link (CORS *, no client credentials: the link_token is the credential). */
export const LINK_BACKEND_ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["/simulator/link/session", session],
  ["/simulator/link/open", open],
  ["/simulator/link/login", loginRoute],
  ["/simulator/link/complete", complete],
  ["/simulator/link/oauth-resume", oauthResume],
  ["/simulator/link/exit", exitRoute],
]);
