/**
 * CI's short chaos run (the long one: `npm run chaos -- --days 120 --seed N`): 8 simulated days
 * with seed 10186459, whose schedule has Node-RED SIGKILLed right after a write, mid-sync — that
 * one during a `resync`, which the next day's trigger carries through unless it committed first —
 * and early, InfluxDB down for two days, a burst of triggers, 429/500/connection resets and a
 * mutation during pagination. After recovery InfluxDB must equal /transactions/get exactly and no
 * event may have been emitted twice. Plus a check that the oracle itself sees the divergences it
 * is meant to.
 *
 * Needs `npm run build` and /usr/bin/influxd (scripts/system-deps.sh influxdb).
 */
import * as assert from "assert";
import { startInfluxd } from "../support/influxd";
import { compareInflux, type TruthTx } from "../support/sync-flow";
import { formatResult, planRun, runChaos } from "../chaos/chaos";

const SEED = 10186459;
const DAYS = 8;

describe("chaos: seeded faults against real node-red + influxd", function () {
  this.timeout(300_000);

  it("the fault schedule of the CI seed covers kills, a resync killed midway, an InfluxDB outage, bursts and Plaid errors", () => {
    const plan = planRun(SEED, DAYS);
    const kinds = new Set(plan.flat().map((f) => f.kind));
    for (const k of ["kill-early", "kill-mid-sync", "kill-after-write", "influx-down", "burst", "rate-limit", "server-error", "mutation", "connection-reset", "resync"] as const) {
      assert.ok(kinds.has(k), `seed ${SEED} injects ${k} within ${DAYS} days`);
    }
    const killedResync = plan.findIndex((day) => day.some((f) => f.kind === "resync") && day.some((f) => f.kind.startsWith("kill")));
    assert.ok(killedResync >= 0 && killedResync < DAYS - 1, `seed ${SEED} kills Node-RED during a resync, with a day after it to carry it through`);
  });

  it(`converges: InfluxDB equals /transactions/get and no event is emitted twice (seed ${SEED}, ${DAYS} days)`, async () => {
    const lines: string[] = [];
    const result = await runChaos({ days: DAYS, seed: SEED, log: (l) => lines.push(l) });
    const report = formatResult(result);
    if (!result.ok || process.env.CHAOS_VERBOSE) console.log(`${lines.join("\n")}\n${report}`);
    assert.ok(result.faults.length >= DAYS, `faults were injected (${result.faults.length})`);
    assert.ok(result.stable, `a fault-free sync found nothing new after recovery\n${report}`);
    assert.deepStrictEqual(result.problems, [], report);
    assert.deepStrictEqual(result.duplicates, [], `no event twice\n${report}`);
    assert.ok(result.comparison && result.comparison.truthCount > 0, "the bank has transactions");
    assert.strictEqual(result.comparison.differences, 0, report);
    assert.ok(result.ok, report);
  });

  it("the oracle sees a doubled point, a missing tombstone, a wrong amount and a missing transaction", async () => {
    const influx = await startInfluxd();
    try {
      await influx.createDatabase("t");
      const tags = (acct: string, pending = "false") => `account_id=${acct},pending=${pending}`;
      const line = (id: string, acct: string, amount: number, ts: number, removed = false, pending = "false") =>
        `plaid_transactions,${tags(acct, pending)} amount=${amount},transaction_id="${id}",removed=${removed} ${ts}`;
      const truth: TruthTx[] = [
        { transaction_id: "a", account_id: "A", amount: 10, pending: false, date: "2024-01-01", name: "a" },
        { transaction_id: "b", account_id: "A", amount: 5, pending: false, date: "2024-01-01", name: "b" },
      ];
      await influx.write([line("a", "A", 10, 1000), line("b", "A", 5, 2000)], "t");
      assert.ok((await compareInflux(influx, "t", truth)).ok, "equal data compares equal");

      await influx.write(line("b", "A", 5, 3000), "t"); // doubled
      let c = await compareInflux(influx, "t", truth);
      assert.ok(!c.ok && c.firstDiff?.transaction_id === "b" && /doubled/.test(c.firstDiff.why), JSON.stringify(c.firstDiff));
      await influx.write(line("b", "A", 0, 3000, true), "t"); // tombstoned again

      await influx.write(line("p", "A", 7, 4000, false, "true"), "t"); // gone at Plaid, never tombstoned
      c = await compareInflux(influx, "t", truth);
      assert.ok(!c.ok && c.firstDiff?.transaction_id === "p" && /missing tombstone/.test(c.firstDiff.why), JSON.stringify(c.firstDiff));
      await influx.write(line("p", "A", 0, 4000, true, "true"), "t");

      c = await compareInflux(influx, "t", [{ ...truth[0], amount: 11 }, truth[1]]);
      assert.ok(!c.ok && /amount/.test(c.firstDiff?.why ?? ""), JSON.stringify(c.firstDiff));
      c = await compareInflux(influx, "t", [...truth, { ...truth[0], transaction_id: "c" }]);
      assert.ok(!c.ok && c.firstDiff?.transaction_id === "c" && /missing in InfluxDB/.test(c.firstDiff.why), JSON.stringify(c.firstDiff));
      assert.ok((await compareInflux(influx, "t", truth)).ok, "back to equal");
    } finally {
      await influx.dispose();
    }
  });
});
