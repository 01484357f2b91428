/**
 * The linking logic behind the admin routes, with Node-RED injected as a few small functions so
 * it runs (and is tested) without a runtime. Nothing here ever returns a secret: responses carry
 * item ids, institution names and masked accounts only.
 */
import type { CountryCode, LinkTokenCreateRequest, PlaidApi, Products } from "plaid";
import { toPlaidError, type PlaidSyncError } from "../plaid/errors";
import type { LinkedAccount } from "../nodes/types";
import type { PendingLink, PendingLinkStore } from "./pending";
import type { LinkMode, LinkSession, SessionStore } from "./sessions";

export const PLAID_CDN_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";
export const LINK_SCRIPT_PATH = "link/v2/stable/link-initialize.js";

/** What the service needs of a plaid-config node. */
export interface ConfigLike {
  id: string;
  environment: string;
  basePath?: string;
  clientName: string;
  countryCodes: string[];
  language: string;
  redirectUri: string;
  daysRequested: number;
  problem(): string | null;
  getClient(): Promise<PlaidApi>;
  publicBaseUrl(): string;
}

/** What the service needs of a deployed plaid-link node. */
export interface LinkNodeLike {
  id: string;
  /** id of its plaid-config */
  config?: string;
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
  /** The credentials it was deployed with (a clone taken when the node started). */
  credentials?: { accessToken?: string } | Record<string, unknown>;
}

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export interface LinkServiceDeps {
  sessions: SessionStore;
  pending: PendingLinkStore;
  getConfig(id: string): ConfigLike | null;
  getLinkNode(id: string): LinkNodeLike | null;
  getCredentials(id: string): Record<string, unknown> | undefined;
  addCredentials(id: string, creds: Record<string, unknown>): Promise<void> | void;
  publish(topic: string, data: unknown): void;
  /** Message catalog lookup; keys are relative to the plaid-link catalog ("errors.x"). */
  t: Translate;
  warn(message: string): void;
  /** RED.settings.httpAdminRoot, normalised to start and end with "/". */
  adminRoot: string;
}

export class LinkError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "LinkError";
  }
}

export interface LinkEvent {
  mode: LinkMode | "remove";
  linkId: string;
  itemId: string;
  institution: { institution_id: string; name: string } | null;
  accounts: LinkedAccount[];
  removed?: boolean;
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
  /** The token is pending (linked, not yet deployed). */
  pendingDeploy?: boolean;
}

/** Error codes that the user resolves by logging in again through Link update mode. */
const LOGIN_CODES = new Set([
  "ITEM_LOGIN_REQUIRED",
  "PENDING_EXPIRATION",
  "PENDING_DISCONNECT",
  "ITEM_LOCKED",
  "INVALID_CREDENTIALS",
  "INVALID_MFA",
  "INVALID_UPDATED_USERNAME",
  "USER_SETUP_REQUIRED",
  "ITEM_NOT_SUPPORTED_UPDATE",
]);
const GONE_CODES = new Set(["ITEM_NOT_FOUND", "INVALID_ACCESS_TOKEN"]);

const NODE_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

export function isNodeId(v: unknown): v is string {
  return typeof v === "string" && NODE_ID_RE.test(v);
}

/** Plaid Link onSuccess metadata.accounts → our LinkedAccount list (only known, non-secret fields). */
export function normaliseAccounts(raw: unknown): LinkedAccount[] {
  if (!Array.isArray(raw)) return [];
  const out: LinkedAccount[] = [];
  for (const a of raw.slice(0, 200)) {
    if (!a || typeof a !== "object") continue;
    const r = a as Record<string, unknown>;
    const id = typeof r.id === "string" ? r.id : typeof r.account_id === "string" ? r.account_id : null;
    if (!id) continue;
    out.push({
      account_id: id.slice(0, 200),
      name: typeof r.name === "string" ? r.name.slice(0, 200) : "",
      mask: typeof r.mask === "string" ? r.mask.slice(0, 20) : null,
      type: typeof r.type === "string" ? r.type.slice(0, 50) : "",
      subtype: typeof r.subtype === "string" ? r.subtype.slice(0, 50) : null,
    });
  }
  return out;
}

function normaliseInstitution(raw: unknown): { institution_id: string; name: string } | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const name = typeof r.name === "string" ? r.name.slice(0, 200) : "";
  const id = typeof r.institution_id === "string" ? r.institution_id.slice(0, 100) : "";
  if (!name && !id) return null;
  return { institution_id: id, name };
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

