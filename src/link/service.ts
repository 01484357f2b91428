/**
 * The linking logic behind the admin routes and the nodes, with Node-RED injected as a few small
 * functions so it runs (and is tested) without a runtime. Nothing here ever returns a secret:
 * answers carry item ids, institution names and masked accounts only.
 *
 * - createSession: a link_token for "Link account" / "Log in again", embedded or hosted by the
 *   config's link mode (DESIGN §4, §4.6);
 * - complete: the embedded Link page hands back a public token;
 * - hosted sessions are polled (on poll-schedule.ts's timetable) until Plaid reports the end, then collected here;
 * - relinkUrl: one re-login URL per episode of "needs login", reused by every failed sync;
 * - remove / health: /item/remove and /item/get for the editor.
 */
import type { PlaidApi } from "plaid";
import { NEEDS_LOGIN_CODES, toCleanError, type ErrorInfo } from "../plaid/errors";
import { normaliseInstitution, normaliseAccounts } from "./accounts";
import { readHostedOutcome, type HostedSuccess } from "./hosted-result";
import { readItemDetails, type ItemDetails } from "./item-details";
import { linkTokenRequest } from "./link-token";
import { LinkWriter, type LinkEvent, type LinkNodeLike, type LinkWriterDeps } from "./link-writer";
import { PollSchedule, type PollResult } from "./poll-schedule";
import { LinkError } from "./link-error";
import { SESSION_TTL_MS, type LinkMode, type LinkSession, type SessionPurpose, type SessionResult, type SessionStatus, type SessionStore } from "./sessions";

export type { LinkEvent, LinkNodeLike };
export { LinkError };

export const PLAID_CDN_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";
export const LINK_SCRIPT_PATH = "link/v2/stable/link-initialize.js";

export type LinkModeSetting = "hosted" | "embedded";

/** An editor's Hosted Link session lives as long as an embedded one. */
export const HOSTED_EDITOR_LIFETIME_SECONDS = SESSION_TTL_MS / 1000;
/** A re-login URL is reused only while it has at least this long to live. */
const RELINK_MIN_REMAINING_MS = 15 * 60_000;
/** A hosted session Plaid cannot be asked about for this long after it expired is given up. */
const EXPIRED_GIVE_UP_MS = 60 * 60_000;

/** What the service needs of a plaid-config node. */
export interface ConfigLike {
  id: string;
  environment: string;
  /** `custom`: the Plaid-compatible API's base URL. */
  basePath?: string;
  clientName: string;
  countryCodes: string[];
  language: string;
  /** OAuth banks in embedded mode ("" = none). */
  redirectUri: string;
  /** Transaction history asked for when a bank is linked (1–730). */
  daysRequested: number;
  /** Hosted Link (Plaid's own page, the default) or the embedded Link page of the admin routes. */
  linkMode: LinkModeSetting;
  /** Lifetime of a re-login URL (DESIGN §4.6: a day or more). */
  relinkLifetimeSeconds: number;
  /** Why the config cannot be used (e.g. keys missing), or null when it can. Names what is wrong. */
  problem(): string | null;
  /** The official client for this environment. In `demo` this starts the in-process simulator on first use. */
  getClient(): Promise<PlaidApi>;
  /** The editor URL as the user's browser sees it (publicUrl, or a guess from settings), no trailing slash. */
  publicBaseUrl(): string;
  /**
   * Plaid's hosted_link_url as a browser can reach it: unchanged at Plaid; in demo mode the
   * in-process simulator's loopback URL mapped onto the demo proxy of `base` (the editor's origin
   * when known, else publicBaseUrl()).
   */
  browserHostedUrl(url: string, base?: string): string;
}

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export interface LinkServiceDeps extends LinkWriterDeps {
  sessions: SessionStore;
  getConfig(id: string): ConfigLike | null;
  /** The type of the deployed node with this id, if there is one (any type). */
  nodeType(id: string): string | undefined;
  /** Message catalog lookup; keys are relative to the plaid-link catalog ("errors.x"). */
  t: Translate;
  warn(message: string): void;
  /** RED.settings.httpAdminRoot, normalised to start and end with "/". */
  adminRoot: string;
  /** A link's Item logged in again (update mode finished): its sync nodes may say so. */
  onLoginRepaired?(linkId: string): void;
  /** Injectable polling (tests); default: 2 s watched, 60 s otherwise. */
  schedule?: (poll: (id: string) => Promise<PollResult>, onError: (id: string, err: unknown) => void) => PollSchedule;
  now?: () => number;
  /** The writer to share (the runtime makes one before the service, which loads only when needed). */
  writer?: LinkWriter;
}

