/**
 * Linking a bank from the Node-RED editor with the embedded Link page (link mode "embedded"), end
 * to end: a real `node-red` process (built package, temp userDir, adminAuth on), real Chromium,
 * the stand-in Plaid Link of the simulator. Hosted Link: test/e2e/link-hosted.test.ts.
 *
 * Needs `npm run build` first (Node-RED loads nodes/). Screenshots: test-artifacts/link/.
 */
import * as assert from "assert";
import type { Browser, Page } from "playwright-core";
import type { FlowNode, NodeRed } from "../support/nodered";
import { chromiumAvailable, launchBrowser, screenshot } from "../support/browser";
import {
  assertNoLeak,
  clickAndCatchPopup,
  closeDialogs,
  deployFromEditor,
  disposeSnapshot,
  openEditor,
  openLinkDialog,
  startEditorNodeRed as startNodeRed,
  watch,
  type Evidence,
} from "../support/editor";
import { waitFor } from "../support/ports";
import { startTestSimulator, type Simulator } from "../support/simulator";
import { createPlaidClient } from "../../src/plaid/client";

const CRED_SECRET = "e2e-credential-secret-7f3c";
// Distinctive strings, grepped for everywhere they must not be.
const DISTINCT_CLIENT_ID = "cid_e2e_link_4242424242";
const DISTINCT_SECRET = "sec_e2e_DO_NOT_LEAK_9b8a7c6d5e";

after(disposeSnapshot);

/** Runs the stand-in Link in the popup: institution (add mode), log in, accounts, Continue. */
async function completeStandInLink(popup: Page, shots: string): Promise<void> {
  await popup.waitForSelector("#plaid-link-dialog", { timeout: 20000 });
  const view = () => popup.getAttribute("#plaid-link-dialog", "data-view");
  await waitFor(async () => (await view()) !== "LOADING" && (await view()) !== null, { what: "Link's first view" });
  if ((await view()) === "SELECT_INSTITUTION") {
    await screenshot(popup, `${shots}-1-institutions`);
    await popup.click(".plaid-link-institution[data-institution-id='ins_109508']");
  }
  await popup.waitForSelector("#plaid-link-username");
  await popup.fill("#plaid-link-username", "user_good");
  await popup.fill("#plaid-link-password", "pass_good");
  await screenshot(popup, `${shots}-2-login`);
  await popup.click("#plaid-link-submit");
  await waitFor(async () => ["SELECT_ACCOUNT", "CONNECTED"].includes((await view()) ?? ""), { what: "accounts or success" });
  if ((await view()) === "SELECT_ACCOUNT") {
    await screenshot(popup, `${shots}-3-accounts`);
    await popup.click("#plaid-link-continue");
  }
  await popup.waitForSelector("#plaid-link-done");
  await popup.click("#plaid-link-done");
  await popup.waitForSelector("#status.ok", { timeout: 15000 });
  await screenshot(popup, `${shots}-4-done`);
}

