import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TransactionIndex } from "../../src/influx/identity";
import { emptyState, StateStore, type StoreFs, type SyncState } from "../../src/sync/state-store";

function sampleState(cursor: string, n = 3): SyncState {
  const index = new TransactionIndex();
  const s = index.seriesId("plaid_transactions", { account: "Checking ••0000", pending: "false" });
  for (let i = 0; i < n; i++) index.set(`t${i}`, { series: s, timestamp: 1714564800000 + i, hash: 1000 + i });
  return { itemId: "item-1", cursor, gen: 4, settingsKey: "k", index };
}

describe("sync: state store", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-state-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports a missing file as 'missing' with an empty state (a first sync)", async () => {
    const r = await new StateStore(path.join(dir, "plaid-sync"), "n1").load();
    assert.strictEqual(r.status, "missing");
    assert.strictEqual(r.state.cursor, "");
    assert.strictEqual(r.state.index.size, 0);
  });

  it("round-trips cursor and index through <dir>/state-<nodeId>.json, leaving no temp files", async () => {
    const store = new StateStore(path.join(dir, "plaid-sync"), "abc.123");
    await store.save(sampleState("cursor-1"));
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, "plaid-sync")), ["state-abc.123.json"]);
    const r = await store.load();
    assert.strictEqual(r.status, "ok");
    assert.strictEqual(r.state.cursor, "cursor-1");
    assert.strictEqual(r.state.gen, 4);
    assert.deepStrictEqual(r.state.index.get("t2"), { series: 0, timestamp: 1714564800002, hash: 1002 });
    assert.deepStrictEqual(r.state.index.toJSON(), sampleState("x").index.toJSON());
  });

  it("state and journal files are readable by their owner only (0600), whatever the umask", async () => {
    const old = process.umask(0o022);
    try {
      const store = new StateStore(path.join(dir, "plaid-sync"), "n1");
      await store.save(sampleState("c"));
      store.appendJournal(1, ["added|t1|5"]);
      assert.strictEqual(fs.statSync(store.file).mode & 0o777, 0o600, "state file");
      assert.strictEqual(fs.statSync(store.journalFile).mode & 0o777, 0o600, "journal");
    } finally {
      process.umask(old);
    }
  });

  it("writes the index as exactly JSON.stringify(toJSON()) would, removed entries, odd ids and 2 500 entries included", () => {
    const index = new TransactionIndex();
    const a = index.seriesId("plaid_transactions", { account: 'Joint "A" ••0001', pending: "false" });
    const b = index.seriesId("plaid_transactions", { account: "Épargne ••0002", pending: "true" });
    for (let i = 0; i < 2500; i++) index.set(`t${i}`, { series: i % 2 ? a : b, timestamp: 1714564800000 + i, hash: i % 3 ? -2147483000 + i : 4000 + i });
    index.set('id "quoted" \\ é \u2028', { series: a, timestamp: 1714564800000, hash: 7 });
    index.markRemoved("t7");
    assert.strictEqual(index.toJSONText(), JSON.stringify(index.toJSON()));
    assert.strictEqual(new TransactionIndex().toJSONText(), JSON.stringify(new TransactionIndex().toJSON()));
    const back = TransactionIndex.fromJSON(JSON.parse(index.toJSONText()));
    assert.deepStrictEqual(back.toJSON(), index.toJSON());
    assert.deepStrictEqual(back.get("t7"), { series: a, timestamp: 1714564800007, hash: -2147483000 + 7, removed: true });
  });

  it("is atomic: a crash before the rename leaves the previous state intact and no temp file", async () => {
    const failing: StoreFs = {
      open: (p, f, m) => fs.promises.open(p, f, m),
      rename: async (from, to) => {
        if (to.endsWith(".json")) throw Object.assign(new Error("simulated power loss"), { code: "EIO" });
        return fs.promises.rename(from, to);
      },
      rm: (p, o) => fs.promises.rm(p, o),
      readFile: (p, e) => fs.promises.readFile(p, e),
      mkdir: (p, o) => fs.promises.mkdir(p, o),
    };
    const sdir = path.join(dir, "plaid-sync");
    await new StateStore(sdir, "n1").save(sampleState("old-cursor"));
    await assert.rejects(new StateStore(sdir, "n1", failing).save(sampleState("new-cursor", 10)), /power loss/);
    assert.deepStrictEqual(fs.readdirSync(sdir), ["state-n1.json"]);
    const r = await new StateStore(sdir, "n1").load();
    assert.strictEqual(r.state.cursor, "old-cursor");
    assert.strictEqual(r.state.index.size, 3);
  });

  it("serialises concurrent saves: the last one wins, the file is always whole", async () => {
    const store = new StateStore(path.join(dir, "s"), "n1");
    await Promise.all([store.save(sampleState("c1")), store.save(sampleState("c2")), store.save(sampleState("c3"))]);
    assert.strictEqual((await store.load()).state.cursor, "c3");
  });

  for (const [what, content] of [
    ["truncated JSON", '{"version":1,"cursor":"abc","index":{"series":[['],
    ["not an object", "42"],
    ["a wrong version", JSON.stringify({ version: 99, cursor: "", itemId: "", gen: 0, index: { series: [], entries: [] } })],
    ["a broken index", JSON.stringify({ version: 1, nodeId: "n1", cursor: "c", itemId: "i", gen: 1, index: { series: [], entries: [["t", 5, 1, 1]] } })],
    ["binary garbage", "\u0000\u0001\u0002"],
  ] as const) {
    it(`treats ${what} as corrupt: empty state, the file moved aside, never a throw`, async () => {
      const sdir = path.join(dir, "plaid-sync");
      fs.mkdirSync(sdir);
      fs.writeFileSync(path.join(sdir, "state-n1.json"), content);
      const store = new StateStore(sdir, "n1");
      const r = await store.load();
      assert.strictEqual(r.status, "corrupt");
      assert.ok(r.reason && r.reason.length > 0);
      assert.strictEqual(r.state.cursor, "");
      assert.ok(r.movedTo && fs.existsSync(r.movedTo));
      assert.ok(!fs.existsSync(store.file));
      // ...and the store keeps working.
      await store.save(sampleState("fresh"));
      assert.strictEqual((await store.load()).state.cursor, "fresh");
    });
  }

  it("journal: keeps event keys per generation, ignores a torn last line and older generations", () => {
    const store = new StateStore(path.join(dir, "j"), "n1");
    store.appendJournal(4, ["added|a|1", "added|b|2"]);
    store.appendJournal(3, ["added|old|1"]);
    store.appendJournal(4, ["removed|c|3"]);
    fs.appendFileSync(store.journalFile, '{"gen":4,"k":["added|torn');
    assert.deepStrictEqual([...store.loadJournal(4).keys].sort(), ["added|a|1", "added|b|2", "removed|c|3"]);
    assert.deepStrictEqual([...store.loadJournal(5).keys], []);
    store.clearJournal();
    assert.deepStrictEqual([...store.loadJournal(4).keys], []);
  });

  it("journal: a resync started on a generation is remembered for that generation only, until cleared", () => {
    const store = new StateStore(path.join(dir, "r"), "n1");
    assert.strictEqual(store.loadJournal(4).resync, false, "no journal yet");
    store.appendJournal(4, ["added|a|1"]);
    assert.strictEqual(store.loadJournal(4).resync, false);
    store.journalResync(4);
    store.appendJournal(4, ["removed|b|2"]);
    const j = store.loadJournal(4);
    assert.strictEqual(j.resync, true);
    assert.deepStrictEqual([...j.keys].sort(), ["added|a|1", "removed|b|2"], "event keys unaffected");
    assert.strictEqual(store.loadJournal(5).resync, false, "a resync of an older generation was committed or abandoned");
    store.clearJournal();
    assert.strictEqual(store.loadJournal(4).resync, false);
  });

  it("clear() forgets state and journal", async () => {
    const store = new StateStore(path.join(dir, "c"), "n1");
    await store.save(sampleState("c1"));
    store.appendJournal(4, ["k"]);
    await store.clear();
    assert.strictEqual((await store.load()).status, "missing");
    assert.strictEqual(store.loadJournal(4).keys.size, 0);
    assert.deepStrictEqual(emptyState("i").itemId, "i");
  });

  it("handles a 50 000-transaction index in one linear pass each way", async () => {
    const store = new StateStore(path.join(dir, "big"), "n1");
    await store.save(sampleState("big", 50_000));
    const r = await store.load();
    assert.strictEqual(r.state.index.size, 50_000);
  });
});
