/**
 * The sync engine of DESIGN §6, free of Node-RED. It orchestrates:
 * - trigger-queue.ts: triggers while a sync runs join one follow-up run, never parallel;
 * - committed-state.ts: the last committed cursor and index, and what the journal adds to them;
 * - pages.ts: /transactions/sync page by page (prefetch, retries, mutation restarts);
 * - run.ts: each page → points and events at once, the resync's reconciliation, balances;
 * - confirmations.ts: commit `confirm` saves only once every part came back; `send` saves once
 *   every part has been handed out. Nothing committed = the next trigger replays, idempotently.
 * `resync` re-fetches from an empty cursor and tombstones what vanished; `reset` forgets.
 *
 * An idle sync costs exactly one Plaid call (/transactions/sync with the saved cursor); balances
 * come from that response's `accounts`.
 */
import * as crypto from "crypto";
import type { PlaidApi } from "plaid";
import type { TransactionIndex } from "../influx/identity";
import { isValidTimezone } from "../influx/time";
import { errorOf, CleanError, toCleanError } from "../plaid/errors";
import { abortedError, type RetryOptions } from "../plaid/retry";
import { itemPoint, ITEM_MEASUREMENT } from "../influx/points";
import { needsLogin } from "../plaid/errors";
import { CommittedState } from "./committed-state";
import { ItemWatch } from "./item-watch";
import { isSyncIdOf, syncIdPrefix } from "./sync-id";
import { Confirmations } from "./confirmations";
import { SyncPages } from "./pages";
import { SyncRun } from "./run";
import { StateStore, type SyncState } from "./state-store";
import { TriggerQueue, type Job } from "./trigger-queue";
import type { EngineHooks, EngineSettings, ItemInfo, ItemRef, SyncMode, SyncSink, SyncSummary } from "./types";

export type * from "./types";
export { MUTATION_CODE, PAGE_SIZE } from "./pages";

/**
 * How long the committed index stays in memory after a sync. Syncs come hours apart: reading the
 * state file again then (tens of ms for 50 000 transactions) costs less than keeping several MB
 * of index in a Node-RED that waits; a burst of triggers still finds it loaded.
 */
export const KEEP_STATE_MS = 30_000;

/** Removed transactions are remembered this long (beyond Plaid's 730-day history; see removedCutoff). */
export const REMOVED_RETENTION_MS = 800 * 86_400_000;

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
  /** How long a part that rewrites a point waits for the earlier part's confirmation. Default ORDER_WAIT_MS. */
  orderWaitMs?: number;
  /** How long the committed index stays in memory after the last sync. Default KEEP_STATE_MS. */
  keepStateMs?: number;
  now?: () => Date;
  store?: StateStore;
  pageSize?: number;
}

