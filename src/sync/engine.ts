/**
 * The sync engine of DESIGN §6, free of Node-RED:
 * - /transactions/sync from the stored cursor, count 500, page by page until has_more is false;
 *   each page is turned into points and events at once (memory is bounded by a page plus one
 *   output part, not by the history);
 * - TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION restarts the loop from the first cursor
 *   (points are idempotent; the index makes replayed changes non-events);
 * - 429 / 5xx / network errors are retried with backoff (withRetry); after that a clean error,
 *   and the saved state stays where it was;
 * - triggers while a sync runs are coalesced into at most one follow-up run, never parallel;
 * - commit `send` saves the state once every part has been handed out; `confirm` waits until
 *   every part came back (confirm()), else the next trigger replays from the saved state;
 * - `resync` re-fetches from an empty cursor and tombstones what vanished; `reset` forgets.
 *
 * An idle sync costs exactly one Plaid call (/transactions/sync with the saved cursor); balances
 * come from that response's `accounts`.
 */
import * as crypto from "crypto";
import type { AccountBase, PlaidApi, RemovedTransaction, Transaction, TransactionsSyncResponse } from "plaid";
import type { LinkedAccount } from "../plaid/types";
import { PlaidRequestError, toPlaidError } from "../plaid/errors";
import { abortedError, backoffDelay, defaultSleep, withRetry, type RetryOptions } from "../plaid/retry";
import type { IndexEntry, TransactionIndex } from "../influx/identity";
import { accountLabel, balancePoint, tombstonePoint, type InfluxPoint } from "../influx/points";
import { isValidTimezone } from "../influx/time";
import { ChangeApplier, identityKey, type ChangeKind, type KeyedPoint } from "./apply";
import { PartEmitter, type Part } from "./parts";
import { emptyState, StateStore, type JournalWrite, type SyncState } from "./state-store";

export const PAGE_SIZE = 500;
/** Removed transactions are remembered this long (beyond Plaid's 730-day history; see removedCutoff). */
export const REMOVED_RETENTION_MS = 800 * 86_400_000;
export const MUTATION_CODE = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION";

export type CommitMode = "send" | "confirm";
export type SyncMode = "sync" | "resync";

export interface EngineSettings {
  measurement: string;
  balanceMeasurement: string;
  includePending: boolean;
  invertAmounts: boolean;
  /** "" = 12:00 UTC; else an IANA zone, points at local midnight. */
  timezone: string;
  batchSize: number;
  commit: CommitMode;
  /** Add msg.lineProtocol to each part (default false: it costs CPU and memory per point). */
  lineProtocol?: boolean;
  /**
   * Build and send per-transaction events (default true). The node turns this off when its
   * events output is not wired: a first sync of 50 000 transactions spent ~0.6 s of CPU and a
   * good part of its garbage on events nobody received (bench/README.md). Nothing is journaled
   * for them either, so wiring the output later starts with the changes after that deploy.
   */
  events?: boolean;
}

export interface ItemInfo {
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
}

export interface ItemRef {
  itemId: string;
  institutionId: string;
  institutionName: string;
}

export interface SyncSummary {
  syncId: string;
  mode: SyncMode;
  /** Why the engine chose a full sync, when it did ("first sync", "state corrupt", ...). */
  fullSyncReason?: string;
  commit: CommitMode;
  added: number;
  modified: number;
  removed: number;
  /** Events actually emitted (replays of already-emitted events are not repeated). */
  events: number;
  points: number;
  balances: number;
  parts: number;
  pages: number;
  restarts: number;
  retries: number;
  /** Plaid had no transactions ready yet (next_cursor ""). */
  notReady: boolean;
  startedAt: string;
  finishedAt: string;
}

export interface PointsMessage {
  payload: InfluxPoint[];
  lineProtocol?: string;
  plaid: { syncId: string; part: number; last: boolean; item: ItemRef; summary?: SyncSummary };
}

export interface TransactionEvent {
  kind: ChangeKind;
  topic: string;
  payload: Record<string, unknown>;
  plaid: { syncId: string; event: ChangeKind; item: ItemRef };
}

export interface SyncSink {
  points(msg: PointsMessage): void;
  event(ev: TransactionEvent): void;
}