function linkNodeOf(flows: FlowNode[]): FlowNode {
  const n = flows.find((f) => f.type === "plaid-link");
  assert.ok(n, "a plaid-link node was deployed");
  return n;
}

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser("link: from the editor, in Chromium, against a real node-red", function () {
  this.timeout(180000);
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it("demo (embedded): add config + link, Link account, complete Link, Deploy, restart — the Item is still linked", async () => {
    const red = await startNodeRed({ adminAuth: true, credentialSecret: CRED_SECRET });
    const ev: Evidence = { responses: [], frames: [] };
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      watch(page, ev);
      context.on("page", (p) => watch(p, ev));
      await openEditor(page, red);

      // A plaid transactions node; from it a new plaid-link and, from that, a new plaid-config (demo).
      await page.locator(".red-ui-palette-node[data-palette-type='plaid-transactions']").dragTo(page.locator("#red-ui-workspace-chart"), { targetPosition: { x: 300, y: 200 } });
      await openLinkDialog(page, true);
      await page.click("#node-config-input-btn-config-add");
      await page.waitForSelector("#node-config-input-environment");
      assert.strictEqual(await page.inputValue("#node-config-input-environment"), "demo");
      assert.strictEqual(await page.inputValue("#node-config-input-linkMode"), "hosted", "Hosted Link is the default");
      // This file covers the embedded Link page; test/e2e/link-hosted.test.ts covers Hosted Link.
      await page.selectOption("#node-config-input-linkMode", "embedded");
      await screenshot(page, "link/demo-01-config");
      await page.click("#node-config-dialog-ok");
      await page.waitForSelector("#node-config-plaid-link-add");

      // Not deployed yet: the dialog says what to do, no window stays open.
      await page.click("#node-config-plaid-link-add");
      await page.waitForFunction(() => /Deploy the Plaid config first/.test(document.querySelector("#node-config-plaid-link-message")?.textContent ?? ""));
      await screenshot(page, "link/demo-02-deploy-config-first");
      await closeDialogs(page);
      await deployFromEditor(page, red, () => (red.readUserFile("flows.json") ?? "").includes("plaid-link"));

      // Link account.
      await openLinkDialog(page);
      const popup = await clickAndCatchPopup(page, "#node-config-plaid-link-add");
      await completeStandInLink(popup, "link/demo-03-link");
      const pageHtml = await popup.content();
      ev.responses.push(pageHtml);
      assert.match(await popup.textContent("#status") ?? "", /First Platypus Bank/);

      // The dialog was told over comms: bank, accounts, "Deploy to save the link", Deploy lit.
      await page.waitForFunction(() => /First Platypus Bank/.test(document.querySelector("#node-config-plaid-link-institution")?.textContent ?? ""));
      const accounts = await page.locator("#node-config-plaid-link-accounts li").allTextContents();
      assert.ok(accounts.length >= 1 && accounts.every((a) => a.includes("••")), accounts.join());
      assert.match(await page.textContent("#node-config-plaid-link-message") ?? "", /Deploy to save the link/);
      assert.match(await page.textContent("#node-config-plaid-link-itemid") ?? "", /\S{10,}/);
      await page.waitForSelector("#red-ui-header-button-deploy:not(.disabled)");
      await screenshot(page, "link/demo-04-dialog-linked");
      await popup.close();

      // Before Deploy: the token is pending (encrypted), not in flows_cred.json.
      assert.ok(red.readUserFile("plaid-sync/pending-links.json"), "pending link stored");
      await closeDialogs(page);
      await deployFromEditor(page, red, () => {
        const link = (JSON.parse(red.readUserFile("flows.json") ?? "[]") as FlowNode[]).find((n) => n.type === "plaid-link");
        return !!link?.itemId && !!red.readCredentials()[link.id]?.accessToken;
      });
      await screenshot(page, "link/demo-05-deployed");
      const link = linkNodeOf((await red.getFlows()).flows);
      const token = red.readCredentials()[link.id].accessToken as string;
      assert.match(token, /^access-/);
      assert.strictEqual(link.institutionName, "First Platypus Bank");
      assert.ok((link.accounts as unknown[]).length >= 1);
      await waitFor(() => red.readUserFile("plaid-sync/pending-links.json") === null, { what: "the pending entry to go once deployed" });

      // Restart: the demo simulator comes back with its Items, the link works.
      await red.restart();
      const health = await red.request<Record<string, unknown>>("GET", `/plaid-sync/links/${link.id}/health`, undefined, { expectOk: true });
      assert.strictEqual(health.json.linked, true);
      assert.strictEqual(health.json.itemId, link.itemId);
      assert.strictEqual(health.json.institutionName, "First Platypus Bank");
      assert.strictEqual(health.json.error, null);
      ev.responses.push(health.text);

      // And the editor shows it, with health.
      await openEditor(page, red);
      await openLinkDialog(page);
      await page.waitForFunction(() => /OK/.test(document.querySelector("#node-config-plaid-link-health")?.textContent ?? ""));
      await screenshot(page, "link/demo-06-after-restart");

      assertNoLeak(red, ev, [token]);
      await context.close();
    } catch (err) {
      console.log(red.logTail(8000));
      throw err;
    } finally {
      await red.dispose();
    }
  });

  it("custom + 'Log in again' after reset_login; secret and token appear nowhere", async () => {
    const sim = await startTestSimulator({ clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET });
    const flows: FlowNode[] = [
      { id: "tab1", type: "tab", label: "Flow 1" },
      { id: "cfg1", type: "plaid-config", name: "Local simulator", environment: "custom", basePath: sim.url, clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "embedded" },
      { id: "lnk1", type: "plaid-link", config: "cfg1", name: "", itemId: "", institutionId: "", institutionName: "", accounts: [] },
      { id: "tx1", type: "plaid-transactions", z: "tab1", x: 300, y: 120, link: "lnk1", name: "", measurement: "plaid_transactions", balanceMeasurement: "plaid_balances", includePending: true, invertAmounts: false, timezone: "", batchSize: 5000, commit: "send", wires: [[], []] },
    ];
    const red = await startNodeRed({ adminAuth: true, credentialSecret: CRED_SECRET });
    const ev: Evidence = { responses: [], frames: [] };
    try {
      await red.deploy(flows, { cfg1: { clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET } });
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      watch(page, ev);
      context.on("page", (p) => watch(p, ev));
      await openEditor(page, red);

      await openLinkDialog(page);
      let popup = await clickAndCatchPopup(page, "#node-config-plaid-link-add");
      // custom: the Link script comes from basePath.
      assert.ok((await popup.content()).includes(`${sim.url}/link/v2/stable/link-initialize.js`));
      await completeStandInLink(popup, "link/custom-01-link");
      ev.responses.push(await popup.content());
      await page.waitForFunction(() => /First Platypus Bank/.test(document.querySelector("#node-config-plaid-link-institution")?.textContent ?? ""));
      await popup.close();
      await closeDialogs(page);
      await deployFromEditor(page, red, () => !!red.readCredentials().lnk1?.accessToken);
      const token = red.readCredentials().lnk1.accessToken as string;

      // The bank asks for a new login.
      const client = createPlaidClient({ basePath: sim.url, clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET });
      await client.sandboxItemResetLogin({ access_token: token });
      await openLinkDialog(page);
      await page.waitForFunction(() => /ITEM_LOGIN_REQUIRED/.test(document.querySelector("#node-config-plaid-link-health")?.textContent ?? ""));
      assert.ok(await page.isVisible("#node-config-plaid-link-relink"));
      assert.ok(!(await page.isVisible("#node-config-plaid-link-add")));
      await screenshot(page, "link/custom-02-needs-login");

      // "Log in again": update mode straight to the bank's login, no exchange, same token.
      popup = await clickAndCatchPopup(page, "#node-config-plaid-link-relink");
      await completeStandInLink(popup, "link/custom-03-relogin");
      ev.responses.push(await popup.content());
      await page.waitForFunction(() => /Logged in again/.test(document.querySelector("#node-config-plaid-link-message")?.textContent ?? ""));
      await page.waitForFunction(() => /OK/.test(document.querySelector("#node-config-plaid-link-health")?.textContent ?? ""));
      await screenshot(page, "link/custom-04-relogged");
      await popup.close();
      assert.strictEqual(red.readCredentials().lnk1.accessToken, token, "update mode keeps the token");
      const accounts = await client.accountsGet({ access_token: token });
      assert.ok(accounts.data.accounts.length > 0, "the Item works again");

      // The same page can't be used twice.
      await closeDialogs(page);
      await deployFromEditor(page, red, () => true);
      const exported = await red.request("GET", "/flows", undefined, { headers: { "Node-RED-API-Version": "v2" }, expectOk: true });
      ev.responses.push(exported.text);
      ev.responses.push((await red.request("GET", "/credentials/plaid-link/lnk1")).text);
      ev.responses.push((await red.request("GET", "/credentials/plaid-config/cfg1")).text);
      assertNoLeak(red, ev, [token, DISTINCT_SECRET]);
      assert.ok(ev.frames.some((f) => f.includes("plaid-sync/link/lnk1")), "the comms frames were captured");
      await context.close();
    } finally {
      await red.dispose();
      await sim.close();
    }
  });
});

