/**
 * Driving the Node-RED editor in Chromium for the end-to-end link tests: a real `node-red`
 * loading a snapshot of the built package, the login, the plaid-link dialog, Deploy, the Link
 * window, and the "no secret anywhere" check over everything the browser saw.
 */
import * as assert from "assert";
import * as fs from "fs";
import type { Page } from "playwright-core";
import type { NodeRed, NodeRedOptions } from "./nodered";
import { snapshotPackage, startNodeRed as startNodeRedRaw } from "./nodered";
import { waitFor } from "./ports";

/**
 * Node-RED loads a snapshot of the built package (test/support snapshotPackage): a concurrent
 * `npm run build` empties nodes/ and dist/ while it works, and a Node-RED (re)starting at that
 * moment would miss our node types.
 */
let snapshot: string | null = null;

/** Removes the package snapshot (an after() hook of each test file that started Node-RED). */
export function disposeSnapshot(): void {
  if (snapshot) fs.rmSync(snapshot, { recursive: true, force: true });
  snapshot = null;
}

export async function startEditorNodeRed(opts: NodeRedOptions): Promise<NodeRed> {
  snapshot ??= snapshotPackage();
  const red = await startNodeRedRaw({ nodesDir: [snapshot], ...opts });
  const sets = (await red.nodeSets()).filter((s) => s.module === "node-red-contrib-plaid-sync");
  for (const type of ["plaid-config", "plaid-link"]) {
    const set = sets.find((s) => s.types.includes(type));
    assert.ok(set && !set.err, `${type} did not load: ${set?.err ?? "missing"}`);
  }
  return red;
}

export interface Evidence {
  /** Bodies of every admin/editor response the browser saw. */
  responses: string[];
  /** Every websocket (comms) frame the editor received. */
  frames: string[];
}

export function watch(page: Page, ev: Evidence): void {
  page.on("websocket", (ws) => ws.on("framereceived", (f) => ev.frames.push(typeof f.payload === "string" ? f.payload : f.payload.toString("utf8"))));
  page.on("response", async (res) => {
    const type = res.headers()["content-type"] ?? "";
    if (!/json|html|text/.test(type) || /\.(js|css)(\?|$)/.test(res.url())) return;
    try {
      ev.responses.push(await res.text());
    } catch {
      /* redirects, aborted */
    }
  });
}

export async function openEditor(page: Page, red: NodeRed): Promise<void> {
  await page.goto(red.url + "/");
  // Log in, unless this browser still holds a valid editor token (Node-RED keeps sessions across restarts).
  await page.waitForSelector("#node-dialog-login-username, #red-ui-palette-container", { timeout: 30000 });
  if (await page.isVisible("#node-dialog-login-username")) {
    await page.fill("#node-dialog-login-username", red.adminUser!.username);
    await page.fill("#node-dialog-login-password", red.adminUser!.password);
    await page.keyboard.press("Enter");
  }
  await page.waitForFunction(() => {
    const RED = (window as unknown as { RED?: { nodes?: { getType(t: string): unknown } } }).RED;
    return !!RED?.nodes?.getType("plaid-link") && !!document.querySelector("#red-ui-palette-container");
  }, undefined, { timeout: 30000 });
  await page.waitForSelector(".red-ui-palette-node[data-palette-type='plaid-transactions']");
}

/** Double-clicks a plaid-transactions node (the first, or `nodeId`) and opens its plaid-link (edit or add). */
export async function openLinkDialog(page: Page, add = false, nodeId?: string): Promise<void> {
  await (nodeId ? page.locator(`[id="${nodeId}"] rect.red-ui-flow-node`) : page.locator("#red-ui-workspace-chart g.red-ui-flow-node-group").first()).dblclick();
  await page.waitForSelector("#node-input-link");
  // The edit tray slides in and binds its config-node buttons as it opens; on a loaded machine a
  // click can land before that (seen once in CI on Node-RED 5), so click again until the dialog is there.
  for (let attempt = 1; ; attempt++) {
    await page.click(add ? "#node-input-btn-link-add" : "#node-input-btn-link-edit");
    try {
      await page.waitForSelector("#node-config-plaid-link-add", { state: "attached", timeout: 10000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export async function closeDialogs(page: Page): Promise<void> {
  await page.click("#node-config-dialog-ok");
  await page.click("#node-dialog-ok");
  await page.waitForSelector("#node-dialog-ok", { state: "detached" });
}

function startedCount(red: NodeRed): number {
  return (red.logSinceStart().match(/\[info\] (Started flows|Started modified (nodes|flows))/g) ?? []).length;
}

/** Presses Deploy; resolves once the userDir shows it (`until`) and the new flows have started. */
export async function deployFromEditor(page: Page, red: NodeRed, until: () => boolean | Promise<boolean>): Promise<void> {
  const before = startedCount(red);
  await page.waitForSelector("#red-ui-header-button-deploy:not(.disabled)");
  await page.click("#red-ui-header-button-deploy");
  try {
    await waitFor(until, { timeoutMs: 20000, what: "the deploy to reach the userDir" });
  } catch (err) {
    // What the editor said instead (an invalid-node warning, a deploy error) is the useful part.
    const said = await page
      .locator("#red-ui-notifications")
      .innerText()
      .catch(() => "");
    // A string, not a function: tsx would wrap a function in helpers the page does not have.
    const invalid = await page
      .evaluate(
        `(() => { const out = []; const see = (n) => { if (n.valid === false) out.push(n.type + " " + n.id + ": " + JSON.stringify(n.validationErrors || "invalid")); };
          RED.nodes.eachNode(see); RED.nodes.eachConfig(see); return out.join("; "); })()`,
      )
      .then(String)
      .catch(() => "");
    throw new Error(
      `${(err as Error).message}${said.trim() ? `; the editor shows: ${said.trim().replace(/\s+/g, " ")}` : ""}${invalid ? `; invalid: ${invalid}` : ""}`,
    );
  }
  await page.waitForSelector("#red-ui-header-button-deploy.disabled");
  await waitFor(() => startedCount(red) > before, { timeoutMs: 20000, what: "the deployed flows to start" });
}

/** Clicks `selector` in the editor and returns the Link window it opens. */
export async function clickAndCatchPopup(page: Page, selector: string): Promise<Page> {
  const [popup] = await Promise.all([page.context().waitForEvent("page"), page.click(selector)]);
  await popup.waitForURL(/\/plaid-sync\/link\//, { timeout: 15000 });
  return popup;
}

/** The secrets appear nowhere: flows.json, flows_cred.json (raw), any userDir file, the log, responses, comms. */
export function assertNoLeak(red: NodeRed, ev: Evidence, secrets: string[]): void {
  const places: Array<[string, string]> = [
    ["Node-RED log", red.logText()],
    ...ev.responses.map((r, i) => [`response #${i}`, r] as [string, string]),
    ...ev.frames.map((f, i) => [`comms frame #${i}`, f] as [string, string]),
  ];
  for (const f of red.userFiles()) {
    if (f.startsWith("node_modules/")) continue;
    places.push([`userDir/${f}`, red.readUserFile(f) ?? ""]);
  }
  assert.ok(places.some(([w]) => w === "userDir/flows_cred.json"), "flows_cred.json exists");
  const cred = red.readUserFile("flows_cred.json")!;
  assert.ok(typeof (JSON.parse(cred) as { $?: string }).$ === "string", "flows_cred.json stays encrypted");
  for (const s of secrets) {
    for (const [where, text] of places) assert.ok(!text.includes(s), `${s.slice(0, 12)}… found in ${where}`);
  }
}

