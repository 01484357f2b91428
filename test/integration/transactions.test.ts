/**
 * plaid-transactions in the real Node-RED runtime (node-red-node-test-helper) with the real
 * plaid-config and plaid-link nodes, against the simulator (reached only through the official
 * client). Output 1 feeds a model of InfluxDB (last write per measurement + tags + timestamp);
 * after every simulated day its per-account sums must equal /transactions/get.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PlaidApi } from "plaid";
import type { InfluxPoint } from "../../src/influx/points";
import { DEFAULT_BATCH_SIZE } from "../../src/sync/parts";
import { nodeRedRuntimePath, nodeRedTestHelper, plaidNodeModules, runtimeSuite } from "../support/red";
import { addFault, linkSandboxItem, plaidTruth, volumeUserPassword, type Simulator } from "../support/simulator";

const changeNode = require(require.resolve("@node-red/nodes/core/function/15-change.js", { paths: [path.dirname(nodeRedRuntimePath())] }));

type Msg = Record<string, unknown> & { payload?: unknown; topic?: string; plaid?: Record<string, unknown>; error?: Record<string, unknown> };
interface TestNode extends NodeJS.EventEmitter {
  receive(msg: Msg): void;
  status: { args?: unknown[][]; getCalls?: () => Array<{ args: unknown[] }> };
  id: string;
}
const helper = nodeRedTestHelper();
// The node modules, with Node-RED's i18n on the real message catalogs (test/support/red.ts).
let plaidConfig: unknown, plaidLink: unknown, plaidTransactions: unknown;
before(async () => {
  const m = await plaidNodeModules();
  plaidConfig = m.config;
  plaidLink = m.link;
  plaidTransactions = m.transactions;
});


const SECRET = "integration-plaid-secret-4f9c2b7e";
const CLIENT_ID = "integration-client-id";

function pointKey(p: InfluxPoint): string {
  const tags = Object.keys(p.tags)
    .sort()
    .map((k) => `${k}=${p.tags[k]}`)
    .join(",");
  return `${p.measurement}|${tags}|${new Date(p.timestamp).getTime()}`;
}

/** What InfluxDB would hold after the points of output 1 were written in order. */
class InfluxModel {
  readonly points = new Map<string, InfluxPoint>();
  write(points: InfluxPoint[]): void {
    for (const p of points) {
      const k = pointKey(p);
      const prev = this.points.get(k);
      this.points.set(k, prev ? { ...p, fields: { ...prev.fields, ...p.fields } } : p);
    }
  }
  sums(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.points.values()) if (p.measurement === "plaid_transactions") out.set(p.tags.account_id, (out.get(p.tags.account_id) ?? 0) + Number(p.fields.amount));
    for (const [k, v] of out) out.set(k, Math.round(v * 100));
    return out;
  }
  live(): InfluxPoint[] {
    return [...this.points.values()].filter((p) => p.measurement === "plaid_transactions" && p.fields.removed === false);
  }
  identities(): Map<string, string> {
    return new Map(this.live().map((p) => [String(p.fields.transaction_id), pointKey(p)]));
  }
}


function assertMatches(db: InfluxModel, t: { sums: Map<string, number>; ids: Set<string> }, label: string): void {
  const got = db.sums();
  for (const a of new Set([...got.keys(), ...t.sums.keys()])) assert.strictEqual(got.get(a) ?? 0, t.sums.get(a) ?? 0, `${label}: sum of ${a}`);
  assert.deepStrictEqual(new Set(db.live().map((p) => String(p.fields.transaction_id))), t.ids, `${label}: live points = Plaid's transactions`);
}

function eventKey(m: Msg): string {
  const p = m.payload as Record<string, unknown>;
  return `${m.topic}|${String(p.transaction_id)}|${String(p.amount)}|${String(p.date)}`;
}

