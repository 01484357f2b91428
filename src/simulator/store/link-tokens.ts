import { SimError } from "../errors";
import { newHostedLinkId, newItemId, newLinkToken, newUuid } from "../ids";
import { newLinkSession, type LinkSessionRecord } from "./link-sessions";

const ADD_TTL_MS = 4 * 3600_000;
const UPDATE_TTL_MS = 30 * 60_000;
/** Plaid's default lifetime of a hosted_link_url not sent by Link Delivery. */
export const HOSTED_DEFAULT_LIFETIME_S = 30 * 60;
/** Plaid: "Cannot be longer than 21 days". */
export const HOSTED_MAX_LIFETIME_S = 21 * 86_400;
/** How long /link/token/get still answers for an expired token (Plaid does not document it). */
export const EXPIRED_TOKEN_GRACE_MS = 24 * 3600_000;
/** Link session data disappears this long after the session finished. */
export const SESSION_RETENTION_MS = 6 * 3600_000;
const OAUTH_STATE_TTL_MS = 30 * 60_000;
/** Re-opening a link many times must not grow the state without bound: the oldest sessions go first. */
const MAX_SESSIONS_PER_TOKEN = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HostedLinkRecord {
  /** The opaque id in hosted_link_url (not the link token). */
  id: string;
  completionRedirectUri: string | null;
  isMobileApp: boolean;
  deliveryMethod: string | null;
  /** When a link session first succeeded: the URL is used up from then on. */
  completedAt: number | null;
}

export interface OauthStateRecord {
  id: string;
  institutionId: string;
  linkSessionId: string;
  expiresAt: number;
}

/** A link token and everything hanging off it; kept as is in the state file. */
export interface LinkTokenRecord {
  token: string;
  createdAt: number;
  expiresAt: number;
  mode: "add" | "update";
  /** Update mode: the Item being repaired. */
  itemId: string | null;
  /** Update mode: `update.account_selection_enabled` (the user may add or remove accounts). Absent in older state files: false. */
  accountSelection?: boolean;
  clientName: string;
  countryCodes: string[];
  language: string;
  products: string[];
  webhook: string | null;
  redirectUri: string | null;
  daysRequested: number;
  hosted: HostedLinkRecord | null;
  sessions: LinkSessionRecord[];
  /** Stand-in Link drafts: `<institution_id>\0<username>` → the Item id that login will create. */
  drafts: Record<string, string>;
  oauthStates: OauthStateRecord[];
}

export type LinkTokenInit = Omit<LinkTokenRecord, "token" | "createdAt" | "expiresAt" | "hosted" | "sessions" | "drafts" | "oauthStates"> & {
  hosted: { lifetimeSeconds: number | null; completionRedirectUri: string | null; isMobileApp: boolean; deliveryMethod: string | null } | null;
};

/**
 * Link tokens (4 h for new Items, 30 min in update mode, a hosted token lives as long as its
 * URL; reusable, as in Plaid's Sandbox, except that a hosted URL is used up by its first
 * success), their link sessions, and the stand-in Link's drafts and OAuth states. Expired
 * tokens are kept for EXPIRED_TOKEN_GRACE_MS so /link/token/get can still report on them;
 * finished sessions for SESSION_RETENTION_MS. Every change is persisted.
 */
export class LinkTokens {
  private readonly tokens = new Map<string, LinkTokenRecord>();
  private readonly byHostedId = new Map<string, string>();

  constructor(
    private readonly now: () => number,
    private readonly persist: () => void = () => undefined,
    initial: LinkTokenRecord[] = [],
  ) {
    for (const rec of initial) this.add(rec);
    this.prune();
  }

  private add(rec: LinkTokenRecord): void {
    this.tokens.set(rec.token, rec);
    if (rec.hosted) this.byHostedId.set(rec.hosted.id, rec.token);
  }

  /** Drops what is past its retention; cheap enough to run on every access (a handful of tokens). */
  private prune(): void {
    const now = this.now();
    for (const [token, rec] of this.tokens) {
      if (rec.expiresAt + EXPIRED_TOKEN_GRACE_MS <= now) {
        this.tokens.delete(token);
        if (rec.hosted) this.byHostedId.delete(rec.hosted.id);
        continue;
      }
      rec.sessions = rec.sessions.filter((s) => s.finishedAt === null || s.finishedAt + SESSION_RETENTION_MS > now);
      rec.oauthStates = rec.oauthStates.filter((s) => s.expiresAt > now);
    }
  }

  toState(): LinkTokenRecord[] {
    this.prune();
    return [...this.tokens.values()];
  }

  save(): void {
    this.persist();
  }

