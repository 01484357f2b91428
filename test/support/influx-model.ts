/**
 * A tiny model of InfluxDB for engine tests: the last write per measurement + tag set + timestamp
 * wins, with the field sets of writes to the same point merged (as InfluxDB does).
 */
import type { InfluxPoint } from "../../src/influx/points";

export class InfluxModel {
  readonly points = new Map<string, InfluxPoint>();
  writes = 0;
  static key(p: InfluxPoint): string {
    const tags = Object.keys(p.tags)
      .sort()
      .map((k) => `${k}=${p.tags[k]}`)
      .join(",");
    return `${p.measurement}|${tags}|${p.timestamp.getTime()}`;
  }
  write(points: readonly InfluxPoint[]): void {
    for (const p of points) {
      this.writes++;
      const k = InfluxModel.key(p);
      const prev = this.points.get(k);
      // InfluxDB merges the field sets of writes to the same point.
      this.points.set(k, prev ? { ...p, fields: { ...prev.fields, ...p.fields } } : p);
    }
  }
  sums(measurement = "plaid_transactions"): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.points.values()) {
      if (p.measurement !== measurement) continue;
      out.set(p.tags.account_id, (out.get(p.tags.account_id) ?? 0) + Number(p.fields.amount));
    }
    for (const [k, v] of out) out.set(k, Math.round(v * 100));
    return out;
  }
  live(measurement = "plaid_transactions"): InfluxPoint[] {
    return [...this.points.values()].filter((p) => p.measurement === measurement && p.fields.removed === false);
  }
  /** transaction_id → identity of its live point. */
  identities(): Map<string, string> {
    const m = new Map<string, string>();
    for (const p of this.live()) m.set(String(p.fields.transaction_id), InfluxModel.key(p));
    return m;
  }
}
