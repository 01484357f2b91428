/**
 * Helpers for tests that need a Plaid API: a simulator on a free loopback port, an official
 * client pointed at it, a linked Sandbox Item, Plaid's truth, injected faults, and a client that
 * counts its /transactions/sync requests.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi, Products } from "plaid";
import { createPlaidClient } from "../../src/plaid/client";
import { SIM_CLIENT_ID, SIM_SECRET, startSimulator, type Simulator, type SimulatorOptions } from "../../src/simulator";

export { SIM_CLIENT_ID, SIM_SECRET };
export type { Simulator };

/** Starts a simulator on 127.0.0.1 and a free port. Remember `await sim.close()` (e.g. in after()). */
export function startTestSimulator(opts: Omit<SimulatorOptions, "host" | "port"> = {}): Promise<Simulator> {
  return startSimulator({ ...opts, host: "127.0.0.1", port: 0, log: opts.log ?? (() => undefined) });
}

/** The official plaid client, configured exactly as the product configures it. */
export function simulatorClient(sim: Pick<Simulator, "url" | "clientId" | "secret">, opts: { timeoutMs?: number } = {}): PlaidApi {
  return createPlaidClient({ basePath: sim.url, clientId: sim.clientId, secret: sim.secret, timeoutMs: opts.timeoutMs ?? 10_000 });
}

export interface LinkOptions {
  /** Default ins_109508 (First Platypus Bank). */
  institutionId?: string;
  /** Default user_good. Also user_transactions_dynamic, user_custom (password = JSON config). */
  username?: string;
  /** Default pass_good. */
  password?: string;
  webhook?: string;
  daysRequested?: number;
}

/** /sandbox/public_token/create + /item/public_token/exchange, as Plaid's docs do it. */
export async function linkSandboxItem(client: PlaidApi, opts: LinkOptions = {}): Promise<{ accessToken: string; itemId: string }> {
  const created = await client.sandboxPublicTokenCreate({
    institution_id: opts.institutionId ?? "ins_109508",
    initial_products: ["transactions" as Products],
    options: {
      override_username: opts.username ?? "user_good",
      override_password: opts.password ?? "pass_good",
      ...(opts.webhook ? { webhook: opts.webhook } : {}),
      ...(opts.daysRequested ? { transactions: { days_requested: opts.daysRequested } } : {}),
    },
  });
  const exchanged = await client.itemPublicTokenExchange({ public_token: created.data.public_token });
  return { accessToken: exchanged.data.access_token, itemId: exchanged.data.item_id };
}

/** The Plaid error body of a call expected to fail (fails the test if it succeeds or is not an HTTP error). */
export async function plaidErrorOf(fn: () => Promise<unknown>): Promise<{ error_type: string; error_code: string; error_message: string; display_message: string | null }> {
  try {
    await fn();
  } catch (e) {
    const data = (e as { response?: { data?: unknown } }).response?.data as { error_type: string; error_code: string; error_message: string; display_message: string | null } | undefined;
    if (!data || typeof data.error_code !== "string") throw new Error(`expected a Plaid error, got ${String(e)}`);
    return data;
  }
  throw new Error("expected the call to fail");
}

/** A user_custom password with the simulator's volume knob: `transactions` generated lazily. */
export function volumeUserPassword(transactions: number, seed = 1, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ override_accounts: [], simulator: { seed, transactions, ...extra } });
}

/** Pages /transactions/sync until has_more is false; returns every page. */
export async function syncAll(client: PlaidApi, accessToken: string, cursor?: string, count = 500) {
  const pages = [];
  let next = cursor;
  for (;;) {
    const { data } = await client.transactionsSync({ access_token: accessToken, cursor: next, count });
    pages.push(data);
    next = data.next_cursor;
    if (!data.has_more) return { pages, cursor: next };
  }
}

/**
 * What Plaid says is there: per-account sums (in cents, so float noise cannot hide a difference)
 * and the ids of every live transaction, paging /transactions/get to the end.
 */
