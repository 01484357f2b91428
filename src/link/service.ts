/**
 * The linking logic behind the admin routes and the nodes, with Node-RED injected as a few small
 * functions so it runs (and is tested) without a runtime. Nothing here ever returns a secret:
 * answers carry item ids, institution names and masked accounts only.
 *
 * - createSession: a link_token for "Link account" / "Log in again", embedded or hosted by the
 *   config's link mode (DESIGN §4, §4.6);
 * - complete: the embedded Link page hands back a public token;
 * - hosted sessions are watched on poll-schedule.ts's timetable, each look made by hosted-poll.ts;
 * - either way item-collector.ts turns the finished Link into a stored Item;
 * - relinkUrl: one re-login URL per episode of "needs login", reused by every failed sync;
 * - remove / health: /item/remove and /item/get for the editor (health-report.ts reads the answer).
 *
 * What it acts with has modules of its own: the config (config-like.ts), the Link script's source
 * (script-source.ts), the node ids it accepts (node-id.ts), Plaid's failures as answers
 * (plaid-failure.ts).
 */
import type { ItemGetResponse } from "plaid";
import { toCleanError } from "../plaid/errors";
import type { ConfigLike } from "./config-like";
import { healthOfFailure, healthOfItem, type HealthReport } from "./health-report";
import { HostedPoll } from "./hosted-poll";
import { ItemCollector, resultOf } from "./item-collector";
import { linkTokenRequest } from "./link-token";
import { LinkWriter, type LinkEvent, type LinkNodeLike, type LinkWriterDeps } from "./link-writer";
import { PollSchedule, type PollResult } from "./poll-schedule";
import { LinkError } from "./link-error";
import { isNodeId } from "./node-id";
import { plaidFailure, type Translate } from "./plaid-failure";
import { isSafeScriptSource, linkScriptUrl } from "./script-source";
import { SESSION_TTL_MS, type LinkMode, type LinkSession, type SessionPurpose, type SessionStatus, type SessionStore } from "./sessions";

export type { LinkEvent, LinkNodeLike, Translate };
export { LinkError };

/** An editor's Hosted Link session lives as long as an embedded one. */
const HOSTED_EDITOR_LIFETIME_SECONDS = SESSION_TTL_MS / 1000;
/** A re-login URL is reused only while it has at least this long to live. */
const RELINK_MIN_REMAINING_MS = 15 * 60_000;

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

export class LinkService {
  readonly writer: LinkWriter;
  private readonly collector: ItemCollector;
  private readonly polls: PollSchedule;
  private readonly now: () => number;
  /** The catalog lookup, bound once: the service and its helpers (collector, hosted poll, failures) share it. */
  private readonly t: Translate;
  /** One re-login session being created per link at a time (concurrent failed syncs share it). */
  private readonly relinkInFlight = new Map<string, Promise<LinkSession>>();

  constructor(private readonly deps: LinkServiceDeps) {
    this.writer = deps.writer ?? new LinkWriter(deps);
    this.now = deps.now ?? Date.now;
    this.t = (key, vars) => deps.t(key, vars);
    this.collector = new ItemCollector({
      writer: this.writer,
      getLinkNode: (id) => deps.getLinkNode(id),
      t: this.t,
      warn: (m) => deps.warn(m),
      onRepaired: (s) => {
        this.endRelink(s.linkId, s.id);
        deps.onLoginRepaired?.(s.linkId);
      },
    });
    const hosted = new HostedPoll({ sessions: deps.sessions, getConfig: (id) => deps.getConfig(id), collector: this.collector, t: this.t, now: this.now });
    const poll = (id: string) => hosted.poll(id);
    const onError = (id: string, err: unknown) => this.deps.warn(this.t("errors.poll-failed", { message: toCleanError(err).plaid.message, session: id.slice(0, 6) }));
    this.polls = deps.schedule ? deps.schedule(poll, onError) : new PollSchedule({ poll, onError, now: this.now });
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
      throw plaidFailure(err, this.t, hosted ? "errors.link-token-hosted" : "errors.link-token");
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
        throw plaidFailure(err, this.t, "errors.link-token");
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
      let event: LinkEvent;
      try {
        event = s.mode === "add" ? await this.collector.added(s, config, publicToken) : await this.collector.repaired(s, config);
      } catch (err) {
        // Another window linked this node first: the bank just linked here would be billed and
        // never synced (as for Hosted Link, hosted-poll.ts).
        if (err instanceof LinkError && err.code === "ALREADY_LINKED") await this.collector.removeStray(config, publicToken);
        throw err;
      }
      this.deps.sessions.finish(s.id, resultOf(event));
      return event;
    } catch (err) {
      this.deps.sessions.release(s.id);
      throw err;
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
    return this.collector.exclusive(linkId, () => this.removeItem(linkId, config));
  }

  private async removeItem(linkId: string, config: ConfigLike): Promise<{ removed: true; alreadyGone: boolean }> {
    const token = this.currentAccessToken(linkId);
    if (!token) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
    // Sent to another environment, Plaid answers INVALID_ACCESS_TOKEN, which reads as "already
    // gone" below: the token would be forgotten while its Item lives on, billed.
    this.requireTokenEnvironment(token, config);
    let alreadyGone = false;
    try {
      const client = await config.getClient();
      await client.itemRemove({ access_token: token });
    } catch (err) {
      const e = toCleanError(err).plaid;
      if (!GONE_CODES.has(e.code)) throw plaidFailure(err, this.t, "errors.remove-failed");
      alreadyGone = true;
    }
    for (const s of this.deps.sessions.forLink(linkId)) this.polls.stop(s.id);
    this.deps.sessions.revokeForLink(linkId);
    await this.writer.forget(linkId);
    return { removed: true, alreadyGone };
  }

  /**
   * A token names the environment it was issued in (`access-sandbox-…`); a node whose config
   * has moved to another one since linking is refused, saying so, rather than sending the
   * token to a Plaid that can only call it invalid.
   */
  private requireTokenEnvironment(token: string, config: ConfigLike): void {
    const issued = /^access-(sandbox|production)-/.exec(token)?.[1];
    if (issued && (config.environment === "sandbox" || config.environment === "production") && issued !== config.environment) {
      throw new LinkError(409, this.t("errors.token-environment", { issued, environment: config.environment }), "CONFIG_MISMATCH");
    }
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
    this.requireTokenEnvironment(token, config);
    const linkNode = this.deps.getLinkNode(linkId);
    const pendingDeploy = !!this.writer.pendingEntry(linkId);
    let data: ItemGetResponse;
    try {
      data = (await (await config.getClient()).itemGet({ access_token: token })).data;
    } catch (err) {
      const broken = healthOfFailure(toCleanError(err).plaid, linkNode, pendingDeploy);
      if (broken) return broken;
      throw plaidFailure(err, this.t);
    }
    return healthOfItem(data, linkNode, pendingDeploy);
  }
}

