/**
 * The floor: what the same first sync costs with nothing of ours in the way.
 * 1. fetch — the official plaid client alone: /transactions/sync, count 500, from an empty cursor
 *    until has_more is false, then /accounts/get once when the Item has accounts that sync leaves
 *    out (investments, most loans), whose balances the product also writes (timed);
 * 2. the same points the product writes, turned into line protocol beforehand (not timed);
 * 3. write — POST /write to InfluxDB in batches of 5000 lines, one after the other, into a fresh
 *    database (timed).
 * floor = fetch + write. The product may overlap the two (pages stream while parts are written),
 * so it could even beat this floor; a ratio near 1 means we add next to nothing.
 */
import type { AccountBase, PlaidApi, TransactionsSyncResponse } from "plaid";
import { TransactionIndex } from "../../src/influx/identity";
import { accountLabel, balancePoint, toLineProtocol, type InfluxPoint } from "../../src/influx/points";
import { ChangeApplier } from "../../src/sync/apply";
import type { Influxd } from "../../test/support/influxd";

export interface FloorResult {
  fetchMs: number;
  writeMs: number;
  totalMs: number;
  pages: number;
  transactions: number;
  points: number;
}

export interface FetchedItem {
  pages: TransactionsSyncResponse[];
  /** Accounts of the Item that /transactions/sync does not list (from /accounts/get). */
  outside: AccountBase[];
}

/** All pages of a first sync, and the accounts outside it (timed by the caller). */
export async function fetchAll(client: PlaidApi, accessToken: string, linkedAccounts: number): Promise<FetchedItem> {
  const pages: TransactionsSyncResponse[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data } = await client.transactionsSync({ access_token: accessToken, count: 500, ...(cursor ? { cursor } : {}) });
    pages.push(data);
    cursor = data.next_cursor;
    if (!data.has_more) break;
  }
  const inSync = new Set((pages[pages.length - 1]?.accounts ?? []).map((a) => a.account_id));
  if (inSync.size >= linkedAccounts) return { pages, outside: [] };
  const { data } = await client.accountsGet({ access_token: accessToken });
  return { pages, outside: data.accounts.filter((a) => !inSync.has(a.account_id)) };
}

/** The points plaid-transactions writes for these pages (default settings), as line-protocol bodies of ≤ batch lines. */
export function pointsOf({ pages, outside }: FetchedItem, institution: string, batch: number): { bodies: string[]; points: number } {
  const accounts = new Map<string, AccountBase>();
  for (const p of pages) for (const a of p.accounts ?? []) accounts.set(a.account_id, a);
  const applier = new ChangeApplier(new TransactionIndex(), {
    measurement: "plaid_transactions",
    timezone: "",
    invertAmounts: false,
    includePending: true,
    institution,
    accountLabel: (id) => accountLabel(accounts.get(id), id),
  });
  const byKey = new Map<string, InfluxPoint>();
  for (const p of pages) {
    for (const t of p.added ?? []) for (const k of applier.upsert(t, "added").points) byKey.set(k.key, k.point);
    for (const t of p.modified ?? []) for (const k of applier.upsert(t, "modified").points) byKey.set(k.key, k.point);
    for (const r of p.removed ?? []) for (const k of applier.remove(r.transaction_id).points) byKey.set(k.key, k.point);
  }
  const now = new Date();
  for (const a of [...(pages[pages.length - 1]?.accounts ?? []), ...outside]) {
    const b = balancePoint(a, institution, "plaid_balances", now);
    if (b) byKey.set(`b${a.account_id}`, b);
  }
  const all = [...byKey.values()];
  const bodies: string[] = [];
  for (let i = 0; i < all.length; i += batch) bodies.push(toLineProtocol(all.slice(i, i + batch)));
  return { bodies, points: all.length };
}

export async function writeAll(influx: Influxd, db: string, bodies: string[]): Promise<void> {
  for (const body of bodies) {
    const res = await fetch(`${influx.url}/write?db=${encodeURIComponent(db)}`, { method: "POST", body });
    if (res.status !== 204) throw new Error(`floor write failed: HTTP ${res.status} ${await res.text()}`);
  }
}

export async function measureFloor(client: PlaidApi, accessToken: string, linkedAccounts: number, influx: Influxd, db: string, institution: string): Promise<FloorResult> {
  const t0 = performance.now();
  const fetched = await fetchAll(client, accessToken, linkedAccounts);
  const fetchMs = performance.now() - t0;
  const { pages } = fetched;
  const { bodies, points } = pointsOf(fetched, institution, 5000);
  await influx.exec(`DROP DATABASE "${db}"`).catch(() => undefined);
  await influx.createDatabase(db);
  const t1 = performance.now();
  await writeAll(influx, db, bodies);
  const writeMs = performance.now() - t1;
  const transactions = pages.reduce((n, p) => n + (p.added?.length ?? 0), 0);
  return { fetchMs, writeMs, totalMs: fetchMs + writeMs, pages: pages.length, transactions, points };
}
