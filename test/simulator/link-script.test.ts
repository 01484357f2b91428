/**
 * The stand-in Plaid Link browser script (src/simulator/link/link-initialize.js) in real Chromium:
 * a test page on its own loopback origin loads the script from the simulator, runs Plaid.create(...)
 * .open() with a link_token from /link/token/create, and a user clicks through. The callbacks must
 * have Plaid's shapes, and the public token must work with the official client.
 * Screenshots: test-artifacts/link-script/.
 */
import assert from "node:assert/strict";
import type { PlaidApi } from "plaid";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, requireChromium, screenshot, serveOnLoopback } from "../support/browser";
import { linkWithAccounts } from "../support/hosted-link";
import { linkSandboxItem, simulatorClient, startTestSimulator, syncAll, type Simulator } from "../support/simulator";

/* eslint-disable @typescript-eslint/no-explicit-any */

interface Recorded {
  success: Array<{ public_token: string; metadata: any }>;
  exit: Array<{ error: any; metadata: any }>;
  events: Array<{ name: string; metadata: any }>;
  loaded: boolean;
}

/** The test page: loads the script from the simulator, exposes window.startLink(token). */
function pageHtml(scriptUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link script test page</title></head>
<body>
<h1>Link script test page</h1>
<script src="${scriptUrl}"></script>
<script>
  window.__rec = { success: [], exit: [], events: [], loaded: false };
  window.startLink = function (token, receivedRedirectUri) {
    window.__rec = { success: [], exit: [], events: [], loaded: false };
    var handler = Plaid.create({
      token: token,
      receivedRedirectUri: receivedRedirectUri || undefined,
      onLoad: function () { window.__rec.loaded = true; },
      onSuccess: function (public_token, metadata) { window.__rec.success.push({ public_token: public_token, metadata: metadata }); },
      onExit: function (error, metadata) { window.__rec.exit.push({ error: error, metadata: metadata }); },
      onEvent: function (name, metadata) { window.__rec.events.push({ name: name, metadata: metadata }); },
    });
    handler.open();
    return true;
  };
</script>
</body></html>`;
}

describe("simulator: stand-in Link script in Chromium", function () {
  this.timeout(90_000);
  let sim: Simulator;
  let client: PlaidApi;
  let browser: Browser | null = null;
  let pageServer: { url: string; close(): Promise<void> } | null = null;
  let pageUrl = "";
  let page: Page;

  before(async function () {
    requireChromium(this);
    sim = await startTestSimulator({ today: "2024-06-15" });
    client = simulatorClient(sim);
    const html = pageHtml(`${sim.url}/link/v2/stable/link-initialize.js`);
    pageServer = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      res.end(html);
    });
    pageUrl = pageServer.url;
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (pageServer) await pageServer.close();
    if (sim) await sim.close();
  });

  beforeEach(async () => {
    page = await browser!.newPage();
    await page.goto(pageUrl);
    assert.notEqual(new URL(page.url()).origin, new URL(sim.url).origin);
  });
  afterEach(async () => {
    await page.close();
  });

  async function linkToken(extra: Record<string, unknown> = {}): Promise<string> {
    const r = await client.linkTokenCreate({
      client_name: "Node-RED",
      language: "en",
      country_codes: ["US" as never],
      user: { client_user_id: "link-script-user" },
      ...(extra.access_token ? {} : { products: ["transactions" as never] }),
      ...extra,
    });
    return r.data.link_token;
  }

  async function open(token: string): Promise<void> {
    await page.evaluate((t) => (window as any).startLink(t), token);
    await page.locator("#plaid-link-dialog").waitFor({ state: "visible" });
  }

  const rec = (): Promise<Recorded> => page.evaluate(() => (window as any).__rec as Recorded);
  const view = (name: string) => page.waitForSelector(`#plaid-link-dialog[data-view="${name}"]`);

  async function login(username: string, password: string): Promise<void> {
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.locator("#plaid-link-submit").click();
  }

  async function waitForCallback(kind: "success" | "exit"): Promise<Recorded> {
    await page.waitForFunction((k) => (window as any).__rec[k].length > 0, kind);
    return rec();
  }

  function assertSuccessShape(r: Recorded): void {
    assert.equal(r.success.length, 1, "onSuccess called once");
    assert.equal(r.exit.length, 0, "onExit not called");
    const { public_token, metadata } = r.success[0];
    assert.match(public_token, /^public-sandbox-/);
    assert.deepEqual(Object.keys(metadata).sort(), ["accounts", "institution", "link_session_id", "transfer_status"]);
    assert.deepEqual(metadata.institution, { name: "First Platypus Bank", institution_id: "ins_109508" });
    assert.ok(Array.isArray(metadata.accounts) && metadata.accounts.length > 0);
    for (const a of metadata.accounts) {
      assert.deepEqual(Object.keys(a).sort(), ["class_type", "id", "mask", "name", "subtype", "type", "verification_status"]);
      assert.equal(typeof a.id, "string");
      assert.equal(typeof a.name, "string");
      assert.ok(a.mask === null || /^\d{2,4}$/.test(a.mask), `mask ${a.mask}`);
      assert.equal(typeof a.type, "string");
      assert.ok(a.subtype === null || typeof a.subtype === "string");
      assert.ok(a.verification_status === null || typeof a.verification_status === "string");
      assert.ok(a.class_type === null || typeof a.class_type === "string");
    }
    assert.match(metadata.link_session_id, /^[0-9a-f-]{36}$/);
    assert.ok(metadata.transfer_status === null || typeof metadata.transfer_status === "string");
  }

  it("add mode: institution → credentials → accounts → continue → onSuccess; the public token works", async () => {
    const token = await linkToken();
    await open(token);
    await view("SELECT_INSTITUTION");
    await screenshot(page, "link-script/01-select-institution");
    await page.getByRole("button", { name: /First Platypus Bank/ }).click();
    await view("CREDENTIAL");
    await login("user_good", "pass_good");
    await view("SELECT_ACCOUNT");
    await screenshot(page, "link-script/02-select-account");
    const checkboxes = page.locator("input.plaid-link-account");
    const offered = await checkboxes.count();
    assert.ok(offered >= 2, `accounts offered: ${offered}`);
    await checkboxes.nth(1).uncheck(); // share all but one
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    await screenshot(page, "link-script/03-connected");
    await page.locator("#plaid-link-done").click();
    const r = await waitForCallback("success");
    assertSuccessShape(r);
    const { public_token, metadata } = r.success[0];
    assert.equal(metadata.accounts.length, offered - 1);
    assert.equal(await page.locator("#plaid-link-overlay").count(), 0, "the modal is gone");
    assert.ok(r.events.some((e) => e.name === "HANDOFF"), "HANDOFF event");
    assert.ok(r.events.every((e) => e.metadata.link_session_id === metadata.link_session_id));

    // The backend recorded the same link session: /link/token/get sees what onSuccess saw.
    const recorded = (await client.linkTokenGet({ link_token: token })).data.link_sessions ?? [];
    assert.deepEqual(recorded.map((s) => s.link_session_id), [metadata.link_session_id]);
    assert.equal(recorded[0].results?.item_add_results[0].public_token, public_token);

    const exchanged = await client.itemPublicTokenExchange({ public_token });
    const accounts = await client.accountsGet({ access_token: exchanged.data.access_token });
    assert.deepEqual(accounts.data.accounts.map((a) => a.account_id).sort(), metadata.accounts.map((a: any) => a.id).sort());
    assert.equal(accounts.data.item.institution_id, "ins_109508");
  });

  it("closing the window → onExit(null, metadata with link_session_id and status)", async () => {
    const token = await linkToken();
    await open(token);
    await page.getByRole("button", { name: /First Platypus Bank/ }).click();
    await view("CREDENTIAL");
    await page.getByRole("button", { name: "Close" }).click();
    const r = await waitForCallback("exit");
    await screenshot(page, "link-script/04-after-close");
    assert.equal(r.success.length, 0);
    assert.equal(r.exit.length, 1);
    const { error, metadata } = r.exit[0];
    assert.equal(error, null);
    assert.equal(metadata.status, "requires_credentials");
    assert.match(metadata.link_session_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(metadata.institution, { name: "First Platypus Bank", institution_id: "ins_109508" });
    assert.equal(typeof metadata.request_id, "string");
    assert.equal(await page.locator("#plaid-link-overlay").count(), 0);
    // onExit comes once the backend has the exit: /link/token/get already reports it.
    const recorded = (await client.linkTokenGet({ link_token: token })).data.link_sessions ?? [];
    assert.deepEqual(recorded.map((s) => s.link_session_id), [metadata.link_session_id]);
    assert.equal(recorded[0].exit?.metadata?.status, "requires_credentials");
    assert.deepEqual(recorded[0].exit?.metadata?.institution, metadata.institution);
    assert.equal(recorded[0].exit?.error, null);
  });

  it("closing after a failed login → onExit(error) with Plaid's error fields", async () => {
    const token = await linkToken();
    await open(token);
    await page.getByRole("button", { name: /First Platypus Bank/ }).click();
    await login("user_good", "wrong_password");
    await page.locator("#plaid-link-error.visible").waitFor();
    await page.keyboard.press("Escape");
    const r = await waitForCallback("exit");
    const { error, metadata } = r.exit[0];
    assert.ok(error, "onExit error is set");
    assert.equal(error.error_code, "INVALID_CREDENTIALS");
    const recorded = (await client.linkTokenGet({ link_token: token })).data.link_sessions ?? [];
    assert.equal(recorded[0]?.exit?.error?.error_code, "INVALID_CREDENTIALS", "the exit's error is recorded too");
    assert.equal(error.error_type, "ITEM_ERROR");
    assert.equal(typeof error.error_message, "string");
    assert.ok("display_message" in error);
    assert.equal(metadata.status, "requires_credentials");
    assert.match(metadata.link_session_id, /^[0-9a-f-]{36}$/);
  });

  it("a wrong password shows a visible error; the right one then succeeds", async () => {
    await open(await linkToken());
    await page.getByRole("button", { name: /First Platypus Bank/ }).click();
    await login("user_good", "wrong_password");
    const alert = page.getByRole("alert");
    await page.locator("#plaid-link-error.visible").waitFor();
    assert.equal(await alert.isVisible(), true);
    assert.ok(((await alert.textContent()) ?? "").trim().length > 0, "error text shown");
    assert.equal(await alert.getAttribute("data-error-code"), "INVALID_CREDENTIALS");
    assert.equal(await page.locator("#plaid-link-dialog").getAttribute("data-view"), "CREDENTIAL");
    await screenshot(page, "link-script/05-wrong-password");
    await login("user_good", "pass_good");
    await view("SELECT_ACCOUNT");
    assert.equal(await alert.isVisible(), false, "error cleared after a good login");
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    await page.locator("#plaid-link-done").click();
    const r = await waitForCallback("success");
    assertSuccessShape(r);
    assert.ok(r.events.some((e) => e.name === "ERROR" && e.metadata.error_code === "INVALID_CREDENTIALS"), "ERROR event");
    const exchanged = await client.itemPublicTokenExchange({ public_token: r.success[0].public_token });
    assert.ok((await client.accountsGet({ access_token: exchanged.data.access_token })).data.accounts.length > 0);
  });

  it("an invalid link token: the error is shown in the modal, and closing gives onExit(INVALID_LINK_TOKEN)", async () => {
    await open("link-sandbox-00000000-0000-4000-8000-000000000000");
    await view("ERROR");
    await page.locator("#plaid-link-error.visible").waitFor();
    assert.equal(await page.getByRole("alert").getAttribute("data-error-code"), "INVALID_LINK_TOKEN");
    await screenshot(page, "link-script/08-invalid-link-token");
    assert.equal((await rec()).loaded, true, "onLoad fires even for a bad token");
    await page.locator("#plaid-link-error-exit").click();
    const r = await waitForCallback("exit");
    assert.equal(r.exit[0].error.error_code, "INVALID_LINK_TOKEN");
    assert.equal(r.exit[0].error.error_type, "INVALID_INPUT");
    assert.equal(r.success.length, 0);
  });

  it("search filters the institution list; no match → status institution_not_found on exit", async () => {
    await open(await linkToken());
    await view("SELECT_INSTITUTION");
    const all = await page.locator(".plaid-link-institution").count();
    await page.getByLabel("Search institutions").fill("houndstooth");
    const names = await page.locator(".plaid-link-institution").allTextContents();
    assert.ok(names.length >= 1 && names.length < all, `filtered ${names.length} of ${all}`);
    assert.ok(names.every((n) => /houndstooth/i.test(n)), names.join(", "));
    await page.getByLabel("Search institutions").fill("no such bank anywhere");
    await page.locator("#plaid-link-no-results").waitFor();
    await page.getByRole("button", { name: "Close" }).click();
    const r = await waitForCallback("exit");
    assert.equal(r.exit[0].error, null);
    assert.equal(r.exit[0].metadata.status, "institution_not_found");
    assert.equal(r.exit[0].metadata.institution, null);
    assert.ok(r.events.some((e) => e.name === "SEARCH_INSTITUTION"), "SEARCH_INSTITUTION event");
  });

  it("OAuth institution: stand-in bank page → redirect_uri?oauth_state_id → receivedRedirectUri resumes → onSuccess", async () => {
    const redirectUri = new URL("oauth-return", pageUrl).href;
    const token = await linkToken({ redirect_uri: redirectUri });
    await open(token);
    await page.getByRole("button", { name: /Platypus OAuth Bank/ }).first().click();
    await view("OAUTH");
    await screenshot(page, "link-script/09-oauth-continue");
    await Promise.all([page.waitForURL((u) => u.pathname === "/simulator/link/oauth"), page.locator("#plaid-link-oauth-continue").click()]);
    await screenshot(page, "link-script/10-oauth-bank-page");
    await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri)), page.locator("#authorize").click()]);
    const returned = page.url();
    assert.match(new URL(returned).searchParams.get("oauth_state_id") ?? "", /^[0-9a-f-]{36}$/);
    // The app's redirect page re-creates Link with the same token and receivedRedirectUri.
    await page.evaluate(([t, u]) => (window as any).startLink(t, u), [token, returned]);
    await view("SELECT_ACCOUNT");
    await screenshot(page, "link-script/11-oauth-select-account");
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    await page.locator("#plaid-link-done").click();
    const r = await waitForCallback("success");
    assert.equal(r.exit.length, 0);
    const { public_token, metadata } = r.success[0];
    assert.deepEqual(metadata.institution, { name: "Platypus OAuth Bank", institution_id: "ins_127287" });
    const recorded = (await client.linkTokenGet({ link_token: token })).data.link_sessions ?? [];
    assert.deepEqual(recorded.map((s) => s.link_session_id), [metadata.link_session_id], "one link session across the redirect");
    const exchanged = await client.itemPublicTokenExchange({ public_token });
    const accounts = await client.accountsGet({ access_token: exchanged.data.access_token });
    assert.equal(accounts.data.item.institution_id, "ins_127287");
    assert.deepEqual(accounts.data.accounts.map((a) => a.account_id).sort(), metadata.accounts.map((a: any) => a.id).sort());
  });

  it("update mode after /sandbox/item/reset_login → onSuccess, and /accounts/get works again", async () => {
    const { accessToken, itemId } = await linkSandboxItem(client);
    await client.sandboxItemResetLogin({ access_token: accessToken });
    await assert.rejects(client.accountsGet({ access_token: accessToken }), (e: any) => e.response?.data?.error_code === "ITEM_LOGIN_REQUIRED");
    await open(await linkToken({ access_token: accessToken }));
    await view("CREDENTIAL");
    assert.match((await page.locator("#plaid-link-title").textContent()) ?? "", /First Platypus Bank/);
    await screenshot(page, "link-script/06-update-mode-credentials");
    await login("user_good", "pass_good");
    await view("CONNECTED");
    await screenshot(page, "link-script/07-update-mode-connected");
    await page.locator("#plaid-link-done").click();
    const r = await waitForCallback("success");
    assertSuccessShape(r);
    assert.ok(r.events.some((e) => e.name === "OPEN" && e.metadata.is_update_mode === "true"));
    const accounts = await client.accountsGet({ access_token: accessToken });
    assert.equal(accounts.data.item.item_id, itemId);
    assert.equal(accounts.data.item.error, null);
    assert.ok(accounts.data.accounts.length > 0);
  });

  it("update mode with account selection: every account, the shared ones checked; add and remove; one must stay; onSuccess lists the selection", async () => {
    const linked = await linkWithAccounts(sim, client, (o) => o.filter((a) => a.name === "Plaid Checking" || a.name === "Plaid Saving").map((a) => a.id));
    const [checking, saving, credit, ira] = linked.offered.map((a) => a.id);
    const first = await syncAll(client, linked.accessToken);
    await open(await linkToken({ access_token: linked.accessToken, update: { account_selection_enabled: true } }));
    await view("CREDENTIAL");
    await login("user_good", "pass_good");
    await view("SELECT_ACCOUNT");
    const box = (id: string) => page.locator(`input.plaid-link-account[value="${id}"]`);
    assert.equal(await page.locator("input.plaid-link-account").count(), 4, "all the institution's accounts for the login");
    assert.deepEqual(await Promise.all([checking, saving, credit, ira].map((id) => box(id).isChecked())), [true, true, false, false]);
    await screenshot(page, "link-script/12-update-account-selection");
    // Nothing selected is refused in the view.
    for (const id of [checking, saving]) await box(id).uncheck();
    await page.locator("#plaid-link-continue").click();
    await page.locator("#plaid-link-error.visible").waitFor();
    assert.equal(await page.getByRole("alert").getAttribute("data-error-code"), "NO_ACCOUNTS");
    await box(checking).check();
    await box(credit).check(); // add the credit card, leave Plaid Saving out
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    assert.match((await page.locator("#plaid-link-success").textContent()) ?? "", /2 shared/);
    await page.locator("#plaid-link-done").click();
    const r = await waitForCallback("success");
    assertSuccessShape(r);
    assert.deepEqual(r.success[0].metadata.accounts.map((a: any) => a.id), [checking, credit]);

    const accounts = await client.accountsGet({ access_token: linked.accessToken });
    assert.equal(accounts.data.item.item_id, linked.itemId);
    assert.deepEqual(accounts.data.accounts.map((a) => a.account_id).sort(), [checking, credit].sort());
    const next = await syncAll(client, linked.accessToken, first.cursor);
    const added = next.pages.flatMap((p) => p.added);
    assert.ok(added.length > 0 && added.every((t) => t.account_id === credit), "the added card's history arrives as added");
    assert.deepEqual(next.pages.flatMap((p) => p.removed), [], "Plaid Saving's transactions are not reported removed");
  });
});