export interface EngineHooks {
  warn(message: string): void;
  log?(message: string): void;
  onStart?(mode: SyncMode): void;
  onRetry?(error: PlaidRequestError, attempt: number, delayMs: number): void;
  /** All parts sent (send mode: state saved too; confirm mode: waiting for confirmations). */
  onSent?(summary: SyncSummary): void;
  /** State saved: right after sending in send mode, after the last confirmation in confirm mode. */
  onCommitted?(summary: SyncSummary): void;
  /** confirm mode: a part failed or was abandoned; the next trigger replays. */
  onConfirmFailed?(syncId: string, reason: string): void;
}

export interface SyncEngineOptions {
  nodeId: string;
  /** `<userDir>/plaid-sync` */
  stateDir: string;
  settings: EngineSettings;
  getClient(): Promise<PlaidApi>;
  getAccessToken(): string | undefined;
  getItem(): ItemInfo;
  sink: SyncSink;
  hooks: EngineHooks;
  retry?: RetryOptions;
  /** Restarts after TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION before giving up. Default 5. */
  maxRestarts?: number;
  /** How long a coalesced follow-up waits for the previous sync's confirmations. Default 5000. */
  confirmWaitMs?: number;
  now?: () => Date;
  store?: StateStore;
  pageSize?: number;
}

interface Waiter {
  resolve(v: SyncSummary | null): void;
  reject(e: unknown): void;
}

interface Job {
  sync: boolean;
  resync: boolean;
  reset: boolean;
  followUp: boolean;
  waiters: Waiter[];
}

interface Confirmation {
  syncId: string;
  acked: Set<number>;
  failed: string | null;
  total: number | null;
  summary: SyncSummary | null;
  commit: (() => Promise<void>) | null;
  committing: boolean;
  settled: Promise<void>;
  settle(): void;
}

export function settingsKey(s: EngineSettings): string {
  return JSON.stringify([s.measurement, s.includePending, s.invertAmounts, s.timezone]);
}

/**
 * Tombstones older than this can be forgotten. A resync replays Plaid's history, and a
 * transaction that came and went reappears in it (added on one page, removed on a later one):
 * only its tombstone tells that replay from news. Plaid's 730 days run on the bank's dates, not
 * on this host's clock (a sandbox or simulator with fixed dates, a clock set wrong), so the
 * retention counts back from whichever is earlier: now, or the newest transaction date known.
 */
export function removedCutoff(index: TransactionIndex, now: Date): number {
  return Math.min(now.getTime(), index.newestTs) - REMOVED_RETENTION_MS;
}

export function engineError(code: string, message: string): PlaidRequestError {
  return new PlaidRequestError({ code, type: "SYNC_ERROR", message, display_message: null, request_id: null, status: null });
}

