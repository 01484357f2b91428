/**
 * The proof of the product (DESIGN §8): a real node-red process with the built package and
 * node-red-contrib-influxdb, a real influxd 1.x, the Plaid simulator on its own port. We link an
 * Item through the admin routes, deploy the InfluxDB flow (commit: confirm), then live through
 * 30 simulated days of /transactions/refresh with a sync after each — with a Node-RED restart,
 * a Node-RED crash, an InfluxDB outage and Plaid faults on the way — and check that InfluxDB holds, per account,
 * the same sum and count of live transactions as /transactions/get, and one balance point per
 * account per successful sync.
 *
 * Needs `npm run build` (nodes/ is build output) and /usr/bin/influxd.
 */
import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startInfluxd, type Influxd } from "../support/influxd";
import { REPO_ROOT, snapshotPackage, startNodeRed, startSink, type FlowNode, type MessageSink, type NodeRed } from "../support/nodered";
import { addFault, startTestSimulator, type FaultBody, type Simulator } from "../support/simulator";
import { allTransactions, linkThroughAdmin, simCall } from "../support/sync-flow";
import { dashboardChecks, type History } from "./influx-e2e-dashboard";

const DAYS = 30;
const RESTART_DAY = 10; // clean Node-RED restart before this day's sync
const OUTAGE_FROM = 14; // InfluxDB down for the syncs of days 14 and 15
const OUTAGE_TO = 16; // back before day 16's sync
const CRASH_DAY = 22; // Node-RED SIGKILLed before this day's sync
/** Plaid-side faults (POST /simulator/faults) before a day's sync: retried by the engine, or a restarted loop. */
const FAULTS: Record<number, FaultBody> = {
  5: { path: "/transactions/sync", error: "RATE_LIMIT_EXCEEDED", times: 1 },
  7: { path: "/transactions/sync", error: "INTERNAL_SERVER_ERROR", times: 2 },
  12: { path: "/transactions/sync", error: "CONNECTION_RESET", times: 1 },
  18: { path: "/transactions/sync", error: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", times: 1 },
};
const CLIENT_ID = "e2e-client-id";
const SECRET = "e2e-secret-0123456789abcdef";
const INSTITUTION = "ins_109508"; // First Platypus Bank
const DB = "plaid";

const ID = {
  tab: "e2e0000000000001",
  cfg: "e2e0000000000002",
  link: "e2e0000000000003",
  inject: "e2e0000000000004",
  tx: "e2e0000000000005",
  batch: "e2e0000000000006",
  influx: "e2e0000000000007",
  complete: "e2e0000000000008",
  catchWrite: "e2e0000000000009",
  catchSync: "e2e000000000000a",
};

function assertBuilt(): void {
  const missing = ["nodes/plaid-config.js", "nodes/plaid-link.js", "nodes/plaid-transactions.js", "dist/nodes/plaid-transactions.js"].filter(
    (f) => !fs.existsSync(path.join(REPO_ROOT, f)),
  );
  if (missing.length) throw new Error(`the package is not built (missing ${missing.join(", ")}): run \`npm run build\` first`);
}

/** A sink reporter: function node (shape the msg) → http request POST <sink>/<name>. */
function report(idBase: string, name: string, shape: string, x: number, y: number, sinkUrl: string): FlowNode[] {
  return [
    { id: `${idBase}f`, type: "function", z: ID.tab, name: `to sink ${name}`, func: shape, outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x, y, wires: [[`${idBase}h`]] },
    {
      id: `${idBase}h`, type: "http request", z: ID.tab, name: `POST ${name}`, method: "POST", ret: "txt", paytoqs: "ignore", url: `${sinkUrl}/${name}`,
      tls: "", persist: false, proxy: "", insecureHTTPParser: false, authType: "", senderr: false, headers: [], x: x + 200, y, wires: [[]],
    },
  ];
}

function flows(sim: Simulator, influx: Influxd, sinkUrl: string, linked?: { itemId: string; institutionId: string; institutionName: string; accounts: unknown[] }): FlowNode[] {
  return [
    { id: ID.tab, type: "tab", label: "e2e", disabled: false, info: "" },
    {
      id: ID.cfg, type: "plaid-config", name: "simulator", environment: "custom", basePath: sim.url, clientName: "Node-RED e2e", countryCodes: "US",
      language: "en", redirectUri: "", daysRequested: 730, publicUrl: "",
    },
    {
      id: ID.link, type: "plaid-link", name: "My bank", config: ID.cfg,
      itemId: linked?.itemId ?? "", institutionId: linked?.institutionId ?? "", institutionName: linked?.institutionName ?? "", accounts: linked?.accounts ?? [],
    },
    { id: ID.inject, type: "inject", z: ID.tab, name: "sync", props: [{ p: "payload" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", payload: "", payloadType: "date", x: 100, y: 100, wires: [[ID.tx]] },
    {
      id: ID.tx, type: "plaid-transactions", z: ID.tab, name: "", link: ID.link, measurement: "plaid_transactions", balanceMeasurement: "plaid_balances",
      includePending: true, invertAmounts: false, timezone: "", batchSize: 40, commit: "confirm", x: 300, y: 100, wires: [[ID.batch], ["ev0f"]],
    },
    { id: ID.batch, type: "influxdb batch", z: ID.tab, influxdb: ID.influx, precision: "", retentionPolicy: "", name: "write", database: DB, precisionV18FluxV20: "ms", retentionPolicyV18Flux: "", org: "", bucket: "", x: 520, y: 100, wires: [] },
    {
      id: ID.influx, type: "influxdb", hostname: "127.0.0.1", port: String(influx.port), protocol: "http", database: DB, name: "e2e influx", usetls: false, tls: "",
      influxdbVersion: "1.x", url: influx.url, timeout: "10", rejectUnauthorized: true,
    },
    // Confirmations back into plaid-transactions, and a copy to the sink.
    { id: ID.complete, type: "complete", z: ID.tab, name: "written", scope: [ID.batch], uncaught: false, x: 100, y: 200, wires: [[ID.tx, "ok0f"]] },
    ...report("ok0", "confirmed", "return { payload: { plaid: msg.plaid, points: Array.isArray(msg.payload) ? msg.payload.length : 0 } };", 300, 200, sinkUrl),
    { id: ID.catchWrite, type: "catch", z: ID.tab, name: "write errors", scope: [ID.batch], uncaught: false, x: 100, y: 260, wires: [[ID.tx, "we0f"]] },
    ...report("we0", "write-error", "return { payload: { plaid: msg.plaid, message: msg.error && msg.error.message } };", 300, 260, sinkUrl),
    { id: ID.catchSync, type: "catch", z: ID.tab, name: "sync errors", scope: [ID.tx], uncaught: false, x: 100, y: 320, wires: [["se0f"]] },
    ...report("se0", "sync-error", "return { payload: { error: msg.error && { message: msg.error.message, code: msg.error.code }, plaidError: msg._error } };", 300, 320, sinkUrl),
    ...report("ev0", "events", "return { payload: { topic: msg.topic, id: msg.payload && msg.payload.transaction_id } };", 520, 160, sinkUrl),
  ];
}

describe("end to end: Node-RED → InfluxDB 1.x over 30 simulated days", function () {
  this.timeout(300_000);

  let sim: Simulator;
  let influx: Influxd;
  let red: NodeRed;
  let sink: MessageSink;
  let pkg: string;
  let failed = false;
  /** Set when the 30 days are done and checked: what the dashboard tests below need. */
  let history: History | undefined;

  before(async function () {
    assertBuilt();
    pkg = snapshotPackage();
    sim = await startTestSimulator({ clientId: CLIENT_ID, secret: SECRET });
    influx = await startInfluxd();
    await influx.createDatabase(DB);
    sink = await startSink();
    red = await startNodeRed({ adminAuth: true, nodesDir: [pkg, path.join(REPO_ROOT, "node_modules", "node-red-contrib-influxdb")] });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    if (failed && red) {
      // Leave a trace for CI: Node-RED's log goes to test-artifacts/.
      const dir = path.join(REPO_ROOT, "test-artifacts");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "influx-e2e-node-red.log"), red.logText());
    }
    await red?.dispose();
    await influx?.dispose();
    await sink?.close();
    await sim?.close();
    if (pkg) fs.rmSync(pkg, { recursive: true, force: true });
  });

  it("keeps InfluxDB equal to Plaid through restarts, a crash and an outage", async function () {
    // ---- modules loaded ----
    const sets = await red.nodeSets();
    for (const type of ["plaid-config", "plaid-link", "plaid-transactions", "influxdb batch"]) {
      const set = sets.find((s) => s.types.includes(type));
      assert.ok(set, `node type ${type} is registered`);
      assert.ok(!set.err, `node set ${set.id} loaded without error: ${JSON.stringify(set.err)}`);
    }

    // ---- deploy unlinked, then link through the admin routes ----
    await red.deploy(flows(sim, influx, sink.url), { [ID.cfg]: { clientId: CLIENT_ID, secret: SECRET } });

    const unauth = await red.request("POST", "/plaid-sync/link-sessions", { link: ID.link, config: ID.cfg, mode: "add" }, { token: null });
    assert.strictEqual(unauth.status, 401, "link-sessions needs admin auth");

    // Hosted Link (the default): the user finishes on Plaid's page, the server polls Plaid.
    const linked = await linkThroughAdmin(red, sim, { link: ID.link, config: ID.cfg }, { institutionId: INSTITUTION, username: "user_transactions_dynamic", password: "pass_good" });
    assert.ok(linked.itemId, "the session reports the Item id");
    assert.strictEqual(linked.institutionName, "First Platypus Bank");
    assert.ok(!JSON.stringify(linked).includes("access-"), "no access token in what the editor is told");

    // What the editor does with what it is told: fill the plaid-link node, Deploy.
    await red.deploy(flows(sim, influx, sink.url, linked));

    const accessToken = String(red.readCredentials()[ID.link]?.accessToken ?? "");
    assert.ok(accessToken, "the access token is in flows_cred.json (encrypted) after deploy");
    assert.ok(!red.readUserFile("flows_cred.json")!.includes(accessToken), "flows_cred.json is encrypted");

    // ---- 30 days ----
    const successfulSyncs: string[] = [];
    const failedSyncs: string[] = [];
    /** Syncs whose last part (the one with the balance points) was written. */
    const balanceSyncs = new Set<string>();

    /** Presses inject and waits for the sync's outcome: all parts confirmed, or a write/sync error. */
    const syncOnce = async (): Promise<"ok" | "failed"> => {
      const from = sink.messages.length;
      await red.inject(ID.inject);
      const first = await sink.waitFor(
        (m) =>
          (m.path === "/confirmed" && (m.body as { plaid?: { last?: boolean } }).plaid?.last === true) ||
          m.path === "/write-error" ||
          m.path === "/sync-error",
        { from, timeoutMs: 60_000, what: "a sync outcome (confirmed last part, or an error)" },
      );
      if (first.path === "/confirmed") {
        const syncId = (first.body as { plaid: { syncId: string } }).plaid.syncId;
        balanceSyncs.add(syncId);
        const errs = sink.messages.slice(from).filter((m) => m.path !== "/confirmed" && m.path !== "/events");
        if (errs.length === 0) {
          successfulSyncs.push(syncId);
          return "ok";
        }
      }
      const syncId = (first.body as { plaid?: { syncId?: string } }).plaid?.syncId ?? `error-${from}`;
      failedSyncs.push(syncId);
      // Let the rest of this sync's parts come back (or fail) before the next trigger.
      await new Promise((r) => setTimeout(r, 300));
      return "failed";
    };

    for (let day = 1; day <= DAYS; day++) {
      if (day === RESTART_DAY) await red.restart();
      if (day === CRASH_DAY) {
        await red.kill("SIGKILL");
        await red.start();
      }
      if (day === OUTAGE_FROM) await influx.stop();
      if (day === OUTAGE_TO) await influx.start();
      if (day > 1) await simCall(sim, "/transactions/refresh", { access_token: accessToken });
      if (FAULTS[day]) await addFault(sim, FAULTS[day]);

      const outcome = await syncOnce();
      const influxDown = day >= OUTAGE_FROM && day < OUTAGE_TO;
      if (influxDown) {
        assert.strictEqual(outcome, "failed", `day ${day}: the write fails while InfluxDB is down`);
      } else if (outcome === "failed") {
        // Right after the outage the InfluxDB client may still back off; a retry must succeed.
        let retried: "ok" | "failed" = "failed";
        for (let i = 0; i < 5 && retried === "failed"; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          retried = await syncOnce();
        }
        assert.strictEqual(retried, "ok", `day ${day}: a sync succeeds again once InfluxDB is up (log: ${red.logTail(1500)})`);
      }
    }

    // ---- compare ----
    const truth = await allTransactions(sim, accessToken);
    const want = new Map<string, { sum: number; count: number }>();
    for (const t of truth) {
      const a = want.get(t.account_id) ?? { sum: 0, count: 0 };
      a.sum += t.amount;
      a.count += 1;
      want.set(t.account_id, a);
    }
    assert.ok(truth.length > 0, "the simulated bank has transactions");

    const rows = await influx.rows(`SELECT sum("amount") AS s, count("amount") AS c FROM "plaid_transactions" WHERE "removed" = false GROUP BY "account_id"`, DB);
    const got = new Map(rows.map((r) => [String(r.account_id), { sum: Number(r.s), count: Number(r.c) }]));
    for (const [account, w] of want) {
      const g = got.get(account);
      assert.ok(g, `InfluxDB has transactions of account ${account}`);
      assert.strictEqual(g.count, w.count, `account ${account}: live transaction count`);
      assert.ok(Math.abs(g.sum - w.sum) < 0.005, `account ${account}: sum ${g.sum} vs ${w.sum}`);
    }
    for (const account of got.keys()) assert.ok(want.has(account), `no transactions for unknown account ${account}`);

    // Pending → posted and removals left tombstones, not doubles.
    const tomb = await influx.rows(`SELECT count("amount") AS c FROM "plaid_transactions" WHERE "removed" = true`, DB);
    assert.ok(Number(tomb[0]?.c ?? 0) > 0, "some tombstones were written (pending transactions posted over 30 days)");

    // One balance point per account per sync whose last part was written (none while InfluxDB was down),
    // for every account the Item shares: those /transactions/sync returns and the IRA it leaves out.
    const synced = await simCall<{ accounts: Array<{ account_id: string }> }>(sim, "/transactions/sync", { access_token: accessToken, count: 1 });
    const all = await simCall<{ accounts: Array<{ account_id: string; type: string }> }>(sim, "/accounts/get", { access_token: accessToken });
    const accounts = all.accounts.map((a) => a.account_id);
    assert.ok(synced.accounts.length > 0 && all.accounts.some((a) => a.type === "investment" && !synced.accounts.some((s) => s.account_id === a.account_id)), "the Item has an account /transactions/sync leaves out");
    const balances = await influx.rows(`SELECT count("current") AS c FROM "plaid_balances" GROUP BY "account_id"`, DB);
    assert.ok(successfulSyncs.length >= DAYS - (OUTAGE_TO - OUTAGE_FROM), `at least one successful sync per day outside the outage (${successfulSyncs.length})`);
    assert.deepStrictEqual(balances.map((r) => String(r.account_id)).sort(), [...accounts].sort(), "balance points for exactly the Item's accounts");
    for (const account of accounts) {
      const b = balances.find((r) => r.account_id === account);
      assert.strictEqual(Number(b?.c ?? 0), balanceSyncs.size, `account ${account}: one balance point per sync that was written`);
    }

    console.log(
      `      ${DAYS} days: ${truth.length} transactions in ${want.size} accounts, ${successfulSyncs.length} syncs written, ` +
        `${failedSyncs.length} refused (outage), ${Number(tomb[0]?.c ?? 0)} tombstones`,
    );

    // No secret in Node-RED's log or userDir files in plaintext.
    const log = red.logText();
    for (const secret of [SECRET, accessToken]) {
      assert.ok(!log.includes(secret), "no secret in the Node-RED log");
      for (const f of red.userFiles()) {
        assert.ok(!fs.readFileSync(path.join(red.userDir, f), "utf8").includes(secret), `no plaintext secret in ${f}`);
      }
    }
    history = { accessToken, itemId: linked.itemId, institutionName: linked.institutionName };
  });

  // Every panel of grafana/dashboard.json on what these 30 days left in InfluxDB.
  dashboardChecks(() => ({ sim, influx, db: DB, history }));
});
