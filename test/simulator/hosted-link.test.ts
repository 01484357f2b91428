/**
 * The stand-in Hosted Link page (GET /hl/<id>) in real Chromium: a user opens hosted_link_url
 * and finishes the whole Link flow with no integrator code; the integrator learns the outcome
 * only from /link/token/get (official client). Also: the OAuth bank inside the hosted flow, update
 * mode, exit and restart, an expired and a used URL, the completion redirect, and the same flow
 * re-served under a path prefix by a proxy that forwards only the documented paths.
 * Screenshots: test-artifacts/hosted-link/.
 */
import assert from "node:assert/strict";
import type { PlaidApi } from "plaid";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, requireChromium, screenshot, serveOnLoopback } from "../support/browser";
import { completeLinkSession, hostedLinkToken, linkWithAccounts, startPrefixProxy } from "../support/hosted-link";
import { linkSandboxItem, simulatorClient, startTestSimulator, type Simulator } from "../support/simulator";

interface Watch {
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Main-frame navigations, in order. */
  navigations: string[];
  /** Console errors about the Content-Security-Policy, and uncaught page errors. */
  problems: string[];
}

describe("simulator: Hosted Link page in Chromium", function () {
  this.timeout(120_000);
  let sim: Simulator;
  let client: PlaidApi;
  let browser: Browser | null = null;
  let integrator: { url: string; close(): Promise<void> } | null = null;
  let integratorUrl = "";
  let context: BrowserContext;
  let page: Page;
  let watch: Watch;

  before(async function () {
    requireChromium(this);
    sim = await startTestSimulator({ today: "2024-06-15" });
    client = simulatorClient(sim);
    // The integrator's own site (completion_redirect_uri): another origin than the simulator.
    integrator = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end("<!doctype html><title>back at the app</title><h1 id='app-done'>Back at the app</h1>");
    });
    integratorUrl = `${integrator.url}linked`;
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (integrator) await integrator.close();
    if (sim) await sim.close();
  });

  beforeEach(async () => {
    // A fresh context per test: no sessionStorage carried from one flow to the next.
    context = await browser!.newContext();
    page = await context.newPage();
    watch = { requests: [], navigations: [], problems: [] };
    page.on("request", (r) => watch.requests.push(r.url()));
    page.on("framenavigated", (f) => {
      if (f === page.mainFrame()) watch.navigations.push(f.url());
    });
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) watch.problems.push(m.text());
    });
    page.on("pageerror", (e) => watch.problems.push(`page error: ${e.message}`));
  });
  afterEach(async () => {
    await context.close();
  });

  const view = (name: string) => page.waitForSelector(`#plaid-link-dialog[data-view="${name}"]`);
  const tokenGet = async (linkToken: string) => (await client.linkTokenGet({ link_token: linkToken })).data;

  async function login(username = "user_good", password = "pass_good"): Promise<void> {
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.locator("#plaid-link-submit").click();
  }

  /** Everything the browser did stayed on `origin` (optionally under a path prefix). */
  function assertStayedOn(base: string, urls: string[], what: string): void {
    const off = urls.filter((u) => !u.startsWith(base));
    assert.deepEqual(off, [], `${what} outside ${base}`);
  }

  /** The Link modal's stylesheet applied under the page's CSP (its style element carries the nonce). */
  async function assertStyled(): Promise<void> {
    const position = await page.locator("#plaid-link-overlay").evaluate((n) => getComputedStyle(n).position);
    assert.equal(position, "fixed", "the stand-in Link CSS is in effect");
  }

  it("add mode: opens Link at once; bank, login, account selection → done; /link/token/get's public token exchanges to exactly those accounts", async () => {
    const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 3600 } });
    const response = await page.goto(t.url);
    assert.equal(response?.status(), 200);
    const csp = response?.headers()["content-security-policy"] ?? "";
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'nonce-[^']+'(;|$)/);
    await view("SELECT_INSTITUTION");
    await assertStyled();
    await screenshot(page, "hosted-link/01-select-institution");
    await page.getByRole("button", { name: /First Platypus Bank/ }).click();
    await view("CREDENTIAL");
    await login();
    await view("SELECT_ACCOUNT");
    await screenshot(page, "hosted-link/02-select-account");
    const boxes = page.locator("input.plaid-link-account");
    const offered = await boxes.count();
    assert.ok(offered >= 3, `accounts offered: ${offered}`);
    await boxes.nth(1).uncheck();
    const chosen = await page.locator("input.plaid-link-account:checked").evaluateAll((ns) => ns.map((n) => (n as HTMLInputElement).value));
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    await page.locator("#plaid-link-done").click();
    await page.locator("#hosted-link-done").waitFor();
    assert.equal(await page.locator("#hosted-link").getAttribute("data-state"), "done");
    assert.match((await page.locator("#hosted-link-done").textContent()) ?? "", /First Platypus Bank/);
    await screenshot(page, "hosted-link/03-done");

    const got = await tokenGet(t.linkToken);
    assert.equal(got.link_sessions?.length, 1);
    const s = got.link_sessions![0];
    assert.ok(s.finished_at);
    const names = s.events!.map((e) => e.event_name);
    for (const n of ["OPEN", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF"]) assert.ok(names.includes(n), `${n} in ${names.join(",")}`);
    const result = s.results!.item_add_results[0];
    assert.deepEqual(result.accounts.map((a) => a.id).sort(), [...chosen].sort());
    const exchanged = await client.itemPublicTokenExchange({ public_token: result.public_token });
    const accounts = await client.accountsGet({ access_token: exchanged.data.access_token });
    assert.deepEqual(accounts.data.accounts.map((a) => a.account_id).sort(), [...chosen].sort());
    assert.equal(accounts.data.item.institution_id, "ins_109508");

    assertStayedOn(sim.url + "/", watch.requests, "requests");
    assert.deepEqual(watch.problems, []);

    // Second use: the URL was used up by the success.
    const again = await page.goto(t.url);
    assert.equal(again?.status(), 409);
    await page.locator("#hosted-link-used").waitFor();
    assert.equal(await page.locator("#plaid-link-dialog").count(), 0);
    await screenshot(page, "hosted-link/04-used");
  });

  it("OAuth bank inside the hosted flow: consent page and redirect stay on the simulator's origin; then the completion redirect", async () => {
    // No redirect_uri on the token: Hosted Link handles OAuth itself.
    const t = await hostedLinkToken(client, { hosted: { completion_redirect_uri: integratorUrl } });
    await page.goto(t.url);
    await view("SELECT_INSTITUTION");
    await page.getByRole("button", { name: /Platypus OAuth Bank/ }).first().click();
    await view("OAUTH");
    await Promise.all([page.waitForURL((u) => u.pathname === "/simulator/link/oauth"), page.locator("#plaid-link-oauth-continue").click()]);
    await screenshot(page, "hosted-link/05-oauth-bank");
    await Promise.all([page.waitForURL((u) => u.pathname === new URL(t.url).pathname), page.locator("#authorize").click()]);
    await view("SELECT_ACCOUNT");
    assert.equal(new URL(page.url()).search, "", "the OAuth state is not left in the address bar");
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    await Promise.all([page.waitForURL(integratorUrl), page.locator("#plaid-link-done").click()]);
    await page.locator("#app-done").waitFor();

    const beforeRedirect = watch.navigations.slice(0, watch.navigations.indexOf(integratorUrl));
    assert.ok(beforeRedirect.some((u) => u.includes("oauth_state_id=")), `returned into the hosted page: ${beforeRedirect.join(" ")}`);
    assertStayedOn(sim.url + "/", beforeRedirect, "navigations before the completion redirect");
    assertStayedOn(sim.url + "/", watch.requests.slice(0, watch.requests.indexOf(integratorUrl)), "requests before the completion redirect");
    assert.deepEqual(watch.problems, []);

    const got = await tokenGet(t.linkToken);
    assert.equal(got.link_sessions?.length, 1, "one link session across the bank redirect");
    const s = got.link_sessions![0];
    const names = s.events!.map((e) => e.event_name);
    assert.ok(names.includes("OPEN_OAUTH") && names.includes("CLOSE_OAUTH"), names.join(","));
    const result = s.results!.item_add_results[0];
    assert.deepEqual(result.institution, { name: "Platypus OAuth Bank", institution_id: "ins_127287" });
    const exchanged = await client.itemPublicTokenExchange({ public_token: result.public_token });
    assert.equal((await client.itemGet({ access_token: exchanged.data.access_token })).data.item.institution_id, "ins_127287");
  });

  it("update mode after /sandbox/item/reset_login: straight to the Item's bank login; the Item is repaired", async () => {
    const { accessToken, itemId } = await linkSandboxItem(client);
    await client.sandboxItemResetLogin({ access_token: accessToken });
    const t = await hostedLinkToken(client, { accessToken, hosted: { url_lifetime_seconds: 86_400 } });
    await page.goto(t.url);
    await view("CREDENTIAL");
    assert.match((await page.locator("#plaid-link-title").textContent()) ?? "", /First Platypus Bank/);
    await screenshot(page, "hosted-link/06-update-mode");
    await login();
    await view("CONNECTED");
    await page.locator("#plaid-link-done").click();
    await page.locator("#hosted-link-done").waitFor();
    assert.match((await page.locator("#hosted-link-done").textContent()) ?? "", /connected again/);

    const item = await client.itemGet({ access_token: accessToken });
    assert.equal(item.data.item.error, null, "ITEM_LOGIN_REQUIRED cleared");
    const session = (await tokenGet(t.linkToken)).link_sessions![0];
    assert.deepEqual(session.results?.item_add_results, [], "update mode adds no Item");
    assert.equal((await client.itemGet({ access_token: accessToken })).data.item.item_id, itemId);
    assert.equal((await client.transactionsSync({ access_token: accessToken })).status, 200);
    assert.deepEqual(watch.problems, []);
  });

  it("update mode with account selection: the hosted page offers every account, the shared one checked; the Item shares the new selection", async () => {
    const linked = await linkWithAccounts(sim, client, (o) => o.filter((a) => a.name === "Plaid Checking").map((a) => a.id));
    const t = await hostedLinkToken(client, { accessToken: linked.accessToken, extra: { update: { account_selection_enabled: true } } });
    await page.goto(t.url);
    await view("CREDENTIAL");
    await login();
    await view("SELECT_ACCOUNT");
    const boxes = page.locator("input.plaid-link-account");
    assert.equal(await boxes.count(), linked.offered.length);
    const checked = await boxes.evaluateAll((n) => (n as HTMLInputElement[]).filter((b) => b.checked).map((b) => b.value));
    assert.deepEqual(checked, linked.shared);
    const saving = linked.offered.find((a) => a.name === "Plaid Saving")!.id;
    await page.locator(`input.plaid-link-account[value="${saving}"]`).check();
    await screenshot(page, "hosted-link/09-update-account-selection");
    await page.locator("#plaid-link-continue").click();
    await view("CONNECTED");
    await page.locator("#plaid-link-done").click();
    await page.locator("#hosted-link-done").waitFor();
    assert.match((await page.locator("#hosted-link-done").textContent()) ?? "", /2 shared/);
    const accounts = await client.accountsGet({ access_token: linked.accessToken });
    assert.deepEqual(accounts.data.accounts.map((a) => a.account_id).sort(), [...linked.shared, saving].sort());
    const session = (await tokenGet(t.linkToken)).link_sessions![0];
    assert.deepEqual(session.results?.item_add_results, [], "update mode adds no Item");
    assert.deepEqual(watch.problems, []);
  });

  it("exit: the close control records the exit; 'Start again' opens a new link session on the same URL", async () => {
    const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 3600 } });
    await page.goto(t.url);
    await page.getByRole("button", { name: /First Platypus Bank/ }).click();
    await view("CREDENTIAL");
    await page.locator("#plaid-link-close").click();
    // The page shows the exit only once the backend has recorded it.
    await page.locator("#hosted-link-exited").waitFor();
    assert.equal(await page.locator("#hosted-link").getAttribute("data-state"), "exited");
    await screenshot(page, "hosted-link/07-exited");
    let got = await tokenGet(t.linkToken);
    assert.equal(got.link_sessions?.length, 1);
    const s = got.link_sessions![0];
    assert.ok(s.finished_at);
    assert.equal(s.exit?.error, null);
    assert.equal(s.exit?.metadata?.status, "requires_credentials");
    assert.deepEqual(s.exit?.metadata?.institution, { name: "First Platypus Bank", institution_id: "ins_109508" });
    assert.equal(s.results, undefined);
    assert.ok(s.events!.some((e) => e.event_name === "EXIT"));

    await page.locator("#hosted-link-restart").click();
    await view("SELECT_INSTITUTION");
    got = await tokenGet(t.linkToken);
    assert.equal(got.link_sessions?.length, 2, "a new link session");
    assert.notEqual(got.link_sessions![1].link_session_id, s.link_session_id);
    assert.equal(got.link_sessions![1].finished_at, null);
    assert.deepEqual(watch.problems, []);
  });

  it("an expired URL: a 4xx page, and no Link", async () => {
    const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 60 } });
    sim.advanceClock(61_000);
    const response = await page.goto(t.url);
    assert.equal(response?.status(), 410);
    await page.locator("#hosted-link-expired").waitFor();
    assert.equal(await page.locator("#hosted-link").getAttribute("data-state"), "expired");
    await screenshot(page, "hosted-link/08-expired");
    assert.ok(!watch.requests.some((u) => u.includes("link-initialize.js")), "the Link script is not even loaded");
    assert.equal(await page.locator("#plaid-link-dialog").count(), 0);
  });

  it("a link completed elsewhere (another device): the page says it was used", async () => {
    const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 3600 } });
    await completeLinkSession(sim, t.linkToken);
    const response = await page.goto(t.url);
    assert.equal(response?.status(), 409);
    await page.locator("#hosted-link-used").waitFor();
  });

  it("under a path prefix, through a proxy forwarding only the listed paths: exit, restart, OAuth bank, success", async () => {
    const proxy = await startPrefixProxy(sim, "/some/prefix/");
    try {
      const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 3600 } });
      const url = proxy.base + new URL(t.url).pathname.slice(1);
      const response = await page.goto(url);
      assert.equal(response?.status(), 200);
      await view("SELECT_INSTITUTION");
      await assertStyled();
      await page.locator("#plaid-link-close").click();
      await page.locator("#hosted-link-exited").waitFor();
      await page.locator("#hosted-link-restart").click();
      await view("SELECT_INSTITUTION");
      await page.getByRole("button", { name: /Platypus OAuth Bank/ }).first().click();
      await Promise.all([page.waitForURL((u) => u.pathname === "/some/prefix/simulator/link/oauth"), page.locator("#plaid-link-oauth-continue").click()]);
      await screenshot(page, "hosted-link/09-prefix-oauth-bank");
      await Promise.all([page.waitForURL((u) => u.href.startsWith(url)), page.locator("#authorize").click()]);
      await view("SELECT_ACCOUNT");
      await page.locator("#plaid-link-continue").click();
      await view("CONNECTED");
      await page.locator("#plaid-link-done").click();
      await page.locator("#hosted-link-done").waitFor();
      await screenshot(page, "hosted-link/10-prefix-done");

      assertStayedOn(proxy.base, watch.requests, "requests");
      assertStayedOn(proxy.base, watch.navigations, "navigations");
      assert.deepEqual(proxy.seen.filter((r) => !r.forwarded), [], "the proxy refused nothing");
      const forwarded = new Set(proxy.seen.map((r) => `${r.method} ${r.path.replace(/\?.*$/, "").replace(/\/hl\/[A-Za-z0-9]+$/, "/hl/<id>")}`));
      for (const p of ["GET /some/prefix/hl/<id>", "GET /some/prefix/link/v2/stable/link-initialize.js", "GET /some/prefix/simulator/link/oauth", "POST /some/prefix/simulator/link/exit"])
        assert.ok(forwarded.has(p), `${p} went through the proxy: ${[...forwarded].join(", ")}`);
      assert.deepEqual(watch.problems, []);

      const sessions = (await tokenGet(t.linkToken)).link_sessions!;
      assert.equal(sessions.length, 2);
      assert.ok(sessions[0].exit && !sessions[0].results);
      const result = sessions[1].results!.item_add_results[0];
      assert.equal(result.institution?.institution_id, "ins_127287");
      assert.ok((await client.itemPublicTokenExchange({ public_token: result.public_token })).data.item_id);
    } finally {
      await proxy.close();
    }
  });
});
