/**
 * `npm run bench` — how fast a sync is, against the floor (see bench/README.md).
 *
 * Starts the Plaid simulator (standalone process, free loopback port) behind a counting proxy,
 * a real influxd 1.x, and a real Node-RED process with this package (built into
 * a temp dir) and node-red-contrib-influxdb. For each size (transactions of a
 * user_custom Item over 3 accounts) and each run:
 *   - floor: official plaid client alone + the same points straight to /write in batches of 5000;
 *   - first sync through Node-RED (fresh process, no state) until every part is written and
 *     confirmed (status green), with peak RSS growth and CPU of the Node-RED process;
 *   - no-op syncs (nothing changed): time and Plaid calls.
 * Then, at rest (bench/lib/at-rest.ts): fresh node-red starts with nothing, + node-red-contrib-influxdb,
 * + this package (installed, unused), timed to "Started flows" with RSS after a settle time; and
 * the configured flow after a reboot, before and 60 s after a first sync, then a link from the
 * editor's routes when Plaid's client has gone (cold) and right after (warm).
 * Prints tables of medians and, last, `ratio=<x> rss_mb=<y> worker_mb=<w> machine_mb=<m> noop_ms=<z> idle_mb=<a> start_ms=<b> daily_idle_mb=<d>`:
 * the largest size's first sync, and the at-rest deltas over bare Node-RED.
 *
 * Options: --sizes 5000,20000,50000  --runs 5  --noop 5  --commit confirm|send
 *          --batch N (the node's Batch size; default: the node's own default, DEFAULT_BATCH_SIZE)
 *          --no-build (use the repo's nodes/ + dist/ from `npm run build`)
 *          --pkg DIR (use a package dir built before, e.g. patched for an experiment)
 *          --node-flags "..." (extra node flags for Node-RED, e.g. --max-old-space-size=256 as on a Pi)
 *          --cpu-prof / --heap-prof (profiles of Node-RED into bench/results/prof/)
 *          --json FILE (raw samples)
 *          --timeline (a second proxy in front of influxd; prints per run when pages were fetched,
 *                      how long Node-RED worked between pages, and when parts were written)
 *          --rest-only / --no-rest (only / without the at-rest section)
 *          --rest-starts 5 (starts per installed variant)  --rest-runs 3 (configured runs)
 *          --rest-size 20000 (transactions of the first sync)  --rest-idle 60 (s after it)
 *          --rest-settle 5 (s after "Started flows" before RSS is read)
 *          --settings JSON (merged into settings.js of the node-red that syncs, in both sections, e.g. '{"plaidSync":{"clientInWorker":false}}')
 *          --env "K=V …" (environment of that node-red, e.g. MALLOC_ARENA_MAX=2)
 *          --rest-snapshot (a heap snapshot of the configured node-red when idle, into bench/results/prof/;
 *                           summarise it with bench/heap-summary.ts)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, type ChildProcess } from "child_process";
import { performance } from "perf_hooks";
import type { PlaidApi, Products } from "plaid";
import { readOptions } from "../src/cli/options";
import { createPlaidClient } from "../src/plaid/client";
import { SIM_CLIENT_ID, SIM_SECRET } from "../src/simulator";
import { DEFAULT_BATCH_SIZE } from "../src/sync/parts";
import { startInfluxd, type Influxd } from "../test/support/influxd";
import { startNodeRed, startSink, type FlowNode, type MessageSink, type NodeRed, type SinkMessage } from "../test/support/nodered";
import { freePort, sleep, stopChild, trackChild, waitFor } from "../test/support/ports";
import { buildPackage, REPO_ROOT } from "./lib/build";
import { benchFlow, DB, ID, type LinkedItem } from "./lib/flow";
import { fetchAll, measureFloor, pointsOf, type FloorResult } from "./lib/floor";
import { childrenNow, cpuSeconds, memKb, RssSampler } from "./lib/procstat";
import { measureStarts, type StartFigure } from "./lib/at-rest";
import { startCountingProxy, type CountingProxy } from "../test/support/counting-proxy";
import { fmt, median, table } from "./lib/stats";

interface Args {
  sizes: number[];
  runs: number;
  noop: number;
  commit: "confirm" | "send";
  batch: number;
  build: boolean;
  cpuProf: boolean;
  heapProf: boolean;
  json: string | null;
  timeline: boolean;
  pkg: string | null;
  nodeFlags: string[];
  rest: "with" | "only" | "none";
  restStarts: number;
  restRuns: number;
  restSize: number;
  restIdleS: number;
  restSettleS: number;
  restSnapshot: boolean;
  settings: Record<string, unknown>;
  env: Record<string, string>;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [5000, 20000, 50000], runs: 5, noop: 5, commit: "confirm", batch: DEFAULT_BATCH_SIZE, build: true, cpuProf: false, heapProf: false, json: null, timeline: false, pkg: null, nodeFlags: [],
    rest: "with", restStarts: 5, restRuns: 3, restSize: 20000, restIdleS: 60, restSettleS: 5, restSnapshot: false, settings: {}, env: {} };
  readOptions(argv, () => fs.readFileSync(__filename, "utf8").split("*/")[0] + "*/", (flag, val) => {
    if (flag === "--sizes") a.sizes = val().split(",").map((s) => Number(s.trim()));
    else if (flag === "--runs") a.runs = Number(val());
    else if (flag === "--noop") a.noop = Number(val());
    else if (flag === "--commit") a.commit = val() === "send" ? "send" : "confirm";
    else if (flag === "--batch") a.batch = Number(val());
    else if (flag === "--no-build") a.build = false;
    else if (flag === "--cpu-prof") a.cpuProf = true;
    else if (flag === "--heap-prof") a.heapProf = true;
    else if (flag === "--json") a.json = val();
    else if (flag === "--timeline") a.timeline = true;
    else if (flag === "--pkg") a.pkg = path.resolve(val());
    else if (flag === "--node-flags") a.nodeFlags.push(...val().split(/\s+/).filter(Boolean));
    else if (flag === "--rest-only") a.rest = "only";
    else if (flag === "--no-rest") a.rest = "none";
    else if (flag === "--rest-starts") a.restStarts = Number(val());
    else if (flag === "--rest-runs") a.restRuns = Number(val());
    else if (flag === "--rest-size") a.restSize = Number(val());
    else if (flag === "--rest-idle") a.restIdleS = Number(val());
    else if (flag === "--rest-settle") a.restSettleS = Number(val());
    else if (flag === "--rest-snapshot") a.restSnapshot = true;
    else if (flag === "--settings") a.settings = JSON.parse(val()) as Record<string, unknown>;
    else if (flag === "--env") {
      for (const kv of val().split(/\s+/).filter(Boolean)) {
        const at = kv.indexOf("=");
        if (at < 1) throw new Error(`--env: ${kv} is not K=V`);
        a.env[kv.slice(0, at)] = kv.slice(at + 1);
      }
    }
    else return false;
    return true;
  });
  if (a.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--sizes: positive integers");
  a.sizes.sort((x, y) => x - y);
  if (!(a.runs >= 1) || !(a.noop >= 1)) throw new Error("--runs and --noop must be ≥ 1");
  if (!(a.restStarts >= 1) || !(a.restRuns >= 1) || !(a.restSize >= 1)) throw new Error("--rest-starts, --rest-runs and --rest-size must be ≥ 1");
  if (!(a.restIdleS >= 0) || !(a.restSettleS >= 0)) throw new Error("--rest-idle and --rest-settle: seconds ≥ 0");
  return a;
}

