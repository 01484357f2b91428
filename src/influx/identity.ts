/**
 * Point identity (DESIGN §5). InfluxDB identifies a point by measurement + tag set + timestamp,
 * so this index remembers, for every known transaction, which series it was written to and at
 * which millisecond — enough to tombstone it later, to keep its timestamp stable across
 * restarts and resyncs, to bump a newcomer past a collision, and to tell a real change from a
 * replay (the content hash).
 *
 * Memory: one small record per transaction, series interned (accounts × categories × pending ×
 * currency are few). All operations are O(1) except collision bumps, which are O(collisions).
 */
import { OFFSET_WINDOW_MS, offsetFor } from "./time";

export type Tags = Record<string, string>;

export interface Series {
  measurement: string;
  tags: Tags;
}

export interface IndexEntry {
  /** Index into the series table. */
  series: number;
  /** Point timestamp, epoch ms. */
  timestamp: number;
  /** Content hash of what was last written (fields + identity), for change detection. */
  hash: number;
  /**
   * Set once Plaid removed the transaction: its point is a tombstone now. Kept so a replay of
   * its history (a resync from an empty cursor, a restarted pagination) is recognised as such
   * and neither resurrects the point nor repeats its events. Transaction ids are never reused.
   */
  removed?: true;
}

/** The JSON form stored in the state file. */
export interface IndexJSON {
  series: Array<[string, Tags]>;
  /** [transaction_id, series, ts, hash] or, for removed ones, [..., 1]. */
  entries: Array<[string, number, number, number] | [string, number, number, number, 1]>;
}

export function seriesKey(measurement: string, tags: Tags): string {
  const keys = Object.keys(tags).sort();
  let k = measurement;
  for (const key of keys) k += `\u0000${key}=${tags[key]}`;
  return k;
}

function entryJSON(id: string, e: IndexEntry): IndexJSON["entries"][number] {
  return e.removed ? [id, e.series, e.timestamp, e.hash, 1] : [id, e.series, e.timestamp, e.hash];
}

export class TransactionIndex {
  private readonly seriesList: Series[] = [];
  private readonly seriesIds = new Map<string, number>();
  private readonly entries = new Map<string, IndexEntry>();
  /** series id → timestamp → transaction_id occupying that point. */
  private readonly occupied = new Map<number, Map<number, string>>();
  /** The latest point timestamp ever held (see newestTs). */
  private newest = -Infinity;

  get size(): number {
    return this.entries.size;
  }

