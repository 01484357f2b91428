/**
 * Shared pieces for tests that drive the whole product in a real node-red process against the
 * simulator and a real influxd (chaos, fuzz, leak):
 *
 * - simCall(): call the simulator's HTTP API (Plaid endpoints and /simulator/*) as a Plaid client;
 * - linkThroughAdmin(): link an Item the way the editor + Link window do it, through the admin routes;
 * - syncFlow(): the flow of examples/02 — inject → plaid-transactions (commit confirm) → influxdb
 *   batch, with a Complete node and a Catch node wired back — plus reporters that POST what
 *   happens (parts, confirmations, write errors, sync errors, trigger outcomes, events) to a
 *   MessageSink in the test process. The sink lives outside Node-RED, so a SIGKILL of Node-RED
 *   never loses what was already reported;
 * - allTransactions() / compareInflux(): the truth from /transactions/get against what InfluxDB
 *   holds (latest point per identity, removed = false), with the first differing transaction.
 */
import { finishHostedLink } from "./hosted-link";
import type { Influxd } from "./influxd";
import { waitFor } from "./ports";
import type { FlowNode, MessageSink, NodeRed } from "./nodered";

export interface SimEndpoint {
  url: string;
  clientId: string;
  secret: string;
}

export interface SimCallResult<T> {
  status: number;
  body: T;
}

/** POST <sim><endpoint> with the client credentials in the body (as Plaid accepts them). */
export async function simCall<T = Record<string, unknown>>(sim: SimEndpoint, endpoint: string, body: Record<string, unknown> = {}, opts: { expectOk?: boolean } = {}): Promise<T> {
  const res = await simRequest<T>(sim, endpoint, body);
  if ((opts.expectOk ?? true) && (res.status < 200 || res.status > 299)) throw new Error(`${endpoint}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function simRequest<T = Record<string, unknown>>(sim: SimEndpoint, endpoint: string, body: Record<string, unknown> = {}): Promise<SimCallResult<T>> {
  const res = await fetch(`${sim.url}${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: sim.clientId, secret: sim.secret, ...body }),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: json as T };
}

export interface LinkedItem {
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: Array<{ account_id: string; name: string; mask: string | null; type: string; subtype: string | null }>;
}

/**
 * What the editor and the Link window do. POST link-sessions (admin auth); then, by the config's
 * link mode, either Hosted Link — the user finishes on Plaid's page (the simulator's, driven
 * without a browser) and the server learns it by polling Plaid, so this only watches the
 * session's status — or embedded Link: GET the session's token, the stand-in Link backend logs
 * in, POST complete. Returns what the editor is told.
 */
