/**
 * Our per-transaction cost with nothing else in the way: the pages of a first sync are fetched
 * once from a simulator, then replayed from memory (JSON.parse of each page, as the client does)
 * through the SyncEngine, in this process, several times. Prints the median time of parsing
 * alone and of parsing + the engine; the difference is what our code costs per transaction.
 *
 *   npx tsx bench/engine-replay.ts [--transactions 50000] [--runs 7] [--events]
 */
import type { PlaidApi, TransactionsSyncResponse } from "plaid";
import { linkSandboxItem, simulatorClient, startTestSimulator, syncAll, volumeUserPassword } from "../test/support/simulator";
import { engineFirstSync, flagValue as arg } from "./lib/engine-sync";
import { median } from "./lib/stats";

/** The pages of a first sync of an n-transaction Item, as the JSON text the client receives. */
async function pagesOf(n: number): Promise<string[]> {
  const sim = await startTestSimulator();
  try {
    const client = simulatorClient(sim, { timeoutMs: 120_000 });
    const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(n) });
    return (await syncAll(client, accessToken)).pages.map((p) => JSON.stringify(p));
  } finally {
    await sim.close();
  }
}

/** A client whose /transactions/sync answers with the next page, parsed as the client would. */
function replayClient(pages: string[]): PlaidApi {
  let i = 0;
  return { transactionsSync: async () => ({ data: JSON.parse(pages[i++]) as TransactionsSyncResponse }) } as unknown as PlaidApi;
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
    await engineFirstSync(replayClient(pages), "access-replay", { events, confirmDelayMs: 0 });
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
