/**
 * The package as a user gets it: `npm pack`, then installed into a fresh userDir the way the
 * palette manager installs (npm install <tarball> --omit=dev), loaded by a real node-red from
 * <userDir>/node_modules alone. The official client is vendored (dist/vendor/plaid.js), so the
 * `plaid` package must not be installed, and a sync must still reach Plaid (the simulator here).
 *
 * Needs `npm run build` first (the tarball is packed from the built tree, without re-running it).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startNodeRed, startSink, type FlowNode, type MessageSink, type NodeRed } from "../support/nodered";
import { reporter } from "../support/sync-flow";
import { linkSandboxItem, simulatorClient, startTestSimulator, type Simulator } from "../support/simulator";

const REPO = path.resolve(__dirname, "..", "..");

describe("the packed package, installed as the palette manager installs it", function () {
  this.timeout(180_000);
  let dir: string;
  let sim: Simulator;
  let sink: MessageSink;
  let red: NodeRed | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-installed-"));
    sim = await startTestSimulator();
    sink = await startSink();
  });
  after(async () => {
    await red?.dispose();
    await sink?.close();
    await sim?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("installs without `plaid`, loads from the userDir, and syncs through the vendored client", async () => {
    const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" } });
    const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], REPO)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(packed[0].files.some((f) => f.path === "dist/vendor/plaid.js"), "the tarball carries the vendored client");
    const userDir = path.join(dir, "user");
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, "package.json"), JSON.stringify({ name: "node-red-project", private: true }));
    npm(["install", "--omit=dev", "--prefer-offline", "--no-save", path.join(dir, packed[0].filename)], userDir);
    const modules = path.join(userDir, "node_modules");
    assert.ok(fs.existsSync(path.join(modules, "node-red-contrib-plaid-sync", "nodes", "plaid-transactions.js")));
    assert.ok(!fs.existsSync(path.join(modules, "plaid")), "plaid is not installed: the vendored copy is the client");
    assert.ok(fs.existsSync(path.join(modules, "axios")), "axios, the client's one dependency, is");

    red = await startNodeRed({ userDir, nodesDir: [] });
    const ours = (await red.nodeSets()).filter((s) => s.module === "node-red-contrib-plaid-sync");
    assert.deepStrictEqual(ours.map((s) => [s.types.join(","), s.enabled, s.err ?? null]).sort(), [
      ["plaid-config", true, null],
      ["plaid-link", true, null],
      ["plaid-transactions", true, null],
    ]);

    const client = simulatorClient(sim);
    const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_good" });
    const tab = "inst0000tab00001";
    const flows: FlowNode[] = [
      { id: tab, type: "tab", label: "installed", disabled: false, info: "" },
      { id: "inst0000cfg00001", type: "plaid-config", name: "sim", environment: "custom", basePath: sim.url, clientName: "installed", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "" },
      { id: "inst0000lnk00001", type: "plaid-link", name: "bank", config: "inst0000cfg00001", itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [] },
      { id: "inst0000inj00001", type: "inject", z: tab, name: "sync", props: [{ p: "payload" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", payload: "", payloadType: "date", x: 100, y: 100, wires: [["inst0000txn00001"]] },
      {
        id: "inst0000txn00001", type: "plaid-transactions", z: tab, name: "", link: "inst0000lnk00001", measurement: "plaid_transactions", balanceMeasurement: "plaid_balances",
        includePending: true, invertAmounts: false, timezone: "", batchSize: 5000, commit: "send", x: 300, y: 100, wires: [["inst0000pts0f"], []],
      },
      { id: "inst0000cat00001", type: "catch", z: tab, name: "", scope: ["inst0000txn00001"], uncaught: false, x: 100, y: 200, wires: [["inst0000err0f"]] },
      ...reporter(tab, "inst0000pts0", "parts", "return { payload: { last: msg.plaid.last, added: msg.plaid.summary && msg.plaid.summary.added, points: msg.payload.length } };", sink.url, 300),
      ...reporter(tab, "inst0000err0", "error", "return { payload: { message: msg.error && msg.error.message } };", sink.url, 400),
    ];
    await red.deploy(flows, { "inst0000cfg00001": { clientId: sim.clientId, secret: sim.secret }, "inst0000lnk00001": { accessToken } });
    await red.inject("inst0000inj00001");
    const got = await sink.waitFor((m) => m.path === "/error" || (m.path === "/parts" && (m.body as { last?: boolean }).last === true), { timeoutMs: 60_000, what: "the sync's last part" });
    assert.strictEqual(got.path, "/parts", `the sync failed: ${JSON.stringify(got.body)}\n${red.logTail(2000)}`);
    const last = got.body as { added: number; points: number };
    assert.ok(last.added > 0 && last.points > 0, `transactions arrived: ${JSON.stringify(last)}`);
    assert.doesNotMatch(red.logText(), /Cannot find module/);
  });
});
