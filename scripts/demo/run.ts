/**
 * `npm run demo` (after scripts/demo.sh has installed and built): a local InfluxDB 1.x and a
 * Node-RED with this package and node-red-contrib-influxdb, the example flow deployed, all state
 * kept in .demo/ (delete it to start over). Ctrl-C stops everything.
 *
 * Env: PORT (Node-RED port; default 1880 or the next free one), INFLUX_PORT (default 8086 or the
 * next free one), DEMO_DIR (default <repo>/.demo), DEMO_NO_INFLUX=1 (use the debug-only example).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { findInfluxd, startInfluxd, type Influxd } from "../../test/support/influxd";
import { REPO_ROOT, startNodeRed, type FlowNode, type NodeRed } from "../../test/support/nodered";
import { firstFreePort, isPortFree } from "../../test/support/ports";

const DEMO_DIR = path.resolve(process.env.DEMO_DIR || path.join(REPO_ROOT, ".demo"));
const USER_DIR = path.join(DEMO_DIR, "node-red");
const INFLUX_DIR = path.join(DEMO_DIR, "influxdb");
const SECRET_FILE = path.join(DEMO_DIR, "credential-secret");
const STATE_FILE = path.join(DEMO_DIR, "demo.json");
const EXAMPLES = path.join(REPO_ROOT, "examples");

interface DemoState {
  influxPort?: number;
  nodeRedPort?: number;
  flows?: "influxdb" | "debug";
}

function readState(): DemoState {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as DemoState;
  } catch {
    return {};
  }
}

function writeState(s: DemoState): void {
  fs.writeFileSync(STATE_FILE, JSON.stringify(s, null, 2) + "\n");
}

/** The credential secret that encrypts flows_cred.json (the Plaid keys and access tokens). Made once, kept private. */
function credentialSecret(): string {
  if (fs.existsSync(SECRET_FILE)) return fs.readFileSync(SECRET_FILE, "utf8").trim();
  const secret = crypto.randomBytes(32).toString("hex");
  fs.writeFileSync(SECRET_FILE, secret + "\n", { mode: 0o600 });
  return secret;
}

/** An example flow (a flat array of nodes without a tab) placed on a new tab, for flows.json. */
export function exampleOnTab(file: string, tabId: string, label: string): FlowNode[] {
  const nodes = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), "utf8")) as FlowNode[];
  const tabless = new Set(nodes.filter((n) => n.z).map((n) => n.z as string));
  const out: FlowNode[] = [{ id: tabId, type: "tab", label, disabled: false, info: "" }];
  for (const n of nodes) out.push(n.z && tabless.has(n.z) ? { ...n, z: tabId } : n);
  return out;
}

function setInfluxPort(flows: FlowNode[], port: number, fromPort?: number): number {
  let changed = 0;
  for (const n of flows) {
    if (n.type === "influxdb" && /^(127\.0\.0\.1|localhost)$/.test(String(n.hostname)) && (fromPort === undefined || Number(n.port) === fromPort)) {
      if (Number(n.port) !== port) {
        n.port = String(port);
        changed++;
      }
    }
  }
  return changed;
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length)) + 2;
  const bar = "─".repeat(width);
  return [`┌${bar}┐`, ...lines.map((l) => `│ ${l.padEnd(width - 1)}│`), `└${bar}┘`].join("\n");
}

