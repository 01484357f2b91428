/**
 * Item health events in the Node-RED runtime, through example 02 as it ships (its switch, its
 * "Bank health" function and the Catch branch): the notifier gets one message per change of
 * state — not one per failed sync — with the re-login link, and one when the login works again,
 * whether that shows in a sync or in "Log in again" finishing in the editor.
 *
 * The example's InfluxDB node is stood in by a change node, its debug nodes (and the Write errors
 * Catch, which has nothing to catch here) by helper nodes; everything else is the committed flow.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi } from "plaid";
import { finishHostedLink } from "../support/hosted-link";
import { REPO_ROOT } from "../support/nodered";
import { nodeRedRuntimePath, nodeRedTestHelper, plaidNodeModules } from "../support/red";
import { linkSandboxItem, simulatorClient, startTestSimulator, type Simulator } from "../support/simulator";

const core = (p: string): unknown => require(require.resolve(`@node-red/nodes/core/${p}`, { paths: [path.dirname(nodeRedRuntimePath())] }));
// catch and complete come with the test helper.
const CORE_NODES = ["function/10-function.js", "function/10-switch.js", "function/15-change.js", "common/20-inject.js"].map(core);

type Msg = Record<string, unknown> & { payload?: unknown; topic?: string; plaid?: Record<string, unknown> };
type FlowNode = Record<string, unknown> & { id: string; type: string; name?: string };
interface TestNode extends NodeJS.EventEmitter {
  receive(msg: Msg): void;
}
interface Req extends PromiseLike<{ status: number; body: Record<string, unknown>; text: string }> {
  send(b: unknown): Req;
  query(q: Record<string, string>): Req;
}
const helper = nodeRedTestHelper();
const h = helper as unknown as { request(): { get(p: string): Req; post(p: string): Req } };

const SECRET = "health-plaid-secret-8d1e";
const CLIENT_ID = "health-client-id";

let plaid: { config: unknown; link: unknown; transactions: unknown };
before(async () => {
  plaid = await plaidNodeModules();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** examples/02 with the simulator as Plaid, a change node as InfluxDB and helper nodes as debug nodes. */
function example02(simUrl: string, item: { itemId: string }): { flow: FlowNode[]; ids: Record<string, string> } {
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
      if (n.type === "plaid-link") return { ...n, itemId: item.itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank" };
      return n;
    });
  return { flow: out, ids };
}

describe("Item health events in Node-RED, through example 02's notifier", function () {
  this.timeout(60_000);
  let sim: Simulator;
  let client: PlaidApi;
  let userDir: string;
  let item: { accessToken: string; itemId: string };
  let notified: Msg[];
  let failed: Msg[];
  let health: Msg[];
  let lasts: number;
  let caught: number;
  let tx: TestNode;
  let linkNodeId: string;

  before(async () => {
    sim = await startTestSimulator({ clientId: CLIENT_ID, secret: SECRET });
    client = simulatorClient(sim);
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-health-int-"));
    helper.settings({ userDir, credentialSecret: "health-credential-secret", plaidSync: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 } });
    await helper.startServer();
    item = await linkSandboxItem(client, { username: "user_good" });
    const { flow, ids } = example02(sim.url, item);
    linkNodeId = ids.link;
    await helper.load([plaid.config, plaid.link, plaid.transactions, ...CORE_NODES], flow, {
      [ids.config]: { clientId: CLIENT_ID, secret: SECRET },
      [ids.link]: { accessToken: item.accessToken },
    });
    notified = [];
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
      origSend(m);
    };
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** One trigger; resolves when that sync ended (its last part, or its error reached the Catch node). */
  async function sync(): Promise<void> {
    const before = { lasts, caught };
    tx.receive({ payload: "go" });
    await waitFor(() => lasts > before.lasts || caught > before.caught, "the sync to end");
    // The health event and the notifier's function run right after; let them.
    await new Promise((r) => setTimeout(r, 50));
  }

  it("three failing syncs: one notification with the re-login link; the next good sync: one 'working again'", async () => {
    await sync();
    assert.strictEqual(lasts, 1, "the first sync went through");
    await client.sandboxItemResetLogin({ access_token: item.accessToken });
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
    await waitFor(() => notified.length >= 2, "the second notification");
    assert.deepStrictEqual(health.map((m) => (m.payload as { code: string }).code), ["ITEM_LOGIN_REQUIRED", "LOGIN_REPAIRED"]);
    assert.strictEqual(notified[1].topic, "Bank link working again");
    await sync();
    assert.strictEqual(health.length, 2, "nothing more while all is well");
  });

  it("'Log in again' finishing in the editor gives LOGIN_REPAIRED at once, with no sync", async () => {
    await sync();
    await client.sandboxItemResetLogin({ access_token: item.accessToken });
    await sync();
    await waitFor(() => health.length === 1, "ITEM_LOGIN_REQUIRED");
    const linkId = linkNodeId;
    const created = await h.request().post("/plaid-sync/link-sessions").send({ link: linkId, mode: "update" });
    assert.strictEqual(created.status, 201, created.text);
    await finishHostedLink(String(created.body.hostedUrl));
    // The dialog follows the session (which makes Node-RED poll Plaid often).
    const session = String(created.body.session);
    const end = Date.now() + 20_000;
    for (;;) {
      const r = await h.request().get(`/plaid-sync/link-sessions/${session}`).query({ link: linkId });
      if (r.body.status === "linked") break;
      if (Date.now() > end) throw new Error(`session still ${String(r.body.status)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    await waitFor(() => health.length === 2, "LOGIN_REPAIRED");
    assert.strictEqual((health[1].payload as { code: string }).code, "LOGIN_REPAIRED");
    await sync();
    assert.strictEqual(health.length, 2, "the good sync after it does not repeat it");
    assert.strictEqual(notified.length, 2);
  });
});
