/**
 * toLine() builds line protocol directly (no Point per point, for speed: see bench/README.md);
 * it must stay byte for byte what @influxdata/influxdb-client's Point gives for the same point.
 */
import assert from "assert";
import { Point } from "@influxdata/influxdb-client";
import { toLine, toLineProtocol, type FieldValue, type InfluxPoint } from "../../src/influx/points";

/** The reference: the previous implementation, through Point. */
function viaPoint(p: InfluxPoint): string {
  const point = new Point(p.measurement);
  for (const [k, v] of Object.entries(p.tags)) point.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === "number") point.floatField(k, v);
    else if (typeof v === "boolean") point.booleanField(k, v);
    else point.stringField(k, v);
  }
  point.timestamp(p.timestamp);
  return point.toLineProtocol() ?? "";
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ["a", "Z", "0", " ", ",", "=", '"', "\\", "\n", "\r", "\t", "•", "é", "😀", "_", "-", "'", "/"];

function randomString(r: () => number, max = 12): string {
  let s = "";
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function randomPoint(r: () => number): InfluxPoint {
  const tags: Record<string, string> = {};
  const nt = Math.floor(r() * 6);
  for (let i = 0; i < nt; i++) tags[randomString(r, 6)] = r() < 0.15 ? "" : randomString(r);
  const fields: Record<string, FieldValue> = {};
  const nf = Math.floor(r() * 6);
  for (let i = 0; i < nf; i++) {
    const k = randomString(r, 6);
    const kind = r();
    fields[k] = kind < 0.3 ? (r() - 0.5) * 10 ** Math.floor(r() * 12) : kind < 0.4 ? 0 : kind < 0.55 ? r() < 0.5 : randomString(r, 20);
  }
  return {
    measurement: r() < 0.05 ? "" : randomString(r, 10) || "m",
    tags,
    fields,
    timestamp: new Date(Math.floor(r() * 4e12)),
  };
}

describe("line protocol: toLine matches @influxdata/influxdb-client's Point", function () {
  it("for typical transaction, tombstone and balance points", function () {
    const ts = new Date(Date.UTC(2024, 0, 15, 12, 0, 12, 345));
    const points: InfluxPoint[] = [
      {
        measurement: "plaid_transactions",
        tags: { institution: "First Platypus Bank", account: "Plaid Checking ••0000", account_id: "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp", category: "FOOD_AND_DRINK", pending: "false", currency: "USD" },
        fields: { amount: 12.34, transaction_id: "lPNjeW1nR6CDn5okmGQ6hEpMo4lLNoSrzqDje", name: 'Joe\'s "Diner", Main St', merchant: "", category_detailed: "FOOD_AND_DRINK_RESTAURANT", payment_channel: "in store", removed: false, datetime: "2024-01-15T08:01:02Z" },
        timestamp: ts,
      },
      { measurement: "plaid_transactions", tags: { account: "a b,c=d", pending: "true" }, fields: { amount: 0, removed: true, transaction_id: "x\\y" }, timestamp: ts },
      { measurement: "plaid balances", tags: { type: "credit", subtype: "credit card" }, fields: { current: -0.5, available: 1e21, limit: 2000 }, timestamp: ts },
    ];
    for (const p of points) assert.strictEqual(toLine(p), viaPoint(p));
  });

  it("for 5000 random points with every special character, empty tags, keys and measurements", function () {
    const r = rng(42);
    for (let i = 0; i < 5000; i++) {
      const p = randomPoint(r);
      assert.strictEqual(toLine(p), viaPoint(p), JSON.stringify(p));
    }
  });

  it("rejects non-finite floats as Point does", function () {
    const p: InfluxPoint = { measurement: "m", tags: {}, fields: { amount: NaN }, timestamp: new Date(0) };
    assert.throws(() => viaPoint(p));
    assert.throws(() => toLine(p), /invalid float value for field 'amount'/);
  });

  it("toLineProtocol joins lines and leaves out points without fields", function () {
    const ok: InfluxPoint = { measurement: "m", tags: { a: "1" }, fields: { v: 1 }, timestamp: new Date(1000) };
    const empty: InfluxPoint = { measurement: "m", tags: {}, fields: {}, timestamp: new Date(1000) };
    assert.strictEqual(toLineProtocol([ok, empty, ok]), `${viaPoint(ok)}\n${viaPoint(ok)}`);
  });
});