describeBrowser("link: the embedded Link page leaves nothing behind", function () {
  this.timeout(120000);
  it("after an exit from Link, the page's localStorage entry (session and link_token for the OAuth return) is gone", async () => {
    const sim = await startTestSimulator({ clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET });
    const red = await startNodeRed({ adminAuth: true, credentialSecret: CRED_SECRET });
    const browser = await launchBrowser();
    try {
      await red.deploy(
        [
          { id: "cfg1", type: "plaid-config", environment: "custom", basePath: sim.url, clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "embedded" },
          { id: "lnk1", type: "plaid-link", config: "cfg1", itemId: "", institutionId: "", institutionName: "", accounts: [] },
        ],
        { cfg1: { clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET } },
      );
      const s = await red.request<{ url: string }>("POST", "/plaid-sync/link-sessions", { link: "lnk1", config: "cfg1", mode: "add" }, { expectOk: true });
      const page = await (await browser.newContext()).newPage();
      await page.goto(red.url + s.json.url);
      await page.waitForSelector("#plaid-link-dialog", { timeout: 20000 });
      const stored = () => page.evaluate(() => window.localStorage.getItem("plaid-sync.link"));
      assert.ok(await stored(), "kept while Link is open (an OAuth bank returns to it)");
      await page.click("#plaid-link-close");
      await page.waitForSelector("#plaid-sync-reopen");
      assert.strictEqual(await stored(), null, "forgotten on exit");
    } finally {
      await browser.close();
      await red.dispose();
      await sim.close();
    }
  });
});

