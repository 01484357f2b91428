/**
 * Timestamps of transaction points (DESIGN §5): the transaction's calendar day at 12:00:00 UTC —
 * or at 00:00 in an IANA `timezone` when one is set — plus a deterministic 0–59 999 ms offset
 * from a hash of the transaction_id, so two transactions of the same day rarely share a point.
 */

export const OFFSET_WINDOW_MS = 60_000;
const DAY_MS = 86_400_000;

/** 32-bit FNV-1a over the UTF-16 code units of `s`. Stable across runs, platforms and versions. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The deterministic millisecond offset of a transaction inside its day's one-minute window. */
export function offsetFor(transactionId: string): number {
  return fnv1a(transactionId) % OFFSET_WINDOW_MS;
}

/** True when `tz` is "" (the noon-UTC rule) or a time zone this Node.js knows. */
export function isValidTimezone(tz: string): boolean {
  if (tz === "") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC (ms, positive east of Greenwich) at the instant `utcMs`. */
export function zoneOffsetMs(utcMs: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(utcMs))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/** Parses Plaid's "YYYY-MM-DD"; throws on anything else (a malformed date must not become NaN). */
export function parseDay(date: string): { y: number; m: number; d: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
}

/**
 * Epoch ms at which the day `date` starts for point purposes: 12:00 UTC when `timezone` is "",
 * else local midnight in `timezone` (on a day whose midnight is skipped by DST, the first
 * instant of the day).
 */
export function dayBaseMs(date: string, timezone: string): number {
  const { y, m, d } = parseDay(date);
  const midnightUtc = Date.UTC(y, m - 1, d);
  if (timezone === "") return midnightUtc + DAY_MS / 2;
  let t = midnightUtc - zoneOffsetMs(midnightUtc, timezone);
  const second = zoneOffsetMs(t, timezone);
  if (midnightUtc - second !== t) {
    const t2 = midnightUtc - second;
    // Keep the candidate that really falls on `date` in the zone, the earlier one if both do.
    t = sameLocalDay(t2, timezone, y, m, d) ? Math.min(t, t2) : t;
  }
  return t;
}

function sameLocalDay(utcMs: number, tz: string, y: number, m: number, d: number): boolean {
  const local = utcMs + zoneOffsetMs(utcMs, tz);
  const dt = new Date(local);
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** Memoises dayBaseMs for one timezone: a history has at most a few hundred distinct days. */
export class DayBaseCache {
  private readonly cache = new Map<string, number>();
  constructor(readonly timezone: string) {}
  get(date: string): number {
    let v = this.cache.get(date);
    if (v === undefined) {
      v = dayBaseMs(date, this.timezone);
      if (this.cache.size > 5000) this.cache.clear();
      this.cache.set(date, v);
    }
    return v;
  }
}
