import * as fs from "node:fs";
import * as path from "node:path";
import type { ItemRecord } from "./item";

export interface SimState {
  version: 1;
  items: ItemRecord[];
  /** Hashes of access tokens of removed Items: later use gives ITEM_NOT_FOUND, not INVALID_ACCESS_TOKEN. */
  removed_token_hashes: string[];
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
  return parsed;
}