/** The settings that shape points: a change rebuilds every point (a resync). */
export function settingsKey(s: EngineSettings): string {
  // The category version joins the key only when set, so the keys of existing states stay valid.
  return JSON.stringify([s.measurement, s.includePending, s.invertAmounts, s.timezone, ...(s.categoryVersion ? [s.categoryVersion] : [])]);
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

function itemRefOf(item: ItemInfo): ItemRef {
  return { itemId: item.itemId, institutionId: item.institutionId, institutionName: item.institutionName };
}

export class SyncEngine {
  private readonly committed: CommittedState;
  private readonly confirmations: Confirmations;
  private readonly watch: ItemWatch;
  private readonly queue: TriggerQueue<SyncSummary | null>;
  private closed = false;
  private readonly abort = new AbortController();
  private seq = 0;
  private releaseTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SyncEngineOptions) {
    const s = opts.settings;
    if (!isValidTimezone(s.timezone)) throw new Error(`unknown time zone "${s.timezone}"`);
    if (!Number.isInteger(s.batchSize) || s.batchSize < 1) throw new Error(`batchSize must be a positive integer (got ${s.batchSize})`);
    this.committed = new CommittedState(opts.store ?? new StateStore(opts.stateDir, opts.nodeId), opts.hooks);
    this.confirmations = new Confirmations({
      committed: (summary) => opts.hooks.onCommitted?.(summary),
      failed: (syncId, reason) => opts.hooks.onConfirmFailed?.(syncId, reason),
      forgetState: () => this.committed.forget(),
      warn: (m) => opts.hooks.warn(m),
    }, opts.orderWaitMs);
    this.watch = new ItemWatch({ stateDir: opts.stateDir, nodeId: opts.nodeId, sink: opts.sink, hooks: opts.hooks, events: s.events !== false });
    this.queue = new TriggerQueue((job) => this.runJob(job), () => (this.closed ? abortedError() : null));
  }

  get store(): StateStore {
    return this.committed.store;
  }

  /** True while a confirm-mode sync waits for its parts to come back. */
  get awaitingConfirmation(): boolean {
    return this.confirmations.waiting;
  }

  /** syncIds this engine hands out start with this prefix. */
  get syncIdPrefix(): string {
    return syncIdPrefix(this.opts.nodeId);
  }

  isOwnSyncId(syncId: unknown): boolean {
    return isSyncIdOf(this.opts.nodeId, syncId);
  }

  /** Starts a sync, or — while one runs — joins the (single) follow-up run. */
  trigger(mode: SyncMode = "sync"): Promise<SyncSummary> {
    return this.queue.request(mode) as Promise<SyncSummary>;
  }

  /** Forgets the cursor and index (after any running sync). The next trigger fetches everything. */
  async reset(): Promise<void> {
    await this.queue.request("reset");
  }

  /**
   * A part came back (confirm mode). `error` set = the database refused it: the sync is not
   * committed and the next trigger replays. Returns false when the syncId is not this engine's.
   */
  confirm(syncId: string, part: number, error?: unknown): boolean {
    if (!this.isOwnSyncId(syncId)) return false;
    this.confirmations.confirm(syncId, part, error);
    return true;
  }

  /**
   * The user logged in again (the link service finished update mode): LOGIN_REPAIRED if the Item
   * had a problem a login fixes.
   */
  async loginRepaired(): Promise<void> {
    const item = this.opts.getItem();
    if (!item.itemId) return;
    await this.watch.announce(this.watch.loginRepaired(item.itemId), itemRefOf(item));
  }

  /** Stops a running sync (nothing is saved) and refuses new triggers. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.abort.abort();
    await this.confirmations.close();
    await this.queue.settled();
  }

  private async runJob(job: Job): Promise<SyncSummary | null> {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    try {
      await this.confirmations.beforeNextRun(job.followUp, this.opts.confirmWaitMs ?? 5000);
      if (job.reset) await this.committed.reset();
      return job.sync ? await this.runSync(job.resync ? "resync" : "sync") : null;
    } catch (err) {
      throw toCleanError(err);
    } finally {
      this.scheduleRelease();
    }
  }

  /** Lets go of the committed index once nothing has run, or waited for confirmations, for keepStateMs. */
  private scheduleRelease(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = null;
      if (this.queue.active || this.confirmations.waiting) {
        this.scheduleRelease();
        return;
      }
      this.committed.forget();
    }, this.opts.keepStateMs ?? KEEP_STATE_MS);
    this.releaseTimer.unref();
  }

  private async runSync(requested: SyncMode): Promise<SyncSummary> {
    const o = this.opts;
    const signal = this.abort.signal;
    const item = o.getItem();
    const token = o.getAccessToken();
    if (!token) throw errorOf("NOT_LINKED", "This plaid-link node has no linked account yet");
    const client = await o.getClient();
    const key = settingsKey(o.settings);
    const { state, fullReason, forceResync } = await this.committed.load(item, key);
    const mode: SyncMode = forceResync || this.committed.resyncPending ? "resync" : requested;
    // Before its first event: a restart in the middle must find it (the vanished transactions it
    // announces stay live in the committed index until a resync commits).
    if (mode === "resync") this.committed.startResync(state.gen);
    const startCursor = mode === "resync" ? "" : state.cursor;
    const now = o.now ?? (() => new Date());
    const started = now();
    const syncId = `${this.syncIdPrefix}${started.getTime().toString(36)}.${(++this.seq).toString(36)}${crypto.randomBytes(3).toString("hex")}`;
    const confirmMode = o.settings.commit === "confirm";
    const order = confirmMode ? this.confirmations.open(syncId) : undefined;
    const run = new SyncRun({ syncId, mode, state, item, settings: o.settings, store: this.committed.store, emitted: this.committed.emitted, sink: o.sink, order });
    o.hooks.onStart?.(mode);
    try {
      const pages = new SyncPages({
        client,
        accessToken: token,
        startCursor,
        pageSize: o.pageSize,
        categoryVersion: o.settings.categoryVersion || undefined,
        signal,
        retry: o.retry,
        maxRestarts: o.maxRestarts,
        onRetry: (e, attempt, delay) => {
          o.hooks.onRetry?.(e, attempt, delay);
          o.retry?.onRetry?.(e, attempt, delay);
        },
        log: o.hooks.log,
      });
      for await (const page of pages) {
        run.applyPage(page);
        // Parts held back by the write order are not allowed to pile up behind more pages.
        await run.drained();
      }
      run.finishResync();
      run.settleUncommittedWrites(this.committed.uncommittedWrites);
      const extra = await this.watch.afterPages({
        client,
        accessToken: token,
        itemId: item.itemId,
        linked: item.accounts,
        fromSync: run.syncAccountIds(),
        now: started.getTime(),
        retry: { ...o.retry, signal },
      });
      run.addBalances(started, extra.accounts);
      const health = this.watch.of(item.itemId);
      run.addItemPoint(health.state, health.consentExpirationTime, started);
      await this.watch.announce(extra.changes, itemRefOf(item), syncId);
      const summary = await run.finish((parts, points) => ({
        syncId,
        mode,
        ...(fullReason || startCursor === "" ? { fullSyncReason: fullReason ?? (mode === "resync" ? "resync requested" : "first sync") } : {}),
        commit: o.settings.commit,
        added: run.counts.added,
        modified: run.counts.modified,
        removed: run.counts.removed,
        events: run.counts.events,
        points,
        balances: run.counts.balances,
        parts,
        pages: pages.pages,
        restarts: pages.restarts,
        retries: pages.retries,
        notReady: pages.notReady,
        startedAt: started.toISOString(),
        finishedAt: now().toISOString(),
      }));
      // An idle sync (same cursor, no transaction point written, nothing pending from an
      // uncommitted sync) leaves the saved state as it is: rewriting it — index and all, ~50 ms
      // at 50 000 transactions — was most of an idle sync's cost.
      const idle =
        mode === "sync" &&
        state.cursor !== "" &&
        pages.cursor === state.cursor &&
        run.transactionPoints === 0 &&
        state.itemId === item.itemId &&
        state.settingsKey === key &&
        this.committed.emitted.size === 0 &&
        this.committed.uncommittedWrites.length === 0;
      const commit = async (): Promise<void> => {
        const pruned = state.index.pruneRemoved(removedCutoff(state.index, started));
        if (idle && pruned === 0) {
          this.committed.committed(state, false);
          return;
        }
        const next: SyncState = { ...state, cursor: pages.cursor, gen: state.gen + 1, itemId: item.itemId, settingsKey: key };
        await this.committed.store.save(next);
        this.committed.committed(next, true);
      };
      if (confirmMode) {
        o.hooks.onSent?.(summary);
        this.confirmations.sent(syncId, run.parts, summary, commit);
      } else {
        try {
          await commit();
        } catch (err) {
          throw errorOf("STATE_SAVE_FAILED", `Could not save the sync state (${(err as Error).message})`);
        }
        o.hooks.onSent?.(summary);
        o.hooks.onCommitted?.(summary);
      }
      return summary;
    } catch (err) {
      // Nothing committed: the in-memory index may be ahead of the file, so reload next time.
      this.committed.forget();
      this.confirmations.discard(syncId);
      const clean = err instanceof CleanError ? err : toCleanError(err);
      await this.itemFailed(clean, item, syncId, run.parts + 1, started).catch((e: unknown) => o.hooks.warn(`Item health after a failed sync: ${(e as Error).message}`));
      throw clean;
    }
  }

  /**
   * A sync that failed because the Item needs a login still says so: its health event (once per
   * change) and a plaid_items point of its own, so a dashboard shows the broken login rather than
   * the last good sync. The point goes out as a part of its own, marked `failed` and not `last`
   * (a flow waiting for a sync's end must not take it for one), that belongs to no open sync (a
   * Complete node bringing it back confirms nothing).
   */
  private async itemFailed(e: CleanError, item: ItemInfo, syncId: string, part: number, started: Date): Promise<void> {
    if (!needsLogin(e.plaid) || !item.itemId) return;
    const changes = this.watch.failed(e.plaid, item.itemId);
    const health = this.watch.of(item.itemId);
    const ref = itemRefOf(item);
    const point = itemPoint(
      { itemId: item.itemId, institution: item.institutionName || item.institutionId || "Unknown institution", health: health.state, added: 0, modified: 0, removed: 0 },
      this.opts.settings.itemMeasurement || ITEM_MEASUREMENT,
      started,
    );
    this.opts.sink.points({ payload: [point], plaid: { syncId, part, last: false, item: ref, failed: e.plaid.code } });
    await this.watch.announce(changes, ref, syncId);
  }
}
