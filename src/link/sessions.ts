/**
 * Link sessions: one attempt to link a bank (or to log in again) for one plaid-link node.
 *
 * Two kinds, by the config's link mode:
 * - embedded: the Link page on the admin routes runs Plaid's script and posts the public token
 *   back (DESIGN §4 steps 1–5). The session id in the page URL is the page's only credential,
 *   hence ≥128 random bits (we use 256), a fixed lifetime and exactly one completion.
 * - hosted: Plaid serves the flow at `hostedUrl`; the server learns the result by polling
 *   /link/token/get (§4.6). The session lives as long as Plaid's URL.
 *
 * Sessions are written through to an encrypted file (session-file.ts), so an open session — a
 * re-login URL sent to a phone, say — survives a restart of Node-RED.
 */
import { randomBytes } from "crypto";
import type { LinkedAccount } from "../plaid/types";

/** "add": a new Item; "update": log in again; "accounts": update mode with account selection (add or remove accounts). */
export type LinkMode = "add" | "update" | "accounts";
export type LinkKind = "embedded" | "hosted";
/** Started from the editor's dialog, or by a sync that found the Item needing a new login. */
export type SessionPurpose = "editor" | "relink";
/**
 * open: waiting for the user (hosted: polled); linked: done, the token is stored (add) or the
 * login repaired (update); exited: the user left Plaid's flow (a hosted URL can still be used
 * until it expires); expired: nothing happened in time; failed: Plaid finished but Node-RED
 * could not use the result (`message` says why).
 */
export type SessionStatus = "open" | "linked" | "exited" | "expired" | "failed";

export interface SessionResult {
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
}

export interface LinkSession {
  id: string;
  linkId: string;
  configId: string;
  mode: LinkMode;
  kind: LinkKind;
  purpose: SessionPurpose;
  linkToken: string;
  /** When Plaid's link_token stops working (embedded update mode: 30 min; hosted: with the URL). */
  linkTokenExpiresAt: number;
  /** Hosted: Plaid's hosted_link_url, as a browser reaches it. */
  hostedUrl?: string;
  createdAt: number;
  expiresAt: number;
  status: SessionStatus;
  /** When the status last changed away from open (ended sessions are kept a while for late readers). */
  endedAt?: number;
  /** Exit or failure text for the user. */
  message?: string;
  result?: SessionResult;
}

export interface SessionStoreOptions {
  /** Lifetime of an embedded editor session in ms; 30 minutes by default. */
  ttlMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Bound on sessions so a misbehaving client cannot grow memory (or the file) without limit. */
  maxSessions?: number;
  /** Where sessions are kept across restarts; read on first use. */
  persistence?: { load(): LinkSession[]; save(sessions: LinkSession[]): void };
}

export const SESSION_TTL_MS = 30 * 60 * 1000;
/** An ended session still answers its status this long (a dialog polling every 2 s sees the end). */
export const ENDED_RETENTION_MS = 60 * 60 * 1000;

/** 32 random bytes, base64url: 43 characters. */
const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

export function isWellFormedSessionId(id: unknown): id is string {
  return typeof id === "string" && SESSION_ID_RE.test(id);
}

export type NewSession = Pick<LinkSession, "linkId" | "configId" | "mode" | "linkToken"> &
  Partial<Pick<LinkSession, "kind" | "purpose" | "linkTokenExpiresAt" | "hostedUrl" | "expiresAt">>;

export class SessionStore {
  private sessions: Map<string, LinkSession> | null = null;
  /** Embedded completions in flight (in memory only: a restart simply lets the page retry). */
  private readonly completing = new Set<string>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly maxSessions: number;

  constructor(private readonly options: SessionStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.now = options.now ?? Date.now;
    this.maxSessions = options.maxSessions ?? 200;
  }

  private map(): Map<string, LinkSession> {
    if (!this.sessions) {
      this.sessions = new Map();
      for (const s of this.options.persistence?.load() ?? []) if (isWellFormedSessionId(s?.id)) this.sessions.set(s.id, s);
    }
    return this.sessions;
  }

