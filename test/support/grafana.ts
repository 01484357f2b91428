/**
 * grafana/dashboard.json as tests read it, so they run the dashboard's real queries, not copies:
 *
 *   const dash = loadDashboard();
 *   const q = fillQuery(dash, target.query, { timeFilter: timeFilterBetween(from, to), interval: "1d", vars: { institution: ALL } });
 *   const body = await influx.query(q, "plaid");          // InfluxDB's HTTP /query
 *   const frames = seriesOf(body);                         // what Grafana gets: one frame per series
 *   const shown = reduceRowSum(frames);                    // the panel's "Add field from calculation"
 *
 * fillQuery() fills $timeFilter, $__interval and the template variables the way Grafana's
 * InfluxDB data source does (multi-value / All variables inside /^$var$/ regexes: values
 * regex-escaped and joined as (a|b), All as the variable's allValue); an unknown variable throws,
 * so a query that needs a variable the dashboard lacks fails the test.
 */
import * as fs from "fs";
import * as path from "path";
import type { InfluxQueryResult } from "./influxd";

export const DASHBOARD_FILE = path.join(__dirname, "..", "..", "grafana", "dashboard.json");

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface GrafanaTarget {
  refId: string;
  datasource?: DatasourceRef;
  rawQuery?: boolean;
  query?: string;
  resultFormat?: string;
  alias?: string;
}

export interface GrafanaTransformation {
  id: string;
  options?: Record<string, unknown>;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: DatasourceRef;
  gridPos?: { h: number; w: number; x: number; y: number };
  interval?: string;
  targets?: GrafanaTarget[];
  transformations?: GrafanaTransformation[];
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  label?: string;
  query?: string | { query?: string };
  definition?: string;
  datasource?: DatasourceRef | string | null;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  current?: { text?: unknown; value?: unknown };
}

export interface GrafanaInput {
  name: string;
  label?: string;
  type: string;
  pluginId?: string;
  pluginName?: string;
}

export interface GrafanaDashboard {
  __inputs?: GrafanaInput[];
  __requires?: Array<{ type: string; id: string; version?: string }>;
  id?: number | null;
  uid?: string;
  title: string;
  schemaVersion: number;
  time?: { from: string; to: string };
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

export function loadDashboard(file = DASHBOARD_FILE): GrafanaDashboard {
  return JSON.parse(fs.readFileSync(file, "utf8")) as GrafanaDashboard;
}

/** Every panel, also those inside collapsed rows. */
export function allPanels(d: GrafanaDashboard): GrafanaPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function panelByTitle(d: GrafanaDashboard, title: string): GrafanaPanel {
  const p = allPanels(d).find((x) => x.title === title);
  if (!p) throw new Error(`the dashboard has no panel "${title}" (it has: ${allPanels(d).map((x) => x.title).join(", ")})`);
  return p;
}

export function variableQuery(v: GrafanaVariable): string {
  return typeof v.query === "string" ? v.query : (v.query?.query ?? "");
}

/** The template variable's value "All". */
export const ALL = "$__all";

export interface Fill {
  /** What $timeFilter becomes, e.g. timeFilterBetween(from, to). */
  timeFilter: string;
  /** What $__interval becomes, e.g. "1d". */
  interval: string;
  /** Template variables: ALL, one value, or several. */
  vars?: Record<string, string | string[]>;
}

/** $timeFilter as Grafana writes it for an absolute time range. */
export function timeFilterBetween(fromMs: number, toMs: number): string {
  return `time >= ${Math.floor(fromMs)}ms and time <= ${Math.ceil(toMs)}ms`;
}

/** The regex escaping Grafana's InfluxDB data source applies to multi-value variables. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(d);
  if (!m) throw new Error(`not an InfluxQL duration: ${d}`);
  return Number(m[1]) * DURATION_MS[m[2]];
}

/** The names of the variables a query uses ($name, ${name}, [[name]]). */
export function variablesIn(query: string): string[] {
  const names = new Set<string>();
  for (const m of query.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)) names.add(m[1] ?? m[2] ?? m[3]);
  return [...names];
}

