/**
 * Regression (chaos seed 2499, 120 days): a `resync` re-announced transactions removed long
 * before — an "added" and a "removed" event for each, a second time. A resync replays Plaid's
 * history from an empty cursor, so a transaction that came and went shows up as added on one
 * page and removed on a later one; only its tombstone in the index says "already told". Those
 * tombstones were pruned 800 days after their date *on the host's clock*, while what Plaid can
 * replay is measured on the bank's dates: with the bank's data (the simulator's `today`) years
 * behind the host's clock, every tombstone was dropped at the next commit.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi } from "plaid";
import { SyncEngine, type CommitMode, type PointsMessage, type TransactionEvent } from "../../src/sync/engine";
import { linkSandboxItem, plaidTruth, simulatorClient, startTestSimulator, type Simulator } from "../support/simulator";
import { InfluxModel } from "../support/influx-model";

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

describe("sync engine: resync after removals", function () {
  this.timeout(60_000);
  let sim: Simulator;
  let client: PlaidApi;
  let dir: string;
  const engines: SyncEngine[] = [];

  before(async () => {
    sim = await startTestSimulator({ today: BANK_TODAY });
    client = simulatorClient(sim);
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-resync-"));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function setup(commit: CommitMode) {
    const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic" });
    const db = new InfluxModel();
    const events: TransactionEvent[] = [];
    const parts: PointsMessage[] = [];
    const make = (): SyncEngine => {
      const engine = new SyncEngine({
        nodeId: "resync1",
        stateDir: dir,
        settings: { measurement: "plaid_transactions", balanceMeasurement: "plaid_balances", includePending: true, invertAmounts: false, timezone: "", batchSize: 20, commit },
        getClient: async () => client,
        getAccessToken: () => accessToken,
        getItem: () => ({ itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [] }),
        sink: {
          points: (m) => {
            parts.push(m);
            db.write(m.payload);
          },
          event: (e) => void events.push(e),
        },
        hooks: { warn: () => undefined },
        retry: { sleep: async () => undefined, random: () => 0.5, retries: 1 },
        // Small pages: a transaction's addition and its removal land on different pages of a resync.
        pageSize: 25,
        confirmWaitMs: 10,
        now: () => HOST_NOW,
      });
      engines.push(engine);
      return engine;
    };
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
    const truth = await plaidTruth(client, h.accessToken);
    assert.deepStrictEqual(new Set(h.db.live().map((p) => String(p.fields.transaction_id))), truth.ids, "live points = Plaid's transactions");
  });
});
