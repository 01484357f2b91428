/**
 * Hosted Link (the default link mode) end to end: a real `node-red` with adminAuth on, real
 * Chromium, real InfluxDB, and the simulator as Plaid (its stand-in hosted page on its own
 * origin, like secure.plaid.com). Node-RED reaches the simulator through a counting proxy, so
 * the test can say what one link and one re-login episode cost in Plaid calls.
 *
 * What a user relies on:
 * - Link account → the Link page (no Plaid script, a QR code of Plaid's URL) → Plaid's page:
 *   the bank credentials are typed on Plaid's origin only; Node-RED learns the result by itself
 *   (no callback from any browser), the dialog fills in, Deploy, and a sync writes points;
 * - the same for an OAuth bank, whose bank page and redirect stay inside Plaid's flow;
 * - re-login from anywhere: the relinkUrl of a Catch node, the same for every failed sync,
 *   finished on "another device" that never talks to Node-RED; the node notices, syncs again;
 * - a restart while a session is open; an exit ("exited"); expiry ("expired", nothing stored).
 *
 * Needs `npm run build` and /usr/bin/influxd, /usr/bin/chromium. Screenshots: test-artifacts/hosted/.
 */
import * as assert from "assert";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startTestSimulator, type Simulator } from "../support/simulator";
import { createPlaidClient } from "../../src/plaid/client";
import { chromiumAvailable, launchBrowser, screenshot } from "../support/browser";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy";
import * as editor from "../support/editor";
import { startInfluxd, type Influxd } from "../support/influxd";
import { startSink, type FlowNode, type MessageSink, type NodeRed } from "../support/nodered";
import { waitFor } from "../support/ports";
import { reporter, syncFlow, syncFlowIds, type LinkedItem } from "../support/sync-flow";

const CRED_SECRET = "e2e-hosted-credential-secret-51c2";
const CLIENT_ID = "cid_e2e_hosted_777777777";
const SECRET = "sec_e2e_hosted_DO_NOT_LEAK_3f9e1d";
const DB = "plaid_hosted";

after(editor.disposeSnapshot);

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

/** Plaid calls by endpoint since `before` (a copy of the proxy's counts, minus that snapshot). */
function callsSince(proxy: CountingProxy, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [p, n] of proxy.counts) {
    const d = n - (before.get(p) ?? 0);
    if (d > 0) out[p] = d;
  }
  return out;
}

/** Decodes the QR code an element shows, as a phone camera would read the screen. */
async function readQr(page: Page, selector: string): Promise<string | null> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

/** Plaid's hosted page in `tab`: bank (add mode), credentials typed on Plaid's origin, accounts, done. */
async function finishOnPlaidsPage(tab: Page, plaidOrigin: string, opts: { institution?: string; oauth?: boolean; shots: string }): Promise<void> {
  await tab.waitForSelector("#plaid-link-dialog", { timeout: 20_000 });
  const view = () => tab.getAttribute("#plaid-link-dialog", "data-view");
  await waitFor(async () => !["LOADING", null].includes(await view()), { what: "Link's first view" });
  if ((await view()) === "SELECT_INSTITUTION") {
    await screenshot(tab, `${opts.shots}-1-institutions`);
    await tab.click(`.plaid-link-institution[data-institution-id='${opts.institution ?? "ins_109508"}']`);
  }
  if (opts.oauth) {
    // The bank's own page and the way back happen inside Plaid's flow, on Plaid's origin.
    await tab.click("#plaid-link-oauth-continue");
    await tab.waitForSelector("#authorize", { timeout: 15_000 });
    assert.strictEqual(new URL(tab.url()).origin, plaidOrigin, "the stand-in bank is reached through Plaid's flow");
    await screenshot(tab, `${opts.shots}-2-bank`);
    // Wait for the way back while clicking, not after: the hosted page strips oauth_state_id from
    // its address (history.replaceState) as soon as its script runs, so a wait begun after the
    // click can find the address already clean and then wait for a navigation that never comes.
    await Promise.all([tab.waitForURL((u) => u.pathname.startsWith("/hl/") && u.searchParams.has("oauth_state_id"), { timeout: 15_000 }), tab.click("#authorize")]);
  } else {
    await tab.waitForSelector("#plaid-link-username");
    assert.strictEqual(new URL(tab.url()).origin, plaidOrigin, "the bank credentials are typed on Plaid's origin");
    await tab.fill("#plaid-link-username", "user_good");
    await tab.fill("#plaid-link-password", "pass_good");
    await screenshot(tab, `${opts.shots}-2-login`);
    await tab.click("#plaid-link-submit");
  }
  await waitFor(async () => ["SELECT_ACCOUNT", "CONNECTED"].includes((await view()) ?? ""), { what: "accounts or success" });
  if ((await view()) === "SELECT_ACCOUNT") await tab.click("#plaid-link-continue");
  await tab.waitForSelector("#plaid-link-done");
  await tab.click("#plaid-link-done");
  await tab.waitForSelector("#hosted-link-done", { timeout: 15_000 });
  await screenshot(tab, `${opts.shots}-3-done`);
}