export interface HealthReport {
  linked: boolean;
  itemId?: string;
  institutionId?: string | null;
  institutionName?: string | null;
  lastSuccessfulUpdate?: string | null;
  lastFailedUpdate?: string | null;
  consentExpiration?: string | null;
  error?: { code: string; type: string; message: string; display_message: string | null } | null;
  needsLogin?: boolean;
  /** Plaid's last webhook for the Item was NEW_ACCOUNTS_AVAILABLE: "Add new accounts" has something to add. */
  newAccounts?: boolean;
  /** The token is pending (linked, not yet deployed). */
  pendingDeploy?: boolean;
}

/** POST link-sessions → 201 (DESIGN §4.6). `url` is the Link page on the admin routes. */
export interface CreatedSession {
  session: string;
  url: string;
  expiresAt: string;
  hosted: boolean;
  hostedUrl?: string;
}

/** GET link-sessions/<session>, and the Link page's own status route. */
export interface SessionStatusReport {
  status: SessionStatus;
  mode: LinkMode;
  expiresAt: string;
  itemId?: string;
  institutionId?: string;
  institutionName?: string;
  accounts?: LinkEvent["accounts"];
  message?: string;
}

const GONE_CODES = new Set(["ITEM_NOT_FOUND", "INVALID_ACCESS_TOKEN"]);

const NODE_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A well-formed node id, and not a name of Object.prototype (`__proto__`, `constructor`, ...). */
export function isNodeId(v: unknown): v is string {
  return typeof v === "string" && NODE_ID_RE.test(v) && !(v in Object.prototype);
}

/**
 * A Link script the embedded page may load. The page runs on the editor's origin, where the
 * editor keeps its admin token: a script fetched over plain http from another machine could be
 * replaced on the way and read it. So: https, or loopback (a simulator on this machine), or the
 * page's own relative path (demo).
 */
export function isSafeScriptSource(url: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) return true; // relative: this Node-RED itself
  try {
    const u = new URL(url);
    if (u.protocol === "https:") return true;
    const host = u.hostname.replace(/^\[|\]$/g, "");
    return u.protocol === "http:" && (host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host));
  } catch {
    return false;
  }
}

export function linkScriptUrl(config: Pick<ConfigLike, "environment" | "basePath">): string {
  switch (config.environment) {
    case "sandbox":
    case "production":
      return PLAID_CDN_SCRIPT;
    case "custom":
      return `${(config.basePath ?? "").trim().replace(/\/+$/, "")}/${LINK_SCRIPT_PATH}`;
    default:
      // demo: the in-process simulator, re-served through the admin routes. Relative to the Link
      // page (<admin>/plaid-sync/link/<session>), so it also works behind a path-prefixing proxy.
      return `../demo/${LINK_SCRIPT_PATH}`;
  }
}

function resultOf(ev: LinkEvent): SessionResult {
  return { itemId: ev.itemId, institutionId: ev.institution?.institution_id ?? "", institutionName: ev.institution?.name ?? "", accounts: ev.accounts };
}

export class LinkService {
  readonly writer: LinkWriter;
  private readonly polls: PollSchedule;
  private readonly now: () => number;
  /** One re-login session being created per link at a time (concurrent failed syncs share it). */
  private readonly relinkInFlight = new Map<string, Promise<LinkSession>>();

  constructor(private readonly deps: LinkServiceDeps) {
    this.writer = deps.writer ?? new LinkWriter(deps);
    this.now = deps.now ?? Date.now;
    const poll = (id: string) => this.pollHosted(id);
    const onError = (id: string, err: unknown) => this.deps.warn(this.t("errors.poll-failed", { message: toCleanError(err).plaid.message, session: id.slice(0, 6) }));
    this.polls = deps.schedule ? deps.schedule(poll, onError) : new PollSchedule({ poll, onError, now: this.now });
  }

