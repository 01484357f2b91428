/**
 * Example 02 in the Node-RED runtime, as it ships. Item health events through its switch, its
 * "Bank health" function and its Catch branch: the notifier gets one message per change of state
 * — not one per failed sync — with the re-login link, and one when the login works again (seen
 * by a sync, or by "Log in again" finishing in the editor); a consent about to run out; new
 * accounts announced and added with "Add new accounts"; the category version option.
 *
 * The example's InfluxDB node is stood in by a change node, its debug nodes (and the Write errors
 * Catch, which has nothing to catch here) by helper nodes; everything else is the committed flow.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { InfluxPoint } from "../../src/influx/points";
import type { LinkedAccount } from "../../src/plaid/types";
import { completeLinkSession, finishHostedLink, linkBackend, linkWithAccounts, updateLinkToken } from "../support/hosted-link";
import { REPO_ROOT } from "../support/nodered";
import { nodeRedRuntimePath, nodeRedTestHelper, plaidNodeModules, runtimeSuite, type TestNode } from "../support/red";
import { linkSandboxItem } from "../support/simulator";
import { waitFor } from "../support/ports";

const core = (p: string): unknown => require(require.resolve(`@node-red/nodes/core/${p}`, { paths: [path.dirname(nodeRedRuntimePath())] }));
// catch and complete come with the test helper.
const CORE_NODES = ["function/10-function.js", "function/10-switch.js", "function/15-change.js", "common/20-inject.js"].map(core);

type Msg = Record<string, unknown> & { payload?: unknown; topic?: string; plaid?: Record<string, unknown> };
type FlowNode = Record<string, unknown> & { id: string; type: string; name?: string };
const helper = nodeRedTestHelper();

const SECRET = "health-plaid-secret-8d1e";
const CLIENT_ID = "health-client-id";

let plaid: { config: unknown; link: unknown; transactions: unknown };
before(async () => {
  plaid = await plaidNodeModules();
});


/** examples/02 with the simulator as Plaid, a change node as InfluxDB and helper nodes as debug nodes. */
function example02(simUrl: string, item: { itemId: string }, accounts: LinkedAccount[] = []): { flow: FlowNode[]; ids: Record<string, string> } {
  const flow = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "examples", "02 - Sync to InfluxDB.json"), "utf8")) as FlowNode[];
  const byName = (name: string): FlowNode => {
    const n = flow.find((x) => x.name === name);
    if (!n) throw new Error(`example 02 has no node named "${name}"`);
    return n;
  };
  const ids = {
    tx: flow.find((n) => n.type === "plaid-transactions")!.id,
    link: flow.find((n) => n.type === "plaid-link")!.id,
    config: flow.find((n) => n.type === "plaid-config")!.id,
    notify: byName("Notify me (wire your notifier here)").id,
    failed: byName("Sync failed").id,
    events: byName("Transaction events").id,
    catch: byName("Sync errors").id,
  };
  const out = flow
    .filter((n) => n.type !== "influxdb" && n.type !== "comment")
    .map((n): FlowNode => {
      if (n.type === "debug") return { id: n.id, z: n.z, type: "helper", wires: [] };
      // The stand-in InfluxDB never refuses a write; and node-red-node-test-helper loads the catch
      // module once per catch node, which registers it twice.
      if (n.name === "Write errors") return { id: n.id, z: n.z, type: "helper", wires: [] };
      if (n.type === "influxdb batch") return { id: n.id, z: n.z, type: "change", name: n.name, rules: [], wires: [[]] };
      if (n.type === "inject") return { ...n, once: false, repeat: "" };
      if (n.type === "plaid-config") return { ...n, environment: "custom", basePath: simUrl, publicUrl: "http://nr.example:1880" };
      if (n.type === "plaid-link") return { ...n, itemId: item.itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts };
      return n;
    });
  return { flow: out, ids };
}