function assertNoRepeats(events: Msg[], label: string): void {
  const seen = new Set<string>();
  for (const e of events) {
    const k = eventKey(e);
    assert.ok(!seen.has(k), `${label}: repeated event ${k}`);
    seen.add(k);
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("plaid-transactions in Node-RED (against the simulator)", function () {
  this.timeout(120_000);
  let sim: Simulator;
  let client: PlaidApi;
  let userDir: string;
  let item: { accessToken: string; itemId: string };
  let db: InfluxModel;
  let points: Msg[];
  let events: Msg[];
  let caught: Msg[];
  let acks: Msg[];

  const suite = runtimeSuite(helper, { clientId: CLIENT_ID, secret: SECRET, dirPrefix: "plaid-tx-int-" });
  beforeEach(() => {
    ({ sim, client, dir: userDir } = suite);
    db = new InfluxModel();
    points = [];
    events = [];
    caught = [];
    acks = [];
  });

  interface FlowOpts {
    commit?: "send" | "confirm";
    withCompleteNode?: boolean;
    /** null: the property is left out of the flow, as in a hand-written or older flow. */
    batchSize?: number | null;
    lineProtocol?: boolean;
    /** false: output 2 has no wire (the usual InfluxDB-only flow). */
    eventsWired?: boolean;
    linkMode?: "hosted" | "embedded";
  }

  function flow(o: FlowOpts = {}): unknown[] {
    const confirm = o.commit === "confirm";
    const nodes: unknown[] = [
      { id: "c1", type: "plaid-config", name: "sim", environment: "custom", basePath: sim.url, clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "http://nr.example:1880", linkMode: o.linkMode ?? "embedded" },
      {
        id: "l1",
        type: "plaid-link",
        config: "c1",
        name: "",
        itemId: item.itemId,
        institutionId: "ins_109508",
        institutionName: "First Platypus Bank",
        accounts: [],
      },
      {
        id: "t1",
        type: "plaid-transactions",
        name: "",
        link: "l1",
        measurement: "plaid_transactions",
        balanceMeasurement: "plaid_balances",
        includePending: true,
        invertAmounts: false,
        timezone: "",
        ...(o.batchSize === null ? {} : { batchSize: o.batchSize ?? 5000 }),
        commit: o.commit ?? "send",
        lineProtocol: o.lineProtocol ?? false,
        // In confirm mode the points pass a stand-in for the InfluxDB node (a change node, which
        // completes every message) watched by a Complete node wired back, as in examples/02.
        wires: [[confirm ? "db" : "out1"], o.eventsWired === false ? [] : ["out2"]],
      },
      { id: "out1", type: "helper" },
      { id: "out2", type: "helper" },
      { id: "catch1", type: "catch", scope: ["t1"], uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper" },
    ];
    if (confirm) {
      nodes.push({ id: "db", type: "change", rules: [], wires: [["out1"]] });
      if (o.withCompleteNode) nodes.push({ id: "complete1", type: "complete", scope: ["db"], uncaught: false, wires: [["t1", "acks"]] });
      nodes.push({ id: "acks", type: "helper" });
    }
    return nodes;
  }

  async function load(o: FlowOpts = {}): Promise<TestNode> {
    await helper.load([plaidConfig, plaidLink, plaidTransactions, changeNode], flow(o), {
      c1: { clientId: CLIENT_ID, secret: SECRET },
      l1: { accessToken: item.accessToken },
    });
    helper.getNode<TestNode>("out1").on("input", (m: Msg) => {
      points.push(m);
      db.write(m.payload as InfluxPoint[]);
    });
    helper.getNode<TestNode>("out2").on("input", (m: Msg) => void events.push(m));
    helper.getNode<TestNode>("caught").on("input", (m: Msg) => void caught.push(m));
    if (o.commit === "confirm") helper.getNode<TestNode>("acks").on("input", (m: Msg) => void acks.push(m));
    return helper.getNode<TestNode>("t1");
  }

  /** Sends a trigger and waits for the sync it starts (or joins) to end: its last part or a caught error. */
  async function sync(node: TestNode, msg: Msg = { payload: "go" }): Promise<Msg> {
    const lastBefore = points.filter((p) => p.plaid?.last).length;
    const caughtBefore = caught.length;
    node.receive(msg);
    await waitFor(() => points.filter((p) => p.plaid?.last).length > lastBefore || caught.length > caughtBefore, "the sync to end");
    if (caught.length > caughtBefore) throw Object.assign(new Error("sync failed"), { caught: caught[caught.length - 1] });
    return points.filter((p) => p.plaid?.last).slice(-1)[0];
  }

  function statusTexts(node: TestNode): Array<{ fill?: string; text?: string }> {
    const spy = node.status as unknown as { getCalls(): Array<{ args: unknown[] }> };
    return spy.getCalls().map((c) => (c.args[0] ?? {}) as { fill?: string; text?: string });
  }

  function assertNoSecret(): void {
    const everything = JSON.stringify([points, events, caught, acks]);
    const logs = JSON.stringify(helper.log().args);
    const statuses = JSON.stringify(statusTexts(helper.getNode<TestNode>("t1")));
    for (const needle of [SECRET, item.accessToken]) {
      assert.ok(!everything.includes(needle), "secret in a message");
      assert.ok(!logs.includes(needle), "secret in a log line");
      assert.ok(!statuses.includes(needle), "secret in a status");
    }
  }

  it("first sync of a multi-account Item, then simulated days: every transaction once, posted appear, pending tombstoned, sums equal /transactions/get after every day", async () => {
    item = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "any" });
    const node = await load({ batchSize: 20, lineProtocol: true });
    const last = await sync(node);
    const t0 = await plaidTruth(client, item.accessToken);
    assertMatches(db, t0, "first sync");
    // Every transaction exactly once on output 2, with names filled in.
    assert.strictEqual(events.length, t0.ids.size);
    assert.deepStrictEqual(new Set(events.map((e) => (e.payload as Record<string, unknown>).transaction_id)), t0.ids);
    for (const e of events) {
      assert.match(String(e.topic), /^plaid\/First Platypus Bank\/[^/]+ ••\d{4}\/added$/);
      const p = e.payload as Record<string, unknown>;
      assert.strictEqual(p.institution_name, "First Platypus Bank");
      assert.ok(typeof p.account_name === "string" && p.account_name.length > 0);
    }
    // Output 1: the influxdb batch format, ≤ batchSize, parts numbered, last with summary.
    const accounts = new Set(events.map((e) => (e.payload as Record<string, unknown>).account_id));
    assert.ok(accounts.size >= 2, "multi-account Item");
    points.forEach((m, i) => {
      const payload = m.payload as InfluxPoint[];
      assert.ok(Array.isArray(payload) && payload.length <= 20);
      for (const p of payload) {
        assert.ok(typeof p.measurement === "string" && p.tags && p.fields && p.timestamp instanceof Date);
        for (const v of Object.values(p.fields)) assert.ok(v !== null && v !== undefined);
      }
      assert.strictEqual(m.plaid?.part, i + 1);
      assert.strictEqual(m.plaid?.last, i === points.length - 1);
      assert.strictEqual(String(m.lineProtocol).split("\n").length, payload.length, "one line of line protocol per point");
      assert.deepStrictEqual(m.plaid?.item, { itemId: item.itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank" });
    });
    const summary = last.plaid?.summary as Record<string, number>;
    assert.strictEqual(summary.added, t0.ids.size);
    const balances = [...db.points.values()].filter((p) => p.measurement === "plaid_balances");
    const { data: acc } = await client.accountsGet({ access_token: item.accessToken });
    for (const a of acc.accounts.filter((x) => x.type !== "investment")) {
      assert.ok(
        balances.some((b) => b.tags.account_id === a.account_id && b.fields.current === a.balances.current),
        `balance point for ${a.name}`,
      );
    }
    await waitFor(() => statusTexts(node).some((s) => s.fill === "green"), "green status");
    const green = statusTexts(node).filter((s) => s.fill === "green").pop();
    assert.match(String(green?.text), new RegExp(`^\\+${t0.ids.size} ~0 −0 · \\d\\d:\\d\\d$`));
    assert.ok(statusTexts(node).some((s) => s.fill === "blue" && s.text === "syncing…"));

    for (let day = 1; day <= 5; day++) {
      const pendingBefore = db.live().filter((p) => p.tags.pending === "true").map((p) => String(p.fields.transaction_id));
      await client.transactionsRefresh({ access_token: item.accessToken });
      const evBefore = events.length;
      const l = await sync(node);
      const t = await plaidTruth(client, item.accessToken);
      assertMatches(db, t, `day ${day}`);
      const s = l.plaid?.summary as Record<string, number>;
      assert.ok(s.added > 0 && s.removed > 0);
      const dayEvents = events.slice(evBefore);
      for (const id of pendingBefore.filter((x) => !t.ids.has(x))) {
        const tomb = [...db.points.values()].find((p) => p.fields.transaction_id === id);
        assert.deepStrictEqual([tomb?.fields.amount, tomb?.fields.removed], [0, true], `pending ${id} tombstoned`);
        assert.ok(dayEvents.some((e) => e.topic?.endsWith("/removed") && (e.payload as Record<string, unknown>).transaction_id === id));
      }
      assert.ok(dayEvents.some((e) => e.topic?.endsWith("/added") && (e.payload as Record<string, unknown>).pending_transaction_id));
    }
    assertNoRepeats(events, "all days");
    assertNoSecret();
  });

  it("msg.lineProtocol only when the option is ticked", async () => {
    item = await linkSandboxItem(client, { username: "user_good", password: "pass_good" });
    const node = await load({});
    await sync(node);
    assert.ok(points.length > 0);
    for (const m of points) assert.strictEqual(m.lineProtocol, undefined);
  });

  it("no Batch size in the flow: parts of DEFAULT_BATCH_SIZE (1000) points, and every transaction arrives once", async () => {
    item = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(2500, 7) });
    const node = await load({ batchSize: null, eventsWired: false });
    await sync(node);
    const sizes = points.map((m) => (m.payload as InfluxPoint[]).length);
    const truth = await plaidTruth(client, item.accessToken);
    // 2 500 transactions + one balance point per account: two full parts, then the rest.
    assert.deepStrictEqual(sizes.slice(0, 2), [DEFAULT_BATCH_SIZE, DEFAULT_BATCH_SIZE]);
    assert.ok(sizes.every((n) => n >= 1 && n <= DEFAULT_BATCH_SIZE), `part sizes ${sizes.join(", ")}`);
    assert.strictEqual(sizes.reduce((a, b) => a + b, 0), db.points.size, "no point sent twice");
    assertMatches(db, truth, "default batch size");
  });

  it("output 2 not wired: the same points and counts, and no events are built (summary.events 0); wired: one per change", async () => {
    item = await linkSandboxItem(client, { username: "user_good", password: "pass_good" });
    let node = await load({ eventsWired: false });
    const quiet = (await sync(node)).plaid!.summary as { added: number; events: number };
    const truth = await plaidTruth(client, item.accessToken);
    assert.strictEqual(quiet.added, truth.count);
    assert.strictEqual(quiet.events, 0);
    assert.strictEqual(events.length, 0);
    assert.strictEqual(db.live().length, truth.count);
    await helper.unload();
    points.length = 0;
    db = new InfluxModel();
    item = await linkSandboxItem(client, { username: "user_good", password: "pass_good" });
    node = await load({});
    const loud = (await sync(node)).plaid!.summary as { added: number; events: number };
    assert.strictEqual(loud.events, loud.added);
    await waitFor(() => events.length === loud.added, "one event per transaction");
  });

  it("distinct points for same-day look-alikes; the same point for the same transaction across restarts and resync", async () => {
    item = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(1200, 7) });
    let node = await load();
    await sync(node);
    const t = await plaidTruth(client, item.accessToken);
    assertMatches(db, t, "first sync");
    // Look-alikes: transactions sharing account, category, pending flag and date.
    const groups = new Map<string, number>();
    for (const p of db.live()) {
      const k = `${p.tags.account_id}|${p.tags.category}|${p.tags.pending}|${new Date(p.timestamp).toISOString().slice(0, 10)}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
    }
    assert.ok([...groups.values()].some((n) => n > 1), "the data has same-day look-alikes");
    assert.strictEqual(new Set(db.live().map(pointKey)).size, t.ids.size, "each transaction its own point");
    const ids = db.identities();

    // Restart (redeploy): an idle sync, no events, same points.
    await helper.unload();
    const evBefore = events.length;
    node = await load();
    const idle = await sync(node);
    assert.strictEqual((idle.plaid?.summary as Record<string, number>).added, 0);
    assert.strictEqual(events.length, evBefore);
    // Resync: everything again, onto the same points; no events (nothing changed).
    const rs = await sync(node, { topic: "resync" });
    assert.strictEqual((rs.plaid?.summary as Record<string, string>).mode, "resync");
    assert.deepStrictEqual(db.identities(), ids);
    assert.strictEqual(events.length, evBefore);
    // Reset + sync: state forgotten, still the same points.
    node.receive({ topic: "reset" });
    await waitFor(() => statusTexts(node).some((s) => s.text === "state cleared"), "reset");
    await sync(node);
    assert.deepStrictEqual(db.identities(), ids);
  });

  it("restart mid-pagination, a mutation error on page 3, 429s and 500s, a trigger during a sync: exactly the right end state, no repeated events", async () => {
    item = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(1800, 3) });
    // 1) Node-RED stops while page 2 is in flight.
    await addFault(sim, { path: "/transactions/sync", delay_ms: 1500, after: 1, times: 1 });
    let node = await load();
    node.receive({ payload: "go" });
    await waitFor(() => events.length >= 500, "page 1's events");
    await helper.unload();
    assert.ok(!points.some((p) => p.plaid?.last), "that sync never finished");
    assert.ok(!fs.existsSync(path.join(userDir, "plaid-sync", "state-t1.json")), "nothing committed");

    // 2) After the restart: page 3 hits a mutation error, plus rate limits and a 500 on the way.
    await addFault(sim, { path: "/transactions/sync", error: "RATE_LIMIT_EXCEEDED", times: 2 });
    await addFault(sim, { path: "/transactions/sync", error: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", after: 2, times: 1 });
    await addFault(sim, { path: "/transactions/sync", status: 500, after: 4, times: 1 });
    node = await load();
    const last = await sync(node);
    const s = last.plaid?.summary as Record<string, number>;
    assert.strictEqual(s.restarts, 1, "restarted once after the mutation error");
    assert.ok(s.retries >= 3, `retried (${s.retries})`);
    const t = await plaidTruth(client, item.accessToken);
    assertMatches(db, t, "after restart + faults");
    assert.strictEqual(events.filter((e) => e.topic?.endsWith("/added")).length, t.ids.size, "each transaction announced once in total");
    assertNoRepeats(events, "restart + faults");

    // 3) Triggers during a running sync are coalesced into one follow-up. (Wait until the
    // previous sync has saved its state, or all four would join one follow-up of that one.)
    await waitFor(() => statusTexts(node).slice(-1)[0]?.fill === "green", "the previous sync to commit");
    await client.transactionsRefresh({ access_token: item.accessToken });
    await addFault(sim, { path: "/transactions/sync", delay_ms: 300, times: 1 });
    const lastsBefore = points.filter((p) => p.plaid?.last).length;
    for (let i = 0; i < 4; i++) node.receive({ payload: i });
    await waitFor(() => points.filter((p) => p.plaid?.last).length >= lastsBefore + 2, "two syncs");
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(points.filter((p) => p.plaid?.last).length, lastsBefore + 2, "exactly one follow-up run");
    assertMatches(db, await plaidTruth(client, item.accessToken), "after coalesced triggers");
    assertNoRepeats(events, "coalesced");
    assertNoSecret();
  });

  it("confirm mode: no confirmations → nothing committed and the next trigger replays; a Complete node's confirmations → state advances", async () => {
    item = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "any" });
    const stateFile = path.join(userDir, "plaid-sync", "state-t1.json");
    let node = await load({ commit: "confirm", batchSize: 30 });
    const first = await sync(node);
    await waitFor(() => statusTexts(node).some((s) => s.text === "waiting for confirmation"), "confirming status");
    assert.ok(!fs.existsSync(stateFile), "not committed without confirmations");
    const evBefore = events.length;
    const again = await sync(node);
    assert.strictEqual((again.plaid?.summary as Record<string, number>).added, (first.plaid?.summary as Record<string, number>).added, "replayed");
    assert.strictEqual(events.length, evBefore, "no repeated events on replay");
    assert.ok(!fs.existsSync(stateFile));

    await helper.unload();
    node = await load({ commit: "confirm", withCompleteNode: true, batchSize: 30 });
    const third = await sync(node);
    const parts = (third.plaid?.summary as Record<string, number>).parts;
    await waitFor(() => fs.existsSync(stateFile), "commit after confirmations");
    assert.ok(acks.filter((a) => a.plaid?.syncId === third.plaid?.syncId).length >= parts);
    assert.strictEqual(events.length, evBefore, "still no repeats");
    await waitFor(() => statusTexts(node).some((s) => s.fill === "green"), "green status after commit");
    const idle = await sync(node);
    assert.strictEqual((idle.plaid?.summary as Record<string, number>).added, 0, "state advanced");
    assertMatches(db, await plaidTruth(client, item.accessToken), "confirm mode");
    assertNoSecret();
  });

  it("ITEM_LOGIN_REQUIRED: yellow 'needs login', a Catch node gets the code and a relink URL; after update mode the next trigger syncs", async () => {
    item = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "any" });
    const node = await load();
    await sync(node);
    await client.transactionsRefresh({ access_token: item.accessToken });
    await client.sandboxItemResetLogin({ access_token: item.accessToken });
    const err = (await sync(node).then(
      () => assert.fail("expected an error"),
      (e: { caught: Msg }) => e.caught,
    )) as Msg;
    assert.strictEqual(err.error?.code, "ITEM_LOGIN_REQUIRED");
    assert.match(String(err.error?.message), /log in again/);
    const detail = err.error?.cause as Record<string, unknown>;
    assert.deepStrictEqual(Object.keys(detail).sort(), ["code", "display_message", "message", "relinkUrl", "request_id", "type"].sort());
    assert.strictEqual(detail.type, "ITEM_ERROR");
    assert.match(String(detail.relinkUrl), /^http:\/\/nr\.example:1880\/.*plaid-sync\/link\//);
    assert.deepStrictEqual(err._error, detail, "msg.error as set by the node travels as msg._error");
    assert.strictEqual(caught.length, 1, "reported once (done(err), not also node.error)");
    const yellow = statusTexts(node).pop();
    assert.deepStrictEqual([yellow?.fill, yellow?.text], ["yellow", "needs login"]);

    // The user logs in again (update mode through the stand-in Link backend).
    const { data } = await client.linkTokenCreate({ client_name: "t", language: "en", country_codes: ["US" as never], user: { client_user_id: "u" }, access_token: item.accessToken });
    const post = async (p: string, body: unknown) => {
      const r = await fetch(`${sim.url}/simulator/link/${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.ok(r.ok, await r.clone().text());
      return (await r.json()) as Record<string, unknown>;
    };
    const login = (await post("login", { link_token: data.link_token, institution_id: "ins_109508", username: "user_good", password: "pass_good" })) as { accounts: Array<{ id: string }> };
    await post("complete", { link_token: data.link_token, institution_id: "ins_109508", username: "user_good", password: "pass_good", account_ids: login.accounts.map((a) => a.id) });
    const ok = await sync(node);
    assert.ok((ok.plaid?.summary as Record<string, number>).added > 0);
    assertMatches(db, await plaidTruth(client, item.accessToken), "after relogin");
    assertNoSecret();
  });

  it("every needs-login code (INVALID_MFA, ITEM_LOCKED), not only ITEM_LOGIN_REQUIRED: 'needs login' and a relink URL, the same as the editor says", async () => {
    item = await linkSandboxItem(client, { username: "user_good" });
    const node = await load();
    await sync(node);
    for (const code of ["INVALID_MFA", "ITEM_LOCKED"]) {
      await addFault(sim, { path: "/transactions/sync", error: code, times: 1 });
      const err = (await sync(node).then(
        () => assert.fail("expected an error"),
        (e: { caught: Msg }) => e.caught,
      )) as Msg;
      assert.strictEqual(err.error?.code, code);
      assert.match(String(err.error?.message), /log in again/, code);
      assert.match(String((err.error?.cause as Record<string, unknown>).relinkUrl), /plaid-sync\/link\//, code);
      const status = statusTexts(node).pop();
      assert.deepStrictEqual([status?.fill, status?.text], ["yellow", "needs login"], code);
    }
    assertNoSecret();
  });

  it("a corrupt state file: a warning and a safe resync onto the same points", async () => {
    item = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "any" });
    let node = await load();
    await sync(node);
    const ids = db.identities();
    await helper.unload();
    fs.writeFileSync(path.join(userDir, "plaid-sync", "state-t1.json"), "{ not json");
    node = await load();
    const warned = new Promise<string>((resolve) => node.on("call:warn", (call: { args: unknown[] }) => resolve(String(call.args[0]))));
    await sync(node);
    assert.match(await warned, /could not be read.*full resync/);
    assert.deepStrictEqual(db.identities(), ids);
    assertMatches(db, await plaidTruth(client, item.accessToken), "after corrupt state");
    assertNoSecret();
  });

  it("unknown topics are triggers; another node's output, points or events, is ignored", async () => {
    item = await linkSandboxItem(client, { username: "user_good" });
    const node = await load();
    const l = await sync(node, { topic: "whatever", payload: 1 });
    assert.ok((l.plaid?.summary as Record<string, number>).added > 0);
    const count = points.length;
    node.receive({ payload: [], plaid: { syncId: "other-node.abc", part: 1, last: true } });
    node.receive({ topic: "plaid/ins_109508/added", payload: {}, plaid: { syncId: "other-node.abc", event: "added", item: {} } });
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(points.length, count, "neither is a trigger");
  });
});
