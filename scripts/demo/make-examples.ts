/**
 * The flows shown in Import ▸ Examples (examples/*.json), written from here so their function
 * code and comment texts stay readable. Edit here, then run:
 *   npx tsx scripts/demo/make-examples.ts [out dir, default examples/]
 * test/unit/defaults.test.ts checks that the committed files are exactly what this writes.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_BATCH_SIZE } from "../../src/sync/parts";

type Node = Record<string, unknown>;
type Wires = string[][];

function inject(id: string, z: string, name: string, x: number, y: number, wires: Wires, extra: Node = {}): Node {
  return { id, type: "inject", z, name, props: [{ p: "payload" }, { p: "topic", vt: "str" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", payload: "", payloadType: "date", x, y, wires, ...extra };
}
function debug(id: string, z: string, name: string, x: number, y: number, complete = "true"): Node {
  return { id, type: "debug", z, name, active: true, tosidebar: true, console: false, tostatus: false, complete, targetType: complete === "true" ? "full" : "msg", statusVal: "", statusType: "auto", x, y, wires: [] };
}
function cfg(id: string, name: string, environment: string): Node {
  return { id, type: "plaid-config", name, environment, basePath: "", clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "hosted", relinkLifetimeHours: 24 };
}
function link(id: string, name: string, config: string): Node {
  return { id, type: "plaid-link", name, config, itemId: "", institutionId: "", institutionName: "", accounts: [] };
}
function tx(id: string, z: string, link: string, x: number, y: number, wires: Wires, extra: Node = {}): Node {
  return { id, type: "plaid-transactions", z, name: "", link, measurement: "plaid_transactions", balanceMeasurement: "plaid_balances", includePending: true, invertAmounts: false, timezone: "", batchSize: DEFAULT_BATCH_SIZE, commit: "send", lineProtocol: false, itemMeasurement: "plaid_items", categoryVersion: "", x, y, wires, ...extra };
}
function comment(id: string, z: string, name: string, info: string, x: number, y: number): Node {
  return { id, type: "comment", z, name, info, x, y, wires: [] };
}

/** File name → flow. */
export function exampleFlows(): Record<string, Node[]> {
  const files: Record<string, Node[]> = {};
// ---------- 01 ----------
{
  const z = "a1f0c0de00000001";
  const info = [
    "This flow works right away in **demo** mode: the *Demo (simulator)* config runs a local",
    "stand-in for Plaid inside Node-RED, so you need no Plaid account.",
    "",
    "1. Double-click **plaid-transactions**, then the pencil next to *Bank* to open the",
    "   **plaid-link** config node *My bank*.",
    "2. Click **Link account**, then **Continue with Plaid** in the window that opens. On Plaid's",
    "   page pick **First Platypus Bank**, log in with `user_good` / `pass_good` and choose the",
    "   accounts; the dialog fills in by itself.",
    "3. Close the dialogs with **Update** / **Done** and click **Deploy** (the link is saved",
    "   with the deploy).",
    "4. Click the button on the **Sync now** inject node and open the Debug sidebar:",
    "   - output 1 (*InfluxDB points*): arrays of points for the `influxdb batch` node;",
    "   - output 2 (*events*): one message per added / modified / removed transaction, and the",
    "     bank link's health events (a login that needs renewing, consent running out, new accounts).",
    "",
    "Each click syncs only what changed since the last sync. Send `msg.topic = \"resync\"`",
    "to rebuild from the beginning. For real banks, change the config's environment to",
    "`sandbox` or `production` and enter your Plaid keys.",
  ].join("\n");
  const flow = [
    comment("a1f0c0de00000002", z, "Sync bank transactions to the debug sidebar (demo mode) — double-click me for how", info, 400, 60),
    inject("a1f0c0de00000003", z, "Sync now", 140, 140, [["a1f0c0de00000004"]]),
    tx("a1f0c0de00000004", z, "a1f0c0de00000007", 360, 140, [["a1f0c0de00000005"], ["a1f0c0de00000006"]]),
    debug("a1f0c0de00000005", z, "InfluxDB points", 610, 120, "true"),
    debug("a1f0c0de00000006", z, "Transaction events", 620, 160, "true"),
    link("a1f0c0de00000007", "My bank", "a1f0c0de00000008"),
    cfg("a1f0c0de00000008", "Demo (simulator)", "demo"),
  ];
  files["01 - Sync to debug.json"] = flow;
}

// ---------- 02 ----------
{
  const z = "b2f0c0de00000001";
  const I = (n: number) => "b2f0c0de000000" + String(n).padStart(2, "0");
  const info = [
    "Syncs your bank transactions and balances into **InfluxDB 1.x** every 4 hours (and once",
    "shortly after each deploy or restart). Needs the `node-red-contrib-influxdb` nodes",
    "(Menu ▸ Manage palette ▸ Install).",
    "",
    "### Set up",
    "1. Create the database once: `influx -execute 'CREATE DATABASE plaid'`.",
    "2. Open the **Local InfluxDB** config (from *Write to InfluxDB*) and set host, port and",
    "   user/password if needed. The database is `plaid`.",
    "3. Open the **plaid-link** config *My bank* (from *plaid-transactions*), click",
    "   **Link account**, then **Continue with Plaid**, and log in to your bank on Plaid's page",
    "   (or scan its QR code with your phone). In the **demo** environment pick",
    "   *First Platypus Bank* and log in with `user_good` / `pass_good`.",
    "4. **Deploy**. Click the inject button to sync now.",
    "",
    "### How the wiring keeps data exact",
    "*plaid-transactions* has `commit: confirm`: it saves its sync position only after the",
    "**Complete** node reports that *Write to InfluxDB* wrote every part. The *Write errors* Catch",
    "tells it when InfluxDB refused a part (e.g. it is down); then the next sync writes the same",
    "points again — every write is idempotent, nothing is counted twice. (Don't wire the",
    "*Sync errors* Catch back in: that would start a new sync.)",
    "",
    "### Notifications",
    "Output 2 also carries the bank link's **health events** (`msg.topic` =",
    "`plaid/<bank>/item/<code>`), once per change: `ITEM_LOGIN_REQUIRED` (with a re-login link:",
    "Plaid's own page, valid for 24 hours, so you can open it on your phone away from home),",
    "`PENDING_EXPIRATION` (your consent runs out soon), `PENDING_DISCONNECT`,",
    "`NEW_ACCOUNTS_AVAILABLE` and `LOGIN_REPAIRED`. *Bank health* turns them into one",
    "notification each: replace the *Notify me* debug node with your notifier (e-mail, Pushover,",
    "Telegram, Home Assistant notify...). Three failed syncs in a row still notify you once.",
    "The *Sync errors* Catch shows the other failures (Plaid down, rate limits...).",
    "",
    "### Grafana",
    "Import `grafana/dashboard.json` from this package (Dashboards ▸ New ▸ Import) and pick",
    "the InfluxDB data source of database `plaid`: net worth, balances, spending by category,",
    "income vs spending, largest charges and each bank's health. Removed transactions stay as",
    "*tombstones* (`removed = true`, `amount = 0`), so sums are always right.",
  ].join("\n");
  const health = [
    "// One notification per change of a bank link's health (output 2 of plaid-transactions,",
    "// topic plaid/<bank>/item/<code>): payload = {item_id, institution, code, message,",
    "// relinkUrl?, consent_expiration_time?}. plaid-transactions sends each change once.",
    "const p = msg.payload || {};",
    "const when = p.consent_expiration_time ? \" (\" + new Date(p.consent_expiration_time).toLocaleDateString() + \")\" : \"\";",
    "msg.topic = p.code === \"LOGIN_REPAIRED\" ? \"Bank link working again\" : \"Bank link needs attention\";",
    "msg.payload = p.institution + \": \" + p.message + when + (p.relinkUrl ? \" \" + p.relinkUrl : \"\");",
    "return msg;",
  ].join("\n");
  const otherErrors = [
    "// Sync failures other than a needed login (that one arrives once, as a health event).",
    "// The Catch node gives msg.error = {message, code, source, cause}; cause is",
    "// plaid-transactions' error: {code, type, message, display_message, request_id, relinkUrl}.",
    "const plaid = (msg.error && msg.error.cause) || msg._error || {};",
    "if (plaid.relinkUrl) return null;",
    "msg.topic = \"Bank sync failed\";",
    "msg.payload = `Bank sync failed: ${plaid.display_message || plaid.message || (msg.error && msg.error.message)}`;",
    "return msg;",
  ].join("\n");
  const flow = [
    comment(I(2), z, "Bank transactions → InfluxDB every 4 h (needs node-red-contrib-influxdb) — double-click me", info, 450, 60),
    inject(I(3), z, "Every 4 h", 140, 140, [[I(4)]], { repeat: "14400", once: true, onceDelay: "5" }),
    tx(I(4), z, I(12), 360, 140, [[I(5)], [I(17)]], { commit: "confirm" }),
    { id: I(5), type: "influxdb batch", z, influxdb: I(13), precision: "", retentionPolicy: "", name: "Write to InfluxDB", database: "plaid", precisionV18FluxV20: "ms", retentionPolicyV18Flux: "", org: "organisation", bucket: "bucket", x: 630, y: 120, wires: [] },
    {
      id: I(17), type: "switch", z, name: "Bank health?", property: "topic", propertyType: "msg",
      rules: [{ t: "regex", v: "^plaid/[^/]+/item/", vt: "str", case: false }, { t: "else" }],
      checkall: "false", repair: false, outputs: 2, x: 590, y: 180, wires: [[I(9)], [I(6)]],
    },
    debug(I(6), z, "Transaction events", 820, 200, "true"),
    { id: I(7), type: "complete", z, name: "Written", scope: [I(5)], uncaught: false, x: 150, y: 220, wires: [[I(4)]] },
    { id: I(9), type: "function", z, name: "Bank health", func: health, outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 800, y: 160, wires: [[I(10)]] },
    Object.assign(debug(I(10), z, "Notify me (wire your notifier here)", 1060, 160, "payload"), { tostatus: true }),
    { id: I(8), type: "catch", z, name: "Sync errors", scope: [I(4)], uncaught: false, x: 150, y: 300, wires: [[I(18)]] },
    { id: I(18), type: "function", z, name: "Other sync errors", func: otherErrors, outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 370, y: 300, wires: [[I(11)]] },
    debug(I(11), z, "Sync failed", 600, 300, "payload"),
    { id: I(14), type: "catch", z, name: "Write errors", scope: [I(5)], uncaught: false, x: 150, y: 380, wires: [[I(4), I(15)]] },
    debug(I(15), z, "InfluxDB refused a write (retried next sync)", 430, 380, "error"),
    link(I(12), "My bank", I(16)),
    { id: I(13), type: "influxdb", hostname: "127.0.0.1", port: "8086", protocol: "http", database: "plaid", name: "Local InfluxDB", usetls: false, tls: "", influxdbVersion: "1.x", url: "http://localhost:8086", timeout: "10", rejectUnauthorized: true },
    cfg(I(16), "Demo (simulator)", "demo"),
  ];
  files["02 - Sync to InfluxDB.json"] = flow;
}

// ---------- 03 ----------
{
  const z = "c3f0c0de00000001";
  const I = (n: number) => "c3f0c0de000000" + String(n).padStart(2, "0");
  const info = [
    "For InfluxDB without the `node-red-contrib-influxdb` nodes, Telegraf, or anything that",
    "accepts InfluxDB **line protocol** over HTTP.",
    "",
    "With *Also send the points as line protocol* ticked (as here), each output-1 message of",
    "*plaid-transactions* also carries `msg.lineProtocol` (the same points, one per line,",
    "nanosecond timestamps). The change node",
    "moves it into `msg.payload`, and *POST /write* sends it to InfluxDB 1.x",
    "(`http://127.0.0.1:8086/write?db=plaid`, precision ns, the default). For InfluxDB 2.x use",
    "`/api/v2/write?org=<org>&bucket=plaid&precision=ns` with the header",
    "`Authorization: Token <token>`.",
    "",
    "*POST /write* sends non-2xx answers to the *Write errors* **Catch** node. The **Complete**",
    "node (written) and that Catch node both go back into *plaid-transactions*",
    "(`commit: confirm`): it saves its position only when every part was written, so a failed",
    "write is simply repeated by the next sync. Never wire the *Sync errors* Catch back in.",
    "",
    "Link an account first: open the **plaid-link** config *My bank*, click **Link account**,",
    "then **Continue with Plaid** (demo: *First Platypus Bank*, `user_good` / `pass_good`),",
    "**Deploy**, then click *Sync now*.",
  ].join("\n");
  const flow = [
    comment(I(2), z, "Line protocol → InfluxDB HTTP API — double-click me", info, 300, 60),
    inject(I(3), z, "Sync now", 140, 140, [[I(4)]]),
    tx(I(4), z, I(11), 360, 140, [[I(5)], [I(10)]], { commit: "confirm", lineProtocol: true }),
    {
      id: I(5), type: "change", z, name: "payload = lineProtocol",
      rules: [
        { t: "set", p: "payload", pt: "msg", to: "lineProtocol", tot: "msg" },
        { t: "set", p: "headers", pt: "msg", to: "{\"content-type\":\"text/plain; charset=utf-8\"}", tot: "json" },
      ],
      action: "", property: "", from: "", to: "", reg: false, x: 600, y: 120, wires: [[I(6)]],
    },
    { id: I(6), type: "http request", z, name: "POST /write", method: "POST", ret: "txt", paytoqs: "ignore", url: "http://127.0.0.1:8086/write?db=plaid", tls: "", persist: false, proxy: "", insecureHTTPParser: false, authType: "", senderr: true, headers: [], x: 810, y: 120, wires: [[]] },
    { id: I(7), type: "complete", z, name: "Written", scope: [I(6)], uncaught: false, x: 150, y: 220, wires: [[I(4)]] },
    { id: I(8), type: "catch", z, name: "Write errors", scope: [I(6)], uncaught: false, x: 150, y: 280, wires: [[I(4), I(9)]] },
    debug(I(9), z, "InfluxDB refused a write (retried next sync)", 430, 280, "error"),
    { id: I(13), type: "catch", z, name: "Sync errors", scope: [I(4)], uncaught: false, x: 150, y: 340, wires: [[I(14)]] },
    debug(I(14), z, "Sync failed", 360, 340, "error"),
    debug(I(10), z, "Transaction events", 620, 180, "true"),
    link(I(11), "My bank", I(12)),
    cfg(I(12), "Demo (simulator)", "demo"),
  ];
  files["03 - Line protocol to InfluxDB HTTP.json"] = flow;
}
  return files;
}

/** The text of an example file, as committed. */
export function exampleText(flow: Node[]): string {
  return JSON.stringify(flow, null, 4) + "\n";
}

if (require.main === module) {
  const out = process.argv[2] || path.resolve(__dirname, "..", "..", "examples");
  for (const [name, flow] of Object.entries(exampleFlows())) fs.writeFileSync(path.join(out, name), exampleText(flow));
}
