/**
 * Regression (chaos seed 2499, 120 days): a `resync` re-announced transactions removed long
 * before — an "added" and a "removed" event for each, a second time. A resync replays Plaid's
 * history from an empty cursor, so a transaction that came and went shows up as added on one
 * page and removed on a later one; only its tombstone in the index says "already told". Those
 * tombstones were pruned 800 days after their date *on the host's clock*, while what Plaid can
 * replay is measured on the bank's dates: with the bank's data (the simulator's `today`) years
 * behind the host's clock, every tombstone was dropped at the next commit.
 *
 * Also: a resync interrupted by a restart is resumed by the next trigger (the request used to
 * live in memory only, so a transaction that vanished was announced once by the interrupted
 * resync and again by the next one).
 */
import * as assert from "assert";
import * as fs from "fs";
import type { CommitMode, SyncEngine, TransactionEvent } from "../../src/sync/engine";
import { engineSuite, recordingSink } from "../support/engine";
import { linkSandboxItem, plaidTruth } from "../support/simulator";

/** The bank's "today" at link time; each /transactions/refresh is one more day. */
const BANK_TODAY = "2024-03-01";
/** The host's clock: years after the bank's dates (the chaos run: simulator in 2024, host in 2026). */
const HOST_NOW = new Date("2026-12-02T14:00:00Z");

function changeKey(e: TransactionEvent): string {
  return e.kind === "removed" ? `removed|${String(e.payload.transaction_id)}` : `${e.kind}|${String(e.payload.transaction_id)}|${JSON.stringify(e.payload.amount)}|${String(e.payload.date)}`;
}

function duplicates(events: TransactionEvent[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const k of events.map(changeKey)) {
    if (seen.has(k)) dup.push(k);
    seen.add(k);
  }
  return dup;
}

describe("sync engine: resync after removals, and a resync interrupted by a restart", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-resync-", { today: BANK_TODAY });

  async function setup(commit: CommitMode) {
    const client = suite.client;
    const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic" });
    const { db, events, parts, sink } = recordingSink();
    // Small pages: a transaction's addition and its removal land on different pages of a resync.
    const make = (): SyncEngine => suite.engine({ nodeId: "resync1", accessToken, itemId, sink, settings: { commit }, pageSize: 25, confirmWaitMs: 10, now: () => HOST_NOW });
    return { accessToken, db, events, parts, make, refresh: () => client.transactionsRefresh({ access_token: accessToken }) };
  }

  it("a resync does not announce again what was removed days before (host clock years ahead of the bank's dates)", async () => {
    const h = await setup("send");
    const engine = h.make();
    await engine.trigger();
    // Each day the pending transactions post: their pending ids are removed.
    for (let day = 1; day <= 8; day++) {
      await h.refresh();
      await engine.trigger();
    }
    const removedBefore = h.events.filter((e) => e.kind === "removed").length;
    assert.ok(removedBefore >= 8, `the days removed transactions (${removedBefore})`);
    const eventsBefore = h.events.length;

    const s = await engine.trigger("resync");
    assert.strictEqual(s.mode, "resync");
    assert.ok(s.pages > 2, `the history spans pages (${s.pages})`);
    assert.deepStrictEqual(h.events.slice(eventsBefore).map(changeKey), [], "nothing changed at Plaid since the last sync: no event");
    assert.deepStrictEqual(duplicates(h.events), [], "no event twice");
    const truth = await plaidTruth(suite.client, h.accessToken);
    assert.deepStrictEqual(new Set(h.db.live().map((p) => String(p.fields.transaction_id))), truth.ids, "live points = Plaid's transactions");
  });

  it("a resync interrupted by a restart is resumed by the next trigger: what vanished is tombstoned and announced once", async () => {
    const h = await setup("confirm");
    const confirmAll = async (engine: SyncEngine, syncId: string, n: number): Promise<void> => {
      for (let p = 1; p <= n; p++) engine.confirm(syncId, p);
      for (let i = 0; i < 400 && engine.awaitingConfirmation; i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(!engine.awaitingConfirmation, "committed");
    };
    let engine = h.make();
    const first = await engine.trigger();
    await confirmAll(engine, first.syncId, first.parts);
    await h.refresh();
    const day1 = await engine.trigger();
    await confirmAll(engine, day1.syncId, day1.parts);
    await engine.close();

    // A transaction we once wrote that Plaid no longer has, and never said so (what a resync is for).
    const file = engine.store.file;
    const state = JSON.parse(fs.readFileSync(file, "utf8")) as { index: { series: Array<[string, Record<string, string>]>; entries: unknown[][] } };
    const ts = Date.parse(`${BANK_TODAY}T12:00:00Z`) + 7;
    state.index.entries.push(["ghost-transaction", 0, ts, 12345]);
    fs.writeFileSync(file, JSON.stringify(state));
    const [measurement, tags] = state.index.series[0];
    h.db.write([{ measurement, tags, fields: { amount: 99, transaction_id: "ghost-transaction", removed: false }, timestamp: new Date(ts) }]);

    // The resync is sent but Node-RED goes down before its parts are confirmed: nothing committed.
    engine = h.make();
    const interrupted = await engine.trigger("resync");
    assert.strictEqual(interrupted.mode, "resync");
    const ghostEvents = () => h.events.filter((e) => e.payload.transaction_id === "ghost-transaction").map((e) => e.kind);
    assert.deepStrictEqual(ghostEvents(), ["removed"], "the interrupted resync announced the vanished transaction");
    await engine.close();

    // After the restart, a plain trigger: it carries the resync through (and commits it).
    await h.refresh();
    engine = h.make();
    const resumed = await engine.trigger();
    assert.strictEqual(resumed.mode, "resync", "the interrupted resync is resumed");
    await confirmAll(engine, resumed.syncId, resumed.parts);
    assert.deepStrictEqual(ghostEvents(), ["removed"], "announced once");
    assert.ok(!h.db.live().some((p) => p.fields.transaction_id === "ghost-transaction"), "its point is a tombstone");

    // The user asks for another resync later: nothing vanished since, nothing to announce.
    const eventsBefore = h.events.length;
    const again = await engine.trigger("resync");
    await confirmAll(engine, again.syncId, again.parts);
    assert.deepStrictEqual(h.events.slice(eventsBefore).map(changeKey), [], "no event: nothing changed since");
    assert.deepStrictEqual(duplicates(h.events), [], "no event twice");
    const truth = await plaidTruth(suite.client, h.accessToken);
    assert.deepStrictEqual(new Set(h.db.live().map((p) => String(p.fields.transaction_id))), truth.ids, "live points = Plaid's transactions");

    // And the next plain trigger is a plain sync again.
    const plain = await engine.trigger();
    assert.strictEqual(plain.mode, "sync");
    await confirmAll(engine, plain.syncId, plain.parts);
  });
});