export class LinkService {
  constructor(private readonly deps: LinkServiceDeps) {}

  private t(key: string, vars?: Record<string, string | number>): string {
    return this.deps.t(key, vars);
  }

  /** The access token of a link: the credential store first, then a pending (undeployed) link. */
  currentAccessToken(linkId: string): string | undefined {
    const creds = this.deps.getCredentials(linkId);
    const token = creds && typeof creds.accessToken === "string" && creds.accessToken ? creds.accessToken : undefined;
    return token ?? this.deps.pending.get(linkId)?.accessToken;
  }

  /**
   * Reconciles the pending store with the credentials a plaid-link node was deployed with:
   * the same token deployed → the pending entry has done its job and is dropped; otherwise the
   * pending token (always the newest: it is written on every completion and removed on
   * "Remove at Plaid") is put back into the credential store so the next deploy persists it.
   */
  async reconcilePending(linkId: string, deployedToken: string | undefined): Promise<"none" | "dropped" | "adopted" | "kept"> {
    const entry = this.deps.pending.get(linkId);
    if (!entry) return "none";
    if (deployedToken && deployedToken === entry.accessToken) {
      this.deps.pending.remove(linkId);
      return "dropped";
    }
    const creds = this.deps.getCredentials(linkId) ?? {};
    if (creds.accessToken === entry.accessToken) return "kept";
    await this.deps.addCredentials(linkId, { ...creds, accessToken: entry.accessToken });
    return "adopted";
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
    const e = toPlaidError(err).plaid;
    const message = e.display_message ? `${e.message} (${e.display_message})` : e.message;
    const status = e.status !== null && e.status < 500 ? 400 : 502;
    return new LinkError(status, this.t(key, { code: e.code, message }), e.code);
  }

  /** POST <admin>/plaid-sync/link-sessions */
  async createSession(input: {
    link: unknown;
    config: unknown;
    mode: unknown;
    /** The editor's origin (from the request), used for the demo OAuth redirect. */
    editorOrigin?: string;
  }): Promise<{ session: string; url: string; expiresAt: string }> {
    const { link, mode } = input;
    if (!isNodeId(link)) throw new LinkError(400, this.t("errors.no-link"), "NO_LINK");
    if (mode !== "add" && mode !== "update") throw new LinkError(400, this.t("errors.bad-mode"), "BAD_MODE");
    const linkNode = this.deps.getLinkNode(link);
    const configId = isNodeId(input.config) ? input.config : linkNode?.config;
    const config = this.requireConfig(configId);
    const accessToken = this.currentAccessToken(link);
    if (mode === "add" && accessToken) throw new LinkError(409, this.t("errors.already-linked"), "ALREADY_LINKED");
    if (mode === "update" && !accessToken) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");

    const redirectUri = this.redirectUriFor(config, input.editorOrigin);
    const request: LinkTokenCreateRequest = {
      client_name: config.clientName || "Node-RED",
      language: config.language || "en",
      country_codes: (config.countryCodes.length ? config.countryCodes : ["US"]) as CountryCode[],
      user: { client_user_id: `node-red-${link}` },
    };
    if (redirectUri) request.redirect_uri = redirectUri;
    if (mode === "add") {
      request.products = ["transactions" as Products];
      request.transactions = { days_requested: config.daysRequested };
    } else {
      request.access_token = accessToken;
    }
    let linkToken: string;
    try {
      const client = await config.getClient();
      const res = await client.linkTokenCreate(request);
      linkToken = res.data.link_token;
    } catch (err) {
      throw this.plaidFailure(err, "errors.link-token");
    }
    const s = this.deps.sessions.create({ linkId: link, configId: config.id, mode, linkToken });
    return { session: s.id, url: `${this.deps.adminRoot}plaid-sync/link/${s.id}`, expiresAt: new Date(s.expiresAt).toISOString() };
  }

  /**
   * OAuth: the configured redirect URI, or in demo mode (where the simulator accepts any) the
   * editor's own `<admin>/plaid-sync/oauth`, so OAuth institutions work out of the box.
   */
  redirectUriFor(config: ConfigLike, editorOrigin?: string): string | undefined {
    if (config.redirectUri) return config.redirectUri;
    if (config.environment !== "demo") return undefined;
    const base = editorOrigin && /^https?:\/\/[^/]+$/i.test(editorOrigin) ? editorOrigin : config.publicBaseUrl();
    return `${base}${this.deps.adminRoot}plaid-sync/oauth`;
  }

