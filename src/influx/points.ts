/**
 * The point model of DESIGN §5: what a transaction, a tombstone and a balance look like as
 * InfluxDB points, in the `influxdb batch` format of node-red-contrib-influxdb
 * ({measurement, tags, fields, timestamp: Date}) and as line protocol.
 *
 * Rules that keep every write idempotent and every sum right:
 * - tag values are never empty (InfluxDB and the Influx nodes drop empty tags, which would
 *   silently change a point's identity);
 * - fields are never null (node-red-contrib-influxdb drops them) and string fields are always
 *   written, "" when unknown, because a later write to the same point merges fields and would
 *   otherwise keep a stale value;
 * - `amount` is always a float, also 0 in tombstones.
 */
import type { Point as PointClass } from "@influxdata/influxdb-client";
import type { AccountBase, Transaction } from "plaid";
import type { Series, Tags } from "./identity";

export type FieldValue = number | string | boolean;

export interface InfluxPoint {
  measurement: string;
  tags: Tags;
  fields: Record<string, FieldValue>;
  timestamp: Date;
}

export interface AccountInfo {
  account_id: string;
  name: string;
  mask: string | null;
  type?: string | null;
  subtype?: string | null;
}

/** A tag value InfluxDB keeps as it is: no control characters, never empty. */
export function tagValue(v: string | null | undefined, fallback: string): string {
  const s = (v ?? "").replace(/[\r\n\t]+/g, " ").trim();
  return s === "" ? fallback : s;
}

function text(v: string | null | undefined): string {
  return (v ?? "").replace(/[\r\n]+/g, " ");
}

/** "Plaid Checking ••0000" — the account tag, readable in Grafana legends. */
export function accountLabel(account: Pick<AccountInfo, "name" | "mask" | "account_id"> | undefined, accountId: string): string {
  if (!account) return tagValue(accountId, "unknown account");
  const name = tagValue(account.name, accountId);
  return account.mask ? `${name} ••${account.mask}` : name;
}

export function currencyOf(t: { iso_currency_code?: string | null; unofficial_currency_code?: string | null }): string {
  return tagValue(t.iso_currency_code ?? t.unofficial_currency_code, "UNKNOWN");
}

export function transactionTags(t: Transaction, institution: string, account: string): Tags {
  return {
    institution: tagValue(institution, "unknown institution"),
    account: tagValue(account, t.account_id),
    account_id: tagValue(t.account_id, "unknown"),
    category: tagValue(t.personal_finance_category?.primary, "UNCATEGORIZED"),
    pending: t.pending ? "true" : "false",
    currency: currencyOf(t),
  };
}

/**
 * `intern` (optional) returns one shared copy of equal strings: names, merchants and categories
 * repeat across a history, and a point that keeps its own copy of each keeps it alive for as long
 * as the point waits to be written (see StringPool).
 */
export function transactionFields(t: Transaction, invertAmounts: boolean, intern: (s: string) => string = (s) => s): Record<string, FieldValue> {
  const raw = Number(t.amount);
  const amount = Number.isFinite(raw) ? (invertAmounts ? -raw : raw) : 0;
  const fields: Record<string, FieldValue> = {
    amount: amount === 0 ? 0 : amount, // never -0
    transaction_id: t.transaction_id,
    name: intern(text(t.name)),
    merchant: intern(text(t.merchant_name)),
    category_detailed: intern(text(t.personal_finance_category?.detailed)),
    payment_channel: intern(text(t.payment_channel)),
    removed: false,
  };
  if (t.datetime) fields.datetime = t.datetime;
  return fields;
}

/**
 * Interns strings for the lifetime of one sync. Bounded (a history with ever-new names just stops
 * sharing); long strings are not worth a lookup.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();
  constructor(private readonly max = 20_000) {}
  readonly intern = (s: string): string => {
    if (s.length > 80) return s;
    const known = this.pool.get(s);
    if (known !== undefined) return known;
    if (this.pool.size < this.max) this.pool.set(s, s);
    return s;
  };
}

export function transactionPoint(series: Series, ts: number, fields: Record<string, FieldValue>): InfluxPoint {
  return { measurement: series.measurement, tags: { ...series.tags }, fields, timestamp: new Date(ts) };
}

/** Same identity as the point it cancels; `amount` 0 so sums stay right without a delete. */
export function tombstonePoint(series: Series, ts: number, transactionId: string): InfluxPoint {
  return {
    measurement: series.measurement,
    tags: { ...series.tags },
    fields: { amount: 0, removed: true, transaction_id: transactionId },
    timestamp: new Date(ts),
  };
}

/**
 * A hash of what Plaid says about a transaction (not of how we write it), to tell a real change
 * from a replay. Independent of the node's settings, so changing e.g. invertAmounts rewrites
 * points without announcing every transaction as modified.
 *
 * 32-bit FNV-1a fed field by field (a type/length mark before each value, so null, "" and "null"
 * differ and no two fields run together), without building a string: it runs once per transaction
 * and hashing a JSON.stringify of the fields was the largest single cost of our code in a
 * 50 000-transaction first sync (bench/README.md).
 */