function topicPart(s: string): string {
  return s.replace(/[/#+]/g, "_").trim() || "unknown";
}

export class SyncEngine {
  readonly store: StateStore;
  private state: SyncState | null = null;
  /** Event keys emitted since the last commit (mirrors the journal). */
  private emitted = new Set<string>();
  private queue: Job | null = null;
  private draining = false;
  private busy = false;
  private closed = false;
  private abort = new AbortController();
  private confirmation: Confirmation | null = null;
  private drainPromise: Promise<void> = Promise.resolve();
  private seq = 0;
  /** A resync that did not commit is resumed by the next trigger (journaled: a restart too). */
  private resyncPending = false;
  /** Points sent by syncs that never committed (from the journal), checked by the next sync. */
  private uncommittedWrites: JournalWrite[] = [];

  constructor(private readonly opts: SyncEngineOptions) {
    this.store = opts.store ?? new StateStore(opts.stateDir, opts.nodeId);
    const s = opts.settings;
    if (!isValidTimezone(s.timezone)) throw new Error(`unknown time zone "${s.timezone}"`);
    if (!Number.isInteger(s.batchSize) || s.batchSize < 1) throw new Error(`batchSize must be a positive integer (got ${s.batchSize})`);
  }

  get running(): boolean {
    return this.busy;
  }

  /** True while a confirm-mode sync waits for its parts to come back. */
  get awaitingConfirmation(): boolean {
    return this.confirmation !== null;
  }

  /** syncIds this engine hands out start with this prefix. */
  get syncIdPrefix(): string {
    return `${this.opts.nodeId}.`;
  }

  isOwnSyncId(syncId: unknown): boolean {
    return typeof syncId === "string" && syncId.startsWith(this.syncIdPrefix);
  }

  /** Starts a sync, or — while one runs — joins the (single) follow-up run. */
  trigger(mode: SyncMode = "sync"): Promise<SyncSummary> {
    return this.request(mode) as Promise<SyncSummary>;
  }

  /** Forgets the cursor and index (after any running sync). The next trigger fetches everything. */
  async reset(): Promise<void> {
    await this.request("reset");
  }

  /**
   * A part came back (confirm mode). `error` set = the database refused it: the sync is not
   * committed and the next trigger replays. Returns false when the syncId is not this engine's.
   */
  confirm(syncId: string, part: number, error?: unknown): boolean {
    if (!this.isOwnSyncId(syncId)) return false;
    const c = this.confirmation;
    if (!c || c.syncId !== syncId || c.committing) return true; // stale or already done: ignore
    if (error) c.failed = `part ${part} was not written`;
    else if (Number.isInteger(part) && part >= 1) c.acked.add(part);
    this.checkConfirmation();
    return true;
  }

  /** Stops a running sync (nothing is saved) and refuses new triggers. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    if (this.confirmation && !this.confirmation.committing) this.dropConfirmation("the node was closed");
    await this.drainPromise.catch(() => undefined);
    if (this.confirmation) await this.confirmation.settled;
  }

  private request(op: SyncMode | "reset"): Promise<SyncSummary | null> {
    if (this.closed) return Promise.reject(abortedError());
    return new Promise((resolve, reject) => {
      if (!this.queue) this.queue = { sync: false, resync: false, reset: false, followUp: this.busy, waiters: [] };
      const q = this.queue;
      if (op === "reset") q.reset = true;
      else {
        q.sync = true;
        if (op === "resync") q.resync = true;
      }
      q.waiters.push({ resolve, reject });
      if (!this.draining) this.drainPromise = this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue) {
        const job = this.queue;
        this.queue = null;
        if (this.closed) {
          for (const w of job.waiters) w.reject(abortedError());
          continue;
        }
        this.busy = true;
        try {
          await this.settleConfirmation(job.followUp);
          if (job.reset) await this.doReset();
          const result = job.sync ? await this.runSync(job.resync ? "resync" : "sync") : null;
          for (const w of job.waiters) w.resolve(result);
        } catch (err) {
          const clean = toPlaidError(err);
          for (const w of job.waiters) w.reject(clean);
        } finally {
          this.busy = false;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Before a new run: wait (follow-ups only) for the previous confirm-mode sync, else drop it. */
  private async settleConfirmation(followUp: boolean): Promise<void> {
    const c = this.confirmation;
    if (!c) return;
    if (c.committing) {
      await c.settled;
      return;
    }
    if (followUp) {
      const wait = this.opts.confirmWaitMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c.settled, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
      if (timer) clearTimeout(timer);
      if (this.confirmation === c && c.committing) await c.settled;
    }
    if (this.confirmation === c) this.dropConfirmation("a new sync started before every part was confirmed");
  }

  private dropConfirmation(reason: string): void {
    const c = this.confirmation;
    if (!c) return;
    this.confirmation = null;
    this.state = null; // reload the last committed state
    this.opts.hooks.onConfirmFailed?.(c.syncId, reason);
    c.settle();
  }

  private checkConfirmation(): void {
    const c = this.confirmation;
    if (!c || c.committing) return;
    if (c.failed) {
      this.dropConfirmation(c.failed);
      return;
    }
    if (c.total === null || !c.commit) return;
    for (let p = 1; p <= c.total; p++) if (!c.acked.has(p)) return;
    c.committing = true;
    const commit = c.commit;
    void commit()
      .then(() => {
        if (c.summary) this.opts.hooks.onCommitted?.(c.summary);
      })
      .catch((err: unknown) => {
        this.state = null;
        this.opts.hooks.warn(`Could not save the sync state (${(err as Error).message}); the next trigger replays this sync.`);
        this.opts.hooks.onConfirmFailed?.(c.syncId, "the state could not be saved");
      })
      .finally(() => {
        if (this.confirmation === c) this.confirmation = null;
        c.settle();
      });
  }

  private async doReset(): Promise<void> {
    await this.store.clear();
    this.state = emptyState();
    this.emitted = new Set();
    this.uncommittedWrites = [];
    this.resyncPending = false;
    this.opts.hooks.log?.("Sync state forgotten; the next sync fetches the full history.");
  }

  /** The committed state (cached), checked against the Item and the settings. */
  private async loadState(item: ItemInfo): Promise<{ state: SyncState; fullReason?: string; forceResync: boolean }> {
    let fullReason: string | undefined;
    let forceResync = false;
    if (!this.state) {
      const loaded = await this.store.load();
      this.state = loaded.state;
      if (loaded.status === "corrupt") {
        fullReason = "state file unreadable";
        this.opts.hooks.warn(
          `The saved sync state ${this.store.file} could not be read (${loaded.reason})` +
            (loaded.movedTo ? `; it was moved to ${loaded.movedTo}` : "") +
            ". Doing a safe full resync: every transaction is written again at the same points, nothing is doubled.",
        );
      } else if (loaded.status === "missing") {
        fullReason = "no saved state";
        this.opts.hooks.warn(
          `No saved sync state (${this.store.file}): first sync, or the file was removed. Fetching the full history; points are idempotent, nothing is doubled.`,
        );
      }
      const journal = this.store.loadJournal(this.state.gen);
      this.emitted = journal.keys;
      this.uncommittedWrites = journal.writes;
      if (journal.resync) this.resyncPending = true;
    }
    let state = this.state;
    if (state.itemId && item.itemId && state.itemId !== item.itemId) {
      this.opts.hooks.warn(`This node is now linked to another Item (${item.itemId}); starting its history from the beginning.`);
      state = emptyState(item.itemId);
      state.gen = this.state.gen + 1;
      this.state = state;
      this.emitted = new Set();
      this.uncommittedWrites = [];
      fullReason = "linked to another Item";
    }
    const key = settingsKey(this.opts.settings);
    if (state.cursor !== "" && state.settingsKey !== key) {
      forceResync = true;
      fullReason = "point settings changed";
      this.opts.hooks.warn("Measurement, time zone, amount sign or pending setting changed: rebuilding every point (resync).");
    }
    return { state, fullReason, forceResync };
  }

  private async runSync(requested: SyncMode): Promise<SyncSummary> {
    const o = this.opts;
    const signal = this.abort.signal;
    const item = o.getItem();
    const token = o.getAccessToken();
    if (!token) throw engineError("NOT_LINKED", "This plaid-link node has no linked account yet");
    const client = await o.getClient();
    const { state, fullReason, forceResync } = await this.loadState(item);
    const mode: SyncMode = forceResync || this.resyncPending ? "resync" : requested;
    if (mode === "resync" && !this.resyncPending) {
      this.resyncPending = true;
      // Before its first event: a restart in the middle must find it (the vanished transactions
      // it announces stay live in the committed index until a resync commits).
      this.store.journalResync(state.gen);
    }
    const startCursor = mode === "resync" ? "" : state.cursor;
    const now = o.now ?? (() => new Date());
    const started = now();
    const syncId = `${this.syncIdPrefix}${started.getTime().toString(36)}.${(++this.seq).toString(36)}${crypto.randomBytes(3).toString("hex")}`;
    const itemRef: ItemRef = { itemId: item.itemId, institutionId: item.institutionId, institutionName: item.institutionName };
    const institution = item.institutionName || item.institutionId || "Unknown institution";
    const linked = new Map(item.accounts.map((a) => [a.account_id, a]));
    const accounts = new Map<string, AccountBase>();
    // Labels and event topics are per account, not per transaction: memoised (cleared whenever
    // a page brings the accounts again, in case a name changed).
    const labels = new Map<string, string>();
    const topics = new Map<string, string>();
    const labelOf = (id: string): string => {
      let l = labels.get(id);
      if (l === undefined) {
        l = accountLabel(accounts.get(id) ?? linked.get(id), id);
        labels.set(id, l);
      }
      return l;
    };
    const topicOf = (account: string, kind: ChangeKind): string => {
      const k = `${kind}\u0000${account}`;
      let t = topics.get(k);
      if (t === undefined) {
        t = `plaid/${topicPart(institution)}/${topicPart(account)}/${kind}`;
        topics.set(k, t);
      }
      return t;
    };
    const applier = new ChangeApplier(state.index, {
      measurement: o.settings.measurement,
      timezone: o.settings.timezone,
      invertAmounts: o.settings.invertAmounts,
      includePending: o.settings.includePending,
      institution,
      accountLabel: labelOf,
      eventKeys: o.settings.events !== false,
    });
    const confirmMode = o.settings.commit === "confirm";
    const counts = { added: 0, modified: 0, removed: 0, events: 0, pages: 0, restarts: 0, retries: 0, balances: 0 };
    let notReady = false;
    if (mode === "resync") applier.deferKnownChanges();
    if (confirmMode) this.openConfirmation(syncId);
    const emitter = new PartEmitter<SyncSummary>(syncId, o.settings.batchSize, o.settings.lineProtocol === true, (part: Part<SyncSummary>) =>
      o.sink.points({ payload: part.points, lineProtocol: part.lineProtocol, plaid: { ...part.meta, item: itemRef } }),
    );
    o.hooks.onStart?.(mode);

    const wantEvents = o.settings.events !== false;
    const emitEvent = (kind: ChangeKind, key: string, payload: Record<string, unknown>, accountId: string, account: string, pageKeys: string[]): void => {
      counts[kind]++;
      if (!wantEvents || this.emitted.has(key)) return;
      this.emitted.add(key);
      pageKeys.push(key);
      counts.events++;
      o.sink.event({
        kind,
        topic: topicOf(account, kind),
        payload: Object.assign(payload, {
          account_id: accountId,
          account_name: accounts.get(accountId)?.name ?? linked.get(accountId)?.name ?? account,
          account,
          institution_name: institution,
          institution_id: item.institutionId,
          item_id: item.itemId,
        }),
        plaid: { syncId, event: kind, item: itemRef },
      });
    };

    /** Journals a transaction point sent at an identity the committed state may not know. */
    const noteWrite = (id: string, before: { s: number; ts: number } | undefined, after: IndexEntry | undefined, into: JournalWrite[]): void => {
      if (!after || after.r || (before && before.s === after.s && before.ts === after.ts)) return;
      const series = applier.index.series(after.s);
      into.push({ id, measurement: series.measurement, tags: series.tags, ts: after.ts });
    };

    try {
      const seen = mode === "resync" ? new Set<string>() : null;
      let cursor = startCursor;
      let lastAccounts: AccountBase[] = [];
      for (;;) {
        cursor = startCursor;
        try {
          let prefetched: Promise<TransactionsSyncResponse> | null = null;
          for (;;) {
            if (signal.aborted) throw abortedError();
            const page = await (prefetched ?? this.fetchPage(client, token, cursor, counts));
            prefetched = null;
            if (page.has_more && page.next_cursor) {
              // Ask for the next page now, while this one is turned into points (its cursor is all
              // that request needs): Plaid's latency overlaps our work instead of adding to it.
              // A failure surfaces when it is awaited, in the next round.
              prefetched = this.fetchPage(client, token, page.next_cursor, counts);
              prefetched.catch(() => undefined);
              // The client builds the request in promise callbacks: let them run (and the request
              // go out) before this page's synchronous work holds the event loop.
              await new Promise<void>((r) => setImmediate(r));
            }
            counts.pages++;
            for (const a of page.accounts ?? []) accounts.set(a.account_id, a);
            if (page.accounts?.length) labels.clear();
            lastAccounts = page.accounts ?? [];
            const pageKeys: string[] = [];
            const pageWrites: JournalWrite[] = [];
            const upsert = (t: Transaction, as: "added" | "modified"): void => {
              seen?.add(t.transaction_id);
              const r = applier.upsert(t, as);
              noteWrite(t.transaction_id, r.previous, r.entry, pageWrites);
              emitter.addAll(r.points);
              if (r.kind) emitEvent(r.kind, r.eventKey ?? "", t as unknown as Record<string, unknown>, t.account_id, labelOf(t.account_id), pageKeys);
            };
            // Each transaction is let go as soon as it is applied: the raw page is the bulk of what
            // is alive when V8 collects young garbage mid-page, and what survives it is copied
            // into the old generation, which is what a first sync's memory peak is made of.
            const consume = (list: Array<Transaction | undefined> | undefined, as: "added" | "modified"): void => {
              if (!list) return;
              for (let i = 0; i < list.length; i++) {
                const t = list[i];
                list[i] = undefined;
                if (t) upsert(t, as);
              }
            };
            consume(page.added, "added");
            consume(page.modified, "modified");
            for (const r of page.removed ?? []) this.applyRemoval(applier, r, emitter, emitEvent, pageKeys);
            this.store.appendJournal(state.gen, pageKeys, pageWrites);
            if (!page.next_cursor && !page.has_more) notReady = true;
            cursor = page.next_cursor || cursor;
            if (!page.has_more) break;
            if (!page.next_cursor) throw engineError("UNEXPECTED_RESPONSE", "Plaid said has_more without a next_cursor");
          }
          break;
        } catch (err) {
          const clean = toPlaidError(err);
          if (clean.plaid.code !== MUTATION_CODE || counts.restarts >= (o.maxRestarts ?? 5) || signal.aborted) throw clean;
          counts.restarts++;
          o.hooks.log?.(`Plaid's data changed during the sync; restarting from the first page (restart ${counts.restarts}).`);
          const delay = backoffDelay(counts.restarts, o.retry?.random ?? Math.random, Math.min(o.retry?.baseDelayMs ?? 1000, 2000), 10_000);
          await (o.retry?.sleep ?? defaultSleep)(delay, signal);
          if (signal.aborted) throw abortedError();
        }
      }
      if (seen) {
        // Resync: known transactions that really changed, in their final version...
        const pageKeys: string[] = [];
        const pageWrites: JournalWrite[] = [];
        const upsertFinal = (t: Transaction): void => {
          const r = applier.upsert(t, "modified");
          noteWrite(t.transaction_id, r.previous, r.entry, pageWrites);
          emitter.addAll(r.points);
          if (r.kind) emitEvent(r.kind, r.eventKey ?? "", t as unknown as Record<string, unknown>, t.account_id, labelOf(t.account_id), pageKeys);
        };
        for (const t of applier.takeDeferred()) upsertFinal(t);
        // ...and whatever the index knows that Plaid no longer has: it vanished.
        const vanished: string[] = [];
        for (const id of state.index.liveIds()) if (!seen.has(id)) vanished.push(id);
        for (const id of vanished) this.applyRemoval(applier, { transaction_id: id, account_id: "" }, emitter, emitEvent, pageKeys);
        this.store.appendJournal(state.gen, pageKeys, pageWrites);
      }
      this.settleUncommittedWrites(state.gen, applier, emitter, emitEvent);
      for (const a of lastAccounts) {
        const p = balancePoint(a, institution, o.settings.balanceMeasurement, started);
        if (p) {
          counts.balances++;
          emitter.add({ key: `b${a.account_id}`, point: p });
        }
      }
      let summary: SyncSummary | null = null;
      emitter.finish((parts, points) => {
        summary = {
          syncId,
          mode,
          ...(fullReason || startCursor === "" ? { fullSyncReason: fullReason ?? (mode === "resync" ? "resync requested" : "first sync") } : {}),
          commit: o.settings.commit,
          added: counts.added,
          modified: counts.modified,
          removed: counts.removed,
          events: counts.events,
          points,
          balances: counts.balances,
          parts,
          pages: counts.pages,
          restarts: counts.restarts,
          retries: counts.retries,
          notReady,
          startedAt: started.toISOString(),
          finishedAt: now().toISOString(),
        };
        return summary;
      });
      const done = summary as unknown as SyncSummary;
      const finalCursor = cursor;
      // An idle sync (same cursor, no transaction point written, nothing pending from an
      // uncommitted sync) leaves the saved state as it is: rewriting it — index and all, ~50 ms
      // at 50 000 transactions — was most of an idle sync's cost.
      const idle =
        mode === "sync" &&
        state.cursor !== "" &&
        cursor === state.cursor &&
        emitter.points === counts.balances &&
        state.itemId === item.itemId &&
        state.settingsKey === settingsKey(o.settings) &&
        this.emitted.size === 0 &&
        this.uncommittedWrites.length === 0;
      const commit = async (): Promise<void> => {
        const pruned = state.index.pruneRemoved(removedCutoff(state.index, started));
        if (idle && pruned === 0) {
          this.state = state;
          this.resyncPending = false;
          return;
        }
        const next: SyncState = { ...state, cursor: finalCursor, gen: state.gen + 1, itemId: item.itemId, settingsKey: settingsKey(o.settings) };
        await this.store.save(next);
        this.state = next;
        this.resyncPending = false;
        this.emitted = new Set();
        this.uncommittedWrites = [];
        try {
          this.store.clearJournal();
        } catch {
          /* a stale journal is ignored: it belongs to an older generation */
        }
      };
      if (confirmMode) {
        const c = this.confirmation;
        o.hooks.onSent?.(done);
        if (c && c.syncId === syncId) {
          c.total = emitter.parts;
          c.summary = done;
          c.commit = commit;
          this.checkConfirmation();
        }
      } else {
        try {
          await commit();
        } catch (err) {
          throw engineError("STATE_SAVE_FAILED", `Could not save the sync state (${(err as Error).message})`);
        }
        o.hooks.onSent?.(done);
        o.hooks.onCommitted?.(done);
      }
      return done;
    } catch (err) {
      // Nothing committed: the in-memory index may be ahead of the file, so reload next time.
      this.state = null;
      if (this.confirmation?.syncId === syncId) {
        const c = this.confirmation;
        this.confirmation = null;
        c.settle();
      }
      throw err instanceof PlaidRequestError ? err : toPlaidError(err);
    }
  }

  /**
   * Points that an uncommitted sync (killed, refused by the database, never confirmed) sent at an
   * identity this replay did not write again: the transaction vanished at Plaid in the meantime
   * (its net change since the saved cursor is nothing, so Plaid never mentions it) or moved.
   * Its point is in the database all the same: tombstone it, and if its transaction is gone and
   * was announced, announce the removal (once, like every event).
   */
  private settleUncommittedWrites(
    gen: number,
    applier: ChangeApplier,
    emitter: PartEmitter<SyncSummary>,
    emitEvent: (kind: ChangeKind, key: string, payload: Record<string, unknown>, accountId: string, account: string, pageKeys: string[]) => void,
  ): void {
    const writes = this.uncommittedWrites;
    if (!writes.length) return;
    const index = applier.index;
    const announced = new Set<string>();
    for (const k of this.emitted) {
      const [kind, id] = k.split("|");
      if (kind === "added" || kind === "modified") announced.add(id);
    }
    const pageKeys: string[] = [];
    for (const w of writes) {
      const s = index.seriesId(w.measurement, w.tags);
      const cur = index.get(w.id);
      if (cur && cur.s === s && cur.ts === w.ts) continue; // written again (or tombstoned) at that identity
      const owner = index.ownerAt(s, w.ts);
      if (owner !== undefined && owner !== w.id) continue; // another transaction's point took that place
      if (!cur && announced.has(w.id)) {
        // Gone, and announced: a removal with its event (applyRemoval writes the tombstone).
        index.set(w.id, { s, ts: w.ts, h: 0 });
        this.applyRemoval(applier, { transaction_id: w.id, account_id: w.tags.account_id ?? "" }, emitter, emitEvent, pageKeys);
        continue;
      }
      emitter.add({ key: identityKey(s, w.ts), point: tombstonePoint(index.series(s), w.ts, w.id) });
      if (!cur) index.set(w.id, { s, ts: w.ts, h: 0, r: true });
    }
    this.store.appendJournal(gen, pageKeys);
  }

  private applyRemoval(
    applier: ChangeApplier,
    r: RemovedTransaction,
    emitter: PartEmitter<SyncSummary>,
    emitEvent: (kind: ChangeKind, key: string, payload: Record<string, unknown>, accountId: string, account: string, pageKeys: string[]) => void,
    pageKeys: string[],
  ): void {
    const res = applier.remove(r.transaction_id);
    emitter.addAll(res.points as KeyedPoint[]);
    if (res.kind && res.eventKey && res.previous) {
      const tags = applier.index.series(res.previous.s).tags;
      const accountId = r.account_id || tags.account_id;
      emitEvent(
        "removed",
        res.eventKey,
        { transaction_id: r.transaction_id, removed: true, pending: tags.pending === "true", category: tags.category, currency: tags.currency },
        accountId,
        tags.account,
        pageKeys,
      );
    }
  }

  private openConfirmation(syncId: string): void {
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    this.confirmation = { syncId, acked: new Set(), failed: null, total: null, summary: null, commit: null, committing: false, settled, settle };
  }

  private async fetchPage(client: PlaidApi, token: string, cursor: string, counts: { retries: number }): Promise<TransactionsSyncResponse> {
    const signal = this.abort.signal;
    const size = this.opts.pageSize ?? PAGE_SIZE;
    return withRetry(
      async () => {
        const res = await client.transactionsSync({ access_token: token, count: size, ...(cursor ? { cursor } : {}) }, { signal });
        return res.data;
      },
      {
        ...this.opts.retry,
        signal,
        onRetry: (e, attempt, delay) => {
          counts.retries++;
          this.opts.hooks.onRetry?.(e, attempt, delay);
          this.opts.retry?.onRetry?.(e, attempt, delay);
        },
      },
    );
  }
}
