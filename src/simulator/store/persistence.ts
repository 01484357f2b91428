import * as fs from "node:fs";
import * as path from "node:path";
import type { ItemRecord } from "./item";
import type { LinkTokenRecord } from "./link-tokens";

/** A public token as kept: its SHA-256 only, like access tokens. */
export interface PublicTokenState {
  hash: string;
  item_id: string;
  expires_at: number;
}

/**
 * The state file. Version 1 has grown optional sections (public tokens, link tokens with their
 * link sessions) instead of a version bump: an older simulator still reads a newer file (it
 * ignores the sections it does not know) and a newer one reads an older file (absent = none).
 */
export interface SimState {
  version: 1;
  items: ItemRecord[];
  /** Hashes of access tokens of removed Items: later use gives ITEM_NOT_FOUND, not INVALID_ACCESS_TOKEN. */
  removed_token_hashes: string[];
  /** Unexchanged public tokens, so a restart between Link's success and the exchange loses nothing. */
  public_tokens?: PublicTokenState[];
  /** Link tokens still answered by /link/token/get, with their link sessions and Link drafts. */
  link_tokens?: LinkTokenRecord[];
}

/** Atomic write: a crash leaves the old file or the new one, never half of either. */
export function saveState(file: string, state: SimState): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, "w", 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(state));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    // The rename is only durable once the directory entry is flushed too.
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/** Missing file: null. Unparseable or foreign file: thrown (the caller decides what to do). */
export function loadState(file: string): SimState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const parsed = JSON.parse(text) as SimState;
  if (parsed?.version !== 1 || !Array.isArray(parsed.items)) throw new Error(`simulator state file ${file} has an unknown format`);
  parsed.removed_token_hashes ??= [];
  if (!Array.isArray(parsed.public_tokens)) parsed.public_tokens = [];
  if (!Array.isArray(parsed.link_tokens)) parsed.link_tokens = [];
  return parsed;
}

/**
 * The one owner of the state file: read once at start (an unreadable file is moved aside so the
 * simulator still starts), written whole by `save` from the sections the stores hand it.
 */
export class StateFile {
  private collect: (() => Omit<SimState, "version">) | null = null;

  constructor(
    readonly file: string | undefined,
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  load(): SimState | null {
    if (!this.file) return null;
    try {
      return loadState(this.file);
    } catch (e) {
      // Demo mode must still start: keep the unreadable file for inspection and begin empty.
      const aside = `${this.file}.corrupt-${Date.now()}`;
      fs.renameSync(this.file, aside);
      this.warn(`state file ${this.file} could not be read (${e instanceof Error ? e.message : String(e)}); moved to ${aside}, starting with no Items`);
      return null;
    }
  }

  /** What `save` writes; set once the stores exist. */
  setSource(collect: () => Omit<SimState, "version">): void {
    this.collect = collect;
  }

  save(): void {
    if (!this.file || !this.collect) return;
    saveState(this.file, { version: 1, ...this.collect() });
  }
}