const RESULTS = path.join(REPO_ROOT, "bench", "results");
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);

// ---------- the standalone simulator ----------

async function startSimulatorProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "src", "simulator", "cli.ts"), "--port", String(port), "--host", "127.0.0.1"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  trackChild(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const url = await waitFor(
    () => {
      if (child.exitCode !== null) throw Object.assign(new Error(`simulator exited: ${out}`), { fatal: true });
      return /listening on (http:\/\/\S+)/.exec(out)?.[1];
    },
    { timeoutMs: 30000, what: "the simulator to listen" },
  );
  return { url, child };
}

// ---------- Items ----------

async function linkVolumeItem(client: PlaidApi, transactions: number): Promise<{ accessToken: string; item: LinkedItem }> {
  const created = await client.sandboxPublicTokenCreate({
    institution_id: "ins_109508",
    initial_products: ["transactions" as Products],
    options: {
      override_username: "user_custom",
      override_password: JSON.stringify({ override_accounts: [], simulator: { seed: 1, transactions } }),
    },
  });
  const ex = await client.itemPublicTokenExchange({ public_token: created.data.public_token });
  const accessToken = ex.data.access_token;
  const acc = await client.accountsGet({ access_token: accessToken });
  const inst = await client.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] });
  return {
    accessToken,
    item: {
      itemId: ex.data.item_id,
      institutionId: "ins_109508",
      institutionName: inst.data.institution.name,
      accounts: acc.data.accounts.map((a) => ({ account_id: a.account_id, name: a.name, mask: a.mask, type: String(a.type), subtype: a.subtype ? String(a.subtype) : null })),
    },
  };
}