  /** For the Link page: the session and where to load Link from. Null for a wrong/expired/used session. */
  pageInfo(sessionId: unknown): { session: LinkSession; scriptUrl: string; institutionName: string } | null {
    const s = this.deps.sessions.get(sessionId);
    if (!s) return null;
    const config = this.deps.getConfig(s.configId);
    if (!config) return null;
    const linkNode = this.deps.getLinkNode(s.linkId);
    const pending = this.deps.pending.get(s.linkId);
    return { session: s, scriptUrl: linkScriptUrl(config), institutionName: linkNode?.institutionName || pending?.institutionName || "" };
  }

  /** GET …/link/<session>/token */
  token(sessionId: unknown): { link_token: string; mode: LinkMode; expiresAt: string } {
    const s = this.deps.sessions.get(sessionId);
    if (!s) throw new LinkError(404, this.t("errors.session-invalid"), "SESSION_INVALID");
    return { link_token: s.linkToken, mode: s.mode, expiresAt: new Date(s.expiresAt).toISOString() };
  }

  /** POST …/link/<session>/complete {public_token, metadata} */
  async complete(sessionId: unknown, body: unknown): Promise<LinkEvent> {
    const s = this.deps.sessions.claim(sessionId);
    if (!s) throw new LinkError(404, this.t("errors.session-invalid"), "SESSION_INVALID");
    try {
      const result = await this.completeClaimed(s, body);
      this.deps.sessions.finish(s.id);
      return result;
    } catch (err) {
      this.deps.sessions.release(s.id);
      throw err;
    }
  }

  private async completeClaimed(s: LinkSession, body: unknown): Promise<LinkEvent> {
    const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const publicToken = b.public_token;
    if (typeof publicToken !== "string" || !publicToken || publicToken.length > 1000) {
      throw new LinkError(400, this.t("errors.no-public-token"), "NO_PUBLIC_TOKEN");
    }
    const metadata = (b.metadata && typeof b.metadata === "object" ? b.metadata : {}) as Record<string, unknown>;
    const config = this.deps.getConfig(s.configId);
    if (!config) throw new LinkError(409, this.t("errors.config-not-deployed"), "CONFIG_NOT_DEPLOYED");
    const linkNode = this.deps.getLinkNode(s.linkId);
    const previous = this.deps.pending.get(s.linkId);
    let institution = normaliseInstitution(metadata.institution);
    const accounts = normaliseAccounts(metadata.accounts);
    let client: PlaidApi;
    try {
      client = await config.getClient();
    } catch (err) {
      throw this.plaidFailure(err);
    }

    let accessToken: string;
    let itemId: string;
    if (s.mode === "add") {
      if (this.currentAccessToken(s.linkId)) throw new LinkError(409, this.t("errors.already-linked"), "ALREADY_LINKED");
      try {
        const ex = await client.itemPublicTokenExchange({ public_token: publicToken });
        accessToken = ex.data.access_token;
        itemId = ex.data.item_id;
      } catch (err) {
        throw this.plaidFailure(err, "errors.exchange-failed");
      }
    } else {
      // Update mode: the Item and its access token stay the same; no exchange is needed.
      const token = this.currentAccessToken(s.linkId);
      if (!token) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
      accessToken = token;
      itemId = linkNode?.itemId || previous?.itemId || "";
      if (!itemId || !institution) {
        try {
          const item = (await client.itemGet({ access_token: token })).data.item;
          itemId = item.item_id;
          institution = institution ?? { institution_id: item.institution_id ?? "", name: item.institution_name ?? "" };
        } catch (err) {
          throw this.plaidFailure(err);
        }
      }
    }

    const finalAccounts = accounts.length ? accounts : (linkNode?.accounts ?? previous?.accounts ?? []);
    const entry: PendingLink = {
      accessToken,
      itemId,
      institutionId: institution?.institution_id ?? "",
      institutionName: institution?.name ?? "",
      accounts: finalAccounts,
      configId: s.configId,
      savedAt: new Date().toISOString(),
    };
    const deployed = linkNode?.credentials && typeof linkNode.credentials.accessToken === "string" ? linkNode.credentials.accessToken : undefined;
    // Durable first (encrypted), then the in-memory credential store; never one without the other.
    const wrotePending = deployed !== accessToken;
    if (wrotePending) this.deps.pending.put(s.linkId, entry);
    try {
      const existing = this.deps.getCredentials(s.linkId) ?? {};
      await this.deps.addCredentials(s.linkId, { ...existing, accessToken });
    } catch (err) {
      if (wrotePending) {
        if (previous) this.deps.pending.put(s.linkId, previous);
        else this.deps.pending.remove(s.linkId);
      }
      throw new LinkError(500, this.t("errors.store-failed", { message: (err as Error).message }), "STORE_FAILED");
    }
    if (linkNode) {
      linkNode.itemId = itemId;
      linkNode.institutionId = entry.institutionId;
      linkNode.institutionName = entry.institutionName;
      linkNode.accounts = finalAccounts;
    }
    const event: LinkEvent = { mode: s.mode, linkId: s.linkId, itemId, institution, accounts: finalAccounts };
    this.deps.publish(`plaid-sync/link/${s.linkId}`, event);
    return event;
  }

