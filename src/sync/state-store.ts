/**
 * Per-node sync state in the Node-RED userDir: `<userDir>/plaid-sync/state-<nodeId>.json`
 * holds the cursor and the transaction index (no secrets). It is replaced atomically (write a
 * temp file, fsync, rename, fsync the directory), so a crash leaves either the old or the new
 * state, never half of one. A missing or unreadable file is not an error: load() reports why
 * and hands back an empty state, which makes the next sync a safe full resync.
 *
 * Beside it, `state-<nodeId>.journal` lists the events already emitted since the last commit
 * (one JSON line per page, appended synchronously). After a restart or an unconfirmed sync, the
 * replay consults it so no event is sent twice. It is tied to the state's generation, so a
 * journal left over from an older commit is ignored.
 *
 * The journal also lists the transaction points such a sync sent at a new identity (a new
 * transaction, or one that moved). If that sync never commits and the transaction is gone by the
 * time the replay runs (Plaid's net changes since the saved cursor then never mention it), the
 * replay still knows the point is in the database and tombstones it.
 *
 * And it records that a resync was started on top of that generation: one interrupted by a
 * restart is carried through by the next trigger (its vanished transactions were tombstoned and
 * announced, but the committed index still holds them live).
 */
import * as fs from "fs";
import * as path from "path";
import { TransactionIndex, type IndexJSON } from "../influx/identity";

export const STATE_VERSION = 1;

export interface SyncState {
  itemId: string;
  cursor: string;
  /** Incremented on each commit; ties the event journal to the state it extends. */
  gen: number;
  /** Fingerprint of the settings that shape points (measurement, timezone...). */
  settingsKey: string;
  index: TransactionIndex;
}

interface StateFile {
  version: number;
  nodeId: string;
  itemId: string;
  cursor: string;
  gen: number;
  settingsKey: string;
  savedAt: string;
  index: IndexJSON;
}

export interface LoadResult {
  state: SyncState;
  /** "missing" (first run or file removed), "corrupt" (unreadable; moved aside) or "ok". */
  status: "ok" | "missing" | "corrupt";
  /** Why the state could not be used, for the warning. */
  reason?: string;
  /** Where a corrupt file was moved to. */
  movedTo?: string;
}

/** A transaction point sent by a sync that is not committed yet (journal). */
export interface JournalWrite {
  id: string;
  measurement: string;
  tags: Record<string, string>;
  ts: number;
}

export function emptyState(itemId = ""): SyncState {
  return { itemId, cursor: "", gen: 0, settingsKey: "", index: new TransactionIndex() };
}

/** The file-system calls the store makes; injectable so tests can fail a step. */
export interface StoreFs {
  open(p: string, flags: string, mode?: number): Promise<fs.promises.FileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(p: string, opts?: { force?: boolean }): Promise<void>;
  readFile(p: string, enc: "utf8"): Promise<string>;
  mkdir(p: string, opts: { recursive: true }): Promise<unknown>;
}

const realFs: StoreFs = {
  open: (p, flags, mode) => fs.promises.open(p, flags, mode),
  rename: (a, b) => fs.promises.rename(a, b),
  rm: (p, o) => fs.promises.rm(p, o),
  readFile: (p, e) => fs.promises.readFile(p, e),
  mkdir: (p, o) => fs.promises.mkdir(p, o),
};

/** Node ids are hex in Node-RED, but keep anything path-like out of the file name. */
export function safeId(nodeId: string): string {
  return nodeId.replace(/[^A-Za-z0-9_.-]/g, "_");
}