// ---------- Node-RED measurements ----------

interface SyncResult {
  wallMs: number;
  inNodeRedMs: number;
  rssGrowthMb: number;
  rssBaseMb: number;
  /** Node-RED's growth plus its children's private memory, at the highest sample (procstat.ts). */
  machineMb: number;
  cpuS: number;
  /** Node-RED's children during the sync (the Plaid worker): their peak VmHWM and CPU, 0 if none. */
  workerPeakMb: number;
  workerCpuS: number;
  plaidCalls: number;
  status: string;
}

interface Ctx {
  args: Args;
  red: NodeRed;
  influx: Influxd;
  sink: MessageSink;
  proxy: CountingProxy;
  influxProxy: CountingProxy | null;
}

/** Where a first sync's time went, from the proxies' request log (ms since inject). */
function timelineOf(ctx: Ctx, start: number, end: number): string {
  const pages = ctx.proxy.events.filter((e) => e.path === "/transactions/sync" && e.start >= start);
  const writes = (ctx.influxProxy?.events ?? []).filter((e) => e.path === "/write" && e.start >= start);
  let gaps = 0;
  let maxGap = 0;
  for (let i = 1; i < pages.length; i++) {
    const g = pages[i].start - pages[i - 1].end;
    gaps += g;
    maxGap = Math.max(maxGap, g);
  }
  const fetchSum = pages.reduce((n, e) => n + (e.end - e.start), 0);
  let maxConc = 0;
  for (const w of writes) maxConc = Math.max(maxConc, writes.filter((x) => x.start <= w.start && x.end > w.start).length);
  const writeSum = writes.reduce((n, e) => n + (e.end - e.start), 0);
  const lastPage = pages.length ? pages[pages.length - 1].end - start : NaN;
  const lastWrite = writes.length ? Math.max(...writes.map((w) => w.end)) - start : NaN;
  return (
    `first page requested at +${pages.length ? pages[0].start - start : NaN} ms; ${pages.length} pages: ${fetchSum} ms waiting for Plaid, ` +
    `${gaps} ms between pages (max ${maxGap}); last page at +${lastPage}; ${writes.length} writes: ${writeSum} ms summed, ` +
    `≤${maxConc} at once, first at +${writes.length ? writes[0].start - start : NaN}, last done at +${lastWrite}; green at +${end - start}`
  );
}

function isOutcome(m: SinkMessage): boolean {
  if (m.path === "/write-error" || m.path === "/sync-error") return true;
  return m.path === "/status";
}

async function countPoints(influx: Influxd): Promise<number> {
  const rows = await influx.rows(`SELECT count("amount") AS c FROM "plaid_transactions"; SELECT count("current") AS c FROM "plaid_balances"`, DB);
  return rows.reduce((n, r) => n + Number(r.c ?? 0), 0);
}

/** Presses inject and waits until the sync is committed (confirm: all parts written) — or, in send mode, until InfluxDB holds `expectPoints`. */
async function syncOnce(ctx: Ctx, expectPoints: number | null, timeoutMs: number): Promise<SyncResult> {
  const { red, sink, proxy, influx } = ctx;
  const pid = red.pid!;
  const from = sink.messages.length;
  const calls0 = proxy.total();
  const cpu0 = cpuSeconds(pid);
  const kids0 = childrenNow(pid).cpu;
  const sampler = new RssSampler(pid);
  const start = Date.now();
  await red.inject(ID.inject);
  const outcome = await sink.waitFor(isOutcome, { from, timeoutMs, what: "the sync's outcome (status green/yellow/red or an error)" });
  let end = outcome.receivedAt;
  const body = outcome.body as { fill?: string; text?: string; t0?: number; t1?: number; message?: string };
  if (outcome.path !== "/status" || body.fill !== "green") {
    sampler.stop();
    throw new Error(`sync failed: ${outcome.path} ${JSON.stringify(body)}\n${red.logTail(2000)}`);
  }
  if (ctx.args.commit === "send" && expectPoints !== null) {
    await waitFor(async () => (await countPoints(influx)) >= expectPoints, { timeoutMs, intervalMs: 50, what: "InfluxDB to hold every point" });
    end = Date.now();
  }
  const rss = sampler.stop();
  const kids = childrenNow(pid);
  const workerCpuS = [...kids.cpu].reduce((n, [c, s]) => n + s - (kids0.get(c) ?? 0), 0);
  if (ctx.args.timeline && expectPoints !== null) log(`timeline: ${timelineOf(ctx, start, end)}; highest RSS sample at +${sampler.peakAtMs} ms`);
  return {
    wallMs: end - start,
    inNodeRedMs: (body.t1 ?? NaN) - (body.t0 ?? NaN),
    rssGrowthMb: rss.growthMb,
    rssBaseMb: rss.baseMb,
    machineMb: rss.machineMb,
    cpuS: cpuSeconds(pid) - cpu0,
    workerPeakMb: kids.peakMb,
    workerCpuS,
    plaidCalls: proxy.total() - calls0,
    status: body.text ?? "",
  };
}

