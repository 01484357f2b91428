import * as assert from "assert";
import type { AccountBase, Transaction } from "plaid";
import { TransactionIndex } from "../../src/influx/identity";
import { balancePoint, toLine, toLineProtocol, transactionFields, transactionTags } from "../../src/influx/points";
import { dayBaseMs, isValidTimezone, offsetFor, OFFSET_WINDOW_MS } from "../../src/influx/time";
import { ChangeApplier } from "../../src/sync/apply";
import { removedCutoff } from "../../src/sync/engine";

function tx(over: Partial<Transaction> & { transaction_id: string }): Transaction {
  return {
    account_id: "acc1",
    amount: 12.5,
    iso_currency_code: "USD",
    unofficial_currency_code: null,
    date: "2024-05-01",
    authorized_date: null,
    authorized_datetime: null,
    datetime: null,
    name: "Coffee",
    merchant_name: "Blue Bottle",
    pending: false,
    pending_transaction_id: null,
    account_owner: null,
    payment_channel: "in store",
    location: {} as Transaction["location"],
    payment_meta: {} as Transaction["payment_meta"],
    transaction_code: null,
    personal_finance_category: { primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_COFFEE", confidence_level: "HIGH" },
    category: null,
    category_id: null,
    ...over,
  } as Transaction;
}

function applier(index = new TransactionIndex(), over: Partial<ConstructorParameters<typeof ChangeApplier>[1]> = {}): ChangeApplier {
  return new ChangeApplier(index, {
    measurement: "plaid_transactions",
    timezone: "",
    invertAmounts: false,
    includePending: true,
    institution: "First Platypus Bank",
    accountLabel: (id) => (id === "acc1" ? "Plaid Checking ••0000" : id),
    ...over,
  });
}

/** Two ids whose hash offsets collide (found by brute force; the birthday bound makes it quick). */
function collidingIds(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `txn-${i}`;
    const o = offsetFor(id);
    const other = seen.get(o);
    if (other) return [other, id];
    seen.set(o, id);
  }
}

describe("influx: timestamps", () => {
  it("puts a date at 12:00 UTC plus a deterministic 0–59 999 ms offset", () => {
    const base = Date.UTC(2024, 4, 1, 12);
    assert.strictEqual(dayBaseMs("2024-05-01", ""), base);
    for (const id of ["a", "b", "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp", "x".repeat(300)]) {
      const o = offsetFor(id);
      assert.ok(o >= 0 && o < OFFSET_WINDOW_MS && Number.isInteger(o));
      assert.strictEqual(offsetFor(id), o);
    }
  });

  it("uses local midnight when a timezone is set, including DST days and zones east of UTC", () => {
    assert.strictEqual(new Date(dayBaseMs("2024-07-01", "America/New_York")).toISOString(), "2024-07-01T04:00:00.000Z");
    assert.strictEqual(new Date(dayBaseMs("2024-01-15", "America/New_York")).toISOString(), "2024-01-15T05:00:00.000Z");
    assert.strictEqual(new Date(dayBaseMs("2024-03-10", "America/New_York")).toISOString(), "2024-03-10T05:00:00.000Z");
    assert.strictEqual(new Date(dayBaseMs("2024-11-03", "America/New_York")).toISOString(), "2024-11-03T04:00:00.000Z");
    assert.strictEqual(new Date(dayBaseMs("2024-05-01", "Asia/Kolkata")).toISOString(), "2024-04-30T18:30:00.000Z");
    assert.strictEqual(new Date(dayBaseMs("2024-05-01", "UTC")).toISOString(), "2024-05-01T00:00:00.000Z");
    assert.ok(isValidTimezone("Europe/Berlin") && isValidTimezone("") && !isValidTimezone("Mars/Olympus"));
    assert.throws(() => dayBaseMs("2024-5-1", ""), /YYYY-MM-DD/);
  });
});