export async function plaidTruth(client: PlaidApi, accessToken: string): Promise<{ sums: Map<string, number>; count: number; ids: Set<string> }> {
  const sums = new Map<string, number>();
  const ids = new Set<string>();
  let offset = 0;
  for (;;) {
    const { data } = await client.transactionsGet({
      access_token: accessToken,
      start_date: "2015-01-01",
      end_date: "2040-12-31",
      options: { count: 500, offset },
    });
    for (const t of data.transactions) {
      sums.set(t.account_id, (sums.get(t.account_id) ?? 0) + t.amount);
      ids.add(t.transaction_id);
    }
    offset += data.transactions.length;
    if (offset >= data.total_transactions || data.transactions.length === 0) break;
  }
  for (const [k, v] of sums) sums.set(k, Math.round(v * 100));
  return { sums, count: ids.size, ids };
}

/** A fault for POST /simulator/faults (src/simulator/faults.ts): how the next matching requests fail. */
export interface FaultBody {
  path: string;
  error?: string;
  status?: number;
  delay_ms?: number;
  times?: number;
  probability?: number;
  after?: number;
}

/** The simulator to control: its URL and the client credentials its control routes require. */
export type SimControl = Pick<Simulator, "url" | "clientId" | "secret">;

async function postFaults(sim: SimControl, body: FaultBody | { clear: true }): Promise<void> {
  const res = await fetch(`${sim.url}/simulator/faults`, {
    method: "POST",
    headers: { "content-type": "application/json", "PLAID-CLIENT-ID": sim.clientId, "PLAID-SECRET": sim.secret },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`/simulator/faults: HTTP ${res.status} ${await res.text()}`);
}

export function addFault(sim: SimControl, fault: FaultBody): Promise<void> {
  return postFaults(sim, fault);
}

export function clearFaults(sim: SimControl): Promise<void> {
  return postFaults(sim, { clear: true });
}

/** /transactions/sync requests made through a countSyncCalls() client. */
export interface SyncCalls {
  sync: number;
  inFlight: number;
  maxInFlight: number;
  /** When present: every Plaid call, by client method (transactionsSync, accountsGet, itemGet, ...). */
  all?: Record<string, number>;
}

/**
 * The same client, counting into `calls` the /transactions/sync requests started, how many are
 * in flight and the most that ever were at once (the engine promises one at a time).
 */
export function countSyncCalls(client: PlaidApi, calls: SyncCalls): PlaidApi {
  return new Proxy(client, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (calls.all && typeof v === "function" && typeof prop === "string" && prop !== "transactionsSync") {
        const all = calls.all;
        return (...args: unknown[]) => {
          all[prop] = (all[prop] ?? 0) + 1;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === "transactionsSync") {
        return async (...args: unknown[]) => {
          calls.sync++;
          if (calls.all) calls.all.transactionsSync = (calls.all.transactionsSync ?? 0) + 1;
          calls.inFlight++;
          calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
          try {
            return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            calls.inFlight--;
          }
        };
      }
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * One simulator (and an official client for it) per describe block: started in before(), closed
 * in after(), its faults cleared after each test. Read `sim` and `client` inside hooks and tests.
 */
export function simulatorSuite(opts: Omit<SimulatorOptions, "host" | "port"> = {}): { readonly sim: Simulator; readonly client: PlaidApi } {
  let sim: Simulator | undefined;
  let client: PlaidApi | undefined;
  before(async () => {
    sim = await startTestSimulator(opts);
    client = simulatorClient(sim);
  });
  afterEach(async () => {
    if (sim) await clearFaults(sim);
  });
  after(async () => {
    await sim?.close();
  });
  return {
    get sim() {
      if (!sim) throw new Error("the suite's simulator starts in its before() hook");
      return sim;
    },
    get client() {
      if (!client) throw new Error("the suite's simulator starts in its before() hook");
      return client;
    },
  };
}

/**
 * A fresh temp dir for each test: made when first read, removed in afterEach. Call it after the
 * suite's other hooks, so that what runs in the test's own dir (a Node-RED runtime, engines) is
 * stopped before the dir goes.
 */
export function tempDirEach(prefix: string): { readonly path: string } {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return {
    get path() {
      dir ??= fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      return dir;
    },
  };
}

/** A simulator suite's `sim` and `client` and a per-test temp `dir`, as one object of getters. */
export function simulatorAndDir(
  simulator: { readonly sim: Simulator; readonly client: PlaidApi },
  dir: { readonly path: string },
): { readonly sim: Simulator; readonly client: PlaidApi; readonly dir: string } {
  return {
    get sim() {
      return simulator.sim;
    },
    get client() {
      return simulator.client;
    },
    get dir() {
      return dir.path;
    },
  };
}