/** A fresh Node-RED process with no sync state and an empty database, then a first sync. */
async function firstSync(ctx: Ctx, expectPoints: number, label: string): Promise<SyncResult> {
  const { red, influx } = ctx;
  await red.stop();
  fs.rmSync(path.join(red.userDir, "plaid-sync"), { recursive: true, force: true });
  await influx.exec(`DROP DATABASE "${DB}"`).catch(() => undefined);
  await influx.createDatabase(DB);
  await red.start();
  await sleep(1500); // let start-up settle (GC, lazy loading) before the baseline
  const r = await syncOnce(ctx, expectPoints, 900_000);
  const got = await countPoints(influx);
  if (got !== expectPoints) throw new Error(`${label}: InfluxDB holds ${got} points, expected ${expectPoints}`);
  return r;
}

interface Services {
  args: Args;
  pkgDir: string;
  influxDir: string;
  nodeBin: string | undefined;
  sim: { url: string };
  proxy: CountingProxy;
  influx: Influxd;
  sink: MessageSink;
  client: PlaidApi;
}

/** The deploy of benchFlow for `item`, and its credentials. */
function benchDeploy(s: Services, item: LinkedItem, accessToken: string, influxProxy: CountingProxy | null): [FlowNode[], Record<string, Record<string, unknown>>] {
  return [
    benchFlow({ plaidUrl: s.proxy.url, influxPort: influxProxy ? Number(new URL(influxProxy.url).port) : s.influx.port, influxUrl: influxProxy?.url ?? s.influx.url, sinkUrl: s.sink.url, item, commit: s.args.commit, batchSize: s.args.batch }),
    { [ID.cfg]: { clientId: SIM_CLIENT_ID, secret: SIM_SECRET }, [ID.link]: { accessToken } },
  ];
}

// ---------- speed: first sync vs floor, no-op syncs ----------

