/**
 * The sync engine against the simulator, through the official plaid client — the simulator is
 * the only stand-in for Plaid. No Node-RED here: the engine's sink feeds a tiny model of
 * InfluxDB (last write per measurement + tag set + timestamp wins).
 */
import * as assert from "assert";
import * as fs from "fs";
import type { PlaidApi } from "plaid";
import { CleanError } from "../../src/plaid/errors";
import type { EngineSettings, PointsMessage, SyncEngine, TransactionEvent } from "../../src/sync/engine";
import { engineSuite, recordingSink } from "../support/engine";
import { InfluxModel } from "../support/influx-model";
import { addFault, clearFaults, countSyncCalls, linkSandboxItem, plaidTruth, SIM_SECRET, type Simulator } from "../support/simulator";

function assertSumsEqual(db: InfluxModel, truth: Map<string, number>, label: string): void {
  const got = db.sums();
  const accounts = new Set([...got.keys(), ...truth.keys()]);
  for (const a of accounts) assert.strictEqual(got.get(a) ?? 0, truth.get(a) ?? 0, `${label}: sum of account ${a}`);
}

function eventKeys(events: TransactionEvent[]): string[] {
  return events.map((e) => `${e.kind}|${String(e.payload.transaction_id)}|${e.kind === "removed" ? "" : JSON.stringify(e.payload.amount)}`);
}

function assertNoDuplicates(list: string[], label: string): void {
  const seen = new Set<string>();
  for (const k of list) {
    assert.ok(!seen.has(k), `${label}: duplicated ${k}`);
    seen.add(k);
  }
}

interface Harness {
  engine: SyncEngine;
  parts: PointsMessage[];
  events: TransactionEvent[];
  warnings: string[];
  calls: { sync: number; inFlight: number; maxInFlight: number; runs: number };
}

