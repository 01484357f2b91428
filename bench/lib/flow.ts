/**
 * The flow the bench deploys — example 02's shape (inject → plaid-transactions → influxdb batch,
 * Complete → back into plaid-transactions for confirm mode, Catch on the write back too), plus
 * instrumentation that costs nothing per point:
 * - a function node between inject and plaid-transactions stamps flow context `t0` (ms);
 * - a Status node watching plaid-transactions reports green (committed: in confirm mode every part
 *   came back from InfluxDB and the state is saved), yellow or red with a `t1` stamp to the
 *   bench's HTTP sink; t1 − t0 is the sync as Node-RED itself saw it;
 * - Catch nodes report errors to the sink.
 * Output 2 (events) is left unwired: what users hang there is their cost, not ours.
 */
import type { FlowNode } from "../../test/support/nodered";

export const ID = {
  tab: "be00000000000001",
  cfg: "be00000000000002",
  link: "be00000000000003",
  inject: "be00000000000004",
  stamp: "be00000000000005",
  tx: "be00000000000006",
  batch: "be00000000000007",
  influx: "be00000000000008",
  complete: "be00000000000009",
  catchWrite: "be0000000000000a",
  catchSync: "be0000000000000b",
  status: "be0000000000000c",
};

export const DB = "plaid";

export interface LinkedItem {
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: Array<{ account_id: string; name: string; mask: string | null; type: string; subtype: string | null }>;
}

function report(idBase: string, name: string, func: string, sinkUrl: string, y: number): FlowNode[] {
  return [
    { id: `${idBase}f`, type: "function", z: ID.tab, name: `report ${name}`, func, outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 400, y, wires: [[`${idBase}h`]] },
    {
      id: `${idBase}h`, type: "http request", z: ID.tab, name: `POST ${name}`, method: "POST", ret: "txt", paytoqs: "ignore", url: `${sinkUrl}/${name}`,
      tls: "", persist: false, proxy: "", insecureHTTPParser: false, authType: "", senderr: false, headers: [], x: 600, y, wires: [[]],
    },
  ];
}

const STATUS_FUNC = [
  "const s = msg.status || {};",
  'if (s.fill !== "green" && s.fill !== "yellow" && s.fill !== "red") return null;',
  'return { payload: { fill: s.fill, text: s.text, t0: flow.get("t0"), t1: Date.now() } };',
].join("\n");

const ERROR_FUNC = "return { payload: { message: msg.error && msg.error.message, code: msg.error && msg.error.code, t1: Date.now() } };";

export function benchFlow(opts: {
  plaidUrl: string;
  influxPort: number;
  influxUrl: string;
  sinkUrl: string;
  item: LinkedItem;
  commit: "confirm" | "send";
  batchSize: number;
}): FlowNode[] {
  const confirm = opts.commit === "confirm";
  return [
    { id: ID.tab, type: "tab", label: "bench", disabled: false, info: "" },
    {
      id: ID.cfg, type: "plaid-config", name: "simulator", environment: "custom", basePath: opts.plaidUrl, clientName: "Node-RED bench", countryCodes: "US",
      language: "en", redirectUri: "", daysRequested: 730, publicUrl: "",
    },
    {
      id: ID.link, type: "plaid-link", name: "bench bank", config: ID.cfg,
      itemId: opts.item.itemId, institutionId: opts.item.institutionId, institutionName: opts.item.institutionName, accounts: opts.item.accounts,
    },
    { id: ID.inject, type: "inject", z: ID.tab, name: "sync", props: [{ p: "payload" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", payload: "", payloadType: "date", x: 100, y: 100, wires: [[ID.stamp]] },
    { id: ID.stamp, type: "function", z: ID.tab, name: "stamp t0", func: 'flow.set("t0", Date.now());\nreturn msg;', outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 220, y: 100, wires: [[ID.tx]] },
    {
      id: ID.tx, type: "plaid-transactions", z: ID.tab, name: "", link: ID.link, measurement: "plaid_transactions", balanceMeasurement: "plaid_balances",
      includePending: true, invertAmounts: false, timezone: "", batchSize: opts.batchSize, commit: opts.commit, x: 380, y: 100, wires: [[ID.batch], []],
    },
    { id: ID.batch, type: "influxdb batch", z: ID.tab, influxdb: ID.influx, precision: "", retentionPolicy: "", name: "write", database: DB, precisionV18FluxV20: "ms", retentionPolicyV18Flux: "", org: "", bucket: "", x: 580, y: 100, wires: [] },
    {
      id: ID.influx, type: "influxdb", hostname: "127.0.0.1", port: String(opts.influxPort), protocol: "http", database: DB, name: "bench influx", usetls: false, tls: "",
      influxdbVersion: "1.x", url: opts.influxUrl, timeout: "30", rejectUnauthorized: true,
    },
    ...(confirm
      ? [
          { id: ID.complete, type: "complete", z: ID.tab, name: "written", scope: [ID.batch], uncaught: false, x: 120, y: 180, wires: [[ID.tx]] },
          { id: ID.catchWrite, type: "catch", z: ID.tab, name: "write errors", scope: [ID.batch], uncaught: false, x: 120, y: 240, wires: [[ID.tx, "bw0f"]] },
        ]
      : [{ id: ID.catchWrite, type: "catch", z: ID.tab, name: "write errors", scope: [ID.batch], uncaught: false, x: 120, y: 240, wires: [["bw0f"]] }]),
    ...report("bw0", "write-error", ERROR_FUNC, opts.sinkUrl, 240),
    { id: ID.catchSync, type: "catch", z: ID.tab, name: "sync errors", scope: [ID.tx], uncaught: false, x: 120, y: 300, wires: [["bs0f"]] },
    ...report("bs0", "sync-error", ERROR_FUNC, opts.sinkUrl, 300),
    { id: ID.status, type: "status", z: ID.tab, name: "sync status", scope: [ID.tx], x: 120, y: 360, wires: [["bt0f"]] },
    ...report("bt0", "status", STATUS_FUNC, opts.sinkUrl, 360),
  ];
}