  private t(key: string, vars?: Record<string, string | number>): string {
    return this.deps.t(key, vars);
  }

  currentAccessToken(linkId: string): string | undefined {
    return this.writer.currentAccessToken(linkId);
  }

  reconcilePending(linkId: string, deployedToken: string | undefined): ReturnType<LinkWriter["reconcilePending"]> {
    return this.writer.reconcilePending(linkId, deployedToken);
  }

  private requireConfig(configId: unknown): ConfigLike {
    if (!isNodeId(configId)) throw new LinkError(400, this.t("errors.no-config"), "NO_CONFIG");
    const config = this.deps.getConfig(configId);
    if (!config) throw new LinkError(409, this.t("errors.config-not-deployed"), "CONFIG_NOT_DEPLOYED");
    const problem = config.problem();
    if (problem) throw new LinkError(409, this.t("errors.config-problem", { problem }), "CONFIG_INVALID");
    return config;
  }

  private plaidFailure(err: unknown, key = "errors.plaid"): LinkError {
    const e = toCleanError(err).plaid;
    const message = e.display_message ? `${e.message} (${e.display_message})` : e.message;
    const status = e.status === 429 || e.type === "RATE_LIMIT_EXCEEDED" ? 429 : e.status !== null && e.status < 500 ? 400 : 502;
    return new LinkError(status, this.t(key, { code: e.code, message }), e.code);
  }

  private pageUrl(s: LinkSession): string {
    return `${this.deps.adminRoot}plaid-sync/link/${s.id}`;
  }

  /** POST <admin>/plaid-sync/link-sessions */
  async createSession(input: {
    link: unknown;
    config: unknown;
    mode: unknown;
    /** The editor's origin (from the request): the demo OAuth redirect and the demo hosted URL. */
    editorOrigin?: string;
  }): Promise<CreatedSession> {
    const { mode } = input;
    if (mode !== "add" && mode !== "update" && mode !== "accounts") throw new LinkError(400, this.t("errors.bad-mode"), "BAD_MODE");
    const { link, config } = this.resolveLink(input.link, mode === "add" ? { editorConfig: input.config } : {});
    const s = await this.openSession(link, config, mode, "editor", input.editorOrigin);
    return {
      session: s.id,
      url: this.pageUrl(s),
      expiresAt: new Date(s.expiresAt).toISOString(),
      hosted: s.kind === "hosted",
      ...(s.hostedUrl ? { hostedUrl: s.hostedUrl } : {}),
    };
  }

  private async openSession(linkId: string, config: ConfigLike, mode: LinkMode, purpose: SessionPurpose, editorOrigin?: string): Promise<LinkSession> {
    const accessToken = this.currentAccessToken(linkId);
    if (mode === "add" && accessToken) throw new LinkError(409, this.t("errors.already-linked"), "ALREADY_LINKED");
    if (mode !== "add" && !accessToken) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
    const hosted = config.linkMode === "hosted";
    if (!hosted && !isSafeScriptSource(linkScriptUrl(config))) {
      throw new LinkError(409, this.t("errors.unsafe-script-source", { url: linkScriptUrl(config) }), "UNSAFE_SCRIPT_SOURCE");
    }
    const lifetimeSeconds = purpose === "relink" ? config.relinkLifetimeSeconds : HOSTED_EDITOR_LIFETIME_SECONDS;
    const request = linkTokenRequest(config, {
      linkId,
      mode,
      accessToken,
      ...(hosted ? { hostedLifetimeSeconds: lifetimeSeconds } : { redirectUri: this.redirectUriFor(config, editorOrigin) }),
    });
    let data: { link_token: string; expiration: string; hosted_link_url?: string };
    try {
      const client = await config.getClient();
      data = (await client.linkTokenCreate(request)).data;
    } catch (err) {
      throw this.plaidFailure(err, hosted ? "errors.link-token-hosted" : "errors.link-token");
    }
    const now = this.now();
    const tokenExpiry = Date.parse(data.expiration) || now + lifetimeSeconds * 1000;
    if (hosted) {
      if (!data.hosted_link_url) throw new LinkError(502, this.t("errors.no-hosted-url"), "NO_HOSTED_URL");
      const s = this.deps.sessions.create({
        linkId,
        configId: config.id,
        mode,
        linkToken: data.link_token,
        kind: "hosted",
        purpose,
        hostedUrl: config.browserHostedUrl(data.hosted_link_url, editorOrigin),
        linkTokenExpiresAt: tokenExpiry,
        expiresAt: tokenExpiry,
      });
      this.polls.watch(s.id, s.expiresAt, purpose === "editor");
      return s;
    }
    return this.deps.sessions.create({
      linkId,
      configId: config.id,
      mode,
      linkToken: data.link_token,
      kind: "embedded",
      purpose,
      linkTokenExpiresAt: tokenExpiry,
      ...(purpose === "relink" ? { expiresAt: now + lifetimeSeconds * 1000 } : {}),
    });
  }

