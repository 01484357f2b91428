/**
 * The seeded chaos run (issue "Reliability and security under faults and bad input").
 *
 * A real node-red process with the built package and node-red-contrib-influxdb (`influxdb batch`,
 * commit mode `confirm`, a Complete node and a write-error Catch wired back), a real influxd and
 * the Plaid simulator (user_transactions_dynamic: each /transactions/refresh is a day). Every
 * simulated day, a PRNG seeded with `seed` picks what goes wrong: 429s, 500s, connection resets,
 * slow answers, TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, ITEM_LOGIN_REQUIRED, InfluxDB
 * stopped (before or during the sync; its data kept), Node-RED SIGKILLed mid-sync and restarted,
 * bursts of triggers, a `resync`. Then recovery: no faults, syncs until one finds nothing new.
 *
 * Verdict: InfluxDB's live transactions (latest point per identity, removed = false) equal
 * /transactions/get — per account sums and counts and transaction by transaction — and no event
 * (output 2) was reported twice for the same change. Events and write outcomes are reported over
 * HTTP to a sink in this process, so a SIGKILL of Node-RED never loses what was already sent.
 */
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../../src/simulator/prng";
import { startInfluxd, type Influxd } from "../support/influxd";
import { REPO_ROOT, startNodeRed, startSink, type FlowNode, type MessageSink, type NodeRed, type SinkMessage } from "../support/nodered";
import { packageNodesDirs } from "../support/package-snapshot";
import { sleep, waitFor } from "../support/ports";
import { addFault, clearFaults, startTestSimulator, type FaultBody, type Simulator } from "../support/simulator";
import {
  allTransactions,
  compareInflux,
  duplicateEvents,
  linkThroughAdmin,
  simCall,
  syncFlow,
  syncFlowIds,
  type Comparison,
  type SimEndpoint,
} from "../support/sync-flow";

export interface ChaosOptions {
  days: number;
  seed: number;
  /** Points per output-1 message (small = many parts per sync, so kills land mid-sync). Default 25. */
  batchSize?: number;
  /** Progress lines; default: none. */
  log?: (line: string) => void;
  /** Max recovery syncs before giving up on "stable". Default 8. */
  maxRecoverySyncs?: number;
  /** Diagnostics: after each day whose sync went through, compare InfluxDB with Plaid and log the differences. */
  checkDaily?: boolean;
  /**
   * The simulator's syncPageLimit: updates per /transactions/sync page (the node asks for 500).
   * Small = a short run's history spans pages, so kills, mutations and resyncs happen between them.
   * Default: no limit.
   */
  syncPageLimit?: number;
}

export type FaultKind =
  | "rate-limit"
  | "server-error"
  | "connection-reset"
  | "slow"
  | "mutation"
  | "login-required"
  | "influx-down"
  | "influx-down-mid-sync"
  | "kill-early"
  | "kill-mid-sync"
  | "kill-after-write"
  | "burst"
  | "resync"
  | "no-sync";

export interface InjectedFault {
  day: number;
  kind: FaultKind;
  detail: string;
}

export interface ChaosResult {
  ok: boolean;
  seed: number;
  days: number;
  faults: InjectedFault[];
  faultCounts: Record<string, number>;
  syncRounds: number;
  recoverySyncs: number;
  stable: boolean;
  comparison: Comparison | null;
  events: number;
  duplicates: Array<{ key: string; count: number; syncIds: string[] }>;
  /** Logins broken on purpose, and the Item's login events the flow received (at most once each). */
  health: { injected: number; required: number; repaired: number };
  problems: string[];
  nodeRedCrashedUnexpectedly: boolean;
}

const CLIENT_ID = "chaos-client-id";
const SECRET = "chaos-secret-5f1c0a7d";
const DB = "plaid";

type RoundOutcome = "ok" | "failed" | "killed";

export interface PlannedFault {
  kind: FaultKind;
  detail: string;
  /** A simulator fault to add (POST /simulator/faults). */
  fault?: FaultBody;
  ms?: number;
  days?: number;
  triggers?: number;
}

const MENU: Array<[FaultKind, number]> = [
  ["rate-limit", 4],
  ["server-error", 4],
  ["connection-reset", 3],
  ["slow", 3],
  ["mutation", 3],
  ["login-required", 1],
  ["influx-down", 2],
  ["influx-down-mid-sync", 2],
  ["kill-early", 2],
  ["kill-mid-sync", 3],
  ["kill-after-write", 2],
  ["burst", 3],
  ["resync", 1],
  ["no-sync", 1],
];