async function speedSection(s: Services, cleanups: Array<() => Promise<void>>): Promise<{ text: string; summary: string }> {
  const { args, proxy, influx, sink, client } = s;
  const red = await startNodeRed({ nodesDir: [s.pkgDir, s.influxDir], logLevel: "info", settings: args.settings, env: args.env, ...(s.nodeBin ? { nodeBin: s.nodeBin } : {}) });
  cleanups.push(async () => {
    fs.writeFileSync(path.join(RESULTS, "node-red.log"), red.logText());
    await red.dispose();
  });
  const sets = await red.nodeSets();
  for (const type of ["plaid-transactions", "influxdb batch"]) {
    const set = sets.find((x) => x.types.includes(type));
    if (!set || set.err) throw new Error(`node type ${type} did not load: ${JSON.stringify(set?.err)}`);
  }
  log(`simulator ${s.sim.url} (proxy ${proxy.url}), influxd ${influx.url}, node-red ${red.url} (pid ${red.pid})`);

  let influxProxy: CountingProxy | null = null;
  if (args.timeline) {
    influxProxy = await startCountingProxy(influx.url);
    const ip = influxProxy;
    cleanups.push(() => ip.close());
    influxProxy.timeline = true;
    proxy.timeline = true;
  }
  const ctx: Ctx = { args, red, influx, sink, proxy, influxProxy };
  const all: SizeFigures[] = [];

  for (const size of args.sizes) {
    const { accessToken, item } = await linkVolumeItem(client, size);
    // Warm-up (not timed): the simulator generates the history; we learn the expected points.
    const fetched = await fetchAll(client, accessToken, item.accounts.length);
    const { pages } = fetched;
    const expect = pointsOf(fetched, item.institutionName, args.batch);
    const txns = pages.reduce((n, p) => n + (p.added?.length ?? 0), 0);
    const withTxns = new Set(pages.flatMap((p) => (p.added ?? []).map((t) => t.account_id))).size;
    log(`size ${size}: ${txns} transactions in ${pages.length} pages over ${withTxns} accounts (of ${item.accounts.length}) → ${expect.points} points`);
    await red.deploy(...benchDeploy(s, item, accessToken, influxProxy));
    const fig: SizeFigures = { size, floor: [], first: [], noop: [], points: expect.points, pages: pages.length };
    for (let run = 1; run <= args.runs; run++) {
      const floor = await measureFloor(client, accessToken, item.accounts.length, influx, "floor", item.institutionName);
      fig.floor.push(floor);
      const first = await firstSync(ctx, expect.points, `size ${size} run ${run}`);
      fig.first.push(first);
      log(
        `size ${size} run ${run}: floor ${fmt(floor.totalMs)} ms (fetch ${fmt(floor.fetchMs)} + write ${fmt(floor.writeMs)}), ` +
          `node-red ${fmt(first.wallMs)} ms (in-process ${fmt(first.inNodeRedMs)}), ratio ${fmt(first.wallMs / floor.totalMs, 2)}, ` +
          `rss +${fmt(first.rssGrowthMb, 1)} MB (base ${fmt(first.rssBaseMb)}), cpu ${fmt(first.cpuS, 2)} s, ` +
          `worker peak ${fmt(first.workerPeakMb, 1)} MB cpu ${fmt(first.workerCpuS, 2)} s, machine +${fmt(first.machineMb, 1)} MB, ${first.plaidCalls} Plaid calls, "${first.status}"`,
      );
      for (let k = 0; k < args.noop; k++) {
        await sleep(200);
        const n = await syncOnce(ctx, null, 60_000);
        fig.noop.push(n);
      }
      const last = fig.noop.slice(-args.noop);
      log(`size ${size} run ${run}: no-op ${last.map((n) => `${n.inNodeRedMs}ms/${n.plaidCalls}call`).join(" ")}`);
    }
    all.push(fig);
  }
  await red.dispose();

  const rows: string[][] = [
    ["transactions", "pages", "points", "floor ms", "fetch ms", "write ms", "node-red ms", "ratio", "µs/txn", "cpu s", "rss +MB", "worker MB", "machine +MB", "worker cpu s", "calls", "no-op ms", "no-op wall", "no-op calls"],
  ];
  const summary: Record<string, number> = {};
  for (const f of all) {
    const floorMs = median(f.floor.map((x) => x.totalMs));
    const nrMs = median(f.first.map((x) => x.wallMs));
    const ratio = median(f.first.map((x, i) => x.wallMs / f.floor[i].totalMs));
    const rss = median(f.first.map((x) => x.rssGrowthMb));
    const workerMb = median(f.first.map((x) => x.workerPeakMb));
    const machineMb = median(f.first.map((x) => x.machineMb));
    const noopMs = median(f.noop.map((x) => x.inNodeRedMs));
    rows.push([
      String(f.size),
      String(f.pages),
      String(f.points),
      fmt(floorMs),
      fmt(median(f.floor.map((x) => x.fetchMs))),
      fmt(median(f.floor.map((x) => x.writeMs))),
      fmt(nrMs),
      fmt(ratio, 2),
      fmt((nrMs * 1000) / f.size, 1),
      fmt(median(f.first.map((x) => x.cpuS)), 2),
      fmt(rss, 1),
      fmt(workerMb, 1),
      fmt(machineMb, 1),
      fmt(median(f.first.map((x) => x.workerCpuS)), 2),
      fmt(median(f.first.map((x) => x.plaidCalls))),
      fmt(noopMs),
      fmt(median(f.noop.map((x) => x.wallMs))),
      fmt(Math.max(...f.noop.map((x) => x.plaidCalls))),
    ]);
    Object.assign(summary, { ratio, rss, workerMb, machineMb, noopMs });
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ args, figures: all }, null, 2));
  const text = [
    "",
    `first sync through Node-RED (commit ${args.commit}, batchSize ${args.batch}) vs floor; medians of ${args.runs} runs, no-op: ${args.runs}×${args.noop} syncs`,
    table(rows),
    "",
    "floor = official plaid client alone (count 500 until has_more false) + the same points POSTed to /write in batches of 5000.",
    "node-red ms = inject pressed → status green (every part written to InfluxDB and confirmed, state saved), seen by the bench.",
    "rss +MB = peak VmRSS/VmHWM of the node-red process during the sync minus just before. no-op ms = in Node-RED (inject → green).",
    "worker MB / cpu s = peak VmHWM and CPU of Node-RED's child, the Plaid worker (0: the client ran in-process).",
    "machine +MB = the highest 20 ms sample of Node-RED's RSS growth plus the worker's private memory (RssAnon; its file pages are Node-RED's node binary, shared).",
    "no-op calls = Plaid calls of a sync with nothing new: /transactions/sync, + /accounts/get for the accounts sync leaves out (this Item's IRA).",
    "",
  ].join("\n");
  return { text, summary: `ratio=${fmt(summary.ratio, 2)} rss_mb=${fmt(summary.rss, 1)} worker_mb=${fmt(summary.workerMb, 1)} machine_mb=${fmt(summary.machineMb, 1)} noop_ms=${fmt(summary.noopMs)}` };
}