describe("sync engine (against the simulator)", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-engine-");
  let accessToken: string;
  let itemId: string;
  let db: InfluxModel;
  // The suite's simulator and client (set by its before hook).
  let sim: Simulator;
  let client: PlaidApi;

  beforeEach(async () => {
    ({ sim, client } = suite);
    db = new InfluxModel();
    ({ accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic" }));
  });

  function harness(opts: { settings?: Partial<EngineSettings>; pageSize?: number; nodeId?: string; confirmWaitMs?: number; token?: string } = {}): Harness {
    const h: Harness = { engine: null as unknown as SyncEngine, parts: [], events: [], warnings: [], calls: { sync: 0, inFlight: 0, maxInFlight: 0, runs: 0 } };
    const counted = countSyncCalls(client, h.calls);
    const recorded = recordingSink(db);
    h.parts = recorded.parts;
    h.events = recorded.events;
    h.engine = suite.engine({
      nodeId: opts.nodeId ?? "node1",
      accessToken: opts.token ?? accessToken,
      itemId,
      settings: opts.settings,
      getClient: async () => counted,
      sink: recorded.sink,
      hooks: { warn: (m) => void h.warnings.push(m), onStart: () => void h.calls.runs++ },
      retry: { sleep: async () => undefined, random: () => 0.5, retries: 3 },
      pageSize: opts.pageSize ?? 25,
      confirmWaitMs: opts.confirmWaitMs ?? 50,
    });
    return h;
  }

  const refresh = () => client.transactionsRefresh({ access_token: accessToken });

  it("events off (output 2 not wired): the same points and counts, no event built, nothing journaled; turned on later, only new changes are announced", async () => {
    // confirm mode and no confirmation: the sync stays uncommitted, so its journal can be read
    const quiet = harness({ settings: { events: false, commit: "confirm" } });
    const first = await quiet.engine.trigger();
    const truth = await plaidTruth(client, accessToken);
    assert.strictEqual(first.added, truth.count);
    assert.strictEqual(first.events, 0);
    assert.strictEqual(quiet.events.length, 0);
    assert.strictEqual(db.live().length, truth.count);
    assertSumsEqual(db, truth.sums, "events off");
    assert.strictEqual(quiet.engine.store.loadJournal(0).writes.length, truth.count, "the journal was written");
    assert.deepStrictEqual(quiet.engine.store.loadJournal(0).keys, new Set(), "no event keys journaled");
    const last = quiet.parts[quiet.parts.length - 1].plaid;
    for (let p = 1; p <= last.part; p++) quiet.engine.confirm(last.syncId, p);
    // The commit writes and fsyncs the state file: wait for it, not for a fixed time (a loaded CI
    // machine took longer than 50 ms).
    for (let i = 0; i < 400 && quiet.engine.awaitingConfirmation; i++) await new Promise((r) => setTimeout(r, 5));
    assert.strictEqual(quiet.engine.awaitingConfirmation, false, "committed after the confirmations");
    await quiet.engine.close();
    await refresh();
    const loud = harness({ settings: { events: true } });
    const next = await loud.engine.trigger();
    assert.ok(next.added + next.modified + next.removed > 0, "the refresh changed something");
    assert.strictEqual(loud.events.length, next.events);
    assert.strictEqual(next.events, next.added + next.modified + next.removed);
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after the refresh");
  });

  it("first sync: every transaction once, balances for every account; an idle sync is one Plaid call", async () => {
    const h = harness({ settings: { lineProtocol: true } });
    const summary = await h.engine.trigger();
    const truth = await plaidTruth(client, accessToken);
    assert.ok(truth.count >= 50, `expected a real history, got ${truth.count}`);
    assert.strictEqual(summary.added, truth.count);
    assert.strictEqual(h.events.length, truth.count);
    assert.deepStrictEqual(new Set(h.events.map((e) => e.payload.transaction_id)), truth.ids);
    assert.ok(h.events.every((e) => e.kind === "added" && e.topic.startsWith("plaid/First Platypus Bank/") && e.topic.endsWith("/added")));
    assert.ok(h.events.every((e) => typeof e.payload.account_name === "string" && e.payload.institution_name === "First Platypus Bank"));
    assert.strictEqual(db.live().length, truth.count);
    assertSumsEqual(db, truth.sums, "first sync");
    // Parts: ≤ batchSize, numbered from 1, `last` only on the final one, which has the summary.
    assert.ok(h.parts.length > 2);
    h.parts.forEach((p, i) => {
      assert.ok(p.payload.length <= 20);
      assert.strictEqual(p.plaid.part, i + 1);
      assert.strictEqual(p.plaid.last, i === h.parts.length - 1);
      assert.strictEqual(p.plaid.syncId, summary.syncId);
      assert.ok(typeof p.lineProtocol === "string" && p.lineProtocol.split("\n").length === p.payload.length);
    });
    assert.deepStrictEqual(h.parts[h.parts.length - 1].plaid.summary, summary);
    // Every account has a balance, the IRA (which /transactions/sync leaves out) included.
    const { data: accts } = await client.accountsGet({ access_token: accessToken });
    const balanceAccounts = new Set([...db.points.values()].filter((p) => p.measurement === "plaid_balances").map((p) => p.tags.account_id));
    assert.ok(accts.accounts.some((a) => a.type === "investment"), "the Item has an investment account");
    for (const a of accts.accounts) assert.ok(balanceAccounts.has(a.account_id), `balance for ${a.name} (${a.type})`);
    assert.strictEqual(summary.balances, accts.accounts.length);
    assert.ok(summary.pages > 1, "paginated");
    assert.strictEqual(h.warnings.length, 1, "one warning: no saved state yet");

    const before = { calls: h.calls.sync, parts: h.parts.length };
    const idle = await h.engine.trigger();
    assert.strictEqual(h.calls.sync - before.calls, 1, "idle sync = 1 Plaid call");
    assert.strictEqual(idle.added + idle.modified + idle.removed, 0);
    assert.strictEqual(h.events.length, truth.count, "no events on an idle sync");
    assert.strictEqual(h.parts.length - before.parts, 1, "one output message with the balances and the Item point");
    const idlePart = h.parts[h.parts.length - 1].payload;
    assert.strictEqual(idlePart.filter((p) => p.measurement === "plaid_balances").length, idle.balances);
    assert.deepStrictEqual(
      idlePart.filter((p) => p.measurement !== "plaid_balances").map((p) => [p.measurement, p.fields.health, p.fields.added]),
      [["plaid_items", "OK", 0]],
    );
  });

  it("simulated days: posted points appear, pending ones are tombstoned, modified overwritten; sums match /transactions/get every day", async () => {
    const h = harness();
    await h.engine.trigger();
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "day 0");
    for (let day = 1; day <= 6; day++) {
      const pendingBefore = new Set(db.live().filter((p) => p.tags.pending === "true").map((p) => String(p.fields.transaction_id)));
      const eventsBefore = h.events.length;
      await refresh();
      const s = await h.engine.trigger();
      const truth = await plaidTruth(client, accessToken);
      assertSumsEqual(db, truth.sums, `day ${day}`);
      assert.deepStrictEqual(new Set(db.live().map((p) => String(p.fields.transaction_id))), truth.ids, `day ${day}: live points = Plaid's transactions`);
      const dayEvents = h.events.slice(eventsBefore);
      assert.ok(s.added > 0 && s.removed > 0, `day ${day}: something posted`);
      // Every pending transaction of yesterday is now a tombstone, at its old identity.
      for (const id of pendingBefore) {
        if (truth.ids.has(id)) continue;
        const tomb = [...db.points.values()].find((p) => p.fields.transaction_id === id);
        assert.ok(tomb && tomb.fields.removed === true && tomb.fields.amount === 0, `tombstone for ${id}`);
        assert.ok(dayEvents.some((e) => e.kind === "removed" && e.payload.transaction_id === id));
      }
      // Posted transactions name their pending predecessor.
      const posted = dayEvents.filter((e) => e.kind === "added" && e.payload.pending_transaction_id);
      assert.ok(posted.length > 0);
      if (s.modified > 0) assert.ok(dayEvents.some((e) => e.kind === "modified"));
    }
    assertNoDuplicates(eventKeys(h.events), "events");
  });

  it("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION on page 3: restarts from the first cursor, same end state, no repeated events", async () => {
    const h = harness({ pageSize: 5 });
    await h.engine.trigger();
    for (let i = 0; i < 3; i++) await refresh();
    await addFault(sim, { path: "/transactions/sync", error: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", after: 2, times: 1 });
    const eventsBefore = h.events.length;
    const s = await h.engine.trigger();
    assert.strictEqual(s.restarts, 1);
    assert.ok(s.pages >= 4, `pages ${s.pages}`);
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after mutation restart");
    assertNoDuplicates(eventKeys(h.events.slice(eventsBefore)), "events after restart");
    assertNoDuplicates(eventKeys(h.events), "all events");
  });

  it("retries 429 and 500 with backoff; when retries run out: a clean error and no state change", async () => {
    const h = harness({ pageSize: 5 });
    await addFault(sim, { path: "/transactions/sync", error: "RATE_LIMIT_EXCEEDED", times: 2 });
    await addFault(sim, { path: "/transactions/sync", status: 500, times: 1 });
    const s = await h.engine.trigger();
    assert.strictEqual(s.retries, 3);
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after retries");

    await refresh();
    const stateBefore = fs.readFileSync(h.engine.store.file, "utf8");
    const eventsBefore = h.events.length;
    await addFault(sim, { path: "/transactions/sync", status: 503, after: 1 });
    await assert.rejects(h.engine.trigger(), (err: unknown) => {
      assert.ok(err instanceof CleanError);
      assert.strictEqual(err.plaid.status, 503);
      assert.match(err.message, /gave up after 4 attempts/);
      return true;
    });
    assert.strictEqual(fs.readFileSync(h.engine.store.file, "utf8"), stateBefore, "state unchanged");
    await clearFaults(sim);
    await h.engine.trigger();
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after recovery");
    assertNoDuplicates(eventKeys(h.events.slice(eventsBefore)), "events of the failed + recovered sync");
  });

  it("coalesces triggers during a running sync into one follow-up run, never in parallel", async () => {
    const h = harness();
    await addFault(sim, { path: "/transactions/sync", delay_ms: 150, times: 3 });
    const first = h.engine.trigger();
    await new Promise((r) => setTimeout(r, 20));
    const more = [h.engine.trigger(), h.engine.trigger(), h.engine.trigger("sync"), h.engine.trigger()];
    const results = await Promise.all([first, ...more]);
    assert.strictEqual(h.calls.runs, 2, "the first run and exactly one follow-up");
    assert.strictEqual(h.calls.maxInFlight, 1, "never two Plaid calls at once");
    assert.notStrictEqual(results[0].syncId, results[1].syncId);
    for (const r of results.slice(2)) assert.strictEqual(r.syncId, results[1].syncId, "coalesced triggers share the follow-up");
    assert.strictEqual(results[1].added, 0, "the follow-up finds nothing new");
    assertNoDuplicates(eventKeys(h.events), "events");
  });

  it("restart mid-pagination (node closed during page 2): nothing saved, the new engine ends in the right state with no repeated events", async () => {
    const h1 = harness();
    await addFault(sim, { path: "/transactions/sync", delay_ms: 2000, after: 1, times: 1 });
    const run = h1.engine.trigger();
    while (h1.calls.sync < 2) await new Promise((r) => setTimeout(r, 5));
    await h1.engine.close();
    await assert.rejects(run, (e: CleanError) => e.plaid.code === "SYNC_ABORTED");
    assert.ok(h1.events.length > 0, "page 1 was emitted before the restart");
    assert.ok(!fs.existsSync(h1.engine.store.file), "no state saved mid-pagination");
    await assert.rejects(h1.engine.trigger(), (e: CleanError) => e.plaid.code === "SYNC_ABORTED");

    const h2 = harness();
    await h2.engine.trigger();
    const truth = await plaidTruth(client, accessToken);
    assertSumsEqual(db, truth.sums, "after restart");
    const all = [...h1.events, ...h2.events];
    assertNoDuplicates(eventKeys(all), "events across the restart");
    assert.strictEqual(all.filter((e) => e.kind === "added").length, truth.count);
  });

  describe("commit modes", () => {
    it("confirm: without confirmations nothing is committed and the next trigger replays (same points, no events again)", async () => {
      const h = harness({ settings: { commit: "confirm" } });
      const s1 = await h.engine.trigger();
      assert.ok(h.engine.awaitingConfirmation);
      assert.ok(!fs.existsSync(h.engine.store.file), "not committed");
      const firstPoints = new Map(h.parts.flatMap((p) => p.payload).map((p) => [InfluxModel.key(p), p]));
      const eventsAfterFirst = h.events.length;
      const partsBefore = h.parts.length;

      const s2 = await h.engine.trigger();
      assert.notStrictEqual(s2.syncId, s1.syncId);
      assert.strictEqual(s2.added, s1.added, "replayed from the same (empty) cursor");
      const replayed = h.parts.slice(partsBefore).flatMap((p) => p.payload).filter((p) => p.measurement === "plaid_transactions");
      for (const p of replayed) assert.ok(firstPoints.has(InfluxModel.key(p)), "same identities on replay");
      assert.strictEqual(h.events.length, eventsAfterFirst, "events are not repeated");

      // A late confirmation of the abandoned sync changes nothing.
      assert.strictEqual(h.engine.confirm(s1.syncId, 1), true);
      assert.ok(!fs.existsSync(h.engine.store.file));

      // Confirm every part of the second sync, out of order: now it is committed.
      for (let p = s2.parts; p >= 1; p--) h.engine.confirm(s2.syncId, p);
      await waitFor(() => !h.engine.awaitingConfirmation);
      assert.ok(fs.existsSync(h.engine.store.file), "committed after the last confirmation");
      const before = h.calls.sync;
      const idle = await h.engine.trigger();
      assert.strictEqual(h.calls.sync - before, 1);
      assert.strictEqual(idle.added, 0, "state advanced");
      assert.strictEqual(h.engine.confirm("someone-else.1", 1), false, "foreign syncIds are not ours");
    });

    it("confirm: a refused part (Catch) leaves the state where it was", async () => {
      const h = harness({ settings: { commit: "confirm" } });
      const s = await h.engine.trigger();
      for (let p = 1; p < s.parts; p++) h.engine.confirm(s.syncId, p);
      h.engine.confirm(s.syncId, s.parts, { message: "influx down" });
      await waitFor(() => !h.engine.awaitingConfirmation);
      assert.ok(!fs.existsSync(h.engine.store.file));
      const again = await h.engine.trigger();
      assert.strictEqual(again.added, s.added, "replayed");
    });

    it("confirm: a coalesced follow-up waits for the previous sync's confirmations", async () => {
      const h = harness({ settings: { commit: "confirm" }, confirmWaitMs: 5000 });
      h.parts.length = 0;
      const origPoints = h.parts.push.bind(h.parts);
      // Confirm each part as soon as it is sent, asynchronously (as a Complete node would).
      h.parts.push = (...items: PointsMessage[]) => {
        for (const m of items) setTimeout(() => h.engine.confirm(m.plaid.syncId, m.plaid.part), 5);
        return origPoints(...items);
      };
      await addFault(sim, { path: "/transactions/sync", delay_ms: 100, times: 1 });
      const a = h.engine.trigger();
      await new Promise((r) => setTimeout(r, 20));
      const b = h.engine.trigger();
      const [ra, rb] = await Promise.all([a, b]);
      assert.ok(ra.added > 0);
      assert.strictEqual(rb.added, 0, "the follow-up started from the committed cursor");
    });

    it("send: the state is saved once every part has been sent", async () => {
      const h = harness();
      let savedWhenLastSent: boolean | null = null;
      const orig = h.parts.push.bind(h.parts);
      h.parts.push = (...items: PointsMessage[]) => {
        for (const m of items) if (m.plaid.last) savedWhenLastSent = fs.existsSync(h.engine.store.file);
        return orig(...items);
      };
      await h.engine.trigger();
      assert.strictEqual(savedWhenLastSent, false, "not before the last part");
      assert.ok(fs.existsSync(h.engine.store.file), "saved after it");
    });
  });

  it("a corrupt state file: a clear warning and a safe full resync onto the same points", async () => {
    const h1 = harness();
    await h1.engine.trigger();
    const ids1 = db.identities();
    await h1.engine.close();
    fs.writeFileSync(h1.engine.store.file, '{"version":1,"cursor":"abc","ind');
    const h2 = harness();
    const s = await h2.engine.trigger();
    assert.ok(h2.warnings.some((w) => /could not be read/.test(w) && /full resync/.test(w)), h2.warnings.join("\n"));
    assert.strictEqual(s.fullSyncReason, "state file unreadable");
    assert.deepStrictEqual(db.identities(), ids1, "the same transaction gets the same point");
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after corrupt-state resync");
  });

  it("resync: re-fetches everything onto the same points and tombstones what vanished; reset forgets state", async () => {
    const h = harness();
    await h.engine.trigger();
    await refresh();
    await h.engine.trigger();
    const ids = db.identities();
    await h.engine.close();
    // Pretend we once wrote a transaction that Plaid no longer has (e.g. removed while we were away).
    const state = JSON.parse(fs.readFileSync(h.engine.store.file, "utf8"));
    state.index.entries.push(["ghost-transaction", 0, 1714564800000 + 7, 12345]);
    fs.writeFileSync(h.engine.store.file, JSON.stringify(state));
    const ghostSeries = state.index.series[0];
    db.write([{ measurement: ghostSeries[0], tags: ghostSeries[1], fields: { amount: 99, transaction_id: "ghost-transaction", removed: false }, timestamp: new Date(1714564800000 + 7) }]);

    const h2 = harness();
    const s = await h2.engine.trigger("resync");
    assert.strictEqual(s.mode, "resync");
    assert.strictEqual(s.removed, 1);
    assert.deepStrictEqual(h2.events.map((e) => [e.kind, e.payload.transaction_id]), [["removed", "ghost-transaction"]], "only the vanished one is news");
    assert.deepStrictEqual(db.identities(), ids, "same points after resync");
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after resync");

    await h2.engine.reset();
    assert.ok(!fs.existsSync(h2.engine.store.file));
    const again = await h2.engine.trigger();
    assert.ok(again.added > 0 && again.fullSyncReason);
    assert.deepStrictEqual(db.identities(), ids, "same points after reset + full sync");
  });

  it("ITEM_LOGIN_REQUIRED: a clean error, state untouched; after update-mode login the next trigger syncs", async () => {
    const h = harness();
    await h.engine.trigger();
    await refresh();
    const stateBefore = fs.readFileSync(h.engine.store.file, "utf8");
    await client.sandboxItemResetLogin({ access_token: accessToken });
    await assert.rejects(h.engine.trigger(), (err: unknown) => {
      assert.ok(err instanceof CleanError);
      assert.strictEqual(err.plaid.code, "ITEM_LOGIN_REQUIRED");
      assert.ok(!JSON.stringify(err.plaid).includes(SIM_SECRET));
      return true;
    });
    assert.strictEqual(fs.readFileSync(h.engine.store.file, "utf8"), stateBefore);
    await relogin(sim, client, accessToken);
    const s = await h.engine.trigger();
    assert.ok(s.added > 0);
    assertSumsEqual(db, (await plaidTruth(client, accessToken)).sums, "after relogin");
  });

  it("invertAmounts flips the sign; a settings change rebuilds the points once", async () => {
    const h = harness();
    await h.engine.trigger();
    await h.engine.close();
    const h2 = harness({ settings: { invertAmounts: true } });
    const s = await h2.engine.trigger();
    assert.strictEqual(s.mode, "resync");
    assert.ok(h2.warnings.some((w) => /rebuilding/.test(w)));
    const truth = await plaidTruth(client, accessToken);
    const got = db.sums();
    for (const [a, v] of truth.sums) assert.strictEqual(got.get(a) ?? 0, -v || 0);
    assert.strictEqual(h2.events.length, 0, "the transactions did not change: no events");
    assert.strictEqual(s.added + s.modified + s.removed, 0);
    assert.strictEqual(db.live().length, truth.count);
  });
});

export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Update-mode login through the stand-in Link backend, as a user would do in the browser. */
export async function relogin(sim: Simulator, client: PlaidApi, accessToken: string): Promise<void> {
  const { data } = await client.linkTokenCreate({
    client_name: "test",
    language: "en",
    country_codes: ["US" as never],
    user: { client_user_id: "u1" },
    access_token: accessToken,
  });
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${sim.url}/simulator/link/${p}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    assert.ok(res.ok, `${p}: ${JSON.stringify(json)}`);
    return json;
  };
  const session = (await post("session", { link_token: data.link_token })) as { item: { institution_id: string } };
  const login = (await post("login", { link_token: data.link_token, institution_id: session.item.institution_id, username: "user_good", password: "pass_good" })) as {
    accounts: Array<{ id: string }>;
  };
  await post("complete", {
    link_token: data.link_token,
    institution_id: session.item.institution_id,
    username: "user_good",
    password: "pass_good",
    account_ids: login.accounts.map((a) => a.id),
  });
}