export async function linkThroughAdmin(
  red: NodeRed,
  sim: SimEndpoint,
  ids: { link: string; config: string },
  user: { username?: string; password?: string; institutionId?: string } = {},
): Promise<LinkedItem> {
  const created = await red.request<{ session: string; hosted: boolean; hostedUrl?: string }>("POST", "/plaid-sync/link-sessions", { link: ids.link, config: ids.config, mode: "add" }, { expectOk: true });
  const session = created.json.session;
  const username = user.username ?? "user_transactions_dynamic";
  const password = user.password ?? "pass_good";
  if (created.json.hosted) {
    await finishHostedLink(created.json.hostedUrl as string, { institutionId: user.institutionId ?? "ins_109508", username, password });
    const done = await waitFor(
      async () => {
        const r = await red.request<{ status: string; itemId: string; institutionId?: string; institutionName: string; accounts: LinkedItem["accounts"]; message?: string }>(
          "GET",
          `/plaid-sync/link-sessions/${session}?link=${encodeURIComponent(ids.link)}`,
          undefined,
          { expectOk: true },
        );
        if (r.json.status !== "open" && r.json.status !== "linked") throw Object.assign(new Error(`link session ${r.json.status}: ${r.json.message ?? ""}`), { fatal: true });
        return r.json.status === "linked" ? r.json : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the hosted link session to be linked" },
    );
    return { itemId: done.itemId, institutionId: done.institutionId ?? user.institutionId ?? "ins_109508", institutionName: done.institutionName, accounts: done.accounts };
  }
  const tok = await red.request<{ link_token: string }>("GET", `/plaid-sync/link/${session}/token`, undefined, { token: null, expectOk: true });
  const link = await simCall<{ public_token: string; metadata: Record<string, unknown> }>(sim, "/simulator/link/complete", {
    link_token: tok.json.link_token,
    institution_id: user.institutionId ?? "ins_109508",
    username,
    password,
  });
  const done = await red.request<{ itemId: string; institution: { institution_id?: string; name?: string } | null; accounts: LinkedItem["accounts"] }>(
    "POST",
    `/plaid-sync/link/${session}/complete`,
    { public_token: link.public_token, metadata: link.metadata },
    { token: null, expectOk: true },
  );
  const ev = done.json;
  return {
    itemId: ev.itemId,
    institutionId: ev.institution?.institution_id ?? user.institutionId ?? "ins_109508",
    institutionName: ev.institution?.name ?? "",
    accounts: ev.accounts,
  };
}

export interface SyncFlowIds {
  tab: string;
  cfg: string;
  link: string;
  inject: string;
  tx: string;
  batch: string;
  influx: string;
  complete: string;
  catchWrite: string;
  catchSync: string;
  triggerDone: string;
}

/** Node ids of syncFlow(), with a prefix so several flows can coexist. */
export function syncFlowIds(prefix = "sf"): SyncFlowIds {
  const p = prefix.padEnd(4, "0").slice(0, 4);
  const id = (n: number) => `${p}${n.toString(16).padStart(12, "0")}`;
  return { tab: id(1), cfg: id(2), link: id(3), inject: id(4), tx: id(5), batch: id(6), influx: id(7), complete: id(8), catchWrite: id(9), catchSync: id(10), triggerDone: id(11) };
}

export interface SyncFlowOptions {
  ids: SyncFlowIds;
  /** Plaid base URL for plaid-config environment "custom". */
  simUrl: string;
  influx: Pick<Influxd, "port" | "url">;
  db: string;
  sinkUrl: string;
  linked?: LinkedItem;
  batchSize?: number;
  commit?: "send" | "confirm";
  /** Extra nodes (e.g. fuzz senders) appended to the flow. */
  extra?: FlowNode[];
  /** More nodes wired to plaid-transactions' output 1 and output 2 (e.g. taps of whole messages). */
  extraWires?: [string[], string[]];
}

/** A reporter: function node (shape the msg) → http request POST <sink>/<name>. */
export function reporter(tab: string, idBase: string, name: string, shape: string, sinkUrl: string, y = 400): FlowNode[] {
  return [
    { id: `${idBase}f`, type: "function", z: tab, name: `to sink ${name}`, func: shape, outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 300, y, wires: [[`${idBase}h`]] },
    {
      id: `${idBase}h`,
      type: "http request",
      z: tab,
      name: `POST ${name}`,
      method: "POST",
      ret: "txt",
      paytoqs: "ignore",
      url: `${sinkUrl}/${name}`,
      tls: "",
      persist: false,
      proxy: "",
      insecureHTTPParser: false,
      authType: "",
      senderr: false,
      headers: [],
      x: 500,
      y,
      wires: [[]],
    },
  ];
}

/**
 * Sink paths: /parts (every output-1 message: syncId, part, last, points, summary),
 * /confirmed and /write-error (what came back from the InfluxDB node), /sync-error (Catch on
 * plaid-transactions), /trigger (a trigger's done() without error), /events (output 2).
 */
export function syncFlow(o: SyncFlowOptions): FlowNode[] {
  const { ids } = o;
  const r = (base: string, name: string, shape: string, y: number) => reporter(ids.tab, `${ids.tab.slice(0, 4)}${base}`, name, shape, o.sinkUrl, y);
  return [
    { id: ids.tab, type: "tab", label: "sync", disabled: false, info: "" },
    {
      id: ids.cfg,
      type: "plaid-config",
      name: "simulator",
      environment: "custom",
      basePath: o.simUrl,
      clientName: "Node-RED tests",
      countryCodes: "US",
      language: "en",
      redirectUri: "",
      daysRequested: 730,
      publicUrl: "",
    },
    {
      id: ids.link,
      type: "plaid-link",
      name: "bank",
      config: ids.cfg,
      itemId: o.linked?.itemId ?? "",
      institutionId: o.linked?.institutionId ?? "",
      institutionName: o.linked?.institutionName ?? "",
      accounts: o.linked?.accounts ?? [],
    },
    { id: ids.inject, type: "inject", z: ids.tab, name: "sync", props: [{ p: "payload" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", payload: "", payloadType: "date", x: 100, y: 100, wires: [[ids.tx]] },
    {
      id: ids.tx,
      type: "plaid-transactions",
      z: ids.tab,
      name: "",
      link: ids.link,
      measurement: "plaid_transactions",
      balanceMeasurement: "plaid_balances",
      includePending: true,
      invertAmounts: false,
      timezone: "",
      batchSize: o.batchSize ?? 40,
      commit: o.commit ?? "confirm",
      x: 300,
      y: 100,
      wires: [
        [ids.batch, `${ids.tab.slice(0, 4)}pt0f`, ...(o.extraWires?.[0] ?? [])],
        [`${ids.tab.slice(0, 4)}ev0f`, ...(o.extraWires?.[1] ?? [])],
      ],
    },
    { id: ids.batch, type: "influxdb batch", z: ids.tab, influxdb: ids.influx, precision: "", retentionPolicy: "", name: "write", database: o.db, precisionV18FluxV20: "ms", retentionPolicyV18Flux: "", org: "", bucket: "", x: 520, y: 100, wires: [] },
    {
      id: ids.influx,
      type: "influxdb",
      hostname: "127.0.0.1",
      port: String(o.influx.port),
      protocol: "http",
      database: o.db,
      name: "influx",
      usetls: false,
      tls: "",
      influxdbVersion: "1.x",
      url: o.influx.url,
      timeout: "10",
      rejectUnauthorized: true,
    },
    { id: ids.complete, type: "complete", z: ids.tab, name: "written", scope: [ids.batch], uncaught: false, x: 100, y: 200, wires: [[ids.tx, `${ids.tab.slice(0, 4)}ok0f`]] },
    { id: ids.catchWrite, type: "catch", z: ids.tab, name: "write errors", scope: [ids.batch], uncaught: false, x: 100, y: 260, wires: [[ids.tx, `${ids.tab.slice(0, 4)}we0f`]] },
    { id: ids.catchSync, type: "catch", z: ids.tab, name: "sync errors", scope: [ids.tx], uncaught: false, x: 100, y: 320, wires: [[`${ids.tab.slice(0, 4)}se0f`]] },
    { id: ids.triggerDone, type: "complete", z: ids.tab, name: "trigger done", scope: [ids.tx], uncaught: false, x: 100, y: 380, wires: [[`${ids.tab.slice(0, 4)}td0f`]] },
    ...r("pt0", "parts", "return { payload: { plaid: { syncId: msg.plaid.syncId, part: msg.plaid.part, last: msg.plaid.last, summary: msg.plaid.summary }, points: msg.payload.length } };", 440),
    ...r("ok0", "confirmed", "return { payload: { syncId: msg.plaid && msg.plaid.syncId, part: msg.plaid && msg.plaid.part, last: msg.plaid && msg.plaid.last } };", 500),
    ...r("we0", "write-error", "return { payload: { syncId: msg.plaid && msg.plaid.syncId, part: msg.plaid && msg.plaid.part, message: msg.error && msg.error.message } };", 560),
    ...r(
      "se0",
      "sync-error",
      "return { payload: { trigger: msg.trigger, topic: msg.topic, error: msg.error && { message: msg.error.message, code: msg.error.code, cause: msg.error.cause } } };",
      620,
    ),
    // A confirmation coming back is also "done" for plaid-transactions: only triggers are reported.
    ...r("td0", "trigger", "if (msg.plaid && msg.plaid.syncId) return null; return { payload: { trigger: msg.trigger, topic: msg.topic } };", 680),
    ...r(
      "ev0",
      "events",
      "const p = msg.payload || {}; return { payload: { topic: msg.topic, kind: msg.plaid && msg.plaid.event, syncId: msg.plaid && msg.plaid.syncId, id: p.transaction_id, account_id: p.account_id, amount: p.amount, date: p.date, pending: p.pending, name: p.name } };",
      740,
    ),
    ...(o.extra ?? []),
  ];
}

export interface TruthTx {
  transaction_id: string;
  account_id: string;
  amount: number;
  pending: boolean;
  date: string;
  name: string;
}

/** Every transaction /transactions/get knows about (all of history, paged). */
export async function allTransactions(sim: SimEndpoint, accessToken: string): Promise<TruthTx[]> {
  const out: TruthTx[] = [];
  for (let offset = 0; offset < 1_000_000; ) {
    const page = await simCall<{ transactions: TruthTx[]; total_transactions: number }>(sim, "/transactions/get", {
      access_token: accessToken,
      start_date: "2000-01-01",
      end_date: "2099-12-31",
      options: { count: 500, offset },
    });
    out.push(...page.transactions);
    offset += page.transactions.length;
    if (offset >= page.total_transactions || page.transactions.length === 0) break;
  }
  return out;
}

export interface LiveRow {
  transaction_id: string;
  account_id: string;
  amount: number;
  time: number;
  pending: string;
}

export interface Comparison {
  ok: boolean;
  truthCount: number;
  liveCount: number;
  perAccount: Array<{ account_id: string; wantSum: number; gotSum: number; wantCount: number; gotCount: number }>;
  /** The first transaction (by id) where InfluxDB and Plaid disagree, with why. */
  firstDiff: { transaction_id: string; why: string; want?: TruthTx; got?: LiveRow[] } | null;
  differences: number;
}

const cents = (n: number) => Math.round(n * 100);

/**
 * InfluxDB's live transactions (one point per identity: the latest write; removed = false)
 * against /transactions/get: per account sums and counts, and transaction by transaction.
 */
export async function compareInflux(influx: Influxd, db: string, truth: TruthTx[], measurement = "plaid_transactions"): Promise<Comparison> {
  const rows = await influx.rows(`SELECT "amount", "transaction_id", "account_id", "pending", "removed" FROM "${measurement}"`, db);
  const live: LiveRow[] = rows
    .filter((r) => r.removed === false)
    .map((r) => ({ transaction_id: String(r.transaction_id), account_id: String(r.account_id), amount: Number(r.amount), time: Number(r.time), pending: String(r.pending) }));
  const byId = new Map<string, LiveRow[]>();
  for (const r of live) byId.set(r.transaction_id, [...(byId.get(r.transaction_id) ?? []), r]);
  const want = new Map(truth.map((t) => [t.transaction_id, t]));
  const diffs: Array<{ transaction_id: string; why: string; want?: TruthTx; got?: LiveRow[] }> = [];
  for (const t of truth) {
    const got = byId.get(t.transaction_id);
    if (!got) diffs.push({ transaction_id: t.transaction_id, why: "missing in InfluxDB", want: t });
    else if (got.length > 1) diffs.push({ transaction_id: t.transaction_id, why: `${got.length} live points (doubled)`, want: t, got });
    else if (cents(got[0].amount) !== cents(t.amount)) diffs.push({ transaction_id: t.transaction_id, why: `amount ${got[0].amount} in InfluxDB, ${t.amount} at Plaid`, want: t, got });
    else if (got[0].account_id !== t.account_id) diffs.push({ transaction_id: t.transaction_id, why: "account differs", want: t, got });
    else if (got[0].pending !== String(t.pending)) diffs.push({ transaction_id: t.transaction_id, why: `pending ${got[0].pending} in InfluxDB, ${t.pending} at Plaid`, want: t, got });
  }
  for (const [id, got] of byId) if (!want.has(id)) diffs.push({ transaction_id: id, why: "live in InfluxDB but not at Plaid (missing tombstone)", got });
  diffs.sort((a, b) => (a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0));

  const accounts = new Set([...truth.map((t) => t.account_id), ...live.map((r) => r.account_id)]);
  const perAccount = [...accounts].sort().map((account_id) => {
    const w = truth.filter((t) => t.account_id === account_id);
    const g = live.filter((r) => r.account_id === account_id);
    return {
      account_id,
      wantSum: w.reduce((s, t) => s + cents(t.amount), 0) / 100,
      gotSum: g.reduce((s, r) => s + cents(r.amount), 0) / 100,
      wantCount: w.length,
      gotCount: g.length,
    };
  });
  const sumsOk = perAccount.every((a) => a.wantCount === a.gotCount && cents(a.wantSum) === cents(a.gotSum));
  return { ok: diffs.length === 0 && sumsOk, truthCount: truth.length, liveCount: live.length, perAccount, firstDiff: diffs[0] ?? null, differences: diffs.length };
}

/** Event messages reported to the sink at /events. */
export interface EventReport {
  topic: string;
  kind: string;
  syncId: string;
  id: string;
  account_id: string;
  amount: number;
  date: string;
  pending: boolean;
  name: string;
}

/** The change an event reports: the same key twice = an event emitted twice for one change. */
export function changeKey(e: EventReport): string {
  return e.kind === "removed" ? `removed|${e.id}` : `${e.kind}|${e.id}|${e.amount}|${e.date}|${e.pending}|${e.account_id}|${e.name}`;
}

/**
 * An Item's health event (topic …/item/<code>) keyed by its run. Health is announced once per
 * change of state, so a code may come back after another (login required, repaired, required
 * again): a change starts a new run, the same code again in a row shares its key — a duplicate.
 * The state codes form one sequence per Item, NEW_ACCOUNTS_AVAILABLE one of its own.
 *
 * `epoch` marks where the test itself broke the Item again (a chaos run's injected
 * ITEM_LOGIN_REQUIRED): a new epoch starts a new run too. Events are sent at most once (the
 * health record is saved before the event leaves), so a Node-RED killed just after saving a
 * LOGIN_REPAIRED loses it; the next injected failure's ITEM_LOGIN_REQUIRED is then news, not a
 * repeat, and only the epoch can tell the two apart.
 */
function healthRunKey(e: EventReport, epoch: number, runs: Map<string, { code: string; epoch: number; run: number }>): string | undefined {
  const item = /^(.*)\/item\/[^/]+$/.exec(e.topic ?? "")?.[1];
  if (item === undefined) return undefined;
  const family = `${item}|${e.kind === "NEW_ACCOUNTS_AVAILABLE" ? "accounts" : "state"}`;
  const last = runs.get(family);
  const run = last?.code === e.kind && last.epoch === epoch ? last.run : (last?.run ?? 0) + 1;
  runs.set(family, { code: e.kind, epoch, run });
  return `health|${family}|${e.kind}|${run}`;
}

/**
 * Events emitted twice for one change (a transaction's change, or an Item's health in a row).
 * `healthEpochs`: when (ms, the sink's clock) the test broke the Item's login on purpose.
 */
export function duplicateEvents(sink: MessageSink, opts: { healthEpochs?: readonly number[] } = {}): Array<{ key: string; count: number; syncIds: string[] }> {
  const seen = new Map<string, { count: number; syncIds: string[] }>();
  const healthRuns = new Map<string, { code: string; epoch: number; run: number }>();
  const epochs = opts.healthEpochs ?? [];
  for (const m of sink.on("/events")) {
    const e = m.body as EventReport;
    const epoch = epochs.filter((t) => t <= m.receivedAt).length;
    const k = healthRunKey(e, epoch, healthRuns) ?? changeKey(e);
    const s = seen.get(k) ?? { count: 0, syncIds: [] };
    s.count++;
    s.syncIds.push(e.syncId);
    seen.set(k, s);
  }
  return [...seen].filter(([, v]) => v.count > 1).map(([key, v]) => ({ key, ...v }));
}
