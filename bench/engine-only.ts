/**
 * Our code alone, without Node-RED or InfluxDB: the same first sync done (a) by the official plaid
 * client alone and (b) by the SyncEngine (points built, parts handed to a sink that "writes"
 * them after a delay, confirm mode), each in a fresh process, against a standalone simulator.
 * Prints wall time, CPU, GC time and heap/RSS growth per mode, so a change to the engine or the
 * point model can be judged in seconds, without the noise of the full bench.
 *
 *   npx tsx bench/engine-only.ts [--transactions 50000] [--runs 3] [--events] [--write-ms 100] [--batch N]
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import { PerformanceObserver } from "perf_hooks";
import { SIM_CLIENT_ID, SIM_SECRET } from "../src/simulator";
import { DEFAULT_BATCH_SIZE } from "../src/sync/parts";
import { freePort } from "../test/support/ports";
import { linkSandboxItem, simulatorClient, volumeUserPassword } from "../test/support/simulator";
import { engineFirstSync, flagValue as arg } from "./lib/engine-sync";
import { median } from "./lib/stats";

interface Figures {
  wallMs: number;
  cpuMs: number;
  gcMs: number;
  gcCount: number;
  heapMb: number;
  rssMb: number;
}

const REPO = path.resolve(__dirname, "..");

/** Child: one measured sync, figures as JSON on stdout. */
async function child(mode: string, url: string, token: string, events: boolean, writeMs: number, batchSize: number | undefined): Promise<void> {
  const client = simulatorClient({ url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET }, { timeoutMs: 120_000 });
  let gcMs = 0;
  let gcCount = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  // warm the client (first request pays module/JIT setup, as in a running Node-RED)
  await client.accountsGet({ access_token: token });
  let peakHeap = 0;
  let peakRss = 0;
  const base = process.memoryUsage();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 10);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === "client") {
    let cursor: string | undefined;
    for (;;) {
      const { data } = await client.transactionsSync({ access_token: token, count: 500, ...(cursor ? { cursor } : {}) });
      cursor = data.next_cursor;
      if (!data.has_more) break;
    }
  } else {
    await engineFirstSync(client, token, { events, confirmDelayMs: writeMs, batchSize });
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  const f: Figures = {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gcMs,
    gcCount,
    heapMb: (peakHeap - base.heapUsed) / 1048576,
    rssMb: (peakRss - base.rss) / 1048576,
  };
  process.stdout.write(JSON.stringify(f) + "\n");
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  if (process.argv.includes("--child")) {
    const batch = arg("--batch", "");
    await child(arg("--mode", "client"), arg("--url", ""), arg("--token", ""), process.argv.includes("--events"), Number(arg("--write-ms", "100")), batch ? Number(batch) : undefined);
    return;
  }
  const n = Number(arg("--transactions", "50000"));
  const runs = Number(arg("--runs", "3"));
  const port = await freePort();
  const sim: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "src/simulator/cli.ts"), "--port", String(port), "--host", "127.0.0.1"], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve) => sim.stdout!.on("data", (d: Buffer) => /listening/.test(d.toString()) && resolve()));
    const url = `http://127.0.0.1:${port}`;
    const client = simulatorClient({ url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET }, { timeoutMs: 120_000 });
    const token = (await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(n) })).accessToken;
    const extra = [...(process.argv.includes("--events") ? ["--events"] : []), ...(arg("--batch", "") ? ["--batch", arg("--batch", "")] : [])];
    const results: Record<string, Figures[]> = { client: [], engine: [] };
    for (let i = 0; i < runs; i++) {
      for (const mode of ["client", "engine"]) {
        const out = await run(process.execPath, ["--import", "tsx", __filename, "--child", "--mode", mode, "--url", url, "--token", token, "--write-ms", arg("--write-ms", "100"), ...extra]);
        results[mode].push(JSON.parse(out.trim().split("\n").pop()!) as Figures);
      }
    }
    console.log(`${n} transactions, medians of ${runs}${process.argv.includes("--events") ? ", events on" : ""}, batch size ${arg("--batch", String(DEFAULT_BATCH_SIZE))}`);
    console.log("mode     wall ms  cpu ms  gc ms  gcs  heap +MB  rss +MB");
    for (const mode of ["client", "engine"]) {
      const r = results[mode];
      const m = (k: keyof Figures): number => median(r.map((x) => x[k]));
      console.log(
        `${mode.padEnd(7)} ${m("wallMs").toFixed(0).padStart(8)} ${m("cpuMs").toFixed(0).padStart(7)} ${m("gcMs").toFixed(0).padStart(6)} ${m("gcCount").toFixed(0).padStart(4)} ${m("heapMb").toFixed(1).padStart(9)} ${m("rssMb").toFixed(1).padStart(8)}`,
      );
    }
  } finally {
    sim.kill("SIGTERM");
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