// ---------- at rest: start-up, idle RSS, first link ----------

interface ConfiguredRun {
  /** VmRSS after the reboot's settle time, before any sync. */
  beforeMb: number;
  /** VmRSS `restIdleS` after the first sync turned green. */
  idleMb: number;
  /** Threads of the process then (Node-RED's own; Plaid's client is in a process of its own). */
  threadsBefore: number;
  threadsIdle: number;
  sync: SyncResult;
  /** POST link-sessions (Hosted Link token from Plaid): when the client has gone, 2 s after the dialog's warm-up, and right after another. */
  linkColdMs: number;
  linkWarmedMs: number;
  linkWarmMs: number;
  /** After another restart (state saved): VmRSS `restIdleS` after a sync with nothing new — every day's case. */
  dailyIdleMb: number;
  daily: SyncResult;
}

function threadsOf(pid: number): number {
  return Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
}

/**
 * Where the process's anonymous memory is, from /proc/<pid>/smaps: the main malloc heap ([heap]),
 * glibc's per-thread malloc arenas (mappings that start on a 64 MB boundary, glibc's HEAP_MAX_SIZE;
 * they stay after their thread exits), and the rest (V8's heap pages, stacks, large mmaps). In MB.
 */
function anonOf(pid: number): string {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const anon = Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
  const ARENA_ALIGN = 64n * 1024n * 1024n;
  let heap = 0;
  let arenas = 0;
  let arenaCount = 0;
  let kind: "heap" | "arena" | "other" = "other";
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      kind = head[2] === "[heap]" ? "heap" : head[2] === "" && BigInt(`0x${head[1]}`) % ARENA_ALIGN === 0n ? "arena" : "other";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    if (kind === "heap") heap += Number(rss[1]) / 1024;
    else if (kind === "arena" && Number(rss[1]) > 0) {
      arenas += Number(rss[1]) / 1024;
      arenaCount++;
    }
  }
  return `RssAnon ${fmt(anon, 1)} MB: [heap] ${fmt(heap, 1)}, thread malloc arenas ${fmt(arenas, 1)} (${arenaCount}), other ${fmt(anon - heap - arenas, 1)}`;
}

/** SIGUSR2 (node's --heapsnapshot-signal) and wait for the file; moved into bench/results/prof. */
async function heapSnapshot(red: NodeRed): Promise<void> {
  const before = new Set(fs.readdirSync(red.userDir));
  process.kill(red.pid!, "SIGUSR2");
  const name = await waitFor(() => fs.readdirSync(red.userDir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f)), { timeoutMs: 120_000, what: "the heap snapshot" });
  const src = path.join(red.userDir, name);
  // Written in place: wait until its size stops growing.
  let size = -1;
  await waitFor(async () => {
    const now = fs.statSync(src).size;
    const done = now === size && now > 0;
    size = now;
    await sleep(500);
    return done;
  }, { timeoutMs: 120_000, what: "the heap snapshot to be written" });
  const dest = path.join(RESULTS, "prof", `at-rest-${Date.now()}.heapsnapshot`);
  fs.renameSync(src, dest);
  log(`heap snapshot: ${dest} (${fmt(size / 1048576, 1)} MB); npx tsx bench/heap-summary.ts ${path.relative(REPO_ROOT, dest)}`);
}

