/**
 * Does what the demo tells a new user to do, in a real Chromium, against `bash scripts/demo.sh`:
 * open the editor, open plaid-link, Link account → Continue with Plaid → First Platypus Bank →
 * user_good / pass_good,
 * Deploy, click the inject button — then checks that InfluxDB got the transactions, and stops the
 * demo with SIGINT (Ctrl-C) and checks nothing is left running.
 *
 *   node --import tsx scripts/demo/walkthrough.ts [--screenshots]
 *
 * --screenshots writes docs/images/{editor-flow,link-page,link-dialog,influxdb-data}.png (for the README).
 * Uses a temp DEMO_DIR and free ports, so it never touches your .demo/.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Page } from "playwright-core";
import { launchBrowser } from "../../test/support/browser";
import { Influxd } from "../../test/support/influxd";
import { REPO_ROOT } from "../../test/support/nodered";
import { freePort, sleep, trackChild, waitFor } from "../../test/support/ports";

/** The page's document, for the functions evaluated in the browser (no DOM lib in this tsconfig). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const SHOTS = process.argv.includes("--screenshots");
const IMAGES = path.join(REPO_ROOT, "docs", "images");
const TX = "b2f0c0de00000004"; // plaid-transactions in example 02
const INJECT = "b2f0c0de00000003";

function log(s: string): void {
  console.log(`walkthrough: ${s}`);
}

async function shot(page: Page, name: string, clip?: { x: number; y: number; width: number; height: number }): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`), clip });
  log(`saved docs/images/${name}.png`);
}

async function main(): Promise<void> {
  const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-demo-walk-"));
  const port = await freePort();
  const influxPort = await freePort();
  let out = "";
  const demo = spawn("bash", [path.join(REPO_ROOT, "scripts", "demo.sh")], {
    cwd: REPO_ROOT,
    env: { ...process.env, DEMO_DIR: demoDir, PORT: String(port), INFLUX_PORT: String(influxPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackChild(demo);
  demo.stdout.on("data", (d: Buffer) => (out += d.toString()));
  demo.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const browser = await launchBrowser();
  let current: Page | null = null;
  try {
    const url = (await waitFor(() => out.match(/Node-RED is running: (http:\/\/\S+)/)?.[1], { timeoutMs: 180_000, what: "the demo to print its URL" })) as string;
    log(`demo up at ${url}`);
    for (const must of ["First Platypus Bank", "user_good / pass_good", "Link account", "Continue with Plaid", "Deploy"]) {
      if (!out.includes(must)) throw new Error(`the demo's instructions do not mention "${must}"`);
    }

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    current = page;
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector(`[id="${TX}"]`, { timeout: 60_000 });
    await sleep(1000);

    // 2. Double-click plaid-transactions, then the pencil next to Bank.
    await page.dblclick(`[id="${TX}"] rect.red-ui-flow-node`);
    await page.waitForSelector("#node-input-btn-link-edit", { state: "visible" });
    await page.click("#node-input-btn-link-edit");
    await page.waitForSelector("#node-config-plaid-link-add", { state: "visible" });
    await sleep(500);

    // 3. Link account → the Link window.
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("#node-config-plaid-link-add")]);
    // Hosted Link (the default): the Link page hands over to Plaid's page (the demo simulator's,
    // through the editor's own origin) in a new tab.
    await popup.waitForSelector("#plaid-sync-hosted-open", { timeout: 30_000 });
    await shot(popup, "link-page");
    const [plaid] = await Promise.all([context.waitForEvent("page"), popup.click("#plaid-sync-hosted-open")]);
    await plaid.waitForSelector('button[data-institution-id="ins_109508"]', { timeout: 30_000 });
    await plaid.click('button[data-institution-id="ins_109508"]');
    await plaid.fill("#plaid-link-username", "user_good");
    await plaid.fill("#plaid-link-password", "pass_good");
    await plaid.click("#plaid-link-submit");
    await plaid.click("#plaid-link-continue");
    await plaid.click("#plaid-link-done");
    await plaid.waitForSelector("#hosted-link-done", { timeout: 30_000 });
    log("linked on Plaid's (the simulator's) page");
    await popup.waitForSelector("body[data-status='linked']", { timeout: 30_000 });
    await page.waitForFunction(() => /Platypus/.test(document.querySelector("#node-config-plaid-link-institution")?.textContent ?? ""), null, { timeout: 30_000 });
    await sleep(500);
    await shot(page, "link-dialog");
    for (const p of [plaid, popup]) if (!p.isClosed()) await p.close();

    // 4. Update, Done, Deploy.
    await page.click("#node-config-dialog-ok");
    await page.waitForSelector("#node-dialog-ok", { state: "visible" });
    await sleep(300);
    await page.click("#node-dialog-ok");
    await sleep(500);
    await page.click("#red-ui-header-button-deploy");
    await page.waitForSelector("#red-ui-header-button-deploy.disabled", { timeout: 30_000 });
    log("deployed");

    // 5. The flow syncs once on its own a few seconds after the deploy ("Every 4 h" fires once
    //    on start); then the user clicks the inject button for another sync.
    const statusOf = () => page.textContent(`[id="${TX}"] .red-ui-flow-node-status-label`);
    await page.click("#red-ui-tab-debug-link-button").catch(() => undefined);
    await page.click("#red-ui-sidebar-debug-clear").catch(() => undefined); // the "not linked yet" error from before linking
    await page.waitForFunction((id) => /\+[1-9]/.test(document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`)?.textContent ?? ""), TX, {
      timeout: 60_000,
    });
    log(`plaid-transactions status after the automatic first sync: ${await statusOf()}`);
    await page.mouse.click(700, 760); // deselect, so no node is highlighted
    await sleep(4000); // let the "deployed" notification fade
    await shot(page, "editor-flow");
    const before = await statusOf();
    await page.click(`[id="${INJECT}"] .red-ui-flow-node-button`);
    await waitFor(async () => (await statusOf()) !== before || (await statusOf())?.startsWith("+0"), { timeoutMs: 60_000, what: "the clicked sync" });
    await sleep(1500);
    log(`plaid-transactions status after clicking the inject button: ${await statusOf()}`);

    // 6. InfluxDB holds the data.
    const state = JSON.parse(fs.readFileSync(path.join(demoDir, "demo.json"), "utf8")) as { influxPort: number };
    const influx = new Influxd({ binary: "/usr/bin/influxd", dir: path.join(demoDir, "influxdb"), ownsDir: false, port: state.influxPort, rpcPort: 0 });
    const tx = await waitFor(
      async () => {
        const r = await influx.rows(`SELECT count("amount") AS n FROM "plaid_transactions" WHERE "removed" = false`, "plaid");
        return Number(r[0]?.n ?? 0) > 0 ? r : null;
      },
      { timeoutMs: 30_000, what: "transactions in InfluxDB" },
    );
    log(`InfluxDB has ${tx[0].n} live transactions`);
    // Every account's balance, the IRA that /transactions/sync leaves out included (net worth).
    const balances = await influx.rows(`SELECT last("current") AS current FROM "plaid_balances" GROUP BY "account", "type"`, "plaid");
    const ira = balances.find((b) => String(b.account).startsWith("Plaid IRA"));
    if (!ira) throw new Error(`no balance for the Plaid IRA in InfluxDB (balances: ${balances.map((b) => String(b.account)).join(", ")})`);
    log(`balances of ${balances.length} accounts, the IRA (${String(ira.type)}) at ${String(ira.current)}`);
    if (SHOTS) await renderInflux(context.newPage(), influx);
    if (errors.length) log(`page errors: ${errors.join(" | ")}`);
  } catch (err) {
    if (current) await current.screenshot({ path: path.join(REPO_ROOT, "test-artifacts", "walkthrough-failure.png") }).catch(() => undefined);
    throw err;
  } finally {
    await browser.close();
    // Ctrl-C
    demo.kill("SIGINT");
    await waitFor(() => demo.exitCode !== null || demo.signalCode !== null, { timeoutMs: 30_000, what: "the demo to stop on SIGINT" });
    log(`demo stopped (exit ${demo.exitCode ?? demo.signalCode}); last lines:\n${out.trim().split("\n").slice(-2).join("\n")}`);
    fs.rmSync(demoDir, { recursive: true, force: true });
  }
}

function esc(s: unknown): string {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

/** A page with the spending-by-category and per-account InfluxQL results (table + SVG bars). */
async function renderInflux(pagePromise: Promise<Page>, influx: Influxd): Promise<void> {
  const page = await pagePromise;
  const qCat = `SELECT sum("amount") AS spent, count("amount") AS n FROM "plaid_transactions" WHERE "removed" = false AND "amount" > 0 GROUP BY "category"`;
  const qAcc = `SELECT sum("amount") AS net, count("amount") AS n FROM "plaid_transactions" WHERE "removed" = false GROUP BY "account"`;
  const qBal = `SELECT last("current") AS current, count("current") AS points FROM "plaid_balances" GROUP BY "account"`;
  const cats = (await influx.rows(qCat, "plaid")).sort((a, b) => Number(b.spent) - Number(a.spent));
  const accs = await influx.rows(qAcc, "plaid");
  const bals = await influx.rows(qBal, "plaid");
  const max = Math.max(...cats.map((c) => Number(c.spent)), 1);
  const barH = 26;
  const svg = `<svg width="620" height="${cats.length * barH + 10}" role="img" aria-label="Spending by category">
${cats
  .map((c, i) => {
    const w = Math.round((Number(c.spent) / max) * 330);
    const y = i * barH + 5;
    return `<text x="190" y="${y + 17}" text-anchor="end" font-size="13">${esc(c.category)}</text>
<rect x="200" y="${y + 3}" width="${w}" height="${barH - 8}" fill="#5b8def" rx="3"/>
<text x="${206 + w}" y="${y + 17}" font-size="12">$${Number(c.spent).toFixed(2)}</text>`;
  })
  .join("\n")}
</svg>`;
  const table = (rows: Array<Record<string, unknown>>, cols: string[]) =>
    `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${rows
      .map((r) => `<tr>${cols.map((c) => `<td>${typeof r[c] === "number" && !Number.isInteger(r[c]) ? (r[c] as number).toFixed(2) : esc(r[c])}</td>`).join("")}</tr>`)
      .join("")}</table>`;
  const html = `<!doctype html><meta charset="utf-8"><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;width:1000px}
h2{font-size:16px;margin:22px 0 6px} code{display:block;background:#f4f4f4;padding:6px 8px;font-size:12px;white-space:pre-wrap}
table{border-collapse:collapse;margin-top:6px} th,td{border:1px solid #ccc;padding:4px 10px;text-align:left} th{background:#eef}
</style>
<h1 style="font-size:20px">InfluxDB database <i>plaid</i> after the demo's first syncs</h1>
<h2>Spending by category (money out, tombstones excluded)</h2><code>${esc(qCat)}</code>${svg}
<h2>Per account: net amount and number of live transactions</h2><code>${esc(qAcc)}</code>${table(accs, ["account", "net", "n"])}
<h2>Balances: latest value and one point per sync</h2><code>${esc(qBal)}</code>${table(bals, ["account", "current", "points"])}`;
  await page.setViewportSize({ width: 1060, height: 900 });
  await page.setContent(html);
  fs.mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: path.join(IMAGES, "influxdb-data.png"), fullPage: true });
  log("saved docs/images/influxdb-data.png");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`walkthrough failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