/** One day's faults, from the PRNG alone: usually one, sometimes two, sometimes none; at most one process disruption. */
export function planDay(rng: Rng): PlannedFault[] {
  const kinds: FaultKind[] = [];
  const n = rng.weighted([3, 6, 2]);
  for (let i = 0; i < n; i++) {
    const k = MENU[rng.weighted(MENU.map((m) => m[1]))][0];
    if (!kinds.includes(k)) kinds.push(k);
  }
  const disruptive = kinds.filter((k) => k.startsWith("kill") || k.startsWith("influx"));
  for (const extra of disruptive.slice(1)) kinds.splice(kinds.indexOf(extra), 1);
  const sync = "/transactions/sync";
  return kinds.map((kind): PlannedFault => {
    switch (kind) {
      case "rate-limit": {
        const times = rng.int(1, 3);
        return { kind, detail: `429 x${times}`, fault: { path: sync, error: "RATE_LIMIT_EXCEEDED", times } };
      }
      case "server-error": {
        const times = rng.int(1, 3);
        const status = rng.pick([500, 502, 503]);
        return { kind, detail: `${status} x${times}`, fault: { path: sync, status, times } };
      }
      case "connection-reset": {
        const times = rng.int(1, 2);
        return { kind, detail: `reset x${times}`, fault: { path: sync, error: "CONNECTION_RESET", times } };
      }
      case "slow": {
        const ms = rng.int(200, 2500);
        return { kind, detail: `${ms} ms`, fault: { path: sync, delay_ms: ms, times: rng.int(1, 2) } };
      }
      case "mutation": {
        const times = rng.int(1, 2);
        return { kind, detail: `x${times}`, fault: { path: sync, error: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", times, after: rng.int(0, 1) } };
      }
      case "login-required":
        return { kind, detail: "", fault: { path: sync, error: "ITEM_LOGIN_REQUIRED", times: 1 } };
      case "influx-down": {
        const days = rng.int(1, 2);
        return { kind, detail: `for ${days} day(s)`, days };
      }
      case "influx-down-mid-sync": {
        const ms = rng.int(0, 150);
        return { kind, detail: `after ${ms} ms`, ms };
      }
      case "kill-early":
      case "kill-mid-sync":
      case "kill-after-write": {
        const ms = kind === "kill-early" ? rng.int(0, 120) : rng.int(0, 40);
        return { kind, detail: `+${ms} ms`, ms };
      }
      case "burst": {
        const triggers = rng.int(2, 6);
        return { kind, detail: `${triggers} triggers`, triggers };
      }
      default:
        return { kind, detail: "" };
    }
  });
}

/** The whole schedule of a seed (for choosing CI seeds and for the report). */
export function planRun(seed: number, days: number): PlannedFault[][] {
  const rng = new Rng(seed >>> 0);
  return Array.from({ length: days }, () => planDay(rng));
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? (() => undefined);
  const rng = new Rng(opts.seed >>> 0);
  const ids = syncFlowIds("c4a0");
  /** When (Date.now(), the sink's clock) each injected ITEM_LOGIN_REQUIRED was armed: duplicateEvents' epochs. */
  const loginBrokenAt: number[] = [];
  const resyncInject = `${ids.tab.slice(0, 4)}rsyn0000001`;
  const faults: InjectedFault[] = [];
  const problems: string[] = [];
  let sim: Simulator | null = null;
  let influx: Influxd | null = null;
  let red: NodeRed | null = null;
  let sink: MessageSink | null = null;
  let rounds = 0;
  let recoverySyncs = 0;
  let stable = false;
  let comparison: Comparison | null = null;
  let unexpectedExit = false;

  const check = (): { sim: Simulator; influx: Influxd; red: NodeRed; sink: MessageSink } => ({ sim: sim!, influx: influx!, red: red!, sink: sink! });

  try {
    sim = await startTestSimulator({ clientId: CLIENT_ID, secret: SECRET, today: "2024-03-01", syncPageLimit: opts.syncPageLimit });
    influx = await startInfluxd();
    await influx.createDatabase(DB);
    sink = await startSink();
    red = await startNodeRed({ adminAuth: true, nodesDir: packageNodesDirs() });
    const S: SimEndpoint = sim;

    const flowsFor = (linked?: Parameters<typeof syncFlow>[0]["linked"]): FlowNode[] =>
      syncFlow({
        ids,
        simUrl: sim!.url,
        influx: influx!,
        db: DB,
        sinkUrl: sink!.url,
        linked,
        batchSize: opts.batchSize ?? 25,
        extra: [
          { id: resyncInject, type: "inject", z: ids.tab, name: "resync", props: [{ p: "payload" }, { p: "topic", vt: "str" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "resync", payload: "", payloadType: "date", x: 100, y: 40, wires: [[ids.tx]] },
        ],
      });

    await red.deploy(flowsFor(), { [ids.cfg]: { clientId: CLIENT_ID, secret: SECRET } });
    const linked = await linkThroughAdmin(red, S, { link: ids.link, config: ids.cfg }, { username: "user_transactions_dynamic", password: "pass_good" });
    await red.deploy(flowsFor(linked));
    const accessToken = String(red.readCredentials()[ids.link]?.accessToken ?? "");
    if (!accessToken) throw new Error("the access token did not reach flows_cred.json after deploy");
    log(`linked ${linked.institutionName} (${linked.accounts.length} accounts); node-red ${red.url}, influxd ${influx.url}, simulator ${sim.url}`);

    /** Waits for every part reported since `from` to come back (confirmed or refused). */
    const partsSettled = (from: number): boolean => {
      const msgs = sink!.messages.slice(from);
      const parts = msgs.filter((m) => m.path === "/parts").map((m) => m.body as { plaid: { syncId: string; part: number } });
      const back = new Set(
        msgs.filter((m) => m.path === "/confirmed" || m.path === "/write-error").map((m) => `${(m.body as { syncId: string }).syncId}#${(m.body as { part: number }).part}`),
      );
      return parts.every((p) => back.has(`${p.plaid.syncId}#${p.plaid.part}`));
    };

    const triggersAnswered = (from: number): number => sink!.messages.slice(from).filter((m) => m.path === "/trigger" || m.path === "/sync-error").length;

    /**
     * One sync round: `triggers` injects (a burst when > 1), an optional disruption, then wait
     * until every trigger answered and every part came back. "killed" when Node-RED was killed.
     */
    const round = async (
      triggers: number,
      disrupt?: { kind: "kill"; when: "early" | "mid" | "late"; ms: number } | { kind: "influx-stop"; ms: number },
      topicInject = ids.inject,
    ): Promise<{ outcome: RoundOutcome; msgs: SinkMessage[] }> => {
      const { red: r, sink: k, influx: db } = check();
      rounds++;
      const from = k.messages.length;
      // One login before a burst of parallel presses (Node-RED counts concurrent logins as attempts).
      if (r.adminUser) await r.token();
      const presses = Array.from({ length: triggers }, (_, i) => (i === 0 ? r.inject(topicInject) : r.inject(ids.inject)));
      if (disrupt?.kind === "kill") {
        const since = () => k.messages.slice(from);
        if (disrupt.when === "early") await sleep(disrupt.ms);
        else {
          const want = disrupt.when === "mid" ? ["/parts", "/events"] : ["/confirmed"];
          await waitFor(() => since().some((m) => want.includes(m.path)) || triggersAnswered(from) >= triggers, { timeoutMs: 60_000, intervalMs: 5, what: "the sync to get going" });
          await sleep(disrupt.ms);
        }
        await Promise.allSettled(presses);
        await r.kill("SIGKILL");
        await r.start();
        return { outcome: "killed", msgs: k.messages.slice(from) };
      }
      await Promise.all(presses);
      if (disrupt?.kind === "influx-stop") {
        await sleep(disrupt.ms);
        await db.stop();
      }
      await waitFor(() => triggersAnswered(from) >= triggers, { timeoutMs: 180_000, intervalMs: 20, what: `${triggers} trigger(s) to be answered` });
      await waitFor(() => partsSettled(from), { timeoutMs: 120_000, intervalMs: 20, what: "every part to come back from the InfluxDB node" });
      // A coalesced follow-up may still be waiting on confirmations of the previous sync: let the
      // engine see the last confirmation before the next round (bounded, not an assertion).
      await sleep(50);
      const msgs = k.messages.slice(from);
      const failed = msgs.some((m) => m.path === "/sync-error" || m.path === "/write-error");
      return { outcome: failed ? "failed" : "ok", msgs };
    };

    const note = (day: number, kind: FaultKind, detail = ""): void => {
      faults.push({ day, kind, detail });
    };

    let influxDownUntil = 0;
    for (let day = 1; day <= opts.days; day++) {
      const { red: r, influx: db } = check();
      if (!r.running) {
        unexpectedExit = true;
        problems.push(`day ${day}: node-red was not running (exited on its own); log tail:\n${r.logTail(2000)}`);
        await r.start();
      }
      await clearFaults(S);
      if (influxDownUntil && day >= influxDownUntil && !db.running) {
        await db.start();
        influxDownUntil = 0;
      }
      // Today's activity at the bank.
      await simCall(S, "/transactions/refresh", { access_token: accessToken });

      // What goes wrong today (planned from the seed alone, so a seed always means the same faults).
      const plan = planDay(rng);
      const picks = plan.map((p) => p.kind);
      let triggers = 1;
      let disrupt: Parameters<typeof round>[1];
      let topicInject = ids.inject;
      let skip = false;
      for (const f of plan) {
        note(day, f.kind, f.detail);
        if (f.fault) await addFault(S, f.fault);
        if (f.kind === "login-required") loginBrokenAt.push(Date.now());
        switch (f.kind) {
          case "influx-down":
            if (db.running) await db.stop();
            influxDownUntil = day + (f.days ?? 1);
            break;
          case "influx-down-mid-sync":
            disrupt = { kind: "influx-stop", ms: f.ms ?? 0 };
            influxDownUntil = day + 1;
            break;
          case "kill-early":
          case "kill-mid-sync":
          case "kill-after-write":
            disrupt = { kind: "kill", when: f.kind === "kill-early" ? "early" : f.kind === "kill-mid-sync" ? "mid" : "late", ms: f.ms ?? 0 };
            break;
          case "burst":
            triggers = f.triggers ?? 2;
            break;
          case "resync":
            topicInject = resyncInject;
            break;
          case "no-sync":
            skip = true;
            break;
          default:
            break;
        }
      }
      if (skip && !disrupt) {
        log(`day ${String(day).padStart(3)}: no sync today`);
        continue;
      }
      const { outcome, msgs } = await round(triggers, disrupt, topicInject);
      const events = msgs.filter((m) => m.path === "/events").length;
      // Which syncs were resyncs (asked for, or one carried through after an interruption).
      const resyncs = msgs.filter((m) => m.path === "/parts" && (m.body as { plaid: { summary?: { mode: string } } }).plaid.summary?.mode === "resync").length;
      log(`day ${String(day).padStart(3)}: ${outcome.padEnd(6)} ${picks.length ? picks.join(", ") : "no faults"}${events ? ` (${events} events)` : ""}${resyncs ? " [resync]" : ""}`);
      // InfluxDB stopped mid-sync after the parts landed is still an "ok" round: nothing to query then.
      if (opts.checkDaily && outcome === "ok" && check().influx.running) {
        const c = await compareInflux(check().influx, DB, await allTransactions(S, accessToken));
        if (!c.ok) log(`         ${c.differences} differences; first: ${c.firstDiff?.transaction_id} ${c.firstDiff?.why}`);
      }
    }

    // ---- recovery: no faults, everything up, sync until nothing new ----
    {
      const { red: r, influx: db } = check();
      await clearFaults(S);
      if (!db.running) await db.start();
      if (!r.running) {
        unexpectedExit = true;
        problems.push("node-red was not running at the start of recovery");
        await r.start();
      }
    }
    const max = opts.maxRecoverySyncs ?? 8;
    for (let i = 0; i < max && !stable; i++) {
      recoverySyncs++;
      const { outcome, msgs } = await round(1);
      const last = msgs.filter((m) => m.path === "/parts").map((m) => m.body as { plaid: { last: boolean; summary?: { added: number; modified: number; removed: number } } }).find((p) => p.plaid.last);
      const s = last?.plaid.summary;
      const quiet = !!s && s.added + s.modified + s.removed === 0;
      log(`recovery ${i + 1}: ${outcome}${s ? ` (+${s.added} ~${s.modified} -${s.removed})` : ""}`);
      if (outcome === "ok" && quiet) stable = true;
      else if (outcome !== "ok") {
        // Expected right after an outage (e.g. the influx client still backing off: "No host
        // available"); the verdict only needs a stable sync in the end. Give it a moment.
        const errs = msgs.filter((m) => m.path === "/sync-error" || m.path === "/write-error").map((m) => JSON.stringify(m.body));
        log(`  recovery sync ${i + 1} failed: ${errs.join("; ").slice(0, 300)}`);
        await sleep(1000);
      }
    }
    if (!stable) problems.push(`no stable (fault-free, nothing new) sync within ${max} recovery syncs`);

    const truth = await allTransactions(S, accessToken);
    comparison = await compareInflux(influx, DB, truth);
    if (!check().red.running) unexpectedExit = true;
  } catch (err) {
    problems.push(`the run itself failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    if (red && problems.length) {
      try {
        fs.mkdirSync(path.join(REPO_ROOT, "test-artifacts"), { recursive: true });
        fs.writeFileSync(path.join(REPO_ROOT, "test-artifacts", `chaos-${opts.seed}-node-red.log`), red.logText());
      } catch {
        /* best effort */
      }
    }
    await red?.dispose().catch(() => undefined);
    await influx?.dispose().catch(() => undefined);
    await sim?.close().catch(() => undefined);
  }

  const duplicates = sink ? duplicateEvents(sink, { healthEpochs: loginBrokenAt }) : [];
  const topics = sink ? sink.on("/events").map((m) => (m.body as { topic?: string }).topic ?? "") : [];
  const health = { injected: loginBrokenAt.length, required: topics.filter((t) => t.endsWith("/item/ITEM_LOGIN_REQUIRED")).length, repaired: topics.filter((t) => t.endsWith("/item/LOGIN_REPAIRED")).length };
  const events = topics.length;
  await sink?.close().catch(() => undefined);
  const faultCounts: Record<string, number> = {};
  for (const f of faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
  if (unexpectedExit) problems.push("node-red exited without being killed");
  const ok = problems.length === 0 && stable && !!comparison?.ok && duplicates.length === 0;
  return {
    ok,
    seed: opts.seed,
    days: opts.days,
    faults,
    faultCounts,
    syncRounds: rounds,
    recoverySyncs,
    stable,
    comparison,
    events,
    duplicates,
    health,
    problems,
    nodeRedCrashedUnexpectedly: unexpectedExit,
  };
}

/** A human report of a run; says the seed and the first differing transaction on divergence. */
export function formatResult(r: ChaosResult): string {
  const lines: string[] = [];
  lines.push(`chaos: seed ${r.seed}, ${r.days} days, ${r.syncRounds} sync rounds (${r.recoverySyncs} in recovery)`);
  lines.push(`faults injected (${r.faults.length}): ${Object.entries(r.faultCounts).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`);
  for (const f of r.faults) lines.push(`  day ${String(f.day).padStart(3)}  ${f.kind}${f.detail ? ` (${f.detail})` : ""}`);
  const c = r.comparison;
  if (c) {
    lines.push(`InfluxDB vs /transactions/get: ${c.liveCount} live points, ${c.truthCount} transactions at Plaid, ${c.differences} differences`);
    for (const a of c.perAccount) lines.push(`  ${a.account_id}: count ${a.gotCount}/${a.wantCount}, sum ${a.gotSum.toFixed(2)}/${a.wantSum.toFixed(2)}`);
  }
  lines.push(`events: ${r.events} reported, ${r.duplicates.length} emitted more than once`);
  lines.push(
    `login broken on purpose ${r.health.injected}x: ITEM_LOGIN_REQUIRED received ${r.health.required}, LOGIN_REPAIRED ${r.health.repaired}` +
      (r.health.repaired < r.health.required ? " (events are sent at most once: a kill just after one is saved loses it)" : ""),
  );
  for (const d of r.duplicates.slice(0, 5)) lines.push(`  duplicate: ${d.key} x${d.count} (syncs ${d.syncIds.join(", ")})`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  if (r.ok) lines.push(`RESULT: OK — InfluxDB matches Plaid exactly, no event twice (seed ${r.seed})`);
  else {
    lines.push(`RESULT: DIVERGED — reproduce with: npm run chaos -- --days ${r.days} --seed ${r.seed}`);
    if (c?.firstDiff) lines.push(`first differing transaction: ${c.firstDiff.transaction_id}: ${c.firstDiff.why}\n  plaid:  ${JSON.stringify(c.firstDiff.want ?? null)}\n  influx: ${JSON.stringify(c.firstDiff.got ?? null)}`);
  }
  return lines.join("\n");
}
