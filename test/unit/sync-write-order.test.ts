/**
 * node-red-contrib-influxdb writes each message as it arrives, so the parts of one sync are in
 * flight together and InfluxDB keeps whichever write of a point lands last. When one sync writes
 * a point twice in different parts (a pending transaction added on one page and removed on a
 * later one), the later version must be the one that stays. The sink here is that database: each
 * part is written after its own delay, so parts land out of order, and confirmed once written
 * (the Complete node).
 */
import * as assert from "assert";
import type { PointsMessage } from "../../src/sync/engine";
import { engineSuite } from "../support/engine";
import { InfluxModel } from "../support/influx-model";
import { linkSandboxItem, plaidTruth } from "../support/simulator";

/** Write delays that make an early part land after later ones: part 1 of every sync is slowest. */
function delayOf(part: number, seq: number): number {
  return part === 1 ? 60 : (seq * 7) % 25;
}

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("confirm mode: parts written out of order by the database", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-order-");

  it("a point written twice in one sync ends at its later version, whatever order the parts land in", async () => {
    const { client } = suite;
    const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic" });
    const db = new InfluxModel();
    let seq = 0;
    /** Per sync: identity → the part that last carried it; how often a later part carried it again. */
    const carriedBy = new Map<string, Map<string, number>>();
    let rewrittenAcrossParts = 0;
    const engine = suite.engine({
      accessToken,
      itemId,
      settings: { commit: "confirm", batchSize: 8 },
      pageSize: 10,
      confirmWaitMs: 10_000,
      sink: {
        points: (m: PointsMessage) => {
          const seen = carriedBy.get(m.plaid.syncId) ?? new Map<string, number>();
          carriedBy.set(m.plaid.syncId, seen);
          for (const p of m.payload) {
            const k = InfluxModel.key(p);
            const before = seen.get(k);
            if (before !== undefined && before !== m.plaid.part) rewrittenAcrossParts++;
            seen.set(k, m.plaid.part);
          }
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
      await waitFor(() => !engine.awaitingConfirmation, `${label}: every part confirmed`);
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
    assert.ok(rewrittenAcrossParts > 0, "the history did put one point in two parts of a sync (else this test proves nothing)");
  });

  it("when confirmations stop coming, a held part is sent after the wait, with a warning naming the cause; the sync does not hang", async () => {
    const { client } = suite;
    const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic" });
    let confirming = true;
    let held = false;
    const warnings: string[] = [];
    const seen = new Map<string, number>();
    const engine = suite.engine({
      accessToken,
      itemId,
      settings: { commit: "confirm", batchSize: 8 },
      pageSize: 10,
      orderWaitMs: 300,
      hooks: { warn: (m) => void warnings.push(m) },
      sink: {
        points: (m: PointsMessage) => {
          for (const p of m.payload) {
            const k = `${m.plaid.syncId}|${InfluxModel.key(p)}`;
            if ((seen.get(k) ?? m.plaid.part) !== m.plaid.part) held = true;
            seen.set(k, m.plaid.part);
          }
          if (confirming) setTimeout(() => engine.confirm(m.plaid.syncId, m.plaid.part), 1);
        },
        event: () => undefined,
      },
    });
    await engine.trigger();
    await waitFor(() => !engine.awaitingConfirmation, "the first sync to commit");
    confirming = false;
    for (let d = 0; d < 3; d++) await client.transactionsRefresh({ access_token: accessToken });
    const s = await engine.trigger();
    assert.ok(held, "a part rewrote a point of an earlier part (else nothing was held)");
    assert.ok(s.parts > 1 && engine.awaitingConfirmation, "summary returned; still waiting for confirmations, not committed");
    const gaveUp = warnings.filter((w) => /not confirmed within/.test(w));
    assert.strictEqual(gaveUp.length, 1, `one warning: ${warnings.join(" | ")}`);
    assert.match(gaveUp[0], /Complete node/);
  });
});