describeBrowser("link: OAuth bank and 'Remove at Plaid' from the editor (demo)", function () {
  this.timeout(180000);
  it("an OAuth institution returns through <admin>/plaid-sync/oauth and finishes in Link; then Remove at Plaid", async () => {
    const red = await startNodeRed({ adminAuth: true, credentialSecret: CRED_SECRET });
    const browser = await launchBrowser();
    try {
      await red.deploy([
        { id: "tab1", type: "tab", label: "Flow 1" },
        { id: "cfg1", type: "plaid-config", name: "Demo", environment: "demo", basePath: "", clientName: "Node-RED", countryCodes: "US,GB", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "embedded" },
        { id: "lnk1", type: "plaid-link", config: "cfg1", name: "", itemId: "", institutionId: "", institutionName: "", accounts: [] },
        { id: "tx1", type: "plaid-transactions", z: "tab1", x: 300, y: 120, link: "lnk1", name: "", measurement: "plaid_transactions", balanceMeasurement: "plaid_balances", includePending: true, invertAmounts: false, timezone: "", batchSize: 5000, commit: "send", wires: [[], []] },
      ]);
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await openEditor(page, red);
      await openLinkDialog(page);
      const popup = await clickAndCatchPopup(page, "#node-config-plaid-link-add");
      await popup.waitForSelector(".plaid-link-institution[data-institution-id='ins_116834']", { timeout: 20000 });
      await popup.click(".plaid-link-institution[data-institution-id='ins_116834']");
      await popup.click("#plaid-link-oauth-continue");
      // The stand-in bank (through the demo proxy), then back to Node-RED's OAuth route.
      await popup.waitForSelector("#authorize", { timeout: 15000 });
      assert.match(popup.url(), /\/plaid-sync\/demo\/simulator\/link\/oauth\?/);
      await screenshot(popup, "link/oauth-1-bank");
      await popup.click("#authorize");
      await popup.waitForURL(/\/plaid-sync\/link\/[A-Za-z0-9_-]{43}/, { timeout: 15000 });
      await popup.waitForSelector("#plaid-link-dialog[data-view='SELECT_ACCOUNT']", { timeout: 20000 });
      await screenshot(popup, "link/oauth-2-resumed");
      await popup.click("#plaid-link-continue");
      await popup.click("#plaid-link-done");
      await popup.waitForSelector("#status.ok", { timeout: 15000 });
      assert.match((await popup.textContent("#status")) ?? "", /Flexible Platypus Open Banking/);
      await screenshot(popup, "link/oauth-3-done");
      await page.waitForFunction(() => /Flexible Platypus/.test(document.querySelector("#node-config-plaid-link-institution")?.textContent ?? ""));
      await popup.close();
      await closeDialogs(page);
      await deployFromEditor(page, red, () => !!red.readCredentials().lnk1?.accessToken);

      // Remove at Plaid: asks first; then the token is gone and the dialog offers "Link account" again.
      await openLinkDialog(page);
      await page.waitForSelector("#node-config-plaid-link-remove", { state: "visible" });
      await page.click("#node-config-plaid-link-remove");
      await page.waitForSelector("#node-config-plaid-link-remove-confirm");
      await screenshot(page, "link/oauth-4-confirm-remove");
      await page.click("#node-config-plaid-link-remove-confirm");
      await page.waitForFunction(() => /removed at Plaid/.test(document.querySelector("#node-config-plaid-link-message")?.textContent ?? ""));
      assert.ok(await page.isVisible("#node-config-plaid-link-add"));
      await screenshot(page, "link/oauth-5-removed");
      await closeDialogs(page);
      await deployFromEditor(page, red, () => !red.readCredentials().lnk1?.accessToken);
      const health = await red.request<Record<string, unknown>>("GET", "/plaid-sync/links/lnk1/health", undefined, { expectOk: true });
      assert.deepStrictEqual(health.json, { linked: false });
      await context.close();
    } finally {
      await browser.close();
      await red.dispose();
    }
  });
});

