/**
 * When to ask Plaid about an open Hosted Link session (DESIGN §4.6): often while someone waits
 * for it (an editor dialog or the Link page asks for its status), rarely otherwise (a re-login
 * link sent to a phone), never after it expired — the last look is at the expiry itself — and
 * slower and slower while Plaid answers 429 or fails.
 *
 * Nothing runs while no session is open: no interval, only one timer per open session, unref'd
 * so it never keeps a process alive.
 */

export type PollResult = "again" | "done";

export interface PollScheduleOptions {
  /** Someone is watching: the delay between polls. Default 2 s. */
  fastMs?: number;
  /** Nobody is watching. Default 60 s. */
  slowMs?: number;
  /** A status request keeps the fast pace this long. Default 10 s. */
  watchMs?: number;
  /** Upper bound of the backoff after failures. Default 5 minutes. */
  maxBackoffMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  /** Asks Plaid once. Resolves "done" when the session ended; rejects on a failed call (backoff). */
  poll(id: string): Promise<PollResult>;
  /** A poll failed (the error is the caller's to log). */
  onError?(id: string, err: unknown): void;
}

interface Entry {
  expiresAt: number;
  watchedUntil: number;
  failures: number;
  timer: unknown;
  dueAt: number;
  running: boolean;
  /** A touch arrived during a poll: poll again soon after it. */
  rerun: boolean;
}

export class PollSchedule {
  private readonly entries = new Map<string, Entry>();
  private readonly fastMs: number;
  private readonly slowMs: number;
  private readonly watchMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly opts: PollScheduleOptions) {
    this.fastMs = opts.fastMs ?? 2000;
    this.slowMs = opts.slowMs ?? 60_000;
    this.watchMs = opts.watchMs ?? 10_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return t;
      });
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  /** Starts (or keeps) polling a session until `poll` says done; the first poll comes at the watched pace. */
  watch(id: string, expiresAt: number, watched = false): void {
    const existing = this.entries.get(id);
    if (existing) {
      existing.expiresAt = expiresAt;
      if (watched) this.touch(id);
      return;
    }
    const now = this.now();
    const e: Entry = { expiresAt, watchedUntil: watched ? now + this.watchMs : 0, failures: 0, timer: null, dueAt: 0, running: false, rerun: false };
    this.entries.set(id, e);
    this.arm(id, e, watched ? this.fastMs : Math.min(this.slowMs, this.fastMs * 5));
  }

  /** Someone looks at the session: poll at the fast pace for a while. */
  touch(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    const now = this.now();
    e.watchedUntil = now + this.watchMs;
    if (e.running) {
      e.rerun = true;
      return;
    }
    if (e.failures === 0 && e.dueAt - now > this.fastMs) this.arm(id, e, this.fastMs);
  }

  isWatching(id: string): boolean {
    return this.entries.has(id);
  }

  stop(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (e.timer !== null) this.clearTimer(e.timer);
    this.entries.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.entries.keys()]) this.stop(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The delay before the next poll, never past the expiry: the poll at the expiry is the last
   * regular one. Only a last poll that failed is retried after it, with backoff (the caller's
   * poll decides when to give up), so a session whose bank was linked in its last seconds is
   * still collected once Plaid answers again.
   */
  private nextDelay(e: Entry): number {
    const now = this.now();
    const base = now < e.watchedUntil ? this.fastMs : this.slowMs;
    const delay = e.failures > 0 ? Math.min(this.maxBackoffMs, base * 2 ** e.failures) : base;
    const remaining = e.expiresAt - now;
    return remaining > 0 ? Math.min(delay, remaining) : delay;
  }

  private arm(id: string, e: Entry, ms: number): void {
    if (e.timer !== null) this.clearTimer(e.timer);
    const remaining = e.expiresAt - this.now();
    const delay = Math.max(0, remaining > 0 ? Math.min(ms, remaining) : ms);
    e.dueAt = this.now() + delay;
    e.timer = this.setTimer(() => void this.run(id), delay);
  }

  private async run(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || e.running) return;
    e.timer = null;
    e.running = true;
    e.rerun = false;
    let result: PollResult = "again";
    try {
      result = await this.opts.poll(id);
      e.failures = 0;
    } catch (err) {
      e.failures++;
      this.opts.onError?.(id, err);
    } finally {
      e.running = false;
    }
    if (this.entries.get(id) !== e) return; // stopped meanwhile
    if (result === "done") {
      this.entries.delete(id);
      return;
    }
    this.arm(id, e, e.rerun && e.failures === 0 ? Math.min(this.fastMs, this.nextDelay(e)) : this.nextDelay(e));
  }
}