  /**
   * OAuth (embedded Link only): the configured redirect URI, or in demo mode (where the simulator
   * accepts any) the editor's own `<admin>/plaid-sync/oauth`, so OAuth institutions work out of
   * the box.
   */
  redirectUriFor(config: ConfigLike, editorOrigin?: string): string | undefined {
    if (config.redirectUri) return config.redirectUri;
    if (config.environment !== "demo") return undefined;
    const base = editorOrigin && /^https?:\/\/[^/]+$/i.test(editorOrigin) ? editorOrigin : config.publicBaseUrl();
    return `${base}${this.deps.adminRoot}plaid-sync/oauth`;
  }

  /**
   * GET link-sessions/<session> (editor) and link/<session>/status (the Link page): what became
   * of a session. Asking counts as watching: Plaid is then polled at the fast pace. `linkId`,
   * when given, must be the session's own link.
   */
  sessionStatus(sessionId: unknown, linkId?: unknown): SessionStatusReport {
    const s = this.deps.sessions.find(sessionId);
    if (!s || (linkId !== undefined && linkId !== s.linkId)) throw new LinkError(404, this.t("errors.session-unknown"), "SESSION_UNKNOWN");
    if (s.kind === "hosted" && (s.status === "open" || s.status === "exited")) this.polls.touch(s.id);
    const out: SessionStatusReport = { status: s.status, mode: s.mode, expiresAt: new Date(s.expiresAt).toISOString() };
    if (s.result) {
      out.itemId = s.result.itemId;
      out.institutionId = s.result.institutionId;
      out.institutionName = s.result.institutionName;
      out.accounts = s.result.accounts;
    }
    if (s.message) out.message = s.message;
    return out;
  }

  /** For the Link page: the session and where to load Link from. Null for an unknown or ended embedded session. */
  pageInfo(sessionId: unknown): { session: LinkSession; scriptUrl: string; institutionName: string } | null {
    const s = this.deps.sessions.find(sessionId);
    if (!s) return null;
    // An embedded page works once; a hosted page keeps showing how its session ended.
    if (s.kind === "embedded" && s.status !== "open") return null;
    const config = this.deps.getConfig(s.configId);
    if (!config) return null;
    // The config may have changed since the session began: never serve a page with an unsafe script.
    if (s.kind === "embedded" && !isSafeScriptSource(linkScriptUrl(config))) return null;
    const linkNode = this.deps.getLinkNode(s.linkId);
    const pending = this.writer.pendingEntry(s.linkId);
    return { session: s, scriptUrl: linkScriptUrl(config), institutionName: linkNode?.institutionName || pending?.institutionName || "" };
  }