async function main(): Promise<void> {
  fs.mkdirSync(USER_DIR, { recursive: true });
  const state = readState();
  const secret = credentialSecret();

  // ---- InfluxDB ----
  let influx: Influxd | null = null;
  const wantInflux = !process.env.DEMO_NO_INFLUX;
  if (wantInflux && findInfluxd()) {
    let port = process.env.INFLUX_PORT ? Number(process.env.INFLUX_PORT) : undefined;
    if (!port) port = state.influxPort && (await isPortFree(state.influxPort)) ? state.influxPort : await firstFreePort(8086);
    const rpcPort = await firstFreePort(port === 8088 ? 8089 : 8088);
    console.log(`Starting InfluxDB on 127.0.0.1:${port} (data in ${path.relative(process.cwd(), INFLUX_DIR) || INFLUX_DIR})…`);
    influx = await startInfluxd({ dir: INFLUX_DIR, port, rpcPort, logLevel: "warn" });
    await influx.createDatabase("plaid");
  } else if (wantInflux) {
    console.log(
      box([
        "InfluxDB (influxd) is not installed, so the demo shows the sync in the Debug sidebar.",
        "For the InfluxDB flow install it and run `npm run demo` again:",
        "  sudo apt-get update && sudo apt-get install -y influxdb",
        "(or: sudo bash scripts/system-deps.sh influxdb), then: rm -rf .demo",
      ]),
    );
  }

  // ---- flows: written once, then the user's own edits are kept ----
  const flowsFile = path.join(USER_DIR, "flows.json");
  if (!fs.existsSync(flowsFile)) {
    const flows = influx
      ? exampleOnTab("02 - Sync to InfluxDB.json", "d0f0c0de00000001", "Plaid → InfluxDB")
      : exampleOnTab("01 - Sync to debug.json", "d0f0c0de00000001", "Plaid → debug");
    if (influx) setInfluxPort(flows, influx.port);
    fs.writeFileSync(flowsFile, JSON.stringify(flows, null, 4) + "\n");
    state.flows = influx ? "influxdb" : "debug";
  } else if (influx) {
    const flows = JSON.parse(fs.readFileSync(flowsFile, "utf8")) as FlowNode[];
    const changed = setInfluxPort(flows, influx.port, state.influxPort ?? 8086);
    if (changed) {
      fs.writeFileSync(flowsFile, JSON.stringify(flows, null, 4) + "\n");
      console.log(`InfluxDB moved to port ${influx.port}: updated ${changed} influxdb config node(s) in the demo flows.`);
    }
  }

  // ---- Node-RED ----
  const requested = process.env.PORT ? Number(process.env.PORT) : undefined;
  if (requested && !(await isPortFree(requested))) {
    throw new Error(`PORT=${requested} is in use on 127.0.0.1; pick another (PORT=1990 npm run demo)`);
  }
  console.log("Starting Node-RED…");
  let red: NodeRed | null = null;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping Node-RED and InfluxDB…");
    await red?.stop().catch(() => undefined);
    await influx?.stop().catch(() => undefined);
    console.log("Stopped. Your links, flows and data are kept in .demo/ (rm -rf .demo to start over).");
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  red = await startNodeRed({
    userDir: USER_DIR,
    port: requested,
    preferredPort: requested ? undefined : 1880,
    credentialSecret: secret,
    inheritOutput: true,
    settings: { flowFilePretty: true },
  });
  state.influxPort = influx?.port;
  state.nodeRedPort = red.port;
  writeState(state);

  const sets = await red.nodeSets();
  const broken = sets.filter((s) => s.module === "node-red-contrib-plaid-sync" && s.err);
  if (broken.length) console.error(`\nWARNING: these nodes failed to load: ${broken.map((s) => `${s.id} (${typeof s.err === "object" ? (s.err as { code?: string }).code : s.err})`).join(", ")}. Is the build complete (npm run build)?`);

  const url = `${red.url}/`;
  const onInflux = state.flows !== "debug" && !!influx;
  const steps = [
    `Node-RED is running: ${url}`,
    "",
    `1. Open ${url} in your browser (tab "${onInflux ? "Plaid → InfluxDB" : "Plaid → debug"}").`,
    "2. Double-click the \"My bank transactions\" node (plaid-transactions), then the",
    "   pencil button next to Bank (\"My bank\", the plaid-link config).",
    "3. Click \"Link account\". In the Link window click \"Continue with Plaid\", choose",
    "   \"First Platypus Bank\", log in with user_good / pass_good, keep the accounts,",
    "   and finish. The dialog fills in by itself.",
    "4. Click Update, then Done, then the red Deploy button (top right).",
    ...(onInflux
      ? [
          "5. A few seconds after the deploy the flow syncs on its own; after that, click the",
          "   button on the left of the \"Every 4 h\" inject node to sync again. The Debug",
          "   sidebar (bug icon, top right) shows one message per new transaction.",
        ]
      : [
          "5. Click the button on the left of the \"Sync now\" inject node and open the",
          "   Debug sidebar (bug icon, top right) to see the points and transaction events.",
        ]),
  ];
  if (onInflux) steps.push("6. See what InfluxDB holds: the two commands below.");
  steps.push("", "Ctrl-C stops Node-RED" + (influx ? " and InfluxDB" : "") + ". Everything stays in .demo/ (rm -rf .demo to start over).");
  console.log("\n" + box(steps));
  if (onInflux && influx) {
    const q = (s: string) => `  curl -sG ${influx!.url}/query --data-urlencode db=plaid --data-urlencode "q=${s}"`;
    console.log(q("SELECT count(amount), sum(amount) FROM plaid_transactions WHERE removed = false GROUP BY account"));
    console.log(q("SELECT last(current) FROM plaid_balances GROUP BY account"));
  }
  console.log("");
  // Keep running until Ctrl-C; if Node-RED dies on its own, stop InfluxDB too.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (!red!.running && !stopping) {
        clearInterval(timer);
        resolve();
      }
    }, 1000);
  });
  console.error("Node-RED stopped unexpectedly; see the output above.");
  await stopAll(1);
}

main().catch(async (err) => {
  console.error(`\ndemo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
