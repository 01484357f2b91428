/**
 * Our per-transaction cost with nothing else in the way: the pages of a first sync are fetched
 * once from a simulator, then replayed from memory (JSON.parse of each page, as the client does)
 * through the SyncEngine, in this process, several times. Prints the median time of parsing
 * alone and of parsing + the engine; the difference is what our code costs per transaction.
 *
 *   npx tsx bench/engine-replay.ts [--transactions 50000] [--runs 7] [--events]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi, Products, TransactionsSyncResponse } from "plaid";
import { createPlaidClient } from "../src/plaid/client";
import { SIM_CLIENT_ID, SIM_SECRET, startSimulator } from "../src/simulator";
import { SyncEngine } from "../src/sync/engine";
import { median } from "./lib/stats";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function pagesOf(n: number): Promise<string[]> {
  const sim = await startSimulator({ host: "127.0.0.1", port: 0, log: () => undefined });
  try {
    const client = createPlaidClient({ basePath: sim.url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET, timeoutMs: 120_000 });
    const created = await client.sandboxPublicTokenCreate({
      institution_id: "ins_109508",
      initial_products: ["transactions" as Products],
      options: { override_username: "user_custom", override_password: JSON.stringify({ override_accounts: [], simulator: { seed: 1, transactions: n } }) },
    });
    const token = (await client.itemPublicTokenExchange({ public_token: created.data.public_token })).data.access_token;
    const pages: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const { data } = await client.transactionsSync({ access_token: token, count: 500, ...(cursor ? { cursor } : {}) });
      pages.push(JSON.stringify(data));
      cursor = data.next_cursor;
      if (!data.has_more) return pages;
    }
  } finally {
    await sim.close();
  }
}

async function engineRun(pages: string[], events: boolean): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-replay-"));
  let i = 0;
  const client = {
    transactionsSync: async () => ({ data: JSON.parse(pages[i++]) as TransactionsSyncResponse }),
  } as unknown as PlaidApi;
  let engine!: SyncEngine;
  const committed = new Promise<void>((resolve, reject) => {
    engine = new SyncEngine({
      nodeId: "replay",
      stateDir,
      settings: { measurement: "plaid_transactions", balanceMeasurement: "plaid_balances", includePending: true, invertAmounts: false, timezone: "", batchSize: 5000, commit: "confirm", events },
      getClient: async () => client,
      getAccessToken: () => "access-replay",
      getItem: () => ({ itemId: "", institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [] }),
      sink: { points: (m) => setImmediate(() => engine.confirm(m.plaid.syncId, m.plaid.part)), event: () => undefined },
      hooks: { warn: () => undefined, onCommitted: () => resolve(), onConfirmFailed: (_id, why) => reject(new Error(why)) },
    });
  });
  await engine.trigger();
  await committed;
  fs.rmSync(stateDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const n = Number(arg("--transactions", "50000"));
  const runs = Number(arg("--runs", "7"));
  const events = process.argv.includes("--events");
  const pages = await pagesOf(n);
  const parse: number[] = [];
  const engine: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = process.cpuUsage();
    for (const p of pages) JSON.parse(p);
    let d = process.cpuUsage(t);
    parse.push((d.user + d.system) / 1000);
    t = process.cpuUsage();
    await engineRun(pages, events);
    d = process.cpuUsage(t);
    engine.push((d.user + d.system) / 1000);
  }
  const p = median(parse);
  const e = median(engine);
  console.log(`${n} transactions in ${pages.length} pages, ${runs} runs${events ? ", events on" : ""}: parse ${p.toFixed(0)} ms, parse+engine ${e.toFixed(0)} ms, engine ${(e - p).toFixed(0)} ms = ${(((e - p) * 1000) / n).toFixed(1)} µs/transaction`);
  console.log(`  engine runs (ms): ${engine.map((x) => x.toFixed(0)).join(" ")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