export function fillQuery(d: GrafanaDashboard, query: string, fill: Fill): string {
  const byName = new Map(d.templating.list.map((v) => [v.name, v]));
  return query.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    if (name === "timeFilter" || name === "__timeFilter") return fill.timeFilter;
    if (name === "__interval" || name === "interval") return fill.interval;
    if (name === "__interval_ms") return String(durationMs(fill.interval));
    const v = byName.get(name);
    if (!v) throw new Error(`query uses ${whole}, which is neither a Grafana global nor a template variable of the dashboard: ${query}`);
    const value = fill.vars?.[name];
    if (value === undefined) throw new Error(`no value given for template variable $${name}`);
    const values = Array.isArray(value) ? value : [value];
    if (values.includes(ALL)) {
      if (typeof v.allValue !== "string" || v.allValue === "") throw new Error(`$${name} has no allValue: give its values`);
      return v.allValue;
    }
    if (!v.multi && !v.includeAll) return values.join(",");
    return values.length === 1 ? escapeRegex(values[0]) : `(${values.map(escapeRegex).join("|")})`;
  });
}

/** One series of InfluxDB's answer: what Grafana turns into one data frame (time + one value field per column). */
export interface Frame {
  refId?: string;
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export function seriesOf(body: InfluxQueryResult, refId?: string): Frame[] {
  const out: Frame[] = [];
  for (const r of body.results ?? []) {
    for (const s of r.series ?? []) out.push({ refId, name: s.name, tags: s.tags ?? {}, columns: s.columns, values: s.values });
  }
  return out;
}

/** Rows that have at least one non-null value besides time. */
export function nonNullRows(f: Frame): unknown[][] {
  return f.values.filter((row) => row.slice(1).some((x) => x !== null && x !== undefined));
}

/**
 * What "Add field from calculation" in Reduce row / Total mode shows for time series: Grafana
 * outer-joins every frame on time (one column per frame's value field), then sums each row's
 * numbers, skipping nulls (a row of nulls gives 0).
 */
export function reduceRowSum(frames: Frame[]): Array<{ time: number; value: number }> {
  const cols = frames.map((f) => {
    const t = f.columns.indexOf("time");
    const numeric = f.columns.map((_c, i) => i).filter((i) => i !== t);
    return new Map(f.values.map((row) => [Number(row[t]), numeric.map((i) => row[i])]));
  });
  const times = [...new Set(cols.flatMap((c) => [...c.keys()]))].sort((a, b) => a - b);
  return times.map((time) => {
    let value = 0;
    for (const c of cols) for (const v of c.get(time) ?? []) if (typeof v === "number") value += v;
    return { time, value };
  });
}

/**
 * Applies the panel's transformations that change numbers (the dashboard uses only calculateField
 * in Reduce row / Total mode); throws on one this helper does not know, so a changed panel
 * cannot be checked against a wrong model of it.
 */
export function transformedSeries(panel: GrafanaPanel, frames: Frame[]): Array<{ time: number; value: number }> {
  const calc = (panel.transformations ?? []).filter((t) => t.id === "calculateField");
  if (calc.length !== 1) throw new Error(`panel "${panel.title}": expected one calculateField transformation, found ${calc.length}`);
  const o = calc[0].options as { mode?: string; reduce?: { reducer?: string; include?: string[] }; timeSeries?: boolean };
  if ((o.mode ?? "reduceRow") !== "reduceRow" || (o.reduce?.reducer ?? "sum") !== "sum" || o.reduce?.include?.length || o.timeSeries === false) {
    throw new Error(`panel "${panel.title}": transformation ${JSON.stringify(o)} is not the Reduce row / Total this helper models`);
  }
  return reduceRowSum(frames);
}