describe("influx: point model", () => {
  it("writes a transaction with the §5 tags and fields, never null or empty", () => {
    const a = applier();
    const r = a.upsert(tx({ transaction_id: "t1", merchant_name: null, personal_finance_category: null, iso_currency_code: null, unofficial_currency_code: null }), "added");
    assert.strictEqual(r.kind, "added");
    assert.strictEqual(r.points.length, 1);
    const p = r.points[0].point;
    assert.strictEqual(p.measurement, "plaid_transactions");
    assert.deepStrictEqual(p.tags, {
      institution: "First Platypus Bank",
      account: "Plaid Checking ••0000",
      account_id: "acc1",
      category: "UNCATEGORIZED",
      pending: "false",
      currency: "UNKNOWN",
    });
    assert.deepStrictEqual(p.fields, {
      amount: 12.5,
      transaction_id: "t1",
      name: "Coffee",
      merchant: "",
      category_detailed: "",
      payment_channel: "in store",
      removed: false,
    });
    assert.ok(p.timestamp instanceof Date);
    assert.strictEqual(p.timestamp.getTime(), Date.UTC(2024, 4, 1, 12) + offsetFor("t1"));
    for (const v of Object.values(p.tags)) assert.ok(v.length > 0);
  });

  it("keeps Plaid's sign unless invertAmounts, and adds datetime when known", () => {
    const t = tx({ transaction_id: "t1", amount: -20, datetime: "2024-05-01T10:11:12Z" });
    assert.strictEqual(transactionFields(t, false).amount, -20);
    assert.strictEqual(transactionFields(t, true).amount, 20);
    assert.strictEqual(transactionFields(tx({ transaction_id: "z", amount: 0 }), true).amount, 0);
    assert.ok(!Object.is(transactionFields(tx({ transaction_id: "z", amount: 0 }), true).amount, -0));
    assert.strictEqual(transactionFields(t, false).datetime, "2024-05-01T10:11:12Z");
    assert.strictEqual(transactionTags(t, "", "").institution, "unknown institution");
  });

  it("gives two transactions with the same account, category, pending flag and date distinct points", () => {
    const a = applier();
    const p1 = a.upsert(tx({ transaction_id: "same-day-1" }), "added").points[0];
    const p2 = a.upsert(tx({ transaction_id: "same-day-2" }), "added").points[0];
    assert.deepStrictEqual(p1.point.tags, p2.point.tags);
    assert.notStrictEqual(p1.point.timestamp.getTime(), p2.point.timestamp.getTime());
    assert.notStrictEqual(p1.key, p2.key);
  });

  it("bumps a colliding hash offset, and keeps the bumped point across a restart (index round trip)", () => {
    const [idA, idB] = collidingIds();
    assert.strictEqual(offsetFor(idA), offsetFor(idB));
    const a = applier();
    const pa = a.upsert(tx({ transaction_id: idA }), "added").points[0].point;
    const pb = a.upsert(tx({ transaction_id: idB }), "added").points[0].point;
    assert.notStrictEqual(pa.timestamp.getTime(), pb.timestamp.getTime());
    assert.strictEqual(pb.timestamp.getTime(), pa.timestamp.getTime() + 1 - (offsetFor(idA) === OFFSET_WINDOW_MS - 1 ? OFFSET_WINDOW_MS : 0));

    // Restart: a fresh applier over the reloaded index puts both back at the same points,
    // whatever order Plaid sends them in.
    const reloaded = TransactionIndex.fromJSON(JSON.parse(JSON.stringify(a.index.toJSON())));
    const b = applier(reloaded);
    const rb = b.upsert(tx({ transaction_id: idB }), "added");
    const ra = b.upsert(tx({ transaction_id: idA }), "added");
    assert.strictEqual(rb.points[0].point.timestamp.getTime(), pb.timestamp.getTime());
    assert.strictEqual(ra.points[0].point.timestamp.getTime(), pa.timestamp.getTime());
    assert.strictEqual(rb.kind, null, "a replay of the same content is not an event");
    assert.strictEqual(ra.kind, null);

    // A collision only counts inside the same series: another account may share the instant.
    const c = applier();
    const q1 = c.upsert(tx({ transaction_id: idA }), "added").points[0].point;
    const q2 = c.upsert(tx({ transaction_id: idB, account_id: "acc2" }), "added").points[0].point;
    assert.strictEqual(q1.timestamp.getTime(), q2.timestamp.getTime());
  });

  it("tombstones a removed transaction at the same identity with amount 0 and removed true", () => {
    const a = applier();
    const written = a.upsert(tx({ transaction_id: "p1", pending: true }), "added").points[0];
    const r = a.remove("p1");
    assert.strictEqual(r.kind, "removed");
    assert.strictEqual(r.points.length, 1);
    const t = r.points[0];
    assert.strictEqual(t.key, written.key);
    assert.deepStrictEqual(t.point.tags, written.point.tags);
    assert.strictEqual(t.point.timestamp.getTime(), written.point.timestamp.getTime());
    assert.deepStrictEqual(t.point.fields, { amount: 0, removed: true, transaction_id: "p1" });
    assert.strictEqual(a.remove("p1").kind, null, "removing twice is a no-op");
    assert.strictEqual(a.index.liveSize, 0);
    // Ids are never reused: a replay of its history neither resurrects the point nor repeats events.
    assert.deepStrictEqual(a.upsert(tx({ transaction_id: "p1", pending: true }), "added"), { points: [], kind: null });
    // The removal is remembered across a restart.
    const reloaded = applier(TransactionIndex.fromJSON(JSON.parse(JSON.stringify(a.index.toJSON()))));
    assert.deepStrictEqual(reloaded.upsert(tx({ transaction_id: "p1", pending: true }), "added"), { points: [], kind: null });
    assert.strictEqual(reloaded.remove("p1").kind, null);
  });

  it("overwrites a modified transaction in place, and tombstones the old identity when it changes", () => {
    const a = applier();
    const first = a.upsert(tx({ transaction_id: "m1", amount: 10 }), "added").points[0];
    const sameId = a.upsert(tx({ transaction_id: "m1", amount: 11 }), "modified");
    assert.strictEqual(sameId.kind, "modified");
    assert.strictEqual(sameId.points.length, 1);
    assert.strictEqual(sameId.points[0].key, first.key);
    assert.strictEqual(sameId.points[0].point.fields.amount, 11);

    const recat = a.upsert(tx({ transaction_id: "m1", amount: 11, personal_finance_category: { primary: "TRAVEL", detailed: "TRAVEL_FLIGHTS" } }), "modified");
    assert.strictEqual(recat.points.length, 2);
    assert.strictEqual(recat.points[0].key, first.key);
    assert.deepStrictEqual(recat.points[0].point.fields, { amount: 0, removed: true, transaction_id: "m1" });
    assert.strictEqual(recat.points[1].point.tags.category, "TRAVEL");
    assert.strictEqual(recat.points[1].point.timestamp.getTime(), first.point.timestamp.getTime(), "same day, same hash offset");

    const redate = a.upsert(tx({ transaction_id: "m1", amount: 11, date: "2024-05-03", personal_finance_category: { primary: "TRAVEL", detailed: "TRAVEL_FLIGHTS" } }), "modified");
    assert.strictEqual(redate.points.length, 2);
    assert.strictEqual(redate.points[1].point.timestamp.getTime(), Date.UTC(2024, 4, 3, 12) + offsetFor("m1"));
  });

  it("leaves pending transactions out when includePending is false (and cancels ones written before)", () => {
    const idx = new TransactionIndex();
    applier(idx).upsert(tx({ transaction_id: "p1", pending: true }), "added");
    const a = applier(idx, { includePending: false });
    const r = a.upsert(tx({ transaction_id: "p1", pending: true }), "modified");
    assert.strictEqual(r.kind, null);
    assert.strictEqual(r.points.length, 1);
    assert.strictEqual(r.points[0].point.fields.removed, true);
    const r2 = a.upsert(tx({ transaction_id: "p2", pending: true }), "added");
    assert.deepStrictEqual(r2, { points: [], kind: null });
  });

  it("builds balance points per account, skipping missing balances", () => {
    const acct = {
      account_id: "acc3",
      name: "Plaid Credit Card",
      mask: "3333",
      official_name: null,
      type: "credit",
      subtype: "credit card",
      balances: { available: null, current: 410, limit: 2000, iso_currency_code: "USD", unofficial_currency_code: null },
    } as unknown as AccountBase;
    const t = new Date("2024-05-01T14:02:00Z");
    const p = balancePoint(acct, "First Platypus Bank", "plaid_balances", t);
    assert.deepStrictEqual(p, {
      measurement: "plaid_balances",
      tags: { institution: "First Platypus Bank", account: "Plaid Credit Card ••3333", account_id: "acc3", type: "credit", subtype: "credit card", currency: "USD" },
      fields: { current: 410, limit: 2000 },
      timestamp: t,
    });
    const empty = { ...acct, balances: { available: null, current: null, limit: null, iso_currency_code: "USD", unofficial_currency_code: null } } as AccountBase;
    assert.strictEqual(balancePoint(empty, "x", "m", t), null);
  });

  it("renders line protocol with @influxdata/influxdb-client's Point (escaped tags, float amount, ns time)", () => {
    const a = applier();
    const p = a.upsert(tx({ transaction_id: "lp1", name: 'Say "hi"\nthere', amount: 3 }), "added").points[0].point;
    const line = toLine(p);
    assert.match(line, /^plaid_transactions,account=Plaid\\ Checking\\ ••0000,account_id=acc1,category=FOOD_AND_DRINK,currency=USD,institution=First\\ Platypus\\ Bank,pending=false /);
    assert.match(line, /amount=3[, ]/);
    assert.match(line, /name="Say \\"hi\\" there"/);
    assert.match(line, /removed=F/);
    assert.ok(line.endsWith(` ${p.timestamp.getTime()}000000`));
    assert.strictEqual(toLineProtocol([p, p]).split("\n").length, 2);
  });

  it("forgets a tombstone only once it is older than Plaid's history on both the bank's and the host's calendar", () => {
    const DAY = 86_400_000;
    const idx = new TransactionIndex();
    const s = idx.seriesId("plaid_transactions", { account: "Plaid Checking ••0000", pending: "false" });
    const newest = Date.UTC(2024, 5, 29, 12);
    idx.set("latest", { series: s, timestamp: newest, hash: 1 });
    for (const [id, age] of [["gone-1y", 365], ["gone-790d", 790], ["gone-810d", 810], ["gone-3y", 3 * 365]] as const) {
      idx.set(id, { series: s, timestamp: newest - age * DAY, hash: 2 });
      idx.markRemoved(id);
    }
    idx.set("live-3y", { series: s, timestamp: newest - 3 * 365 * DAY + 1, hash: 3 });
    // The host's clock two years past the bank's dates: the bank's calendar decides.
    const after = (index: TransactionIndex) => ["gone-1y", "gone-790d", "gone-810d", "gone-3y", "live-3y"].filter((id) => index.has(id));
    const copy = () => TransactionIndex.fromJSON(JSON.parse(JSON.stringify(idx.toJSON())));
    const ahead = copy();
    assert.strictEqual(ahead.newestTs, newest, "the newest date survives a restart (recomputed on load)");
    assert.strictEqual(ahead.pruneRemoved(removedCutoff(ahead, new Date(newest + 730 * DAY))), 2);
    assert.deepStrictEqual(after(ahead), ["gone-1y", "gone-790d", "live-3y"]);
    // The host's clock behind the bank's dates (a board booted without NTP): the host's decides.
    const behind = copy();
    assert.strictEqual(behind.pruneRemoved(removedCutoff(behind, new Date(newest - 20 * DAY))), 1);
    assert.deepStrictEqual(after(behind), ["gone-1y", "gone-790d", "gone-810d", "live-3y"]);
    assert.strictEqual(new TransactionIndex().pruneRemoved(removedCutoff(new TransactionIndex(), new Date())), 0, "an empty index");
  });

  it("rejects a malformed index instead of guessing", () => {
    assert.throws(() => TransactionIndex.fromJSON(null));
    assert.throws(() => TransactionIndex.fromJSON({ series: [], entries: [["t", 0, 1, 2]] }), /unknown series/);
    assert.throws(() => TransactionIndex.fromJSON({ series: [["m", { a: 1 }]], entries: [] }), /tag value/);
  });
});