export function transactionHash(t: Transaction): number {
  const pfc = t.personal_finance_category;
  let h = FNV_OFFSET;
  h = hashString(h, t.account_id);
  h = hashNumber(h, t.amount);
  h = hashString(h, t.iso_currency_code);
  h = hashString(h, t.unofficial_currency_code);
  h = hashString(h, t.date);
  h = hashString(h, t.datetime);
  h = fnvStep(h, t.pending === true ? 3 : t.pending === false ? 4 : 5);
  h = hashString(h, t.name);
  h = hashString(h, t.merchant_name);
  h = hashString(h, pfc?.primary);
  h = hashString(h, pfc?.detailed);
  h = hashString(h, t.payment_channel);
  return h | 0; // signed: a small integer for V8 (no heap number per index entry)
}

const FNV_OFFSET = 0x811c9dc5;
const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

function fnvStep(h: number, v: number): number {
  return Math.imul(h ^ v, 0x01000193);
}

function hashString(h: number, s: string | null | undefined): number {
  if (typeof s !== "string") return fnvStep(h, 0x10000 | (s === null ? 1 : 2));
  h = fnvStep(h, 0x20000 | (s.length & 0xffff));
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function hashNumber(h: number, n: number | null | undefined): number {
  if (typeof n !== "number") return fnvStep(h, 0x10000 | (n === null ? 1 : 2));
  float[0] = n;
  return fnvStep(fnvStep(fnvStep(h, 0x30000), floatWords[0]), floatWords[1]);
}

/** A balance point, or null when Plaid gave no balance at all for the account. */
export function balancePoint(account: AccountBase, institution: string, measurement: string, time: Date): InfluxPoint | null {
  const b = account.balances;
  const fields: Record<string, FieldValue> = {};
  if (typeof b?.current === "number" && Number.isFinite(b.current)) fields.current = b.current;
  if (typeof b?.available === "number" && Number.isFinite(b.available)) fields.available = b.available;
  if (typeof b?.limit === "number" && Number.isFinite(b.limit)) fields.limit = b.limit;
  if (Object.keys(fields).length === 0) return null;
  return {
    measurement,
    tags: {
      institution: tagValue(institution, "unknown institution"),
      account: accountLabel(account, account.account_id),
      account_id: tagValue(account.account_id, "unknown"),
      type: tagValue(account.type, "other"),
      subtype: tagValue(account.subtype, "other"),
      currency: currencyOf(b ?? {}),
    },
    fields,
    timestamp: time,
  };
}

/** The Item point's measurement when the node names none. */
export const ITEM_MEASUREMENT = "plaid_items";

/** What a sync knows about its Item at the end, for the plaid_items point. */
export interface ItemPointInput {
  itemId: string;
  institution: string;
  /** "OK" or the open problem (ITEM_LOGIN_REQUIRED, PENDING_DISCONNECT, PENDING_EXPIRATION). */
  health: string;
  added: number;
  modified: number;
  removed: number;
  consentExpirationTime?: string;
}

/**
 * One point per sync about the Item itself (`plaid_items`): its health and the sync's counts, so a
 * dashboard shows each bank's state and when it last synced. The timestamp is the sync's start,
 * one point per sync; a failed sync that needs a login writes one too (counts 0).
 */
export function itemPoint(i: ItemPointInput, measurement: string, time: Date): InfluxPoint {
  const fields: Record<string, FieldValue> = {
    health: i.health,
    healthy: i.health === "OK" ? 1 : 0,
    added: i.added,
    modified: i.modified,
    removed: i.removed,
    consent_expiration_time: i.consentExpirationTime ?? "",
  };
  return {
    measurement,
    tags: { institution: tagValue(i.institution, "unknown institution"), item_id: tagValue(i.itemId, "unknown") },
    fields,
    timestamp: time,
  };
}

/**
 * One line of line protocol (nanosecond precision, InfluxDB's default for /write), built with
 * @influxdata/influxdb-client's Point so escaping and number formatting are the client's own.
 * Only computed when the node's "line protocol" option is on: a profile of a 50 000-transaction
 * sync showed ~1 s of CPU here (bench/README.md), which users of the influxdb batch node should
 * not pay for a string they never read — nor for loading the client (some 5 MB), which happens on
 * the first line.
 */
let PointCtor: typeof PointClass | null = null;

export function toLine(p: InfluxPoint): string {
  PointCtor ??= (require("@influxdata/influxdb-client") as typeof import("@influxdata/influxdb-client")).Point;
  const point = new PointCtor(p.measurement);
  for (const [k, v] of Object.entries(p.tags)) point.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === "number") point.floatField(k, v);
    else if (typeof v === "boolean") point.booleanField(k, v);
    else point.stringField(k, v);
  }
  point.timestamp(p.timestamp);
  return point.toLineProtocol() ?? "";
}

export function toLineProtocol(points: readonly InfluxPoint[]): string {
  return points.map(toLine).filter((l) => l !== "").join("\n");
}