describe("link: admin routes of a real node-red with adminAuth", function () {
  this.timeout(120000);
  let red: NodeRed;
  let sim: Simulator;
  const flows = (): FlowNode[] => [
    { id: "cfg1", type: "plaid-config", environment: "custom", basePath: sim.url, clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "embedded" },
    { id: "lnk1", type: "plaid-link", config: "cfg1", itemId: "", institutionId: "", institutionName: "", accounts: [] },
    { id: "lnk2", type: "plaid-link", config: "cfg1", itemId: "", institutionId: "", institutionName: "", accounts: [] },
  ];
  before(async () => {
    sim = await startTestSimulator({ clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET });
    red = await startNodeRed({ adminAuth: true, credentialSecret: CRED_SECRET });
    await red.deploy(flows(), { cfg1: { clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET } });
  });
  after(async () => {
    await red?.dispose();
    await sim?.close();
  });

  async function standIn(linkToken: string) {
    const post = async (ep: string, body: unknown) => {
      const r = await fetch(`${sim.url}/simulator/link/${ep}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.ok(r.ok, `${ep}: ${r.status}`);
      return (await r.json()) as Record<string, unknown>;
    };
    const login = (await post("login", { link_token: linkToken, institution_id: "ins_109508", username: "user_good", password: "pass_good" })) as { accounts: Array<{ id: string }> };
    return post("complete", { link_token: linkToken, institution_id: "ins_109508", username: "user_good", password: "pass_good", account_ids: login.accounts.map((a) => a.id) });
  }

  it("refuses session creation, remove and health without a valid token; read scope can't write", async () => {
    const body = { link: "lnk1", config: "cfg1", mode: "add" };
    assert.strictEqual((await red.request("POST", "/plaid-sync/link-sessions", body, { token: null })).status, 401);
    assert.strictEqual((await red.request("POST", "/plaid-sync/link-sessions", body, { token: "not-a-token" })).status, 401);
    assert.strictEqual((await red.request("GET", "/plaid-sync/links/lnk1/health", undefined, { token: null })).status, 401);
    assert.strictEqual((await red.request("POST", "/plaid-sync/links/lnk1/remove", {}, { token: null })).status, 401);
    assert.strictEqual((await red.request("POST", "/plaid-sync/warm-up", undefined, { token: null })).status, 401);
    const readOnly = await red.token(red.adminUser!, "read");
    assert.strictEqual((await red.request("POST", "/plaid-sync/warm-up", undefined, { token: readOnly })).status, 401);
    assert.strictEqual((await red.request("POST", "/plaid-sync/warm-up", undefined, { headers: { origin: "http://evil.example" } })).status, 403);
    assert.strictEqual((await red.request("POST", "/plaid-sync/warm-up")).status, 204);
    assert.strictEqual((await red.request("POST", "/plaid-sync/link-sessions", body, { token: readOnly })).status, 401);
    assert.strictEqual((await red.request("GET", "/plaid-sync/links/lnk1/health", undefined, { token: readOnly })).status, 200);
    assert.strictEqual((await red.request("POST", "/plaid-sync/link-sessions", body)).status, 201);
  });

  it("a session is single-use, a wrong one is 404, another Origin is refused", async () => {
    const s = await red.request<{ session: string; url: string }>("POST", "/plaid-sync/link-sessions", { link: "lnk2", config: "cfg1", mode: "add" }, { expectOk: true });
    // The Link page and its routes need no admin token: the session is their credential.
    const page = await red.request("GET", s.json.url, undefined, { token: null });
    assert.strictEqual(page.status, 200);
    const tok = await red.request<{ link_token: string }>("GET", `${s.json.url}/token`, undefined, { token: null });
    const done = await standIn(tok.json.link_token);
    const evil = await red.request("POST", `${s.json.url}/complete`, done, { token: null, headers: { origin: "http://evil.example" } });
    assert.strictEqual(evil.status, 403);
    const ok = await red.request("POST", `${s.json.url}/complete`, done, { token: null, headers: { origin: red.url } });
    assert.strictEqual(ok.status, 200, ok.text);
    const again = await red.request("POST", `${s.json.url}/complete`, done, { token: null, headers: { origin: red.url } });
    assert.strictEqual(again.status, 404);
    assert.strictEqual((await red.request("GET", s.json.url, undefined, { token: null })).status, 404);
    assert.strictEqual((await red.request("GET", "/plaid-sync/link/" + "x".repeat(43), undefined, { token: null })).status, 404);
    assert.strictEqual((await red.request("POST", "/plaid-sync/link-sessions", { link: "lnk1", config: "cfg1", mode: "add" }, { headers: { origin: "http://evil.example" } })).status, 403);
  });

  it("a link survives a crash before Deploy and a deploy of unrelated changes", async () => {
    const s = await red.request<{ session: string; url: string }>("POST", "/plaid-sync/link-sessions", { link: "lnk1", config: "cfg1", mode: "add" }, { expectOk: true });
    const tok = await red.request<{ link_token: string }>("GET", `${s.json.url}/token`, undefined, { token: null });
    const done = await red.request<{ itemId: string }>("POST", `${s.json.url}/complete`, await standIn(tok.json.link_token), { token: null, expectOk: true });
    assert.strictEqual(red.readCredentials().lnk1?.accessToken, undefined, "not deployed yet");

    await red.restart("SIGKILL"); // a crash: nothing flushed, nothing deployed
    let health = await red.request<Record<string, unknown>>("GET", "/plaid-sync/links/lnk1/health", undefined, { expectOk: true });
    assert.strictEqual(health.json.linked, true);
    assert.strictEqual(health.json.itemId, done.json.itemId);
    assert.strictEqual(health.json.pendingDeploy, true);

    // Deploy something unrelated (a new tab), as the user would: the adopted token is persisted.
    const current = (await red.getFlows()).flows;
    await red.deploy([...current, { id: "tab9", type: "tab", label: "Unrelated" }], undefined, "flows");
    const token = red.readCredentials().lnk1?.accessToken as string;
    assert.match(token, /^access-/);
    await red.restart();
    health = await red.request<Record<string, unknown>>("GET", "/plaid-sync/links/lnk1/health", undefined, { expectOk: true });
    assert.strictEqual(health.json.linked, true);
    assert.strictEqual(health.json.pendingDeploy, false);
    assert.strictEqual(red.readUserFile("plaid-sync/pending-links.json"), null, "dropped once deployed");
    const client = createPlaidClient({ basePath: sim.url, clientId: DISTINCT_CLIENT_ID, secret: DISTINCT_SECRET });
    assert.ok((await client.accountsGet({ access_token: token })).data.accounts.length > 0);
    assert.ok(!red.logText().includes(token) && !red.logText().includes(DISTINCT_SECRET));
  });
});