/** The configured flow as after a reboot: before and after a first sync, then a link from the editor's routes. */
async function configuredRun(s: Services, item: LinkedItem, accessToken: string, expectPoints: number): Promise<ConfiguredRun> {
  const { args } = s;
  const red = await startNodeRed({ nodesDir: [s.pkgDir, s.influxDir], logLevel: "info", settings: args.settings, env: args.env, ...(s.nodeBin ? { nodeBin: s.nodeBin } : {}) });
  try {
    await red.deploy(...benchDeploy(s, item, accessToken, null));
    await red.stop();
    await s.influx.exec(`DROP DATABASE "${DB}"`).catch(() => undefined);
    await s.influx.createDatabase(DB);
    await red.start();
    await sleep(args.restSettleS * 1000);
    const pid = red.pid!;
    const syncCtx: Ctx = { args, red, influx: s.influx, sink: s.sink, proxy: s.proxy, influxProxy: null };
    const beforeMb = memKb(pid).rss / 1024;
    const threadsBefore = threadsOf(pid);
    log(`at rest: ${anonOf(pid)} before the first sync`);
    const sync = await syncOnce(syncCtx, expectPoints, 900_000);
    const got = await countPoints(s.influx);
    if (got !== expectPoints) throw new Error(`at rest: InfluxDB holds ${got} points, expected ${expectPoints}`);
    await sleep(args.restIdleS * 1000);
    const idleMb = memKb(pid).rss / 1024;
    const threadsIdle = threadsOf(pid);
    log(`at rest: ${anonOf(pid)} when idle`);
    if (args.restSnapshot) await heapSnapshot(red);
    const link = async (): Promise<number> => {
      const t = performance.now();
      await red.request("POST", "/plaid-sync/link-sessions", { link: "be000000000000aa", config: ID.cfg, mode: "add" }, { expectOk: true });
      return performance.now() - t;
    };
    // The editor's way: the plaid-link dialog opens (warm-up), the user reads it and clicks.
    await red.request("POST", "/plaid-sync/warm-up"); // 404 on a package from before it existed: then this is a cold link
    await sleep(2000);
    const linkWarmedMs = await link();
    // Every day after that: Node-RED restarted (a reboot, an update), then a sync with nothing new.
    await red.restart();
    await sleep(args.restSettleS * 1000);
    const daily = await syncOnce(syncCtx, null, 120_000);
    await sleep(args.restIdleS * 1000);
    const dailyIdleMb = memKb(red.pid!).rss / 1024;
    log(`at rest: ${anonOf(red.pid!)} when idle after a daily sync`);
    // A link with nothing warmed up (Plaid's client long gone), then one right after it.
    const linkColdMs = await link();
    const linkWarmMs = await link();
    return { beforeMb, idleMb, threadsBefore, threadsIdle, sync, linkColdMs, linkWarmedMs, linkWarmMs, dailyIdleMb, daily };
  } finally {
    fs.writeFileSync(path.join(RESULTS, "node-red-at-rest.log"), red.logText());
    await red.dispose();
  }
}

async function restSection(s: Services): Promise<{ text: string; summary: string }> {
  const { args } = s;
  const settleMs = args.restSettleS * 1000;
  const starts = await measureStarts({ bare: [], influxdb: [s.influxDir], "plaid-sync": [s.pkgDir] }, args.restStarts, settleMs, log);
  const { accessToken, item } = await linkVolumeItem(s.client, args.restSize);
  const expect = pointsOf(await fetchAll(s.client, accessToken, item.accounts.length), item.institutionName, args.batch);
  const runs: ConfiguredRun[] = [];
  for (let run = 1; run <= args.restRuns; run++) {
    const r = await configuredRun(s, item, accessToken, expect.points);
    runs.push(r);
    log(
      `at rest, configured run ${run}/${args.restRuns}: ${fmt(r.beforeMb, 1)} MB before the first sync (${r.threadsBefore} threads), ` +
        `${fmt(r.idleMb, 1)} MB ${args.restIdleS} s after it (${r.threadsIdle} threads); sync ${fmt(r.sync.wallMs)} ms; link ${fmt(r.linkColdMs)} ms cold, ${fmt(r.linkWarmedMs)} ms after the dialog's warm-up, ${fmt(r.linkWarmMs)} ms warm; ` +
        `after a restart, ${fmt(r.dailyIdleMb, 1)} MB ${args.restIdleS} s after a sync with nothing new (${r.daily.plaidCalls} Plaid calls)`,
    );
  }
  const med = (name: string, k: keyof StartFigure): number => median(starts[name].map((f) => f[k]));
  const bareMs = med("bare", "startMs");
  const bareMb = med("bare", "rssMb");
  const row = (label: string, ms: number, mb: number): string[] => [label, fmt(ms), ms === bareMs ? "" : `${ms >= bareMs ? "+" : ""}${fmt(ms - bareMs)}`, fmt(mb, 1), mb === bareMb ? "" : `${mb >= bareMb ? "+" : ""}${fmt(mb - bareMb, 1)}`];
  const idleMb = median(runs.map((r) => r.idleMb));
  const rows = [
    ["node-red with", "start ms", "Δ ms", "RSS MB", "Δ MB"],
    row("nothing (bare)", bareMs, bareMb),
    row("+ node-red-contrib-influxdb", med("influxdb", "startMs"), med("influxdb", "rssMb")),
    row("+ plaid-sync, installed, unused", med("plaid-sync", "startMs"), med("plaid-sync", "rssMb")),
    row("+ both, configured, before a sync", NaN, median(runs.map((r) => r.beforeMb))),
    row(`+ both, configured, ${args.restIdleS} s after a first sync`, NaN, idleMb),
    row(`+ both, restarted, ${args.restIdleS} s after a sync with nothing new`, NaN, median(runs.map((r) => r.dailyIdleMb))),
  ];
  const startDelta = med("plaid-sync", "startMs") - bareMs;
  const text = [
    "",
    `at rest: medians of ${args.restStarts} starts per variant (interleaved) and of ${args.restRuns} configured runs; RSS ${args.restSettleS} s after "Started flows"`,
    table(rows),
    "",
    `configured = example 02's flow (benchFlow), linked, after a restart; first sync of ${args.restSize} transactions (${expect.points} points) in ${fmt(median(runs.map((r) => r.sync.wallMs)))} ms;`,
    `threads ${median(runs.map((r) => r.threadsBefore))} before it, ${median(runs.map((r) => r.threadsIdle))} when idle .`,
    `link from the editor (POST link-sessions → Hosted Link URL): ${fmt(median(runs.map((r) => r.linkWarmedMs)))} ms 2 s after the dialog opened (its warm-up),`,
    `${fmt(median(runs.map((r) => r.linkColdMs)))} ms with Plaid's client gone and no warm-up (cold), ${fmt(median(runs.map((r) => r.linkWarmMs)))} ms right after another (warm).`,
    "",
  ].join("\n");
  return { text, summary: `idle_mb=${fmt(idleMb - bareMb, 1)} start_ms=${fmt(startDelta)} daily_idle_mb=${fmt(median(runs.map((r) => r.dailyIdleMb)) - bareMb, 1)}` };
}