  private save(): void {
    this.options.persistence?.save([...this.map().values()]);
  }

  create(fields: NewSession): LinkSession {
    this.expire();
    const sessions = this.map();
    if (sessions.size >= this.maxSessions) {
      // Drop the oldest ended session, else the oldest: a forgotten session is harmless, an
      // unbounded store is not.
      const byAge = [...sessions.values()].sort((a, b) => Number(a.status === "open") - Number(b.status === "open") || a.createdAt - b.createdAt);
      if (byAge[0]) sessions.delete(byAge[0].id);
    }
    const createdAt = this.now();
    const expiresAt = fields.expiresAt ?? createdAt + this.ttlMs;
    const session: LinkSession = {
      kind: "embedded",
      purpose: "editor",
      linkTokenExpiresAt: expiresAt,
      ...fields,
      id: randomBytes(32).toString("base64url"),
      createdAt,
      expiresAt,
      status: "open",
    };
    sessions.set(session.id, session);
    this.save();
    return session;
  }

  /** Any session still remembered (open, or ended less than ENDED_RETENTION_MS ago), else null. */
  find(id: unknown): LinkSession | null {
    if (!isWellFormedSessionId(id)) return null;
    this.expire();
    return this.map().get(id) ?? null;
  }

  /** The session if it is open and has not expired; otherwise null. */
  get(id: unknown): LinkSession | null {
    const s = this.find(id);
    return s && s.status === "open" ? s : null;
  }

  /** Sessions in a state that can still change (open or exited, not expired). */
  live(): LinkSession[] {
    this.expire();
    return [...this.map().values()].filter((s) => s.status === "open" || s.status === "exited");
  }

  forLink(linkId: string): LinkSession[] {
    return this.live().filter((s) => s.linkId === linkId);
  }

  /** Records a change of a session (status, message, result, a new link token). */
  update(id: string, patch: Partial<Omit<LinkSession, "id" | "linkId" | "configId" | "mode" | "kind" | "createdAt">>): LinkSession | null {
    const s = this.map().get(id);
    if (!s) return null;
    Object.assign(s, patch);
    if (patch.status && patch.status !== "open" && patch.status !== "exited" && s.endedAt === undefined) s.endedAt = this.now();
    this.save();
    return s;
  }

  /**
   * Takes an embedded session for completion. Returns null when it is unknown, expired, ended,
   * or another completion is in flight: only one caller can ever hold it.
   */
  claim(id: unknown): LinkSession | null {
    const s = this.get(id);
    if (!s || s.kind !== "embedded" || this.completing.has(s.id)) return null;
    this.completing.add(s.id);
    return s;
  }

  /** A claimed session whose completion failed (e.g. Plaid rejected the public token) may be retried. */
  release(id: string): void {
    this.completing.delete(id);
  }

  /** Marks a claimed session used: it is linked, and its page answers 404 from now on. */
  finish(id: string, result?: SessionResult): void {
    this.completing.delete(id);
    this.update(id, { status: "linked", ...(result ? { result } : {}) });
  }

  /** Forgets every session of a link (e.g. after "Remove at Plaid"). */
  revokeForLink(linkId: string): void {
    let changed = false;
    for (const s of this.map().values()) {
      if (s.linkId === linkId) {
        this.map().delete(s.id);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  size(): number {
    this.expire();
    return this.map().size;
  }

  /**
   * Embedded sessions past their expiry become expired; ended ones are forgotten after the
   * retention. A hosted session is expired by its watcher instead, after one last look at Plaid:
   * a bank linked in the last seconds must still be collected, never orphaned.
   */
  private expire(): void {
    const t = this.now();
    let changed = false;
    for (const s of this.map().values()) {
      if (s.kind === "embedded" && (s.status === "open" || s.status === "exited") && t >= s.expiresAt) {
        s.status = "expired";
        s.endedAt = t;
        changed = true;
      }
      if (s.endedAt !== undefined && s.status !== "open" && s.status !== "exited" && t - s.endedAt >= ENDED_RETENTION_MS) {
        this.map().delete(s.id);
        changed = true;
      }
    }
    if (changed) this.save();
  }
}
