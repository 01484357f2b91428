/**
 * Commit mode `confirm` (DESIGN §6): the sync's state is saved only when every part it sent came
 * back confirmed (a Complete node watching the InfluxDB node). A part the database refused, a new
 * sync starting first, or the node closing abandons the sync: nothing is saved, and the next
 * trigger replays from the last saved state — idempotently, the points are the same.
 *
 * One sync at a time waits for confirmations here; its parts may come back in any order, and its
 * WriteOrder (write-order.ts) learns of each, so a part that rewrites a point waits for the write
 * before it.
 */
import type { SyncSummary } from "./types";
import { WriteOrder } from "./write-order";

interface Waiting {
  syncId: string;
  acked: Set<number>;
  failed: string | null;
  /** Known once the sync has sent its last part. */
  total: number | null;
  summary: SyncSummary | null;
  commit: (() => Promise<void>) | null;
  committing: boolean;
  order: WriteOrder;
  settled: Promise<void>;
  settle(): void;
}

export interface ConfirmationHooks {
  /** Every part confirmed and the state saved. */
  committed(summary: SyncSummary): void;
  /** Abandoned (refused part, superseded, closed, or the save failed): the next trigger replays. */
  failed(syncId: string, reason: string): void;
  /** The engine's in-memory state may be ahead of the file: reload it next time. */
  forgetState(): void;
  warn(message: string): void;
}

/** How long a part that rewrites a point waits for the earlier write before it is sent anyway. */
export const ORDER_WAIT_MS = 30_000;

export class Confirmations {
  private current: Waiting | null = null;

  constructor(
    private readonly hooks: ConfirmationHooks,
    private readonly orderWaitMs = ORDER_WAIT_MS,
  ) {}

  /** True while a sync waits for its parts to come back. */
  get waiting(): boolean {
    return this.current !== null;
  }

  /** A confirm-mode sync begins: its confirmations are collected from now on. Returns the order its parts keep. */
  open(syncId: string): WriteOrder {
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const order = new WriteOrder(this.orderWaitMs, (part) =>
      this.hooks.warn(`Part ${part} of sync ${syncId} was not confirmed within ${Math.round(this.orderWaitMs / 1000)} s; the rest of this sync is sent without waiting (is a Complete node watching the InfluxDB node?).`),
    );
    this.current = { syncId, acked: new Set(), failed: null, total: null, summary: null, commit: null, committing: false, order, settled, settle };
    return order;
  }

  /** A part came back; `error` = the database refused it. Confirmations of other syncs are ignored. */
  confirm(syncId: string, part: number, error?: unknown): void {
    const c = this.current;
    if (!c || c.syncId !== syncId || c.committing) return; // stale or already done
    if (error) c.failed = `part ${part} was not written`;
    else if (Number.isInteger(part) && part >= 1) {
      c.acked.add(part);
      c.order.confirmed(part);
    }
    this.check();
  }

  /** The sync has sent its last part: commit as soon as all `total` are confirmed. */
  sent(syncId: string, total: number, summary: SyncSummary, commit: () => Promise<void>): void {
    const c = this.current;
    if (!c || c.syncId !== syncId) return;
    c.total = total;
    c.summary = summary;
    c.commit = commit;
    this.check();
  }

  /** The sync failed before sending everything: forget it without a "failed" report (its error is). */
  discard(syncId: string): void {
    const c = this.current;
    if (!c || c.syncId !== syncId) return;
    this.current = null;
    c.order.release();
    c.settle();
  }

  /**
   * Before a new run: a follow-up waits (up to `waitMs`) for the previous sync's confirmations,
   * which are usually moments away; anything still unconfirmed then is abandoned.
   */
  async beforeNextRun(followUp: boolean, waitMs: number): Promise<void> {
    const c = this.current;
    if (!c) return;
    if (c.committing) {
      await c.settled;
      return;
    }
    if (followUp) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c.settled, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      if (timer) clearTimeout(timer);
      if (this.current === c && c.committing) await c.settled;
    }
    if (this.current === c) this.drop("a new sync started before every part was confirmed");
  }

  /** The node closes: an unconfirmed sync is abandoned; a commit in progress is waited for. */
  async close(): Promise<void> {
    if (this.current && !this.current.committing) this.drop("the node was closed");
    if (this.current) await this.current.settled;
  }

  private drop(reason: string): void {
    const c = this.current;
    if (!c) return;
    this.current = null;
    c.order.release();
    this.hooks.forgetState();
    this.hooks.failed(c.syncId, reason);
    c.settle();
  }

  private check(): void {
    const c = this.current;
    if (!c || c.committing) return;
    if (c.failed) {
      this.drop(c.failed);
      return;
    }
    if (c.total === null || !c.commit) return;
    for (let p = 1; p <= c.total; p++) if (!c.acked.has(p)) return;
    c.committing = true;
    void c
      .commit()
      .then(() => {
        if (c.summary) this.hooks.committed(c.summary);
      })
      .catch((err: unknown) => {
        this.hooks.forgetState();
        this.hooks.warn(`Could not save the sync state (${(err as Error).message}); the next trigger replays this sync.`);
        this.hooks.failed(c.syncId, "the state could not be saved");
      })
      .finally(() => {
        if (this.current === c) this.current = null;
        c.settle();
      });
  }
}