  create(init: LinkTokenInit): LinkTokenRecord {
    this.prune();
    const now = this.now();
    const { hosted, ...rest } = init;
    const ttl = hosted ? (hosted.lifetimeSeconds ?? HOSTED_DEFAULT_LIFETIME_S) * 1000 : init.mode === "update" ? UPDATE_TTL_MS : ADD_TTL_MS;
    const rec: LinkTokenRecord = {
      ...rest,
      token: newLinkToken(),
      createdAt: now,
      expiresAt: now + ttl,
      hosted: hosted
        ? { id: newHostedLinkId(), completionRedirectUri: hosted.completionRedirectUri, isMobileApp: hosted.isMobileApp, deliveryMethod: hosted.deliveryMethod, completedAt: null }
        : null,
      sessions: [],
      drafts: {},
      oauthStates: [],
    };
    this.add(rec);
    this.save();
    return rec;
  }

  /** A token Link may still use: known, not expired, and (hosted) not used up. */
  get(token: unknown): LinkTokenRecord {
    const rec = this.lookup(token);
    if (rec.expiresAt <= this.now() || rec.hosted?.completedAt != null) throw new SimError("INVALID_LINK_TOKEN");
    return rec;
  }

  /** Any token still retained, expired or not (/link/token/get, recording an exit). */
  lookup(token: unknown): LinkTokenRecord {
    this.prune();
    const rec = typeof token === "string" ? this.tokens.get(token) : undefined;
    if (!rec) throw new SimError("INVALID_LINK_TOKEN");
    return rec;
  }

  hosted(id: string): LinkTokenRecord | undefined {
    this.prune();
    const token = this.byHostedId.get(id);
    return token === undefined ? undefined : this.tokens.get(token);
  }

  /** The Item id a login will create, stable until that login completes. */
  draftItemId(rec: LinkTokenRecord, institutionId: string, username: string): string {
    const key = `${institutionId}\u0000${username}`;
    let id = rec.drafts[key];
    if (!id) {
      id = newItemId();
      rec.drafts[key] = id;
      this.save();
    }
    return id;
  }

  consumeDraft(rec: LinkTokenRecord, institutionId: string, username: string): string {
    const key = `${institutionId}\u0000${username}`;
    const id = rec.drafts[key] ?? newItemId();
    delete rec.drafts[key];
    return id;
  }

  addOauthState(rec: LinkTokenRecord, stateId: string, institutionId: string, linkSessionId: string): void {
    rec.oauthStates.push({ id: stateId, institutionId, linkSessionId, expiresAt: this.now() + OAUTH_STATE_TTL_MS });
    this.save();
  }

  oauthState(rec: LinkTokenRecord, stateId: unknown): OauthStateRecord {
    const s = typeof stateId === "string" ? rec.oauthStates.find((o) => o.id === stateId) : undefined;
    if (!s || s.expiresAt <= this.now()) throw new SimError("INVALID_FIELD", "oauth_state_id is invalid or expired");
    return s;
  }

  /**
   * The link session a stand-in Link call belongs to. Link names it (its link_session_id, a
   * uuid); a call without one joins the token's latest unfinished session. An unknown or
   * finished one starts a new session: Link may call before its `open` arrived, and a script
   * used directly (tests, curl) never opens at all.
   */
  session(rec: LinkTokenRecord, linkSessionId: unknown): { session: LinkSessionRecord; started: boolean } {
    const wanted = typeof linkSessionId === "string" && UUID.test(linkSessionId) ? linkSessionId.toLowerCase() : null;
    const found = wanted ? rec.sessions.find((s) => s.id === wanted) : [...rec.sessions].reverse().find((s) => s.finishedAt === null);
    if (found && found.finishedAt === null) return { session: found, started: false };
    const id = wanted && !found && !this.sessionIdTaken(wanted) ? wanted : newUuid();
    const session = newLinkSession(id, this.now());
    rec.sessions.push(session);
    if (rec.sessions.length > MAX_SESSIONS_PER_TOKEN) rec.sessions.splice(0, rec.sessions.length - MAX_SESSIONS_PER_TOKEN);
    return { session, started: true };
  }

  /** The session, if it is this token's; no new one (recording an exit after the fact). */
  findSession(rec: LinkTokenRecord, linkSessionId: unknown): LinkSessionRecord | undefined {
    return typeof linkSessionId === "string" ? rec.sessions.find((s) => s.id === linkSessionId.toLowerCase()) : undefined;
  }

  private sessionIdTaken(id: string): boolean {
    for (const rec of this.tokens.values()) if (rec.sessions.some((s) => s.id === id)) return true;
    return false;
  }

  /** Sessions /link/token/get still shows (the unfinished, and the finished for 6 h). */
  visibleSessions(rec: LinkTokenRecord): LinkSessionRecord[] {
    this.prune();
    return rec.sessions;
  }

  clear(): void {
    this.tokens.clear();
    this.byHostedId.clear();
    this.save();
  }
}
