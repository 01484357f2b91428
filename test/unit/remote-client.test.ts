/**
 * The official client in a worker process (src/plaid/remote-client.ts) against the simulator:
 * the same answers as the client in-process, errors cleaned before they cross, calls that can be
 * aborted, and a worker that goes away when Plaid is quiet and comes back on the next call.
 */
import * as assert from "assert";
import { execFileSync, fork } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { isRetryable, type CleanError } from "../../src/plaid/errors";
import { PlaidEnvironments } from "plaid";
import { hostedBasePath } from "../../src/plaid/environments";
import { PlaidWorker, remotePlaidClient } from "../../src/plaid/remote-client";
import { addFault, clearFaults, linkSandboxItem, simulatorClient, simulatorSuite, volumeUserPassword } from "../support/simulator";
import { waitFor } from "../support/ports";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy";

const REPO = path.resolve(__dirname, "..", "..");


describe("plaid client in a worker process (against the simulator)", function () {
  this.timeout(30_000);
  const suite = simulatorSuite();
  const workers: PlaidWorker[] = [];
  const newWorker = (idleMs = 5_000) => {
    const w = new PlaidWorker(idleMs);
    workers.push(w);
    return w;
  };
  afterEach(async () => {
    await clearFaults(suite.sim);
    for (const w of workers.splice(0)) await w.stop();
  });
  const remote = (w: PlaidWorker) => remotePlaidClient({ basePath: suite.sim.url, clientId: suite.sim.clientId, secret: suite.sim.secret }, w);

  it("answers exactly as the client in-process does, a full page of 500 included", async () => {
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_custom", password: volumeUserPassword(1200, 3) });
    const w = newWorker();
    const c = remote(w);
    // Two calls in flight at once: their answers must not cross (each is split over many pipe reads).
    const [viaWorker, accounts] = await Promise.all([c.transactionsSync({ access_token: accessToken, count: 500 }), c.accountsGet({ access_token: accessToken })]);
    const direct = await simulatorClient(suite.sim).transactionsSync({ access_token: accessToken, count: 500 });
    assert.strictEqual(viaWorker.status, 200);
    assert.strictEqual(viaWorker.data.added.length, 500);
    const sansRequestId = (d: object) => ({ ...d, request_id: undefined });
    assert.deepStrictEqual(sansRequestId(viaWorker.data), sansRequestId(direct.data));
    assert.deepStrictEqual(accounts.data.accounts, (await simulatorClient(suite.sim).accountsGet({ access_token: accessToken })).data.accounts);
    assert.strictEqual(w.starts, 1);
  });

  it("a body that is not JSON (a proxy's HTML page) is a clean error with the HTTP status, not data", async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === "/accounts/get" ? 200 : 502, { "content-type": "text/html" });
      res.end("<html><body>Bad gateway</body></html>");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const w = newWorker();
      const c = remotePlaidClient({ basePath: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clientId: "x", secret: "s" }, w);
      const ok = (await c.accountsGet({ access_token: "a" }).then(() => assert.fail("expected an error"), (e: unknown) => e)) as CleanError;
      assert.strictEqual(ok.plaid.code, "UNEXPECTED_RESPONSE");
      assert.strictEqual(ok.plaid.status, 200);
      assert.match(ok.message, /not JSON/);
      const bad = (await c.itemGet({ access_token: "a" }).then(() => assert.fail("expected an error"), (e: unknown) => e)) as CleanError;
      assert.strictEqual(bad.plaid.status, 502);
      assert.ok(isRetryable(bad.plaid), "a gateway error is retried like a Plaid outage");
    } finally {
      server.close();
    }
  });

  it("Plaid's errors arrive as clean errors with Plaid's fields, and no secret", async () => {
    const w = newWorker();
    const err = (await remote(w)
      .itemGet({ access_token: "access-sandbox-nope" })
      .then(() => assert.fail("expected an error"), (e: unknown) => e)) as CleanError;
    assert.strictEqual(err.name, "CleanError");
    assert.strictEqual(err.plaid.code, "INVALID_ACCESS_TOKEN");
    assert.strictEqual(err.plaid.status, 400);
    assert.ok(!JSON.stringify({ ...err, message: err.message, stack: err.stack }).includes(suite.sim.secret), "no secret in the error");
    // Network failures too: a port nobody listens on.
    const gone = remotePlaidClient({ basePath: "http://127.0.0.1:9", clientId: "x", secret: "very-secret-value" }, w);
    const net = (await gone.itemGet({ access_token: "a" }).then(() => assert.fail("expected an error"), (e: unknown) => e)) as CleanError;
    assert.strictEqual(net.plaid.type, "NETWORK_ERROR");
    assert.ok(!JSON.stringify(net.plaid).includes("very-secret-value"));
  });

  it("an aborted call stops at once", async () => {
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_good" });
    await addFault(suite.sim, { path: "/transactions/sync", delay_ms: 5_000, times: 1 });
    const w = newWorker();
    const abort = new AbortController();
    const started = Date.now();
    const call = remote(w).transactionsSync({ access_token: accessToken }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(call);
    assert.ok(Date.now() - started < 3_000, "did not wait for the slow answer");
  });

  it("goes away when Plaid is quiet, and comes back on the next call", async () => {
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_good" });
    const w = newWorker(150);
    const c = remote(w);
    await c.accountsGet({ access_token: accessToken });
    assert.ok(w.running);
    await waitFor(() => !w.running, { what: "the idle worker to exit", intervalMs: 10 });
    const again = await c.accountsGet({ access_token: accessToken });
    assert.ok(again.data.accounts.length > 0);
    assert.strictEqual(w.starts, 2, "a new worker for the call after the idle period");
  });

  it("a warm-up (the link dialog opening) starts the worker ahead of the call and holds it past the idle time", async () => {
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_good" });
    const w = newWorker(50);
    w.warm(60_000);
    assert.ok(w.running);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(w.running, "held for the warm-up, not the 50 ms idle time");
    assert.ok((await remote(w).accountsGet({ access_token: accessToken })).data.accounts.length > 0);
    assert.strictEqual(w.starts, 1, "the call found it started");
    await waitFor(() => !w.running, { what: "the idle worker to exit after the call", intervalMs: 10 });
  });

  it("a worker that dies mid-call fails that call with a retryable error; the next call works", async () => {
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_good" });
    await addFault(suite.sim, { path: "/accounts/get", delay_ms: 3_000, times: 1 });
    const w = newWorker();
    const c = remote(w);
    const call = c.accountsGet({ access_token: accessToken }).then(() => assert.fail("expected an error"), (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    await w.stop();
    const err = (await call) as CleanError;
    assert.strictEqual(err.plaid.code, "PLAID_WORKER_STOPPED");
    assert.ok(isRetryable(err.plaid), "a sync retries it like a Plaid outage");
    assert.ok((await c.accountsGet({ access_token: accessToken })).data.accounts.length > 0);
  });
});

describe("the worker reads /transactions/sync pages ahead (src/plaid/read-ahead.ts)", function () {
  this.timeout(30_000);
  const suite = simulatorSuite();
  let proxy: CountingProxy;
  let w: PlaidWorker;
  beforeEach(async () => {
    proxy = await startCountingProxy(suite.sim.url);
    w = new PlaidWorker(5_000);
  });
  afterEach(async () => {
    await clearFaults(suite.sim);
    await w.stop();
    await proxy.close();
  });
  const viaProxy = () => remotePlaidClient({ basePath: proxy.url, clientId: suite.sim.clientId, secret: suite.sim.secret }, w);
  const syncCalls = () => proxy.counts.get("/transactions/sync") ?? 0;
  const sansRequestId = (d: object) => ({ ...d, request_id: undefined });
  const item = async (n: number) => (await linkSandboxItem(suite.client, { username: "user_custom", password: volumeUserPassword(n, 7) })).accessToken;

  it("asks for the next page as soon as a page arrives and serves it once: Plaid sees exactly the sync's own calls, with the same answers", async () => {
    const accessToken = await item(1300);
    const c = viaProxy();
    const p1 = (await c.transactionsSync({ access_token: accessToken, count: 500 })).data;
    await waitFor(() => syncCalls() === 2, { what: "page 2 to be asked for before the sync asks", intervalMs: 5 });
    // The same request, its keys in another order: served from the read-ahead, no new call.
    const p2 = (await c.transactionsSync({ cursor: p1.next_cursor, count: 500, access_token: accessToken })).data;
    await waitFor(() => syncCalls() === 3, { what: "page 3 to be read ahead", intervalMs: 5 });
    const p3 = (await c.transactionsSync({ access_token: accessToken, count: 500, cursor: p2.next_cursor })).data;
    assert.strictEqual(p3.has_more, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(syncCalls(), 3, "three pages, three calls: each read-ahead was served, and nothing is read after the last page");
    const direct = simulatorClient(suite.sim);
    assert.deepStrictEqual(sansRequestId(p2), sansRequestId((await direct.transactionsSync({ access_token: accessToken, count: 500, cursor: p1.next_cursor })).data));
    assert.deepStrictEqual(sansRequestId(p3), sansRequestId((await direct.transactionsSync({ access_token: accessToken, count: 500, cursor: p2.next_cursor })).data));
    assert.strictEqual(new Set([...p1.added, ...p2.added, ...p3.added].map((t) => t.transaction_id)).size, 1300);
  });

  it("a call unlike the read-ahead (another count) is made for real and gets its own answer; the unused page costs one call", async () => {
    const accessToken = await item(1300);
    const c = viaProxy();
    const p1 = (await c.transactionsSync({ access_token: accessToken, count: 500 })).data;
    await waitFor(() => syncCalls() === 2, { what: "the read-ahead", intervalMs: 5 });
    const other = (await c.transactionsSync({ access_token: accessToken, count: 100, cursor: p1.next_cursor })).data;
    assert.strictEqual(other.added.length, 100);
    // This call, then its own next page read ahead.
    await waitFor(() => syncCalls() === 4, { what: "the count-100 call's read-ahead", intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(syncCalls(), 4, "the unused read-ahead was the only call more");
    // Another Item's page is not this one's either.
    const another = await item(600);
    assert.strictEqual((await c.transactionsSync({ access_token: another, count: 500, cursor: p1.next_cursor }).then(() => "answered", (e: CleanError) => e.plaid.code)), "INVALID_FIELD");
  });

  it("a read-ahead's failure is the sync's answer, as if it had asked then; its retry is a call of its own", async () => {
    const accessToken = await item(900);
    // The second /transactions/sync, which is the read-ahead, fails.
    await addFault(suite.sim, { path: "/transactions/sync", error: "INTERNAL_SERVER_ERROR", after: 1, times: 1 });
    const c = viaProxy();
    const p1 = (await c.transactionsSync({ access_token: accessToken, count: 500 })).data;
    await waitFor(() => syncCalls() === 2, { what: "the read-ahead", intervalMs: 5 });
    const body = { access_token: accessToken, count: 500, cursor: p1.next_cursor };
    const err = (await c.transactionsSync(body).then(() => assert.fail("expected the read-ahead's error"), (e: unknown) => e)) as CleanError;
    assert.strictEqual(err.plaid.code, "INTERNAL_SERVER_ERROR");
    assert.ok(isRetryable(err.plaid));
    assert.strictEqual(syncCalls(), 2, "the error came from the read-ahead, not a second call");
    const p2 = await c.transactionsSync(body);
    assert.strictEqual(p2.data.added.length, 400);
    assert.strictEqual(p2.data.has_more, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(syncCalls(), 3, "page 1, the failed read-ahead, the retry");
  });

  it("a call waiting for its read-ahead can be aborted at once", async () => {
    const accessToken = await item(1300);
    await addFault(suite.sim, { path: "/transactions/sync", delay_ms: 5_000, after: 1, times: 1 });
    const c = viaProxy();
    const p1 = (await c.transactionsSync({ access_token: accessToken, count: 500 })).data;
    await waitFor(() => syncCalls() === 2, { what: "the (slow) read-ahead", intervalMs: 5 });
    const abort = new AbortController();
    const started = Date.now();
    const call = c.transactionsSync({ access_token: accessToken, count: 500, cursor: p1.next_cursor }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(call);
    assert.ok(Date.now() - started < 3_000, "did not wait for the slow read-ahead");
  });
});

describe("cost at rest: what loading the nodes loads", () => {
  it("requiring nodes/*.js and registering them the way Node-RED does loads no `plaid` module (and no InfluxDB client)", function () {
    this.timeout(20_000);
    // A fresh process, so nothing else has loaded plaid: require each entry point, call it with a
    // runtime stand-in as Node-RED does (registerType, httpAdmin routes, events), list require.cache.
    const script = `
      const path = require("path");
      const noop = () => undefined;
      const app = new Proxy({}, { get: () => noop });
      const RED = {
        nodes: { registerType: noop, getNode: () => null, eachNode: noop, getCredentials: () => undefined, addCredentials: noop, createNode: noop },
        httpAdmin: app, events: { on: noop }, settings: { userDir: ${JSON.stringify(path.join(REPO, "test-artifacts"))} },
        _: (k) => k, log: { warn: noop, info: noop }, comms: { publish: noop }, auth: { needsPermission: () => noop },
      };
      for (const f of ["plaid-config", "plaid-link", "plaid-transactions"]) require(path.join(${JSON.stringify(REPO)}, "nodes", f + ".js"))(RED);
      const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](plaid|axios|@influxdata)[\\\\/]|[\\\\/]vendor[\\\\/]plaid\\.js$/.test(k));
      process.stdout.write(JSON.stringify({ loaded, count: Object.keys(require.cache).length }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: REPO, encoding: "utf8" })) as { loaded: string[]; count: number };
    assert.deepStrictEqual(out.loaded, [], `loaded at start-up: ${out.loaded.join(", ")}`);
    assert.ok(out.count < 60, `a small set of modules (${out.count})`);
  });

  it("the hosted environments' URLs, known without loading plaid, are the official client's", () => {
    assert.strictEqual(hostedBasePath("sandbox"), PlaidEnvironments.sandbox);
    assert.strictEqual(hostedBasePath("production"), PlaidEnvironments.production);
  });
});

describe("the worker's process failing in ways a sync cannot see coming", function () {
  this.timeout(30_000);
  const config = { basePath: "http://127.0.0.1:9", clientId: "client-x", secret: "secret-x" };

  it("Node-RED out of file descriptors: the call fails with a retryable error, and Node-RED keeps running", () => {
    // In a child with a low descriptor limit, filled up before the call: a fork then gets
    // neither pipes nor IPC channel, and Node reports it in an 'error' event.
    const script = `
      const fs = require("fs");
      const { PlaidWorker } = require(${JSON.stringify(path.join(REPO, "src/plaid/remote-client.ts"))});
      process.on("uncaughtException", (e) => { console.log("crashed: " + e.message); process.exit(3); });
      const fds = [];
      try { for (;;) fds.push(fs.openSync("/dev/null", "r")); } catch {}
      fs.closeSync(fds.pop());
      const w = new PlaidWorker(1000);
      w.call(${JSON.stringify(config)}, "itemGet", { access_token: "a" }).then(
        () => console.log("resolved"),
        (e) => console.log("rejected " + e.plaid.code + " retryable=" + require(${JSON.stringify(path.join(REPO, "src/plaid/errors.ts"))}).isRetryable(e.plaid)));
      setTimeout(() => { console.log("alive running=" + w.running); for (const fd of fds) fs.closeSync(fd); }, 500);
    `;
    const out = execFileSync("bash", ["-c", `ulimit -n 128 && exec "$0" --import tsx -e "$1"`, process.execPath, script], { cwd: REPO, encoding: "utf8", timeout: 20_000 });
    assert.match(out, /rejected PLAID_WORKER_STOPPED retryable=true/);
    assert.match(out, /alive running=false/);
    assert.doesNotMatch(out, /crashed/);
  });

  it("a body IPC cannot carry is a clean error, and the worker still goes away when idle", async () => {
    const w = new PlaidWorker(100);
    try {
      const err = (await w.call(config, "itemGet", { access_token: "a", n: 1n }).then(() => assert.fail("expected an error"), (e: unknown) => e)) as CleanError;
      assert.strictEqual(err.plaid.code, "PLAID_CALL_NOT_SENT");
      assert.match(err.message, /itemGet.*BigInt/);
      assert.ok(!isRetryable(err.plaid), "sending it again cannot help");
      await waitFor(() => !w.running, { what: "the worker with nothing in flight to exit", intervalMs: 20 });
    } finally {
      await w.stop();
    }
  });

  it("a reply still in the pipe when the worker's exit is seen reaches its call", async () => {
    // A stand-in worker that exits as soon as the call arrives, leaving its answer to a process
    // of its own that holds the reply pipe and writes 300 ms later: Node-RED hears of the exit
    // first, as it can when a worker dies (killed, out of memory) right after answering.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-dying-worker-"));
    const stub = path.join(dir, "worker.ts");
    fs.writeFileSync(
      stub,
      `import { spawn } from "child_process";
       import { encodeFrame, FRAME_DATA } from ${JSON.stringify(path.join(REPO, "src/plaid/reply-frames.ts"))};
       process.on("message", (m: { id: number }) => {
         const frame = Buffer.concat(encodeFrame(m.id, 200, FRAME_DATA, Buffer.from(JSON.stringify({ request_id: "last-words" }))));
         const write = "setTimeout(() => require('fs').writeSync(3, Buffer.from(process.argv[1], 'hex')), 300)";
         spawn(process.execPath, ["-e", write, frame.toString("hex")], { stdio: ["ignore", "ignore", "inherit", 4] });
         process.exit(1);
       });`,
    );
    const w = new PlaidWorker(5_000, () => fork(stub, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc", "pipe"] }));
    try {
      const res = (await w.call(config, "itemGet", { access_token: "a" })) as { data: { request_id: string } };
      assert.strictEqual(res.data.request_id, "last-words");
    } finally {
      await w.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