  private configFor(linkId: string, configId: unknown): ConfigLike {
    const linkNode = this.deps.getLinkNode(linkId);
    const id = isNodeId(configId) ? configId : (linkNode?.config ?? this.deps.pending.get(linkId)?.configId);
    return this.requireConfig(id);
  }

  /** POST <admin>/plaid-sync/links/<id>/remove: /item/remove, then forget the token everywhere. */
  async remove(linkId: unknown, configId?: unknown): Promise<{ removed: true; alreadyGone: boolean }> {
    if (!isNodeId(linkId)) throw new LinkError(400, this.t("errors.no-link"), "NO_LINK");
    const token = this.currentAccessToken(linkId);
    if (!token) throw new LinkError(409, this.t("errors.not-linked"), "NOT_LINKED");
    const config = this.configFor(linkId, configId);
    let alreadyGone = false;
    try {
      const client = await config.getClient();
      await client.itemRemove({ access_token: token });
    } catch (err) {
      const e = toPlaidError(err).plaid;
      if (!GONE_CODES.has(e.code)) throw this.plaidFailure(err, "errors.remove-failed");
      alreadyGone = true;
    }
    const creds = { ...(this.deps.getCredentials(linkId) ?? {}) };
    delete creds.accessToken;
    await this.deps.addCredentials(linkId, creds);
    this.deps.pending.remove(linkId);
    this.deps.sessions.revokeForLink(linkId);
    const linkNode = this.deps.getLinkNode(linkId);
    if (linkNode) {
      linkNode.itemId = "";
      linkNode.institutionId = "";
      linkNode.institutionName = "";
      linkNode.accounts = [];
    }
    const event: LinkEvent = { mode: "remove", linkId, itemId: "", institution: null, accounts: [], removed: true };
    this.deps.publish(`plaid-sync/link/${linkId}`, event);
    return { removed: true, alreadyGone };
  }

  /** GET <admin>/plaid-sync/links/<id>/health: a summary of /item/get. */
  async health(linkId: unknown, configId?: unknown): Promise<HealthReport> {
    if (!isNodeId(linkId)) throw new LinkError(400, this.t("errors.no-link"), "NO_LINK");
    const linkNode = this.deps.getLinkNode(linkId);
    const deployed = linkNode?.credentials && typeof linkNode.credentials.accessToken === "string" ? linkNode.credentials.accessToken : undefined;
    try {
      await this.reconcilePending(linkId, deployed);
    } catch (err) {
      this.deps.warn(this.t("errors.adopt-failed", { message: (err as Error).message }));
    }
    const token = this.currentAccessToken(linkId);
    if (!token) return { linked: false };
    const pendingDeploy = !!this.deps.pending.get(linkId);
    const config = this.configFor(linkId, configId);
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
        needsLogin: !!error && LOGIN_CODES.has(error.code),
        pendingDeploy,
      };
    } catch (err) {
      const e: PlaidSyncError = toPlaidError(err).plaid;
      if (e.status !== null && e.status < 500 && e.type !== "NETWORK_ERROR") {
        // The Item itself is broken (removed, token invalid, login required...): report it, 200.
        return {
          linked: true,
          itemId: linkNode?.itemId,
          institutionName: linkNode?.institutionName ?? null,
          error: { code: e.code, type: e.type, message: e.message, display_message: e.display_message },
          needsLogin: LOGIN_CODES.has(e.code),
          pendingDeploy,
        };
      }
      throw this.plaidFailure(err);
    }
  }
}