export class StateStore {
  readonly file: string;
  readonly journalFile: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly nodeId: string,
    private readonly fsi: StoreFs = realFs,
  ) {
    this.file = path.join(dir, `state-${safeId(nodeId)}.json`);
    this.journalFile = path.join(dir, `state-${safeId(nodeId)}.journal`);
  }

  async load(): Promise<LoadResult> {
    let text: string;
    try {
      text = await this.fsi.readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: emptyState(), status: "missing" };
      return { state: emptyState(), status: "corrupt", reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})` };
    }
    try {
      return { state: parseState(text), status: "ok" };
    } catch (err) {
      const movedTo = `${this.file}.corrupt-${Date.now()}`;
      let moved: string | undefined;
      try {
        await this.fsi.rename(this.file, movedTo);
        moved = movedTo;
      } catch {
        // Keep going: the next save replaces it anyway.
      }
      return { state: emptyState(), status: "corrupt", reason: (err as Error).message, movedTo: moved };
    }
  }

  /** Atomically replaces the state file. Concurrent calls are serialised. */
  save(state: SyncState): Promise<void> {
    const run = this.writing.then(() => this.writeAtomic(serializeState(this.nodeId, state)));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async writeAtomic(text: string): Promise<void> {
    await this.fsi.mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      // Owner only: the file lists the account's transactions (no secrets, but private all the same).
      const fh = await this.fsi.open(tmp, "w", 0o600);
      try {
        await fh.writeFile(text, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.fsi.rename(tmp, this.file);
    } catch (err) {
      await this.fsi.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await syncDir(this.dir);
  }

  /** Forgets everything: state file and journal. */
  async clear(): Promise<void> {
    await this.writing;
    await this.fsi.rm(this.file, { force: true });
    this.clearJournal();
  }

  /**
   * What the journal holds on top of state generation `gen`, read in one pass: the event keys
   * already emitted, the transaction points sent at an identity the committed index does not
   * hold (see JournalWrite), and whether a resync was started. A line torn by a crash is skipped: everything before it is valid.
   */
  loadJournal(gen: number): { keys: Set<string>; writes: JournalWrite[]; resync: boolean } {
    const keys = new Set<string>();
    const writes: JournalWrite[] = [];
    let resync = false;
    let text: string;
    try {
      text = fs.readFileSync(this.journalFile, "utf8");
    } catch {
      return { keys, writes, resync };
    }
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let rec: { gen?: unknown; k?: unknown; s?: unknown; w?: unknown; resync?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue;
      }
      if (!rec || rec.gen !== gen) continue;
      if (rec.resync === true) resync = true;
      if (Array.isArray(rec.k)) for (const k of rec.k) if (typeof k === "string") keys.add(k);
      if (!Array.isArray(rec.s) || !Array.isArray(rec.w)) continue;
      const series = rec.s as Array<[string, Record<string, string>]>;
      for (const w of rec.w as unknown[]) {
        if (!Array.isArray(w)) continue;
        const sr = series[w[1] as number];
        if (typeof w[0] === "string" && Array.isArray(sr) && typeof sr[0] === "string" && sr[1] && typeof sr[1] === "object" && Number.isFinite(w[2])) {
          writes.push({ id: w[0], measurement: sr[0], tags: sr[1], ts: w[2] });
        }
      }
    }
    return { keys, writes, resync };
  }

  /** Notes that a resync started on top of state generation `gen` (see loadJournal). */
  journalResync(gen: number): void {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(this.journalFile, JSON.stringify({ gen, k: [], resync: true }) + "\n");
  }

  /**
   * Appends one page's event keys. Written synchronously (it survives Node-RED being stopped or
   * killed right after), but not fsynced: a page-sized fsync per page would dominate a first sync
   * on an SD card, and losing the tail of the journal to a power cut costs at most a repeated
   * event, never data.
   */
  appendJournal(gen: number, keys: readonly string[], writes: readonly JournalWrite[] = []): void {
    if (keys.length === 0 && writes.length === 0) return;
    const rec: { gen: number; k: readonly string[]; s?: Array<[string, Record<string, string>]>; w?: Array<[string, number, number]> } = { gen, k: keys };
    if (writes.length) {
      // One series table per line (series are few): the line stands on its own. Writes of one
      // series share its (interned) tags object, so look that up first: a JSON key per write
      // was most of this function's time in a 50 000-transaction first sync.
      const series = new Map<string, number>();
      const byTags = new Map<Record<string, string>, number>();
      const table: Array<[string, Record<string, string>]> = [];
      rec.s = table;
      rec.w = [];
      for (const w of writes) {
        let n = byTags.get(w.tags);
        if (n === undefined || table[n][0] !== w.measurement) {
          const key = JSON.stringify([w.measurement, w.tags]);
          n = series.get(key);
          if (n === undefined) {
            n = table.length;
            series.set(key, n);
            table.push([w.measurement, w.tags]);
          }
          byTags.set(w.tags, n);
        }
        rec.w.push([w.id, n, w.ts]);
      }
    }
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(this.journalFile, JSON.stringify(rec) + "\n", { mode: 0o600 });
  }

  clearJournal(): void {
    fs.rmSync(this.journalFile, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable. Not supported everywhere (e.g. Windows): best effort.
  try {
    const fh = await fs.promises.open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

export function serializeState(nodeId: string, s: SyncState): string {
  const head: Omit<StateFile, "index"> = {
    version: STATE_VERSION,
    nodeId,
    itemId: s.itemId,
    cursor: s.cursor,
    gen: s.gen,
    settingsKey: s.settingsKey,
    savedAt: new Date().toISOString(),
  };
  // = JSON.stringify({...head, index: s.index.toJSON()}), without the index's intermediate arrays.
  return `${JSON.stringify(head).slice(0, -1)},"index":${s.index.toJSONText()}}`;
}

export function parseState(text: string): SyncState {
  let raw: Partial<StateFile>;
  try {
    raw = JSON.parse(text) as Partial<StateFile>;
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== "object") throw new Error("not a JSON object");
  if (raw.version !== STATE_VERSION) throw new Error(`unknown version ${JSON.stringify(raw.version)}`);
  if (typeof raw.cursor !== "string" || typeof raw.itemId !== "string") throw new Error("cursor or itemId missing");
  if (typeof raw.gen !== "number" || !Number.isInteger(raw.gen)) throw new Error("gen missing");
  const index = TransactionIndex.fromJSON(raw.index);
  return { itemId: raw.itemId, cursor: raw.cursor, gen: raw.gen, settingsKey: typeof raw.settingsKey === "string" ? raw.settingsKey : "", index };
}
