/**
 * Regression (found by the chaos test, seeds 3-5): a sync that sent points but never committed
 * (Node-RED killed mid-sync, a part refused by InfluxDB, confirmations that never came) is
 * replayed from the saved cursor. If a transaction it wrote vanished at Plaid before the replay
 * (a pending charge that posted the next day), Plaid's net changes since that cursor never
 * mention it — and its point used to stay live in InfluxDB forever, doubling the amount.
 * The engine now journals the identities such a sync wrote and tombstones the ones the replay
 * does not write again (announcing the removal once if the addition was announced).
 */
import * as assert from "assert";
import type { SyncEngine } from "../../src/sync/engine";
import { engineSuite, recordingSink } from "../support/engine";

describe("sync engine: points of a sync that never committed", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-uncommitted-");

  async function truthIds(accessToken: string): Promise<Map<string, number>> {
    const { data } = await suite.client.transactionsGet({ access_token: accessToken, start_date: "2000-01-01", end_date: "2099-12-31", options: { count: 500 } });
    return new Map(data.transactions.map((t) => [t.transaction_id, t.amount]));
  }

  for (const restart of [false, true]) {
    it(`tombstones what an unconfirmed sync wrote for transactions gone by the replay${restart ? " (after a restart)" : ""}`, async () => {
      const pt = await suite.client.sandboxPublicTokenCreate({
        institution_id: "ins_109508",
        initial_products: ["transactions" as never],
        options: { override_username: "user_transactions_dynamic", override_password: "pass_good" },
      });
      const { access_token: accessToken, item_id: itemId } = (await suite.client.itemPublicTokenExchange({ public_token: pt.data.public_token })).data;
      const { db, events, sink } = recordingSink();
      const make = () => suite.engine({ nodeId: "n1", accessToken, itemId, sink, settings: { commit: "confirm" }, confirmWaitMs: 10 });
      const confirmAll = async (engine: SyncEngine, syncId: string, n: number) => {
        for (let p = 1; p <= n; p++) engine.confirm(syncId, p);
        for (let i = 0; i < 200 && engine.awaitingConfirmation; i++) await new Promise((r) => setTimeout(r, 5));
        assert.ok(!engine.awaitingConfirmation, "committed");
      };

      let engine = make();
      const first = await engine.trigger();
      await confirmAll(engine, first.syncId, first.parts);

      // Day 1: new pending transactions appear. This sync writes them but is never confirmed.
      await suite.client.transactionsRefresh({ access_token: accessToken });
      const pendingBefore = new Set(db.live().filter((p) => p.tags.pending === "true").map((p) => String(p.fields.transaction_id)));
      const lost = await engine.trigger();
      assert.ok(lost.added > 0, "the day brought new transactions");
      const newPending = db.live().filter((p) => p.tags.pending === "true" && !pendingBefore.has(String(p.fields.transaction_id)));
      assert.ok(newPending.length > 0, "new pending transactions were written by the unconfirmed sync");
      if (restart) {
        await engine.close(); // a crash: nothing committed
        engine = make();
      }

      // Day 2: those pending transactions post (pending ids removed, posted copies added).
      await suite.client.transactionsRefresh({ access_token: accessToken });
      const eventsBefore = events.length;
      const replay = await engine.trigger();
      await confirmAll(engine, replay.syncId, replay.parts);

      const truth = await truthIds(accessToken);
      const live = db.live();
      for (const p of live) assert.ok(truth.has(String(p.fields.transaction_id)), `live in the database but gone at Plaid: ${String(p.fields.transaction_id)} (pending ${p.tags.pending})`);
      assert.strictEqual(live.length, truth.size, "one live point per transaction");
      const removedNow = events.slice(eventsBefore).filter((e) => e.kind === "removed").map((e) => String(e.payload.transaction_id));
      for (const p of newPending) assert.strictEqual(removedNow.filter((id) => id === String(p.fields.transaction_id)).length, 1, "its removal is announced once");

      // Nothing more to do: the next sync is quiet and emits nothing.
      const idle = await engine.trigger();
      await confirmAll(engine, idle.syncId, idle.parts);
      assert.strictEqual(idle.added + idle.modified + idle.removed, 0);
      await engine.close();
    });
  }
});