  /**
   * GET …/link/<session>/token (embedded page). An update-mode link_token lives 30 minutes at
   * Plaid while a re-login page lives a day: a new link_token is made when the page is opened
   * after that, so only someone opening the page costs one.
   */
  async token(sessionId: unknown): Promise<{ link_token: string; mode: LinkMode; expiresAt: string }> {
    const s = this.deps.sessions.get(sessionId);
    if (!s || s.kind !== "embedded") throw new LinkError(404, this.t("errors.session-invalid"), "SESSION_INVALID");
    let linkToken = s.linkToken;
    if (this.now() >= s.linkTokenExpiresAt - 60_000) {
      const config = this.requireConfig(s.configId);
      const accessToken = this.currentAccessToken(s.linkId);
      if (s.mode !== "add" && !accessToken) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
      const request = linkTokenRequest(config, { linkId: s.linkId, mode: s.mode, accessToken, redirectUri: this.redirectUriFor(config) });
      try {
        const data = (await (await config.getClient()).linkTokenCreate(request)).data;
        linkToken = data.link_token;
        this.deps.sessions.update(s.id, { linkToken, linkTokenExpiresAt: Date.parse(data.expiration) || this.now() + SESSION_TTL_MS });
      } catch (err) {
        throw this.plaidFailure(err, "errors.link-token");
      }
    }
    return { link_token: linkToken, mode: s.mode, expiresAt: new Date(s.expiresAt).toISOString() };
  }

  /** POST …/link/<session>/complete {public_token, metadata} (embedded page). */
  async complete(sessionId: unknown, body: unknown): Promise<LinkEvent> {
    const s = this.deps.sessions.claim(sessionId);
    if (!s) throw new LinkError(404, this.t("errors.session-invalid"), "SESSION_INVALID");
    try {
      const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
      const publicToken = b.public_token;
      if (typeof publicToken !== "string" || !publicToken || publicToken.length > 1000) {
        throw new LinkError(400, this.t("errors.no-public-token"), "NO_PUBLIC_TOKEN");
      }
      const config = this.deps.getConfig(s.configId);
      if (!config) throw new LinkError(409, this.t("errors.config-not-deployed"), "CONFIG_NOT_DEPLOYED");
      const event = s.mode === "add" ? await this.collectAdded(s, config, publicToken) : await this.collectRepaired(s, config);
      this.deps.sessions.finish(s.id, resultOf(event));
      return event;
    } catch (err) {
      this.deps.sessions.release(s.id);
      throw err;
    }
  }

  /**
   * A new Item: exchange the public token server-side, store the access token durably, then read
   * the institution and accounts from Plaid. `fallback` (hosted: what Plaid's server reported at
   * the end of the flow) is used only when Plaid cannot be asked right now.
   */
  private async collectAdded(s: LinkSession, config: ConfigLike, publicToken: string, fallback?: HostedSuccess): Promise<LinkEvent> {
    if (this.currentAccessToken(s.linkId)) throw new LinkError(409, this.t("errors.already-linked"), "ALREADY_LINKED");
    let client: PlaidApi;
    let accessToken: string;
    let itemId: string;
    try {
      client = await config.getClient();
      const ex = await client.itemPublicTokenExchange({ public_token: publicToken });
      accessToken = ex.data.access_token;
      itemId = ex.data.item_id;
    } catch (err) {
      throw this.plaidFailure(err, "errors.exchange-failed");
    }
    // The token first, alone: from here on the Item is ours whatever fails next, never orphaned.
    const stored = { accessToken, itemId, institutionId: "", institutionName: "", accounts: [] as LinkEvent["accounts"], configId: s.configId };
    await this.storeOrFail(s.linkId, stored);
    let details: Omit<ItemDetails, "errorCode">;
    try {
      details = await readItemDetails(client, accessToken);
    } catch (err) {
      this.deps.warn(this.t("errors.details-failed", { message: toCleanError(err).plaid.message }));
      details = { itemId, institutionId: fallback?.institution?.institution_id ?? "", institutionName: fallback?.institution?.name ?? "", accounts: fallback?.accounts ?? [] };
    }
    await this.storeOrFail(s.linkId, { ...stored, ...details, itemId });
    const event: LinkEvent = { mode: "add", linkId: s.linkId, itemId, institution: normaliseInstitution({ institution_id: details.institutionId, name: details.institutionName }), accounts: details.accounts };
    this.writer.announce(event);
    return event;
  }

