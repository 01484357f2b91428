/**
 * Applies one Plaid change (added / modified / removed transaction) to the transaction index and
 * says what to write and whether it is news:
 * - added/modified: the point at its (stable) identity; if the identity changed (tags or day),
 *   a tombstone for the old one first;
 * - removed (also the pending half of pending → posted): a tombstone at the known identity;
 * - `kind` is null when the change is a replay of what the index already holds (same content),
 *   so an event is emitted once per real change; `eventKey` identifies that change for the
 *   journal that de-duplicates across restarts.
 */
import type { Transaction } from "plaid";
import { TransactionIndex, type IndexEntry } from "../influx/identity";
import { contentHash, tombstonePoint, transactionFields, transactionPoint, transactionTags, type InfluxPoint } from "../influx/points";
import { DayBaseCache } from "../influx/time";

export type ChangeKind = "added" | "modified" | "removed";

export interface KeyedPoint {
  /** Identity (series + timestamp): a later point with the same key overwrites this one. */
  key: string;
  point: InfluxPoint;
}

export interface Applied {
  points: KeyedPoint[];
  /** The event to emit, or null for a replay / an excluded transaction. */
  kind: ChangeKind | null;
  eventKey?: string;
  /** For removals: what the index knew. */
  previous?: IndexEntry;
}

export interface ApplierOptions {
  measurement: string;
  timezone: string;
  invertAmounts: boolean;
  includePending: boolean;
  institution: string;
  accountLabel(accountId: string): string;
}

export function identityKey(seriesId: number, ts: number): string {
  return `t${seriesId}@${ts}`;
}

export class ChangeApplier {
  private readonly days: DayBaseCache;

  constructor(
    readonly index: TransactionIndex,
    private readonly opts: ApplierOptions,
  ) {
    this.days = new DayBaseCache(opts.timezone);
  }

  upsert(t: Transaction, as: "added" | "modified"): Applied {
    const id = t.transaction_id;
    if (t.pending && !this.opts.includePending) {
      // Excluded: if it was written before (settings changed), cancel it quietly.
      return this.index.has(id) ? { ...this.remove(id), kind: null, eventKey: undefined } : { points: [], kind: null };
    }
    const tags = transactionTags(t, this.opts.institution, this.opts.accountLabel(t.account_id));
    const s = this.index.seriesId(this.opts.measurement, tags);
    const ts = this.index.place(id, s, this.days.get(t.date));
    const prev = this.index.get(id);
    const points: KeyedPoint[] = [];
    if (prev && (prev.s !== s || prev.ts !== ts)) {
      points.push({ key: identityKey(prev.s, prev.ts), point: tombstonePoint(this.index.series(prev.s), prev.ts, id) });
    }
    const fields = transactionFields(t, this.opts.invertAmounts);
    points.push({ key: identityKey(s, ts), point: transactionPoint(this.index.series(s), ts, fields) });
    const h = contentHash(s, ts, fields);
    this.index.set(id, { s, ts, h });
    if (prev && prev.h === h) return { points, kind: null };
    const kind: ChangeKind = prev ? "modified" : as;
    return { points, kind, eventKey: `${kind}|${id}|${h}` };
  }

  remove(id: string): Applied {
    const prev = this.index.delete(id);
    if (!prev) return { points: [], kind: null };
    return {
      points: [{ key: identityKey(prev.s, prev.ts), point: tombstonePoint(this.index.series(prev.s), prev.ts, id) }],
      kind: "removed",
      eventKey: `removed|${id}|${prev.h}`,
      previous: prev,
    };
  }
}