describe("example 02 in Node-RED: Item health events through its notifier, new accounts, categories", function () {
  this.timeout(60_000);
  let item: { accessToken: string; itemId: string };
  let notified: Msg[];
  let failed: Msg[];
  let health: Msg[];
  let lasts: number;
  let caught: number;
  let tx: TestNode;
  let linkNodeId: string;
  let points: InfluxPoint[] = [];

  const suite = runtimeSuite(helper, { clientId: CLIENT_ID, secret: SECRET, dirPrefix: "plaid-example02-" });

  /** Deploys example 02 for `linked` (default: user_good, every account), with the accounts the link node lists. */
  async function start(linked?: { accessToken: string; itemId: string }, accounts: LinkedAccount[] = [], txOverrides: Record<string, unknown> = {}): Promise<void> {
    item = linked ?? (await linkSandboxItem(suite.client, { username: "user_good" }));
    const { flow: base, ids } = example02(suite.sim.url, item, accounts);
    const flow = base.map((n) => (n.id === ids.tx ? { ...n, ...txOverrides } : n));
    linkNodeId = ids.link;
    await helper.load([plaid.config, plaid.link, plaid.transactions, ...CORE_NODES], flow, {
      [ids.config]: { clientId: CLIENT_ID, secret: SECRET },
      [ids.link]: { accessToken: item.accessToken },
    });
    notified = [];
    points = [];
    failed = [];
    health = [];
    lasts = 0;
    caught = 0;
    helper.getNode<TestNode>(ids.catch).on("input", () => void caught++);
    helper.getNode<TestNode>(ids.notify).on("input", (m: Msg) => void notified.push(m));
    helper.getNode<TestNode>(ids.failed).on("input", (m: Msg) => void failed.push(m));
    tx = helper.getNode<TestNode>(ids.tx);
    // What leaves plaid-transactions: output 2's health events, and each sync's end (output 1).
    const origSend = (tx as unknown as { send(m: unknown): void }).send.bind(tx);
    (tx as unknown as { send(m: unknown): void }).send = (m: unknown) => {
      const [p1, p2] = m as [Msg | null, Msg | null];
      if (p1?.plaid?.last) lasts++;
      // A copy: the flow's function node rewrites the message it gets.
      if (p2 && typeof p2.topic === "string" && p2.topic.includes("/item/")) health.push(JSON.parse(JSON.stringify(p2)) as Msg);
      points.push(...((p1?.payload as InfluxPoint[] | undefined) ?? []));
      origSend(m);
    };
  }
  /** One trigger; resolves when that sync ended (its last part, or its error reached the Catch node). */
  async function sync(): Promise<void> {
    const before = { lasts, caught };
    tx.receive({ payload: "go" });
    await waitFor(() => lasts > before.lasts || caught > before.caught, { what: "the sync to end", intervalMs: 10 });
    // The health event and the notifier's function run right after; let them.
    await new Promise((r) => setTimeout(r, 50));
  }

  it("three failing syncs: one notification with the re-login link; the next good sync: one 'working again'", async () => {
    await start();
    await sync();
    assert.strictEqual(lasts, 1, "the first sync went through");
    await suite.client.sandboxItemResetLogin({ access_token: item.accessToken });
    for (let i = 0; i < 3; i++) await sync();
    assert.strictEqual(caught, 3, "each failed sync reached the Catch node");
    assert.deepStrictEqual(
      health.map((m) => m.topic),
      ["plaid/First Platypus Bank/item/ITEM_LOGIN_REQUIRED"],
      "one health event for three failed syncs",
    );
    assert.strictEqual(notified.length, 1, "one notification");
    assert.strictEqual(notified[0].topic, "Bank link needs attention");
    const relinkUrl = (health[0].payload as { relinkUrl?: string }).relinkUrl;
    assert.ok(relinkUrl, "the event carries the re-login link");
    assert.ok(String(notified[0].payload).startsWith("First Platypus Bank: ") && String(notified[0].payload).includes(relinkUrl), String(notified[0].payload));
    assert.strictEqual(failed.length, 0, "the Catch branch stays quiet: the health event said it");

    // Logged in again on Plaid's page (a phone, say); the next sync works.
    await finishHostedLink(relinkUrl);
    await sync();
    await waitFor(() => notified.length >= 2, { what: "the second notification", intervalMs: 10 });
    assert.deepStrictEqual(health.map((m) => (m.payload as { code: string }).code), ["ITEM_LOGIN_REQUIRED", "LOGIN_REPAIRED"]);
    assert.strictEqual(notified[1].topic, "Bank link working again");
    await sync();
    assert.strictEqual(health.length, 2, "nothing more while all is well");
  });

  it("'Log in again' finishing in the editor gives LOGIN_REPAIRED at once, with no sync", async () => {
    await start();
    await sync();
    await suite.client.sandboxItemResetLogin({ access_token: item.accessToken });
    await sync();
    await waitFor(() => health.length === 1, { what: "ITEM_LOGIN_REQUIRED", intervalMs: 10 });
    const linkId = linkNodeId;
    const created = await helper.request().post("/plaid-sync/link-sessions").send({ link: linkId, mode: "update" });
    assert.strictEqual(created.status, 201, created.text);
    await finishHostedLink(String(created.body.hostedUrl));
    // The dialog follows the session (which makes Node-RED poll Plaid often).
    const session = String(created.body.session);
    const end = Date.now() + 20_000;
    for (;;) {
      const r = await helper.request().get(`/plaid-sync/link-sessions/${session}`).query({ link: linkId });
      if (r.body.status === "linked") break;
      if (Date.now() > end) throw new Error(`session still ${String(r.body.status)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    await waitFor(() => health.length === 2, { what: "LOGIN_REPAIRED", intervalMs: 10 });
    assert.strictEqual((health[1].payload as { code: string }).code, "LOGIN_REPAIRED");
    await sync();
    assert.strictEqual(health.length, 2, "the good sync after it does not repeat it");
    assert.strictEqual(notified.length, 2);
  });

  /**
   * Node-RED restarts a day later: the flow is loaded again on the same suite.dir, and the health
   * record says /item/get was last asked 25 hours ago (the engine's clock is the host's).
   */
  async function aDayLaterAfterARestart(accounts: LinkedAccount[] = []): Promise<void> {
    await helper.unload();
    for (const f of fs.readdirSync(path.join(suite.dir, "plaid-sync")).filter((x) => x.startsWith("health-"))) {
      const file = path.join(suite.dir, "plaid-sync", f);
      const rec = JSON.parse(fs.readFileSync(file, "utf8")) as { checkedAt?: number };
      if (rec.checkedAt) rec.checkedAt -= 25 * 3600_000;
      fs.writeFileSync(file, JSON.stringify(rec));
    }
    const kept = { health, notified, points };
    await start(item, accounts);
    ({ health, notified, points } = { health: kept.health, notified: kept.notified, points: kept.points });
  }

  /** The session the dialog would follow, followed until it ends. */
  async function followSession(session: string, linkId: string): Promise<Record<string, unknown>> {
    const end = Date.now() + 20_000;
    for (;;) {
      const r = await helper.request().get(`/plaid-sync/link-sessions/${session}`).query({ link: linkId });
      if (r.body.status !== "open") return r.body;
      if (Date.now() > end) throw new Error("the session is still open");
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  it("a consent that runs out within two weeks: PENDING_EXPIRATION once, with the date and a re-login link; logging in again renews it", async () => {
    const password = JSON.stringify({ override_accounts: [{ type: "depository", subtype: "checking", starting_balance: 500 }], simulator: { consent_expiration_days: 10 } });
    await start(await linkSandboxItem(suite.client, { username: "user_custom", password }));
    await sync();
    const { data } = await suite.client.itemGet({ access_token: item.accessToken });
    const expiry = String(data.item.consent_expiration_time);
    assert.deepStrictEqual(health.map((m) => (m.payload as { code: string }).code), ["PENDING_EXPIRATION"]);
    const p = health[0].payload as { consent_expiration_time?: string; relinkUrl?: string; message: string };
    assert.strictEqual(p.consent_expiration_time, expiry);
    assert.ok(p.relinkUrl, "a re-login link");
    assert.match(notified[0].payload as string, /consent/);
    const itemPoint = points.filter((x) => x.measurement === "plaid_items").pop();
    assert.deepStrictEqual([itemPoint?.fields.health, itemPoint?.fields.consent_expiration_time], ["PENDING_EXPIRATION", expiry]);
    await sync();
    // A day later, after a restart (the next /item/get): the same expiry, not announced again.
    await aDayLaterAfterARestart();
    await sync();
    assert.strictEqual(health.length, 1, "once");
    // Weeks on at the bank, the user logs in again (update mode); Plaid renews the consent, now well
    // ahead; the next daily check says so.
    suite.sim.advanceClock(30 * 86_400_000);
    await completeLinkSession(suite.sim, await updateLinkToken(suite.client, item.accessToken));
    await aDayLaterAfterARestart();
    await sync();
    assert.deepStrictEqual(health.map((m) => (m.payload as { code: string }).code), ["PENDING_EXPIRATION", "LOGIN_REPAIRED"]);
    assert.strictEqual(points.filter((x) => x.measurement === "plaid_items").pop()?.fields.health, "OK");
  });

  it("NEW_ACCOUNTS_AVAILABLE once; 'Add new accounts' shares them; the next sync writes their balances and transactions", async () => {
    // Linked with the checking account only, and a webhook URL (Plaid reports its last webhook then).
    const linked = await linkWithAccounts(suite.sim, suite.client, (offered) => offered.filter((a) => a.name === "Plaid Checking").map((a) => a.id), { webhook: "https://hooks.example/plaid" });
    const accountsOf = async () =>
      (await suite.client.accountsGet({ access_token: linked.accessToken })).data.accounts.map((a) => ({ account_id: a.account_id, name: a.name, mask: a.mask ?? null, type: a.type, subtype: a.subtype ?? null }));
    await start(linked, await accountsOf());
    await sync();
    const balanceIds = () => new Set(points.filter((x) => x.measurement === "plaid_balances").map((x) => x.tags.account_id));
    assert.deepStrictEqual([...balanceIds()], linked.shared, "balances of the shared account only");

    await suite.client.sandboxItemFireWebhook({ access_token: linked.accessToken, webhook_code: "NEW_ACCOUNTS_AVAILABLE" as never });
    await sync();
    assert.strictEqual(health.length, 0, "not before the next daily /item/get");
    await aDayLaterAfterARestart(await accountsOf());
    await sync();
    await aDayLaterAfterARestart(await accountsOf());
    await sync();
    assert.deepStrictEqual(health.map((m) => (m.payload as { code: string }).code), ["NEW_ACCOUNTS_AVAILABLE"], "once");
    assert.match(notified[0].payload as string, /Add new accounts/);
    const report = await helper.request().get(`/plaid-sync/links/${linkNodeId}/health`);
    assert.strictEqual(report.body.newAccounts, true, "the dialog's health line says so too");

    // "Add new accounts": update mode with account selection, through Plaid's hosted page; tick everything.
    const created = await helper.request().post("/plaid-sync/link-sessions").send({ link: linkNodeId, mode: "accounts" });
    assert.strictEqual(created.status, 201, created.text);
    const page = await fetch(String(created.body.hostedUrl));
    const cfg = JSON.parse(/id="hosted-link-config">([^<]*)</.exec(await page.text())?.[1] ?? "{}") as { link_token: string };
    const backend = { url: new URL("..", new URL(String(created.body.hostedUrl))).href.replace(/\/$/, "") };
    const session = await linkBackend(backend, "session", { link_token: cfg.link_token });
    assert.strictEqual(session.data.account_selection_enabled, true, "Plaid was asked for account selection");
    const login = await linkBackend(backend, "login", { link_token: cfg.link_token, institution_id: "ins_109508", username: "user_good", password: "pass_good" });
    const all = (login.data.accounts as Array<{ id: string }>).map((a) => a.id);
    assert.ok(all.length > linked.shared.length, "more accounts offered than shared");
    const done = await linkBackend(backend, "complete", { link_token: cfg.link_token, institution_id: "ins_109508", username: "user_good", password: "pass_good", account_ids: all });
    assert.strictEqual(done.status, 200, JSON.stringify(done.data));
    const ended = await followSession(String(created.body.session), linkNodeId);
    assert.strictEqual(ended.status, "linked");
    assert.deepStrictEqual(new Set((ended.accounts as Array<{ account_id: string }>).map((a) => a.account_id)), new Set(all), "the new account list, for the node");

    const before = points.length;
    await sync();
    const after = points.slice(before);
    const newIds = all.filter((id) => !linked.shared.includes(id));
    for (const id of newIds) assert.ok(after.some((x) => x.measurement === "plaid_balances" && x.tags.account_id === id), `a balance for the new account ${id}`);
    assert.ok(after.some((x) => x.measurement === "plaid_transactions" && newIds.includes(x.tags.account_id)), "the new accounts' transactions");
    assert.strictEqual(health.length, 1, "no more health events");
  });

  it("categories v2: the option reaches Plaid, v2 values are written as they come, and switching back rebuilds the points once", async () => {
    await start(undefined, [], { categoryVersion: "v2" });
    await sync();
    const categories = new Set(points.filter((x) => x.measurement === "plaid_transactions").map((x) => x.tags.category));
    assert.ok(categories.has("DINING") || categories.has("FOOD_RETAIL"), `v2 categories: ${[...categories].join(", ")}`);
    assert.ok(!categories.has("FOOD_AND_DRINK"), "no v1 value where v2 has its own");

    // Back to v1: the points move to their v1 categories once, the v2 ones become tombstones.
    await helper.unload();
    await start(item, [], { categoryVersion: "v1" });
    await sync();
    const moved = points.filter((x) => x.measurement === "plaid_transactions");
    assert.ok(moved.some((x) => x.tags.category === "FOOD_AND_DRINK" && x.fields.removed === false), "v1 categories written");
    assert.ok(moved.some((x) => x.tags.category === "DINING" && x.fields.removed === true), "the v2 identities tombstoned");
    const count = points.length;
    await sync();
    assert.ok(points.slice(count).every((x) => x.measurement !== "plaid_transactions"), "once: the next sync writes no transaction");
  });
});