  /**
   * Update mode finished (a login, or "Add new accounts"): the Item keeps its access token (no
   * exchange); confirm with Plaid and refresh what we know — the account list from /accounts/get,
   * which after account selection is the user's new choice.
   */
  private async collectRepaired(s: LinkSession, config: ConfigLike): Promise<LinkEvent> {
    const accessToken = this.currentAccessToken(s.linkId);
    if (!accessToken) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
    let details: ItemDetails;
    try {
      details = await readItemDetails(await config.getClient(), accessToken);
    } catch (err) {
      throw this.plaidFailure(err);
    }
    if (details.errorCode && NEEDS_LOGIN_CODES.has(details.errorCode)) {
      throw new LinkError(409, this.t("errors.still-needs-login", { code: details.errorCode }), details.errorCode);
    }
    const linkNode = this.deps.getLinkNode(s.linkId);
    const accounts = details.accounts.length ? details.accounts : (linkNode?.accounts ?? this.writer.pendingEntry(s.linkId)?.accounts ?? []);
    await this.storeOrFail(s.linkId, { accessToken, itemId: details.itemId, institutionId: details.institutionId, institutionName: details.institutionName, accounts, configId: s.configId });
    const event: LinkEvent = { mode: s.mode, linkId: s.linkId, itemId: details.itemId, institution: normaliseInstitution({ institution_id: details.institutionId, name: details.institutionName }), accounts };
    this.writer.announce(event);
    this.endRelink(s.linkId, s.id);
    this.deps.onLoginRepaired?.(s.linkId);
    return event;
  }

  private async storeOrFail(linkId: string, link: Parameters<LinkWriter["store"]>[1]): Promise<void> {
    try {
      await this.writer.store(linkId, link);
    } catch (err) {
      throw new LinkError(500, this.t("errors.store-failed", { message: (err as Error).message }), "STORE_FAILED");
    }
  }

  /** After a restart: every hosted session that can still end is polled again. */
  resume(): void {
    for (const s of this.deps.sessions.live()) if (s.kind === "hosted") this.polls.watch(s.id, s.expiresAt);
  }

  /** Node-RED stops: no more polling (sessions stay on disk and resume()). */
  close(): void {
    this.polls.stopAll();
  }

  /** One look at Plaid for a hosted session; collects a linked bank, records an exit, or expires it. */
  private async pollHosted(id: string): Promise<PollResult> {
    const s = this.deps.sessions.find(id);
    if (!s || s.kind !== "hosted" || (s.status !== "open" && s.status !== "exited")) return "done";
    const config = this.deps.getConfig(s.configId);
    const now = this.now();
    const expired = now >= s.expiresAt;
    if (!config) {
      // Not deployed (yet): keep the session; it is picked up when the config comes back.
      if (expired && now - s.expiresAt > EXPIRED_GIVE_UP_MS) return this.endSession(s, "expired");
      throw new Error(this.t("errors.config-not-deployed"));
    }
    let data;
    try {
      data = (await (await config.getClient()).linkTokenGet({ link_token: s.linkToken })).data;
    } catch (err) {
      const e = toCleanError(err).plaid;
      if (e.code === "INVALID_LINK_TOKEN" || (expired && now - s.expiresAt > EXPIRED_GIVE_UP_MS)) return this.endSession(s, "expired");
      throw toCleanError(err);
    }
    const outcome = readHostedOutcome(data, s.mode);
    if (outcome.state === "success") return this.collectHosted(s, config, outcome);
    if (expired) return this.endSession(s, "expired");
    if (outcome.state === "exited" && s.status !== "exited") {
      this.deps.sessions.update(s.id, { status: "exited", message: outcome.message ?? this.t("page.exited") });
    }
    return "again";
  }

  private endSession(s: LinkSession, status: SessionStatus, message?: string): PollResult {
    this.deps.sessions.update(s.id, { status, ...(message ? { message } : {}) });
    return "done";
  }

  private async collectHosted(s: LinkSession, config: ConfigLike, outcome: HostedSuccess): Promise<PollResult> {
    if (s.mode !== "add") {
      try {
        const ev = await this.collectRepaired(s, config);
        this.deps.sessions.update(s.id, { status: "linked", result: resultOf(ev) });
        return "done";
      } catch (err) {
        return this.hostedFailure(s, err);
      }
    }
    const [first, ...extra] = outcome.publicTokens;
    let result: PollResult = "done";
    try {
      const ev = await this.collectAdded(s, config, first, outcome);
      this.deps.sessions.update(s.id, { status: "linked", result: resultOf(ev) });
    } catch (err) {
      if (err instanceof LinkError && err.code === "ALREADY_LINKED") {
        // Another window finished first: this Item would be billed and never synced. Remove it.
        extra.unshift(first);
        this.deps.sessions.update(s.id, { status: "failed", message: this.t("errors.linked-elsewhere") });
      } else {
        result = this.hostedFailure(s, err);
        if (result === "again") return result;
      }
    }
    for (const token of extra) await this.removeStray(config, token);
    return result;
  }

