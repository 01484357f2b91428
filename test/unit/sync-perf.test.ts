/**
 * The engine's two cost rules found by `npm run bench` (see bench/README.md), against the simulator:
 * - the next page is requested as soon as a page arrives, while that page is turned into points
 *   (never two requests at once, no extra request, failures still clean);
 * - an idle sync does not rewrite the saved state;
 * - the journal of written identities keys its series table cheaply (same output).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StateStore } from "../../src/sync/state-store";
import { engineSuite } from "../support/engine";
import { addFault, countSyncCalls, linkSandboxItem } from "../support/simulator";


describe("sync engine: cost rules (prefetch, idle syncs)", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-engine-perf-");
  let accessToken: string;
  let itemId: string;

  beforeEach(async () => {
    ({ accessToken, itemId } = await linkSandboxItem(suite.client, { username: "user_transactions_dynamic" }));
  });

  function harness() {
    const calls = { sync: 0, inFlight: 0, maxInFlight: 0 };
    /** For each event: how many /transactions/sync requests had been started when it was emitted. */
    const startedAtEvent: number[] = [];
    const counted = countSyncCalls(suite.client, calls);
    const engine = suite.engine({
      nodeId: "perf1",
      accessToken,
      itemId,
      getClient: async () => counted,
      sink: { points: () => undefined, event: () => void startedAtEvent.push(calls.sync) },
      retry: { sleep: async () => undefined, random: () => 0.5, retries: 2 },
      pageSize: 10,
    });
    return { engine, calls, startedAtEvent };
  }

  it("requests the next page while the current one is processed: one request at a time, none extra", async () => {
    const h = harness();
    const summary = await h.engine.trigger();
    assert.ok(summary.pages >= 4, `several pages (${summary.pages})`);
    assert.strictEqual(h.calls.sync, summary.pages, "exactly one request per page");
    assert.strictEqual(h.calls.maxInFlight, 1, "never two requests at once");
    // The events of page 1 (the first 10) were emitted after page 2 had been requested.
    assert.ok(h.startedAtEvent.length >= 10);
    for (const n of h.startedAtEvent.slice(0, 10)) assert.strictEqual(n, 2, "page 2 requested before page 1 was processed");
    // The last page: nothing more to ask for.
    assert.strictEqual(h.startedAtEvent[h.startedAtEvent.length - 1], summary.pages);
  });

  it("a failing prefetched page still fails the sync cleanly and saves nothing", async () => {
    const h = harness();
    // Page 1 goes through; page 2 (the prefetched one) fails more often than the retries allow.
    await addFault(suite.sim, { path: "/transactions/sync", status: 500, after: 1, times: 1000 });
    await assert.rejects(h.engine.trigger(), (e: Error & { plaid?: { code?: string; status?: number } }) => e.plaid?.status === 500);
    assert.strictEqual(h.calls.sync, 1 + 3, "page 1, then page 2 with 2 retries");
    assert.strictEqual(h.startedAtEvent.length, 10, "page 1 was processed meanwhile");
    assert.ok(!fs.existsSync(h.engine.store.file), "no state saved");
  });

  it("an idle sync leaves the saved state file untouched; a real change rewrites it", async () => {
    const h = harness();
    await h.engine.trigger();
    const file = h.engine.store.file;
    const before = { text: fs.readFileSync(file, "utf8"), mtime: fs.statSync(file).mtimeMs };
    await new Promise((r) => setTimeout(r, 20));
    const idle = await h.engine.trigger();
    assert.strictEqual(idle.added + idle.modified + idle.removed, 0);
    assert.ok(idle.balances > 0, "balances are still written");
    assert.strictEqual(fs.statSync(file).mtimeMs, before.mtime, "state file not rewritten");
    assert.strictEqual(fs.readFileSync(file, "utf8"), before.text);

    await suite.client.transactionsRefresh({ access_token: accessToken });
    const changed = await h.engine.trigger();
    assert.ok(changed.added + changed.modified + changed.removed > 0);
    const after = JSON.parse(fs.readFileSync(file, "utf8")) as { cursor: string; gen: number };
    assert.notStrictEqual(after.cursor, (JSON.parse(before.text) as { cursor: string }).cursor, "cursor advanced");
    assert.strictEqual(after.gen, (JSON.parse(before.text) as { gen: number }).gen + 1);

    // A new engine (restart) on the saved state: idle again, nothing announced twice.
    await h.engine.close();
    const h2 = harness();
    const again = await h2.engine.trigger();
    assert.strictEqual(again.added + again.modified + again.removed, 0);
    assert.strictEqual(h2.startedAtEvent.length, 0, "no events after the restart");
  });
});

describe("sync engine: at rest", function () {
  this.timeout(30_000);
  const suite = engineSuite("plaid-engine-rest-");

  it("lets go of the committed index after a quiet while; the next sync reads it back and is still a no-op", async () => {
    const { accessToken, itemId } = await linkSandboxItem(suite.client, { username: "user_transactions_dynamic" });
    const store = new StateStore(suite.dir, "rest1");
    let loads = 0;
    const load = store.load.bind(store);
    store.load = async () => {
      loads++;
      return load();
    };
    const events: unknown[] = [];
    const engine = suite.engine({ nodeId: "rest1", accessToken, itemId, store, keepStateMs: 50, sink: { points: () => undefined, event: (e) => void events.push(e) } });
    await engine.trigger();
    await engine.trigger();
    assert.strictEqual(loads, 1, "back-to-back syncs share the loaded index");
    await new Promise((r) => setTimeout(r, 120));
    const before = events.length;
    const idle = await engine.trigger();
    assert.strictEqual(loads, 2, "read again after the quiet while");
    assert.strictEqual(idle.added + idle.modified + idle.removed, 0);
    assert.strictEqual(events.length, before, "nothing announced again");
  });
});

describe("state store: journal of written identities", () => {
  it("one series table entry per series, whether writes share the tags object or not; round-trips", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-journal-"));
    try {
      const store = new StateStore(dir, "j1");
      const a = { account_id: "A", pending: "false" };
      const aEqual = { account_id: "A", pending: "false" };
      const b = { account_id: "B", pending: "true" };
      const writes = [
        { id: "t1", measurement: "m", tags: a, ts: 1 },
        { id: "t2", measurement: "m", tags: b, ts: 2 },
        { id: "t3", measurement: "m", tags: a, ts: 3 },
        { id: "t4", measurement: "m", tags: aEqual, ts: 4 },
        { id: "t5", measurement: "other", tags: a, ts: 5 },
        { id: "t6", measurement: "m", tags: a, ts: 6 },
      ];
      store.appendJournal(7, ["added|t1|1"], writes);
      const line = JSON.parse(fs.readFileSync(store.journalFile, "utf8").trim()) as { s: unknown[]; w: unknown[] };
      assert.deepStrictEqual(line.s, [["m", a], ["m", b], ["other", a]]);
      assert.deepStrictEqual(line.w, [["t1", 0, 1], ["t2", 1, 2], ["t3", 0, 3], ["t4", 0, 4], ["t5", 2, 5], ["t6", 0, 6]]);
      assert.deepStrictEqual(store.loadJournal(7).writes, writes.map((w) => ({ ...w, tags: { ...w.tags } })));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