  /** The id of a series, interning it on first use. */
  seriesId(measurement: string, tags: Tags): number {
    const key = seriesKey(measurement, tags);
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      id = this.seriesList.length;
      this.seriesList.push({ measurement, tags: { ...tags } });
      this.seriesIds.set(key, id);
    }
    return id;
  }

  series(id: number): Series {
    const s = this.seriesList[id];
    if (!s) throw new Error(`unknown series ${id}`);
    return s;
  }

  get(transactionId: string): IndexEntry | undefined {
    return this.entries.get(transactionId);
  }

  has(transactionId: string): boolean {
    return this.entries.has(transactionId);
  }

  /** Ids of transactions whose point is live (not removed). */
  *liveIds(): IterableIterator<string> {
    for (const [id, e] of this.entries) if (!e.removed) yield id;
  }

  /**
   * The latest timestamp of a point the index has held, removed or not: the newest transaction
   * date on the bank's own calendar (-Infinity when empty). Not lowered when that transaction
   * moves or is forgotten: the next load recomputes it.
   */
  get newestTs(): number {
    return this.newest;
  }

  /** Number of live (not removed) transactions. */
  get liveSize(): number {
    let n = 0;
    for (const e of this.entries.values()) if (!e.removed) n++;
    return n;
  }

  /**
   * The timestamp transaction `id` gets in series `s` on the day starting at `dayBase`: the one
   * it already has when it is known there (stable across restarts and resyncs), else the
   * hash offset, bumped by 1 ms (wrapping inside the one-minute window) past any other known
   * transaction of the same series at that instant.
   */
  place(id: string, s: number, dayBase: number, prev: IndexEntry | undefined = this.entries.get(id)): number {
    if (prev && prev.series === s && prev.timestamp >= dayBase && prev.timestamp < dayBase + OFFSET_WINDOW_MS) return prev.timestamp;
    const taken = this.occupied.get(s);
    const start = offsetFor(id);
    if (!taken) return dayBase + start;
    for (let i = 0; i < OFFSET_WINDOW_MS; i++) {
      const ts = dayBase + ((start + i) % OFFSET_WINDOW_MS);
      const owner = taken.get(ts);
      if (owner === undefined || owner === id) return ts;
    }
    // More than 60 000 transactions of one series on one day: spill past the window.
    let ts = dayBase + OFFSET_WINDOW_MS;
    while (taken.has(ts)) ts++;
    return ts;
  }

  /** The live transaction whose point is at (series, ts), if any. */
  ownerAt(s: number, ts: number): string | undefined {
    return this.occupied.get(s)?.get(ts);
  }

  set(id: string, entry: IndexEntry): void {
    this.replace(id, this.entries.get(id), entry);
  }

  /** set(), for a caller that already looked up `prev` (= get(id)): one Map lookup less per transaction. */
  replace(id: string, prev: IndexEntry | undefined, entry: IndexEntry): void {
    this.releaseEntry(id, prev);
    this.entries.set(id, entry);
    if (entry.timestamp > this.newest) this.newest = entry.timestamp;
    if (entry.removed) return;
    let taken = this.occupied.get(entry.series);
    if (!taken) {
      taken = new Map();
      this.occupied.set(entry.series, taken);
    }
    taken.set(entry.timestamp, id);
  }

  /** Plaid removed it: keep its identity (its tombstone's) but free its instant for others. */
  markRemoved(id: string): IndexEntry | undefined {
    const prev = this.entries.get(id);
    if (!prev || prev.removed) return undefined;
    this.set(id, { series: prev.series, timestamp: prev.timestamp, hash: prev.hash, removed: true });
    return prev;
  }

  /**
   * Forgets removed transactions whose tombstone is older than `beforeMs`. The caller picks a
   * cutoff past any history Plaid can replay: a forgotten one that came back would be news again.
   */
  pruneRemoved(beforeMs: number): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.removed && e.timestamp < beforeMs) {
        this.entries.delete(id);
        n++;
      }
    }
    return n;
  }

  delete(id: string): IndexEntry | undefined {
    const prev = this.release(id);
    this.entries.delete(id);
    return prev;
  }

  private release(id: string): IndexEntry | undefined {
    return this.releaseEntry(id, this.entries.get(id));
  }

  private releaseEntry(id: string, prev: IndexEntry | undefined): IndexEntry | undefined {
    if (prev && !prev.removed) {
      const taken = this.occupied.get(prev.series);
      if (taken && taken.get(prev.timestamp) === id) taken.delete(prev.timestamp);
    }
    return prev;
  }

  toJSON(): IndexJSON {
    const entries: IndexJSON["entries"] = [];
    for (const [id, e] of this.entries) entries.push(entryJSON(id, e));
    return { series: this.seriesJSON(), entries };
  }

  /**
   * JSON.stringify(this.toJSON()), built 1 000 entries at a time: the state is saved at the end
   * of a first sync, when memory is at its peak, and an array per transaction for the whole
   * index at once (or a string concatenated entry by entry) was a visible part of that peak.
   */
  toJSONText(): string {
    const out: string[] = [];
    let chunk: IndexJSON["entries"] = [];
    const flush = (): void => {
      if (chunk.length) out.push(JSON.stringify(chunk).slice(1, -1));
      chunk = [];
    };
    for (const [id, e] of this.entries) {
      chunk.push(entryJSON(id, e));
      if (chunk.length === 1000) flush();
    }
    flush();
    return `{"series":${JSON.stringify(this.seriesJSON())},"entries":[${out.join(",")}]}`;
  }

  private seriesJSON(): IndexJSON["series"] {
    return this.seriesList.map((s) => [s.measurement, s.tags]);
  }

  /** Rebuilds an index from its JSON form; throws on anything malformed (the caller resyncs). */
  static fromJSON(json: unknown): TransactionIndex {
    const idx = new TransactionIndex();
    const j = json as Partial<IndexJSON> | null;
    if (!j || !Array.isArray(j.series) || !Array.isArray(j.entries)) throw new Error("index: missing series/entries");
    for (const s of j.series) {
      if (!Array.isArray(s) || typeof s[0] !== "string" || !s[1] || typeof s[1] !== "object") throw new Error("index: bad series");
      const tags = s[1] as Tags;
      for (const v of Object.values(tags)) if (typeof v !== "string") throw new Error("index: bad tag value");
      const id = idx.seriesId(s[0], tags);
      if (id !== idx.seriesList.length - 1) throw new Error("index: duplicate series");
    }
    for (const e of j.entries) {
      if (!Array.isArray(e) || typeof e[0] !== "string" || !Number.isInteger(e[1]) || !Number.isFinite(e[2]) || !Number.isFinite(e[3])) {
        throw new Error("index: bad entry");
      }
      if (e[1] < 0 || e[1] >= idx.seriesList.length) throw new Error("index: entry points to an unknown series");
      idx.set(e[0], e[4] === 1 ? { series: e[1], timestamp: e[2], hash: e[3], removed: true } : { series: e[1], timestamp: e[2], hash: e[3] });
    }
    return idx;
  }
}