  /**
   * A temporary failure (Plaid unavailable or rate-limited, the credential store refusing) is
   * polled again: Plaid keeps the result and the public token lives 30 minutes. Anything else
   * ends the session, saying why.
   */
  private hostedFailure(s: LinkSession, err: unknown): PollResult {
    if (!(err instanceof LinkError) || err.status >= 500 || err.status === 429) throw err;
    return this.endSession(s, "failed", err.message);
  }

  /** An extra Item from the same Hosted Link session (or a second window): exchanged and removed at Plaid, so nothing is orphaned. */
  private async removeStray(config: ConfigLike, publicToken: string): Promise<void> {
    try {
      const client = await config.getClient();
      const ex = await client.itemPublicTokenExchange({ public_token: publicToken });
      await client.itemRemove({ access_token: ex.data.access_token });
      this.deps.warn(this.t("errors.stray-removed", { item: ex.data.item_id }));
    } catch (err) {
      this.deps.warn(this.t("errors.stray-failed", { message: toCleanError(err).plaid.message }));
    }
  }

  /**
   * The re-login URL for a link that needs a new login (msg.error.cause.relinkUrl): the open
   * re-login session's, or a new one — one per episode, not one per failed sync. Hosted: Plaid's
   * own URL, usable from any device; embedded: the Link page on this Node-RED's public URL.
   */
  async relinkUrl(linkId: string, configId: string): Promise<string> {
    const config = this.requireConfig(configId);
    const now = this.now();
    const kind = config.linkMode === "hosted" ? "hosted" : "embedded";
    const open = this.deps.sessions
      .forLink(linkId)
      .find((s) => s.purpose === "relink" && s.kind === kind && s.configId === config.id && s.expiresAt - now >= RELINK_MIN_REMAINING_MS);
    let s = open;
    if (!s) {
      let creating = this.relinkInFlight.get(linkId);
      if (!creating) {
        creating = this.openSession(linkId, config, "update", "relink").finally(() => this.relinkInFlight.delete(linkId));
        this.relinkInFlight.set(linkId, creating);
      }
      s = await creating;
    }
    return s.kind === "hosted" && s.hostedUrl ? s.hostedUrl : config.publicBaseUrl() + this.pageUrl(s);
  }

  /** The Item works again (a sync succeeded, or a login finished): its re-login URL is no longer needed. */
  endRelink(linkId: string, exceptSession?: string): boolean {
    let ended = false;
    for (const s of this.deps.sessions.forLink(linkId)) {
      if (s.purpose !== "relink" || s.id === exceptSession) continue;
      this.polls.stop(s.id);
      this.deps.sessions.update(s.id, { status: "expired", message: this.t("errors.relink-not-needed") });
      ended = true;
    }
    return ended;
  }

  /**
   * Which plaid-link a request acts on, and with which config — never another one's: its
   * Plaid server would receive this link's access token, and its answer (say
   * INVALID_ACCESS_TOKEN) could make us forget a token that still works and is billed.
   * - a deployed plaid-link node: always its own (deployed) config; a request naming another one
   *   is refused (deploy first);
   * - a link finished but not deployed (pending store): the config it was linked with;
   * - only to start linking (`editorConfig` given, add mode): an id no deployed node has — a
   *   plaid-link added in the editor, not deployed yet — with the config the editor names.
   * Ids of other node types and Object.prototype names are refused.
   */
  private resolveLink(linkId: unknown, opts: { editorConfig?: unknown } = {}): { link: string; config: ConfigLike } {
    if (!isNodeId(linkId)) throw new LinkError(400, this.t("errors.no-link"), "NO_LINK");
    const type = this.deps.nodeType(linkId);
    if (type !== undefined && type !== "plaid-link") throw new LinkError(400, this.t("errors.not-a-link"), "NOT_A_LINK");
    const linkNode = this.deps.getLinkNode(linkId);
    if (linkNode) {
      const own = linkNode.config;
      if ("editorConfig" in opts && isNodeId(opts.editorConfig) && opts.editorConfig !== own) {
        throw new LinkError(409, this.t("errors.config-mismatch"), "CONFIG_MISMATCH");
      }
      return { link: linkId, config: this.requireConfig(own) };
    }
    const pending = this.writer.pendingEntry(linkId);
    if (pending) return { link: linkId, config: this.requireConfig(pending.configId) };
    if ("editorConfig" in opts) return { link: linkId, config: this.requireConfig(opts.editorConfig) };
    throw new LinkError(404, this.t("errors.unknown-link"), "UNKNOWN_LINK");
  }

