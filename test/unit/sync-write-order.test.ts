/**
 * node-red-contrib-influxdb writes each message as it arrives, so the parts of one sync are in
 * flight together and InfluxDB keeps whichever write of a point lands last. When one sync writes
 * a point twice in different parts (a pending transaction added on one page and removed on a
 * later one), the later version must be the one that stays. The sink here is that database: each
 * part is written after its own delay, so parts land out of order, and confirmed once written
 * (the Complete node).
 */
import * as assert from "assert";
import type { PointsMessage, SyncEngine } from "../../src/sync/engine";
import { engineSuite, type EngineOverrides } from "../support/engine";
import { InfluxModel } from "../support/influx-model";
import { linkSandboxItem, plaidTruth } from "../support/simulator";
import { waitFor } from "../support/ports";

/** Write delays that make an early part land after later ones: part 1 of every sync is slowest. */
function delayOf(part: number, seq: number): number {
  return part === 1 ? 60 : (seq * 7) % 25;
}


/** Counts the points a later part of the same sync carried again (else a test here proves nothing). */
function rewriteCounter(): { note(m: PointsMessage): void; readonly count: number } {
  const partOf = new Map<string, number>();
  let count = 0;
  return {
    note(m) {
      for (const p of m.payload) {
        const k = `${m.plaid.syncId}|${InfluxModel.key(p)}`;
        const before = partOf.get(k);
        if (before !== undefined && before !== m.plaid.part) count++;
        partOf.set(k, m.plaid.part);
      }
    },
    get count() {
      return count;
    },
  };
}

describe("confirm mode: parts written out of order by the database", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-order-");

  /** A confirm-mode engine with small pages and parts, so one sync spans many of each. */
  async function orderEngine(o: Omit<EngineOverrides, "accessToken" | "itemId">): Promise<{ engine: SyncEngine; accessToken: string }> {
    const { accessToken, itemId } = await linkSandboxItem(suite.client, { username: "user_transactions_dynamic" });
    return { engine: suite.engine({ accessToken, itemId, pageSize: 10, ...o, settings: { commit: "confirm", batchSize: 8 } }), accessToken };
  }

  it("a point written twice in one sync ends at its later version, whatever order the parts land in", async () => {
    const { client } = suite;
    const db = new InfluxModel();
    let seq = 0;
    const rewrites = rewriteCounter();
    const { engine, accessToken }: { engine: SyncEngine; accessToken: string } = await orderEngine({
      confirmWaitMs: 10_000,
      sink: {
        points: (m: PointsMessage) => {
          rewrites.note(m);
          setTimeout(() => {
            db.write(m.payload);
            engine.confirm(m.plaid.syncId, m.plaid.part);
          }, delayOf(m.plaid.part, ++seq));
        },
        event: () => undefined,
      },
    });

    const syncAndCommit = async (label: string) => {
      const s = await engine.trigger();
      await waitFor(() => !engine.awaitingConfirmation, { what: `${label}: every part confirmed`, intervalMs: 10 });
      return s;
    };
    await syncAndCommit("first sync");
    for (let round = 1; round <= 5; round++) {
      // Several bank days between two syncs: what posted, and the pending it replaces, arrive in one sync.
      for (let d = 0; d < 3; d++) await client.transactionsRefresh({ access_token: accessToken });
      await syncAndCommit(`round ${round}`);
      const truth = await plaidTruth(client, accessToken);
      const live = new Set(db.live().map((p) => String(p.fields.transaction_id)));
      assert.deepStrictEqual(live, truth.ids, `round ${round}: the live points in the database are Plaid's transactions`);
      const sums = db.sums();
      for (const [account, cents] of truth.sums) assert.strictEqual(sums.get(account) ?? 0, cents, `round ${round}: sum of ${account}`);
    }
    assert.ok(rewrites.count > 0, "the history did put one point in two parts of a sync (else this test proves nothing)");
  });

  it("when confirmations stop coming, a held part is sent after the wait, with a warning naming the cause; the sync does not hang", async () => {
    const { client } = suite;
    let confirming = true;
    const rewrites = rewriteCounter();
    const warnings: string[] = [];
    const { engine, accessToken }: { engine: SyncEngine; accessToken: string } = await orderEngine({
      orderWaitMs: 300,
      hooks: { warn: (m) => void warnings.push(m) },
      sink: {
        points: (m: PointsMessage) => {
          rewrites.note(m);
          if (confirming) setTimeout(() => engine.confirm(m.plaid.syncId, m.plaid.part), 1);
        },
        event: () => undefined,
      },
    });
    await engine.trigger();
    await waitFor(() => !engine.awaitingConfirmation, { what: "the first sync to commit", intervalMs: 10 });
    confirming = false;
    warnings.length = 0; // a slow moment in the first sync may have given up on a wait too
    for (let d = 0; d < 3; d++) await client.transactionsRefresh({ access_token: accessToken });
    const s = await engine.trigger();
    assert.ok(rewrites.count > 0, "a part rewrote a point of an earlier part (else nothing was held)");
    assert.ok(s.parts > 1 && engine.awaitingConfirmation, "summary returned; still waiting for confirmations, not committed");
    const gaveUp = warnings.filter((w) => /not confirmed within/.test(w));
    assert.strictEqual(gaveUp.length, 1, `one warning: ${warnings.join(" | ")}`);
    assert.match(gaveUp[0], /Complete node/);
  });
});