// ---------- main ----------

interface SizeFigures {
  size: number;
  floor: FloorResult[];
  first: SyncResult[];
  noop: SyncResult[];
  points: number;
  pages: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(RESULTS, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  let cleaning = false;
  const cleanup = async (): Promise<void> => {
    if (cleaning) return;
    cleaning = true;
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  };
  process.once("SIGINT", () => {
    log("interrupted: stopping everything");
    void cleanup().finally(() => process.exit(130));
  });

  try {
    let pkgDir = REPO_ROOT;
    if (args.pkg) pkgDir = args.pkg;
    else if (args.build) {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-bench-build-"));
      cleanups.push(async () => fs.rmSync(out, { recursive: true, force: true }));
      log(`building the package into ${out} …`);
      pkgDir = buildPackage(out);
    } else if (!fs.existsSync(path.join(REPO_ROOT, "nodes", "plaid-transactions.js"))) {
      throw new Error("--no-build: run `npm run build` first");
    }

    const sim = await startSimulatorProcess();
    cleanups.push(() => stopChild(sim.child, "SIGTERM", 5000));
    const proxy = await startCountingProxy(sim.url);
    cleanups.push(() => proxy.close());
    const influx = await startInfluxd();
    cleanups.push(() => influx.dispose());
    const sink = await startSink();
    cleanups.push(() => sink.close());
    // --cpu-prof / --heap-prof (and some --node-flags) are not allowed in NODE_OPTIONS: run node-red through a wrapper
    // that execs node with them (same pid, so /proc figures stay right).
    const profDir = path.join(RESULTS, "prof");
    const profFlags = [
      ...(args.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []),
      ...(args.heapProf ? ["--heap-prof", `--heap-prof-dir=${profDir}`] : []),
      ...(args.restSnapshot ? ["--heapsnapshot-signal=SIGUSR2"] : []),
      ...args.nodeFlags,
    ];
    let nodeBin: string | undefined;
    if (profFlags.length) {
      if (args.cpuProf || args.heapProf || args.restSnapshot) fs.mkdirSync(profDir, { recursive: true });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-bench-node-"));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      nodeBin = path.join(dir, "node-prof");
      fs.writeFileSync(nodeBin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${profFlags.map((f) => JSON.stringify(f)).join(" ")} "$@"\n`, { mode: 0o755 });
    }
    const client = createPlaidClient({ basePath: proxy.url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET, timeoutMs: 120_000 });
    const services: Services = { args, pkgDir, influxDir: path.join(REPO_ROOT, "node_modules", "node-red-contrib-influxdb"), nodeBin, sim, proxy, influx, sink, client };

    // At rest first: its starts want a machine that is not still busy with the speed runs' leftovers.
    const rest = args.rest === "none" ? null : await restSection(services);
    const speed = args.rest === "only" ? null : await speedSection(services, cleanups);
    process.stdout.write((speed?.text ?? "") + (rest?.text ?? ""));
    process.stdout.write(`${[speed?.summary, rest?.summary].filter(Boolean).join(" ")}\n`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