  /** POST <admin>/plaid-sync/links/<id>/remove: /item/remove, then forget the token everywhere. */
  async remove(linkIdIn: unknown): Promise<{ removed: true; alreadyGone: boolean }> {
    const { link: linkId, config } = this.resolveLink(linkIdIn);
    const token = this.currentAccessToken(linkId);
    if (!token) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
    let alreadyGone = false;
    try {
      const client = await config.getClient();
      await client.itemRemove({ access_token: token });
    } catch (err) {
      const e = toCleanError(err).plaid;
      if (!GONE_CODES.has(e.code)) throw this.plaidFailure(err, "errors.remove-failed");
      alreadyGone = true;
    }
    for (const s of this.deps.sessions.forLink(linkId)) this.polls.stop(s.id);
    this.deps.sessions.revokeForLink(linkId);
    await this.writer.forget(linkId);
    return { removed: true, alreadyGone };
  }

  /** GET <admin>/plaid-sync/links/<id>/health: a summary of /item/get. */
  async health(linkIdIn: unknown): Promise<HealthReport> {
    if (!isNodeId(linkIdIn)) throw new LinkError(400, this.t("errors.no-link"), "NO_LINK");
    const token = this.currentAccessToken(linkIdIn);
    // Read only: the token may come from the pending store; it is put back into the credential
    // store by the plaid-link node when it starts, never by a read.
    if (!token && this.deps.nodeType(linkIdIn) === "plaid-link") return { linked: false };
    const { link: linkId, config } = this.resolveLink(linkIdIn);
    if (!token) return { linked: false };
    const linkNode = this.deps.getLinkNode(linkId);
    const pendingDeploy = !!this.writer.pendingEntry(linkId);
    try {
      const client = await config.getClient();
      const res = await client.itemGet({ access_token: token });
      const item = res.data.item;
      const tx = res.data.status?.transactions;
      const error = item.error
        ? {
            code: item.error.error_code,
            type: String(item.error.error_type),
            message: item.error.error_message,
            display_message: item.error.display_message ?? null,
          }
        : null;
      return {
        linked: true,
        itemId: item.item_id,
        institutionId: item.institution_id ?? linkNode?.institutionId ?? null,
        institutionName: item.institution_name ?? linkNode?.institutionName ?? null,
        lastSuccessfulUpdate: tx?.last_successful_update ?? null,
        lastFailedUpdate: tx?.last_failed_update ?? null,
        consentExpiration: item.consent_expiration_time ?? null,
        error,
        needsLogin: !!error && NEEDS_LOGIN_CODES.has(error.code),
        newAccounts: res.data.status?.last_webhook?.code_sent === "NEW_ACCOUNTS_AVAILABLE",
        pendingDeploy,
      };
    } catch (err) {
      const e: ErrorInfo = toCleanError(err).plaid;
      if (e.status !== null && e.status < 500 && e.type !== "NETWORK_ERROR") {
        // The Item itself is broken (removed, token invalid, login required...): report it, 200.
        return {
          linked: true,
          itemId: linkNode?.itemId,
          institutionName: linkNode?.institutionName ?? null,
          error: { code: e.code, type: e.type, message: e.message, display_message: e.display_message },
          needsLogin: NEEDS_LOGIN_CODES.has(e.code),
          pendingDeploy,
        };
      }
      throw this.plaidFailure(err);
    }
  }
}

export { normaliseAccounts };
