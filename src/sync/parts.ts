/**
 * Streams points out in parts of at most `batchSize`. A part is held back until the next point
 * arrives, so the final part — and only it — can carry `last: true` and the summary even though
 * the total is unknown until Plaid's last page. Within a part, a later point with the same
 * identity replaces an earlier one (e.g. a pending transaction added and removed in one sync),
 * so a single write never carries two versions of one point.
 *
 * Across parts, a WriteOrder (confirm mode) may hold a part back until an earlier one that wrote
 * the same point is confirmed; parts then queue here, in order, and `drained()` lets the sync wait
 * for them instead of piling up pages in memory.
 */
import type { InfluxPoint } from "../influx/points";
import { toLineProtocol } from "../influx/points";
import type { KeyedPoint } from "./apply";
import type { WriteOrder } from "./write-order";

/**
 * Points per output-1 message when the node has no Batch size. InfluxDB writes fastest in
 * batches of 5 000, but node-red-contrib-influxdb turns a whole message into one request body in
 * a single synchronous pass, and what that leaves behind grows with the message: on a
 * 50 000-transaction first sync, parts of 5 000 raised Node-RED's RSS by ~160 MB, parts of 1 000
 * by ~125 MB, at the same wall time. Our engine's own memory barely depends on the part size, and
 * the Complete node's copy is not what makes the difference (bench/README.md, item 12).
 */
export const DEFAULT_BATCH_SIZE = 1000;

export interface PartMeta<S> {
  syncId: string;
  part: number;
  last: boolean;
  summary?: S;
}

export interface Part<S> {
  points: InfluxPoint[];
  lineProtocol?: string;
  meta: PartMeta<S>;
}

export class PartEmitter<S> {
  private buffer = new Map<string, InfluxPoint>();
  private sent = 0;
  private pointCount = 0;
  /** Parts cut but not yet handed out (only while one waits for its WriteOrder). */
  private readonly queue: Array<{ part: Part<S>; keys: string[] }> = [];
  private waiting = false;
  private drainedWaiters: Array<() => void> = [];

  constructor(
    private readonly syncId: string,
    private readonly batchSize: number,
    private readonly lineProtocol: boolean,
    private readonly send: (part: Part<S>) => void,
    private readonly order?: WriteOrder,
  ) {}

  /** Parts cut so far (the last one included once finish() ran). */
  get parts(): number {
    return this.sent;
  }

  /** Points handed out so far, counting overwritten duplicates once. */
  get points(): number {
    return this.pointCount;
  }

  add(p: KeyedPoint): void {
    const buffer = this.buffer;
    if (buffer.size >= this.batchSize && !buffer.has(p.key)) this.flush(false);
    const size = this.buffer.size;
    this.buffer.set(p.key, p.point);
    if (this.buffer.size > size) this.pointCount++;
  }

  addAll(ps: readonly KeyedPoint[]): void {
    for (const p of ps) this.add(p);
  }

  /** Resolves once every part cut so far has been handed out. */
  drained(): Promise<void> {
    if (!this.queue.length) return Promise.resolve();
    return new Promise<void>((r) => this.drainedWaiters.push(r));
  }

  /**
   * Cuts what is left (possibly nothing) as the last part, with the summary `summary` builds
   * from the final part and point counts, and resolves with that summary once it is handed out.
   */
  async finish(summary: (parts: number, points: number) => S): Promise<S> {
    const s = summary(this.sent + 1, this.pointCount);
    this.flush(true, s);
    await this.drained();
    return s;
  }

  private flush(last: boolean, summary?: S): void {
    const keys = this.order ? [...this.buffer.keys()] : [];
    const points = [...this.buffer.values()];
    this.buffer = new Map();
    this.sent++;
    const meta: PartMeta<S> = { syncId: this.syncId, part: this.sent, last };
    if (last && summary !== undefined) meta.summary = summary;
    const part: Part<S> = { points, lineProtocol: this.lineProtocol ? toLineProtocol(points) : undefined, meta };
    if (!this.order) {
      this.send(part);
      return;
    }
    this.queue.push({ part, keys });
    this.pump();
  }

  private pump(): void {
    const order = this.order;
    if (!order) return;
    while (this.queue.length && !this.waiting) {
      const next = this.queue[0];
      const after = order.mustFollow(next.keys);
      if (after) {
        this.waiting = true;
        void order.waitFor(after).then(() => {
          this.waiting = false;
          this.pump();
        });
        return;
      }
      this.queue.shift();
      order.sent(next.part.meta.part, next.keys);
      this.send(next.part);
    }
    if (!this.queue.length) for (const w of this.drainedWaiters.splice(0)) w();
  }
}
