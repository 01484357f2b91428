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
import { StringPool, tombstonePoint, transactionHash, transactionFields, transactionPoint, transactionTags, type InfluxPoint } from "../influx/points";
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
  /** What the index knew before (removals: always; upserts: when the transaction was known). */
  previous?: IndexEntry;
  /** Upserts that wrote a point: the index entry now. */
  entry?: IndexEntry;
}

/**
 * The raw fields a transaction's tags are made of, and the series they gave: lets a page of
 * transactions skip building and sorting a tags object per transaction (most of a first sync's
 * index time) once the same inputs have been seen.
 */
interface SeriesMemo {
  label: string;
  pending: boolean;
  iso: string | null | undefined;
  unofficial: string | null | undefined;
  s: number;
}

export interface ApplierOptions {
  measurement: string;
  timezone: string;
  invertAmounts: boolean;
  includePending: boolean;
  institution: string;
  accountLabel(accountId: string): string;
  /** false: no event keys for upserts (nobody listens for events); `kind` is still reported. */
  eventKeys?: boolean;
}

export function identityKey(seriesId: number, ts: number): string {
  return `t${seriesId}@${ts}`;
}

export class ChangeApplier {
  private readonly days: DayBaseCache;
  /** Resync only: known transactions seen with other content than the index holds (latest wins). */
  private deferred: Map<string, Transaction> | null = null;
  /** account_id → category → the series seen with them (see SeriesMemo). */
  private readonly seriesMemo = new Map<string, Map<string | null | undefined, SeriesMemo[]>>();
  private readonly strings = new StringPool();

  constructor(
    readonly index: TransactionIndex,
    private readonly opts: ApplierOptions,
  ) {
    this.days = new DayBaseCache(opts.timezone);
  }

  upsert(t: Transaction, as: "added" | "modified"): Applied {
    const id = t.transaction_id;
    const prev = this.index.get(id);
    if (t.pending && !this.opts.includePending) {
      // Excluded: if it was written before (settings changed), cancel it quietly.
      if (!prev || prev.removed) return { points: [], kind: null };
      this.index.delete(id); // forgotten, not removed: turning includePending back on brings it back
      return { points: [{ key: identityKey(prev.series, prev.timestamp), point: tombstonePoint(this.index.series(prev.series), prev.timestamp, id) }], kind: null };
    }
    if (prev?.removed) {
      // Removed for good (ids are never reused): this is a replay of its history.
      return { points: [], kind: null };
    }
    if (this.deferred && prev) {
      // Resync: a replayed history can show an older version first. Writing it would put stale
      // data in the database if the sync then failed; keep only the latest and decide at the end.
      if (prev.hash !== transactionHash(t)) {
        this.deferred.set(id, t);
        return { points: [], kind: null };
      }
      this.deferred.delete(id); // its latest version is the one we know
    }
    const s = this.seriesOf(t);
    const ts = this.index.place(id, s, this.days.get(t.date), prev);
    const points: KeyedPoint[] = [];
    if (prev && (prev.series !== s || prev.timestamp !== ts)) {
      points.push({ key: identityKey(prev.series, prev.timestamp), point: tombstonePoint(this.index.series(prev.series), prev.timestamp, id) });
    }
    const fields = transactionFields(t, this.opts.invertAmounts, this.strings.intern);
    points.push({ key: identityKey(s, ts), point: transactionPoint(this.index.series(s), ts, fields) });
    const h = transactionHash(t);
    const entry: IndexEntry = { series: s, timestamp: ts, hash: h };
    this.index.replace(id, prev, entry);
    if (prev && prev.hash === h) return { points, kind: null, previous: prev, entry };
    const kind: ChangeKind = prev ? "modified" : as;
    return { points, kind, eventKey: this.opts.eventKeys === false ? undefined : `${kind}|${id}|${h}`, previous: prev, entry };
  }

  /** The series of a transaction's point (its measurement + tags), interned in the index. */
  private seriesOf(t: Transaction): number {
    const label = this.opts.accountLabel(t.account_id);
    const primary = t.personal_finance_category?.primary;
    let byPrimary = this.seriesMemo.get(t.account_id);
    if (!byPrimary) {
      byPrimary = new Map();
      this.seriesMemo.set(t.account_id, byPrimary);
    }
    let memos = byPrimary.get(primary);
    if (!memos) {
      memos = [];
      byPrimary.set(primary, memos);
    }
    for (const m of memos) {
      if (m.label === label && m.pending === t.pending && m.iso === t.iso_currency_code && m.unofficial === t.unofficial_currency_code) return m.s;
    }
    const s = this.index.seriesId(this.opts.measurement, transactionTags(t, this.opts.institution, label));
    if (memos.length < 16) memos.push({ label, pending: t.pending, iso: t.iso_currency_code, unofficial: t.unofficial_currency_code, s });
    return s;
  }

  /**
   * Resync mode: changes to already-known transactions are held back until the whole history has
   * been read (flushDeferred), so only their final version is written and announced.
   */
  deferKnownChanges(): void {
    this.deferred = new Map();
  }

  /** The held-back transactions, to be upserted now (those removed meanwhile are dropped). */
  takeDeferred(): Transaction[] {
    const list = this.deferred ? [...this.deferred.values()] : [];
    this.deferred = null;
    return list.filter((t) => !this.index.get(t.transaction_id)?.removed);
  }

  remove(id: string): Applied {
    this.deferred?.delete(id);
    const prev = this.index.markRemoved(id);
    if (!prev) return { points: [], kind: null };
    return {
      points: [{ key: identityKey(prev.series, prev.timestamp), point: tombstonePoint(this.index.series(prev.series), prev.timestamp, id) }],
      kind: "removed",
      eventKey: `removed|${id}|${prev.hash}`,
      previous: prev,
    };
  }
}
