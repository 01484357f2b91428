import { invalidField } from "../errors";
import { hash32 } from "../prng";

/**
 * The /transactions/sync cursor, opaque base64 to clients. `p` is the ledger position already
 * delivered; `m`, present only on has_more pages, is the ledger end when that page was served,
 * so a change before the next page is detected (TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION).
 */
export interface SyncCursor {
  pos: number;
  /** Ledger end when a has_more page was served; null once the client is up to date. */
  mark: number | null;
  /** Account position of an options.account_id stream; null for the whole Item. */
  account: number | null;
}

function itemTag(itemId: string): string {
  return hash32("cursor", itemId).toString(36);
}

export function encodeCursor(itemId: string, c: SyncCursor): string {
  const payload: Record<string, string | number> = { v: 1, i: itemTag(itemId), p: c.pos };
  if (c.mark !== null) payload.m = c.mark;
  if (c.account !== null) payload.a = c.account;
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64");
}

const INVALID = (): Error => invalidField("cursor", "is invalid; use a next_cursor returned by /transactions/sync or omit it");

export function decodeCursor(itemId: string, cursor: string): SyncCursor {
  if (cursor.length > 256 || !/^[A-Za-z0-9+/]+=*$/.test(cursor)) throw INVALID();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, "base64").toString("utf8"));
  } catch {
    throw INVALID();
  }
  const p = payload as Record<string, unknown>;
  if (typeof p !== "object" || p === null || p.v !== 1 || p.i !== itemTag(itemId)) throw INVALID();
  const isCount = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;
  if (!isCount(p.p) || (p.m !== undefined && !isCount(p.m)) || (p.a !== undefined && !isCount(p.a))) throw INVALID();
  return { pos: p.p, mark: p.m === undefined ? null : (p.m as number), account: p.a === undefined ? null : (p.a as number) };
}