describeBrowser("Hosted Link from the editor, in Chromium, against a real node-red with adminAuth", function () {
  this.timeout(300_000);
  let sim: Simulator;
  let proxy: CountingProxy;
  let influx: Influxd;
  let sink: MessageSink;
  let red: NodeRed;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ev: editor.Evidence = { responses: [], frames: [] };
  /** Every request the pages of the editor's browser context made, with the page that made it. */
  const requests: Array<{ url: string; method: string; page: Page | null }> = [];
  const ids = syncFlowIds("hl");
  const oauthIds = syncFlowIds("ho");
  let linked: LinkedItem;

  function flows(extra: { linked?: LinkedItem; oauthLinked?: LinkedItem } = {}): FlowNode[] {
    const main = syncFlow({ ids, simUrl: proxy.url, influx, db: DB, sinkUrl: sink.url, linked: extra.linked, extra: statusTap(ids.tab, ids.tx) });
    // A second bank on the same config, for the OAuth bank.
    const oauth = syncFlow({ ids: oauthIds, simUrl: proxy.url, influx, db: DB, sinkUrl: sink.url, linked: extra.oauthLinked }).filter((n) => !["tab", "plaid-config", "influxdb"].includes(n.type));
    for (const n of oauth) {
      if (n.type === "plaid-link") n.config = ids.cfg;
      if (n.type === "influxdb batch") n.influxdb = ids.influx;
      // Beside the first flow, on the same tab.
      if (n.z) {
        n.z = ids.tab;
        n.x = Number(n.x ?? 0) + 700;
      }
    }
    return [...main, ...oauth];
  }

  /** A status node on plaid-transactions, reported to the sink's /status. */
  function statusTap(tab: string, tx: string): FlowNode[] {
    return [
      { id: `${tab.slice(0, 4)}st00000001`, type: "status", z: tab, name: "", scope: [tx], x: 100, y: 800, wires: [[`${tab.slice(0, 4)}st0f`]] },
      ...reporter(tab, `${tab.slice(0, 4)}st0`, "status", "return { payload: msg.status };", sink.url, 800),
    ];
  }

  async function inject(injectId: string): Promise<"ok" | "error"> {
    const errs = sink.on("/sync-error").length;
    const oks = sink.on("/trigger").length;
    await red.request("POST", `/inject/${injectId}`, undefined, { expectOk: true });
    return waitFor(() => (sink.on("/sync-error").length > errs ? "error" : sink.on("/trigger").length > oks ? "ok" : null), { timeoutMs: 60_000, what: "the sync's outcome" });
  }

  before(async () => {
    sim = await startTestSimulator({ clientId: CLIENT_ID, secret: SECRET });
    proxy = await startCountingProxy(sim.url);
    influx = await startInfluxd();
    await influx.createDatabase(DB);
    sink = await startSink();
    red = await editor.startEditorNodeRed({ adminAuth: true, credentialSecret: CRED_SECRET });
    await red.deploy(flows(), { [ids.cfg]: { clientId: CLIENT_ID, secret: SECRET } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.on("page", (p) => {
      editor.watch(p, ev);
      p.on("request", (r) => requests.push({ url: r.url(), method: r.method(), page: p }));
    });
    page = await context.newPage();
    await editor.openEditor(page, red);
  });
  after(async () => {
    await browser?.close();
    await red?.dispose();
    await sink?.close();
    await influx?.dispose();
    await proxy?.close();
    await sim?.close();
  });

  it("links through Plaid's page: credentials only on Plaid's origin, no browser callback; the dialog fills in; Deploy; a sync writes points", async () => {
    const plaidOrigin = new URL(sim.url).origin;
    const before = new Map(proxy.counts);
    await editor.openLinkDialog(page, false, ids.tx);
    const linkPage = await editor.clickAndCatchPopup(page, "#node-config-plaid-link-add");
    await page.waitForFunction(() => /Finish in the Plaid window/.test(document.querySelector("#node-config-plaid-link-message")?.textContent ?? ""));
    // The Link page: Node-RED's origin, no Plaid script, the hand-over and a QR code of Plaid's URL.
    assert.strictEqual(new URL(linkPage.url()).origin, red.url);
    await linkPage.waitForSelector("#plaid-sync-hosted-open");
    const scripts = await linkPage.evaluate(() => Array.from(document.scripts).map((s) => s.src).filter(Boolean));
    assert.deepStrictEqual(scripts, [], "the Link page loads no script");
    const hostedUrl = (await linkPage.getAttribute("#plaid-sync-hosted-open", "href")) ?? "";
    assert.ok(hostedUrl.startsWith(`${plaidOrigin}/hl/`), hostedUrl);
    assert.strictEqual(await readQr(linkPage, "#plaid-sync-qr svg"), hostedUrl, "the QR code is Plaid's URL");
    await screenshot(linkPage, "hosted/add-1-link-page");

    const [plaidTab] = await Promise.all([context.waitForEvent("page"), linkPage.click("#plaid-sync-hosted-open")]);
    await finishOnPlaidsPage(plaidTab, plaidOrigin, { shots: "hosted/add-2" });

    // Node-RED found out by asking Plaid: the Link page and the dialog show the bank.
    await linkPage.waitForSelector("body[data-status='linked']", { timeout: 30_000 });
    assert.match((await linkPage.textContent("#status")) ?? "", /First Platypus Bank/);
    await screenshot(linkPage, "hosted/add-3-linked");
    await page.waitForFunction(() => /First Platypus Bank/.test(document.querySelector("#node-config-plaid-link-institution")?.textContent ?? ""));
    const accounts = await page.locator("#node-config-plaid-link-accounts li").allTextContents();
    assert.ok(accounts.length >= 1 && accounts.every((a) => a.includes("••")), accounts.join());
    await screenshot(page, "hosted/add-4-dialog");
    const toNodeRed = requests.filter((r) => r.url.startsWith(red.url));
    assert.ok(!toNodeRed.some((r) => r.method === "POST" && /\/plaid-sync\/link\/[^/]+\/complete/.test(r.url)), "no completion callback from the browser");
    assert.ok(!requests.some((r) => r.page === plaidTab && r.url.startsWith(red.url)), "Plaid's page never talks to Node-RED");

    await editor.closeDialogs(page);
    await editor.deployFromEditor(page, red, () => !!red.readCredentials()[ids.link]?.accessToken);
    const calls = callsSince(proxy, before);
    console.log(`      Plaid calls for one Hosted Link (add): ${JSON.stringify(calls)}`);
    assert.strictEqual(calls["/link/token/create"], 1);
    assert.strictEqual(calls["/item/public_token/exchange"], 1);
    assert.ok(calls["/link/token/get"] >= 1);

    const flowsNow = (await red.getFlows()).flows;
    const l = flowsNow.find((n) => n.id === ids.link)!;
    linked = { itemId: String(l.itemId), institutionId: String(l.institutionId), institutionName: String(l.institutionName), accounts: l.accounts as LinkedItem["accounts"] };
    assert.strictEqual(linked.institutionName, "First Platypus Bank");
    assert.strictEqual(await inject(ids.inject), "ok");
    const truth = (await createPlaidClient({ basePath: sim.url, clientId: CLIENT_ID, secret: SECRET }).transactionsGet({ access_token: red.readCredentials()[ids.link].accessToken as string, start_date: "2000-01-01", end_date: "2099-12-31", options: { count: 500 } })).data.total_transactions;
    const rows = await influx.rows(`SELECT count("amount") AS c FROM "plaid_transactions" WHERE "removed" = false`, DB);
    assert.strictEqual(Number(rows[0]?.c), truth, "every transaction of the new link is in InfluxDB");
  });

  it("an OAuth bank: its page and the redirect stay inside Plaid's flow; linked with no callback", async () => {
    const plaidOrigin = new URL(sim.url).origin;
    await editor.openLinkDialog(page, false, oauthIds.tx);
    const linkPage = await editor.clickAndCatchPopup(page, "#node-config-plaid-link-add");
    await linkPage.waitForSelector("#plaid-sync-hosted-open");
    const [plaidTab] = await Promise.all([context.waitForEvent("page"), linkPage.click("#plaid-sync-hosted-open")]);
    const navigations: string[] = [];
    plaidTab.on("framenavigated", (f) => {
      if (f === plaidTab.mainFrame()) navigations.push(f.url());
    });
    await finishOnPlaidsPage(plaidTab, plaidOrigin, { institution: "ins_127287", oauth: true, shots: "hosted/oauth" });
    assert.ok(navigations.length >= 2 && navigations.every((u) => new URL(u).origin === plaidOrigin), navigations.join("\n"));
    await linkPage.waitForSelector("body[data-status='linked']", { timeout: 30_000 });
    await page.waitForFunction(() => /Platypus OAuth Bank/.test(document.querySelector("#node-config-plaid-link-institution")?.textContent ?? ""));
    await editor.closeDialogs(page);
    await editor.deployFromEditor(page, red, () => !!red.readCredentials()[oauthIds.link]?.accessToken);
    assert.strictEqual(await inject(oauthIds.inject), "ok");
  });

  it("re-login from another device: the same relinkUrl for every failed sync; finished on a phone that never reaches Node-RED; the node notices and syncs", async () => {
    const token = red.readCredentials()[ids.link].accessToken as string;
    const client = createPlaidClient({ basePath: sim.url, clientId: CLIENT_ID, secret: SECRET });
    await client.sandboxItemResetLogin({ access_token: token });
    const before = new Map(proxy.counts);
    const errorsBefore = sink.on("/sync-error").length;
    for (let i = 0; i < 3; i++) assert.strictEqual(await inject(ids.inject), "error");
    const caught = sink.on("/sync-error").slice(errorsBefore).map((m) => (m.body as { error: { code: string; cause: { relinkUrl?: string } } }).error);
    assert.ok(caught.every((e) => e.code === "ITEM_LOGIN_REQUIRED"), JSON.stringify(caught));
    const urls = new Set(caught.map((e) => e.cause.relinkUrl));
    assert.strictEqual(urls.size, 1, `one re-login URL for the episode: ${[...urls].join(", ")}`);
    const relinkUrl = [...urls][0]!;
    assert.ok(relinkUrl.startsWith(`${new URL(sim.url).origin}/hl/`), `Plaid's own page: ${relinkUrl}`);
    await waitFor(() => sink.on("/status").some((m) => (m.body as { text?: string }).text === "needs login"), { what: "'needs login'" });

    // Another device: a fresh context with nothing of the editor's.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phoneRequests: string[] = [];
    phone.on("request", (r) => phoneRequests.push(r.url()));
    const tab = await phone.newPage();
    await tab.goto(relinkUrl);
    await tab.waitForSelector("#plaid-link-username", { timeout: 20_000 });
    await tab.fill("#plaid-link-username", "user_good");
    await tab.fill("#plaid-link-password", "pass_good");
    await tab.click("#plaid-link-submit");
    const view = () => tab.getAttribute("#plaid-link-dialog", "data-view");
    await waitFor(async () => ["SELECT_ACCOUNT", "CONNECTED"].includes((await view()) ?? ""), { what: "accounts or success" });
    if ((await view()) === "SELECT_ACCOUNT") await tab.click("#plaid-link-continue");
    await tab.click("#plaid-link-done");
    await tab.waitForSelector("#hosted-link-done");
    await screenshot(tab, "hosted/relogin-phone-done");
    await phone.close();
    assert.ok(phoneRequests.length > 0 && !phoneRequests.some((u) => u.startsWith(red.url)), `the phone never requested Node-RED:\n${phoneRequests.join("\n")}`);

    // No editor action: the node notices by itself (its status turns back)...
    const statusesBefore = sink.on("/status").length;
    await waitFor(() => sink.on("/status").slice(statusesBefore).some((m) => (m.body as { text?: string }).text === "logged in again"), {
      timeoutMs: 90_000,
      what: "the node to notice the new login",
    });
    // ...and the next trigger syncs.
    assert.strictEqual(await inject(ids.inject), "ok");
    const calls = callsSince(proxy, before);
    console.log(`      Plaid calls for one re-login episode (3 failed syncs, phone, 1 sync): ${JSON.stringify(calls)}`);
    assert.strictEqual(calls["/link/token/create"], 1, "one link token per episode, not per failed sync");
  });

  it("Node-RED restarts while a session is open; finished afterwards, it is linked, and that survives a crash before Deploy", async () => {
    const extra = { id: "lnk3", type: "plaid-link", config: ids.cfg, name: "third", itemId: "", institutionId: "", institutionName: "", accounts: [] };
    const current = (await red.getFlows()).flows;
    await red.deploy([...current, extra], undefined, "flows");
    const s = await red.request<{ session: string; hostedUrl: string }>("POST", "/plaid-sync/link-sessions", { link: "lnk3", config: ids.cfg, mode: "add" }, { expectOk: true });
    await red.restart();
    const tab = await context.newPage();
    await tab.goto(s.json.hostedUrl);
    await finishOnPlaidsPage(tab, new URL(sim.url).origin, { shots: "hosted/restart" });
    await waitFor(async () => (await red.request<{ status: string }>("GET", `/plaid-sync/link-sessions/${s.json.session}?link=lnk3`)).json.status === "linked", {
      timeoutMs: 90_000,
      what: "the session to be collected after the restart",
    });
    let health = await red.request<{ linked: boolean; pendingDeploy: boolean }>("GET", "/plaid-sync/links/lnk3/health", undefined, { expectOk: true });
    assert.deepStrictEqual([health.json.linked, health.json.pendingDeploy], [true, true]);
    // Linked but not deployed, and a crash: the link is still there (encrypted pending store).
    await red.restart("SIGKILL");
    health = await red.request<{ linked: boolean; pendingDeploy: boolean }>("GET", "/plaid-sync/links/lnk3/health", undefined, { expectOk: true });
    assert.deepStrictEqual([health.json.linked, health.json.pendingDeploy], [true, true], "a completed, undeployed link survives a crash");
    await editor.openEditor(page, red);
  });

  it("exit: 'exited' (the Link page says so); expiry: 'expired', nothing stored; no secret anywhere", async () => {
    const extra = { id: "lnk4", type: "plaid-link", config: ids.cfg, name: "fourth", itemId: "", institutionId: "", institutionName: "", accounts: [] };
    const current = (await red.getFlows()).flows;
    await red.deploy([...current, extra], undefined, "flows");
    // Exit from Plaid's page.
    const s = await red.request<{ session: string; hostedUrl: string }>("POST", "/plaid-sync/link-sessions", { link: "lnk4", config: ids.cfg, mode: "add" }, { expectOk: true });
    const tab = await context.newPage();
    await tab.goto(s.json.hostedUrl);
    await tab.waitForSelector("#plaid-link-close", { timeout: 20_000 });
    await tab.click("#plaid-link-close");
    await tab.waitForSelector("#hosted-link-exited");
    await waitFor(async () => (await red.request<{ status: string }>("GET", `/plaid-sync/link-sessions/${s.json.session}?link=lnk4`)).json.status === "exited", { what: "exited" });
    const linkPage = await context.newPage();
    await linkPage.goto(`${red.url}/plaid-sync/link/${s.json.session}`);
    await linkPage.waitForSelector("body[data-status='exited']");
    await screenshot(linkPage, "hosted/exit-link-page");
    // Expiry: Plaid's clock runs past the URL's life; Node-RED finds the link token gone.
    sim.advanceClock(26 * 3600_000);
    await linkPage.waitForSelector("body[data-status='expired']", { timeout: 30_000 });
    await screenshot(linkPage, "hosted/expired-link-page");
    assert.strictEqual(red.readCredentials().lnk4?.accessToken, undefined, "nothing stored");
    const h = await red.request<{ linked: boolean }>("GET", "/plaid-sync/links/lnk4/health", undefined, { expectOk: true });
    assert.strictEqual(h.json.linked, false);
    editor.assertNoLeak(red, ev, [SECRET, red.readCredentials()[ids.link].accessToken as string]);
  });
});
