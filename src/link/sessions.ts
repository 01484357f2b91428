/**
 * Link sessions: the short-lived, single-completion credential of the Link page.
 *
 * The editor (authenticated) creates a session; the browser window that runs Plaid Link is not
 * logged in to the admin API, so the session id in its URL is all it has. Hence: ≥128 random
 * bits (we use 256), a fixed lifetime, and exactly one successful completion.
 */
import { randomBytes } from "crypto";

export type LinkMode = "add" | "update";

export interface LinkSession {
  id: string;
  linkId: string;
  configId: string;
  mode: LinkMode;
  linkToken: string;
  createdAt: number;
  expiresAt: number;
  /** open → completing (exchange in flight) → done. A failed completion returns to open. */
  state: "open" | "completing" | "done";
}

export interface SessionStoreOptions {
  /** Lifetime in ms; 30 minutes by default. */
  ttlMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Bound on live sessions so a misbehaving client cannot grow memory without limit. */
  maxSessions?: number;
}

export const SESSION_TTL_MS = 30 * 60 * 1000;

/** 32 random bytes, base64url: 43 characters. */
const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

export function isWellFormedSessionId(id: unknown): id is string {
  return typeof id === "string" && SESSION_ID_RE.test(id);
}

export class SessionStore {
  private readonly sessions = new Map<string, LinkSession>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly maxSessions: number;

  constructor(options: SessionStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.now = options.now ?? Date.now;
    this.maxSessions = options.maxSessions ?? 200;
  }

  create(fields: { linkId: string; configId: string; mode: LinkMode; linkToken: string }): LinkSession {
    this.prune();
    if (this.sessions.size >= this.maxSessions) {
      // Drop the oldest; a forgotten session is harmless, an unbounded map is not.
      const oldest = [...this.sessions.values()].sort((a, b) => a.createdAt - b.createdAt)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const createdAt = this.now();
    const session: LinkSession = {
      id: randomBytes(32).toString("base64url"),
      ...fields,
      createdAt,
      expiresAt: createdAt + this.ttlMs,
      state: "open",
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session if it exists, has not expired and has not been completed; otherwise null. */
  get(id: unknown): LinkSession | null {
    if (!isWellFormedSessionId(id)) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (this.now() >= s.expiresAt) {
      this.sessions.delete(id);
      return null;
    }
    if (s.state === "done") return null;
    return s;
  }

  /**
   * Takes the session for completion. Returns null when it is unknown, expired, already done, or
   * another completion is in flight: only one caller can ever hold it.
   */
  claim(id: unknown): LinkSession | null {
    const s = this.get(id);
    if (!s || s.state !== "open") return null;
    s.state = "completing";
    return s;
  }

  /** A claimed session whose completion failed (e.g. Plaid rejected the public token) may be retried. */
  release(id: string): void {
    const s = this.sessions.get(id);
    if (s && s.state === "completing") s.state = "open";
  }

  /** Marks the session used; it answers 404 from now on. */
  finish(id: string): void {
    const s = this.sessions.get(id);
    if (s) s.state = "done";
  }

  /** Forgets every session of a link (e.g. after "Remove at Plaid"). */
  revokeForLink(linkId: string): void {
    for (const s of this.sessions.values()) if (s.linkId === linkId) this.sessions.delete(s.id);
  }

  size(): number {
    this.prune();
    return this.sessions.size;
  }

  private prune(): void {
    const t = this.now();
    for (const s of this.sessions.values()) {
      if (t >= s.expiresAt || s.state === "done") this.sessions.delete(s.id);
    }
  }
}
