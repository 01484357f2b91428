/**
 * Contract tests: every Plaid endpoint the simulator implements, called through the official
 * client, and the 200 body validated against Plaid's OpenAPI spec (test/support/openapi.ts).
 * Error bodies are validated against PlaidError, with their HTTP status, error_type and error_code.
 * Webhooks the simulator delivers are validated against their webhook component schemas.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { AxiosError } from "axios";
import type { LinkTokenGetResponse, PlaidApi, TransactionsSyncResponse } from "plaid";
import { completeLinkSession, hostedLinkToken, linkBackend, linkWithAccounts } from "../support/hosted-link";
import { assertValid, requireSpec, validateError, validateResponse, validateSchema } from "../support/openapi";
import { linkSandboxItem, simulatorClient, startTestSimulator, syncAll, type Simulator } from "../support/simulator";

const TODAY = "2024-06-15";

/** Enum values outside the spec's (extensible) enums: reported once at the end, not failures. */
const enumWarnings = new Set<string>();

/** Validates a 200 body for `apiPath` and returns it (the validator's errors in the failure message). */
function valid<T>(apiPath: string, body: T): T {
  const r = validateResponse(apiPath, body);
  for (const w of r.warnings) enumWarnings.add(`${apiPath} ${w}`);
  assertValid(r, `200 ${apiPath}`, body);
  assert.deepEqual(r.errors, []);
  return body;
}

interface ErrorBody {
  error_type: string;
  error_code: string;
  error_message: string;
  display_message: string | null;
  request_id: string;
}

/** Runs `fn`, expects an HTTP error; validates its body against PlaidError and checks status/type/code. */
async function expectPlaidError(label: string, fn: () => Promise<unknown>, want: { status: number; type: string; code?: string }): Promise<ErrorBody> {
  let res: AxiosError["response"] | undefined;
  try {
    await fn();
  } catch (e) {
    res = (e as AxiosError).response;
    assert.ok(res, `${label}: expected an HTTP error response, got ${String(e)}`);
  }
  assert.ok(res, `${label}: expected the call to fail`);
  assertValid(validateError(res.data), `${label} error body`, res.data);
  const data = res.data as ErrorBody;
  assert.equal(res.status, want.status, `${label}: HTTP status`);
  assert.equal(data.error_type, want.type, `${label}: error_type`);
  if (want.code) assert.equal(data.error_code, want.code, `${label}: error_code`);
  return data;
}

async function rawPost(sim: Simulator, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; data: unknown }> {
  const res = await fetch(sim.url + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "PLAID-CLIENT-ID": sim.clientId, "PLAID-SECRET": sim.secret, ...headers },
    body,
  });
  return { status: res.status, data: await res.json() };
}

async function addFault(sim: Simulator, fault: Record<string, unknown>): Promise<void> {
  const r = await rawPost(sim, "/simulator/faults", JSON.stringify(fault));
  assert.equal(r.status, 200, `fault not accepted: ${JSON.stringify(r.data)}`);
}

/** A loopback HTTP server that records JSON webhook bodies. */
async function webhookReceiver(): Promise<{ url: string; bodies: Array<Record<string, unknown>>; waitFor: (pred: (b: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>; close: () => Promise<void> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      try {
        bodies.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        bodies.push({ unparsable: text });
      }
      res.end("ok");
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const waitFor = async (pred: (b: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = bodies.find(pred);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    waitFor,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

  /** A /link/token/get body, and each part against its own component so a failure names the part. */
  function validTokenGet(body: LinkTokenGetResponse): LinkTokenGetResponse {
    valid("/link/token/get", body);
    for (const s of body.link_sessions ?? []) {
      assertValid(validateSchema("LinkTokenGetSessionsResponse", s), "link session", s);
      for (const e of s.events ?? []) assertValid(validateSchema("LinkEvent", e), "LinkEvent", e);
      for (const r of s.results?.item_add_results ?? []) assertValid(validateSchema("LinkSessionItemAddResult", r), "item_add_result", r);
      if (s.results) assertValid(validateSchema("LinkSessionResults", s.results), "results", s.results);
      if (s.exit) assertValid(validateSchema("LinkSessionExit", s.exit), "exit", s.exit);
      if (s.exit?.error) assertValid(validateError(s.exit.error), "exit.error", s.exit.error);
    }
    assertValid(validateSchema("LinkTokenGetMetadataResponse", body.metadata), "metadata", body.metadata);
    return body;
  }

const LINK_BASE = { client_name: "Node-RED", language: "en", country_codes: ["US" as never], user: { client_user_id: "contract-user" } };

const EUR_USER = JSON.stringify({
  override_accounts: [
    {
      type: "depository",
      subtype: "checking",
      starting_balance: 1234.56,
      currency: "EUR",
      meta: { name: "Girokonto", mask: "4321" },
      transactions: [
        { date_transacted: "2024-06-01", date_posted: "2024-06-02", amount: 12.5, description: "Bäckerei", currency: "EUR" },
        { date_transacted: "2024-06-03", date_posted: "2024-06-03", amount: -1500, description: "Gehalt", currency: "EUR" },
      ],
    },
    { type: "credit", subtype: "credit card", starting_balance: 200, currency: "EUR", meta: { limit: 3000 } },
  ],
});

describe("simulator: contract with Plaid's OpenAPI spec", function () {
  this.timeout(60_000);
  let sim: Simulator;
  let client: PlaidApi;

  before(async function () {
    requireSpec(this);
    sim = await startTestSimulator({ today: TODAY });
    client = simulatorClient(sim);
  });
  after(async () => {
    if (sim) await sim.close();
    if (enumWarnings.size) console.warn(`      enum values outside the spec's lists:\n        ${[...enumWarnings].join("\n        ")}`);
  });
  afterEach(async () => {
    if (sim) await addFault(sim, { clear: true });
  });

  describe("200 responses", () => {
    it("/sandbox/public_token/create and /item/public_token/exchange (user_good)", async () => {
      const created = await client.sandboxPublicTokenCreate({
        institution_id: "ins_109508",
        initial_products: ["transactions" as never],
        options: { override_username: "user_good", override_password: "pass_good" },
      });
      valid("/sandbox/public_token/create", created.data);
      const exchanged = await client.itemPublicTokenExchange({ public_token: created.data.public_token });
      valid("/item/public_token/exchange", exchanged.data);
      assert.match(exchanged.data.access_token, /^access-sandbox-/);
    });

    it("/link/token/create in add mode and in update mode", async () => {
      const add = await client.linkTokenCreate({ ...LINK_BASE, products: ["transactions" as never] });
      valid("/link/token/create", add.data);
      const { accessToken } = await linkSandboxItem(client);
      const update = await client.linkTokenCreate({ ...LINK_BASE, access_token: accessToken });
      valid("/link/token/create", update.data);
      assert.notEqual(update.data.link_token, add.data.link_token);
    });

    it("/transactions/sync: first page, a later page with has_more, all pages", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const first = await client.transactionsSync({ access_token: accessToken, count: 10 });
      valid("/transactions/sync", first.data);
      assert.equal(first.data.has_more, true);
      assert.equal(first.data.added.length, 10);
      const second = await client.transactionsSync({ access_token: accessToken, cursor: first.data.next_cursor, count: 10 });
      valid("/transactions/sync", second.data);
      assert.equal(second.data.has_more, true);
      const rest = await syncAll(client, accessToken, second.data.next_cursor, 10);
      for (const p of rest.pages) valid("/transactions/sync", p);
      assert.equal(rest.pages[rest.pages.length - 1].has_more, false);
    });

    it("/transactions/refresh, then /transactions/sync with removed and modified (user_transactions_dynamic)", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pass_good" });
      let cursor = (await syncAll(client, accessToken)).cursor;
      let sawRemoved = false;
      let sawModified = false;
      const pages: TransactionsSyncResponse[] = [];
      for (let i = 0; i < 12 && !(sawRemoved && sawModified); i++) {
        const r = await client.transactionsRefresh({ access_token: accessToken });
        valid("/transactions/refresh", r.data);
        const s = await syncAll(client, accessToken, cursor);
        cursor = s.cursor;
        for (const p of s.pages) {
          pages.push(p);
          if (p.removed.length) sawRemoved = true;
          if (p.modified.length) sawModified = true;
        }
      }
      assert.ok(sawRemoved, "no refresh produced removed transactions");
      assert.ok(sawModified, "no refresh produced modified transactions");
      for (const p of pages) valid("/transactions/sync", p);
    });

    it("/transactions/get", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const r = await client.transactionsGet({ access_token: accessToken, start_date: "2024-01-01", end_date: TODAY, options: { count: 100 } });
      valid("/transactions/get", r.data);
      assert.ok(r.data.transactions.length > 0);
    });

    it("/accounts/get and /accounts/balance/get (user_good)", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const r = await client.accountsGet({ access_token: accessToken });
      valid("/accounts/get", r.data);
      assert.ok(r.data.accounts.length >= 4);
      const b = await client.accountsBalanceGet({ access_token: accessToken });
      valid("/accounts/balance/get", b.data);
    });

    it("user_custom Item with EUR accounts: /accounts/get, /transactions/sync, /transactions/get", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password: EUR_USER });
      const accounts = await client.accountsGet({ access_token: accessToken });
      valid("/accounts/get", accounts.data);
      assert.deepEqual(accounts.data.accounts.map((a) => a.balances.iso_currency_code), ["EUR", "EUR"]);
      const synced = await syncAll(client, accessToken);
      for (const p of synced.pages) valid("/transactions/sync", p);
      const added = synced.pages.flatMap((p) => p.added);
      assert.ok(added.length >= 2);
      assert.ok(added.every((t) => t.iso_currency_code === "EUR"), JSON.stringify(added.map((t) => t.iso_currency_code)));
      const got = await client.transactionsGet({ access_token: accessToken, start_date: "2024-01-01", end_date: TODAY });
      valid("/transactions/get", got.data);
    });

    it("/item/get when healthy and after /sandbox/item/reset_login (item.error set)", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const healthy = await client.itemGet({ access_token: accessToken });
      valid("/item/get", healthy.data);
      assert.equal(healthy.data.item.error, null);
      const reset = await client.sandboxItemResetLogin({ access_token: accessToken });
      valid("/sandbox/item/reset_login", reset.data);
      assert.equal(reset.data.reset_login, true);
      const broken = await client.itemGet({ access_token: accessToken });
      valid("/item/get", broken.data);
      assert.equal(broken.data.item.error?.error_code, "ITEM_LOGIN_REQUIRED");
      assertValid(validateError(broken.data.item.error), "item.error", broken.data.item.error);
    });

    it("/institutions/get_by_id", async () => {
      const r = await client.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] });
      valid("/institutions/get_by_id", r.data);
      assert.equal(r.data.institution.name, "First Platypus Bank");
      const full = await client.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never], options: { include_optional_metadata: true, include_status: true } });
      valid("/institutions/get_by_id", full.data);
    });

    it("/sandbox/transactions/create (user_transactions_dynamic)", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pass_good" });
      const r = await client.sandboxTransactionsCreate({
        access_token: accessToken,
        transactions: [{ date_transacted: "2024-06-14", date_posted: "2024-06-14", amount: 42.42, description: "Contract test coffee", iso_currency_code: "USD" }],
      });
      valid("/sandbox/transactions/create", r.data);
    });

    it("/item/remove", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const r = await client.itemRemove({ access_token: accessToken });
      valid("/item/remove", r.data);
    });
  });

  describe("Hosted Link: /link/token/create with hosted_link, /link/token/get", () => {

    it("/link/token/create: hosted_link {} and with every field, in add and in update mode", async () => {
      const plain = await client.linkTokenCreate({ ...LINK_BASE, products: ["transactions" as never] });
      valid("/link/token/create", plain.data);
      assert.equal("hosted_link_url" in plain.data, false, "no hosted_link_url without hosted_link");

      const empty = await client.linkTokenCreate({ ...LINK_BASE, products: ["transactions" as never], hosted_link: {} });
      valid("/link/token/create", empty.data);
      const url = new URL(empty.data.hosted_link_url as string);
      assert.equal(url.origin, sim.url);
      assert.match(url.pathname, /^\/hl\/[A-Za-z0-9]{16,64}$/);
      assert.ok(!url.href.includes(empty.data.link_token.slice("link-sandbox-".length)), "the URL does not carry the link token");

      const full = await client.linkTokenCreate({
        ...LINK_BASE,
        products: ["transactions" as never],
        hosted_link: { url_lifetime_seconds: 3600, completion_redirect_uri: "https://example.com/linked", is_mobile_app: false },
      });
      valid("/link/token/create", full.data);
      assert.notEqual(full.data.hosted_link_url, empty.data.hosted_link_url);

      const { accessToken } = await linkSandboxItem(client);
      const update = await client.linkTokenCreate({ ...LINK_BASE, access_token: accessToken, hosted_link: { url_lifetime_seconds: 86_400 } });
      valid("/link/token/create", update.data);
      assert.match(update.data.hosted_link_url ?? "", /\/hl\//);
    });

    it("/link/token/get before anyone opened the link: no sessions, the create call's metadata", async () => {
      const t = await hostedLinkToken(client, { extra: { webhook: "https://example.com/hook", redirect_uri: "https://example.com/oauth" } });
      const got = validTokenGet((await client.linkTokenGet({ link_token: t.linkToken })).data);
      assert.equal(got.link_token, t.linkToken);
      assert.equal(got.expiration, t.expiration);
      assert.deepEqual(got.link_sessions, []);
      assert.deepEqual(got.metadata, {
        initial_products: ["transactions"],
        webhook: "https://example.com/hook",
        country_codes: ["US"],
        language: "en",
        redirect_uri: "https://example.com/oauth",
        client_name: "Node-RED",
      });
    });

    it("/link/token/get with an open session (finished_at null, OPEN event)", async () => {
      const t = await hostedLinkToken(client);
      const id = "0f4a4b9e-4c1c-4d6f-9a39-1b2c3d4e5f60";
      assert.equal((await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: id })).status, 200);
      const got = validTokenGet((await client.linkTokenGet({ link_token: t.linkToken })).data);
      assert.equal(got.link_sessions?.length, 1);
      const s = got.link_sessions![0];
      assert.equal(s.link_session_id, id);
      assert.equal(s.finished_at, null);
      assert.deepEqual(s.events?.map((e) => e.event_name), ["OPEN"]);
      assert.equal(s.results, undefined);
      assert.equal(s.exit, undefined);
    });

    it("/link/token/get after success: results.item_add_results with a public token that exchanges", async () => {
      const t = await hostedLinkToken(client);
      const done = await completeLinkSession(sim, t.linkToken, { accountIds: (ids) => ids.slice(0, 2) });
      const got = validTokenGet((await client.linkTokenGet({ link_token: t.linkToken })).data);
      const s = got.link_sessions![0];
      assert.equal(s.link_session_id, done.linkSessionId);
      assert.ok(s.finished_at);
      assert.deepEqual(s.events?.map((e) => e.event_name), ["OPEN", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF"]);
      const r = s.results!.item_add_results;
      assert.equal(r.length, 1);
      assert.deepEqual(r[0].institution, { name: "First Platypus Bank", institution_id: "ins_109508" });
      assert.deepEqual(r[0].accounts.map((a) => a.id), done.offered.slice(0, 2));
      const exchanged = await client.itemPublicTokenExchange({ public_token: r[0].public_token });
      valid("/item/public_token/exchange", exchanged.data);
    });

    it("/link/token/get after an exit: exit.error is a PlaidError and exit.metadata has Plaid's keys", async () => {
      const t = await hostedLinkToken(client);
      const id = "1f4a4b9e-4c1c-4d6f-9a39-1b2c3d4e5f61";
      await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: id });
      const wrong = await linkBackend(sim, "login", { link_token: t.linkToken, link_session_id: id, institution_id: "ins_109508", username: "user_good", password: "bad" });
      assert.equal(wrong.data.error_code, "INVALID_CREDENTIALS");
      const { request_id: _r, ...error } = wrong.data;
      await linkBackend(sim, "exit", { link_token: t.linkToken, link_session_id: id, error, status: "requires_credentials", institution_id: "ins_109508" });
      const got = validTokenGet((await client.linkTokenGet({ link_token: t.linkToken })).data);
      const s = got.link_sessions![0];
      assert.ok(s.finished_at);
      assert.deepEqual(s.events?.map((e) => e.event_name), ["OPEN", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "ERROR", "EXIT"]);
      assert.equal(s.exit?.error?.error_code, "INVALID_CREDENTIALS");
      assert.equal(s.exit?.metadata?.status, "requires_credentials");
      assert.equal(s.exit?.metadata?.link_session_id, id);
      assert.deepEqual(s.exit?.metadata?.institution, { name: "First Platypus Bank", institution_id: "ins_109508" });
      assert.equal(typeof s.exit?.metadata?.request_id, "string");
      assert.equal(s.results, undefined);
    });

    it("/link/token/get in update mode after success: results with no item_add_results (no Item was added)", async () => {
      const { accessToken, itemId } = await linkSandboxItem(client);
      await client.sandboxItemResetLogin({ access_token: accessToken });
      const t = await hostedLinkToken(client, { accessToken, hosted: { url_lifetime_seconds: 86_400 } });
      await completeLinkSession(sim, t.linkToken);
      const got = validTokenGet((await client.linkTokenGet({ link_token: t.linkToken })).data);
      assert.deepEqual(got.metadata.initial_products, []);
      assert.deepEqual(got.link_sessions![0].results!.item_add_results, []);
      const item = valid("/item/get", (await client.itemGet({ access_token: accessToken })).data);
      assert.equal(item.item.item_id, itemId);
    });

    it("errors: url_lifetime_seconds out of range → INVALID_FIELD naming it; unknown link token → INVALID_LINK_TOKEN", async () => {
      for (const url_lifetime_seconds of [0, -5, 1_814_401]) {
        const e = await expectPlaidError(
          `url_lifetime_seconds ${url_lifetime_seconds}`,
          () => client.linkTokenCreate({ ...LINK_BASE, products: ["transactions" as never], hosted_link: { url_lifetime_seconds } }),
          { status: 400, type: "INVALID_REQUEST", code: "INVALID_FIELD" },
        );
        assert.match(e.error_message, /hosted_link\.url_lifetime_seconds/);
      }
      await expectPlaidError("unknown link token", () => client.linkTokenGet({ link_token: "link-sandbox-00000000-0000-4000-8000-000000000000" }), {
        status: 400,
        type: "INVALID_INPUT",
        code: "INVALID_LINK_TOKEN",
      });
    });
  });

  describe("account selection in update mode, new accounts, consent, PFC v2, account types", () => {
    it("/link/token/create with update; /accounts/get, /transactions/sync (added accounts, a new one) and /link/token/get after update mode", async () => {
      const hosted = "http://127.0.0.1:9/hook";
      const linked = await linkWithAccounts(sim, client, (o) => [o[0].id], { webhook: hosted });
      const first = await syncAll(client, linked.accessToken);
      valid("/sandbox/item/fire_webhook", (await client.sandboxItemFireWebhook({ access_token: linked.accessToken, webhook_code: "NEW_ACCOUNTS_AVAILABLE" as never })).data);
      const created = await client.linkTokenCreate({ ...LINK_BASE, access_token: linked.accessToken, update: { account_selection_enabled: true }, hosted_link: {} });
      valid("/link/token/create", created.data);
      await completeLinkSession(sim, created.data.link_token, { onLogin: (o) => o.filter((a) => a.type !== "credit").map((a) => a.id) });
      const accounts = valid("/accounts/get", (await client.accountsGet({ access_token: linked.accessToken })).data);
      assert.ok(accounts.accounts.some((a) => a.name === "Plaid New Savings"));
      const next = await syncAll(client, linked.accessToken, first.cursor);
      assert.ok(next.pages[0].added.length > 0);
      for (const page of next.pages) valid("/transactions/sync", page);
      const got = validTokenGet((await client.linkTokenGet({ link_token: created.data.link_token })).data);
      assert.deepEqual(got.link_sessions![0].results!.item_add_results, []);
    });

    it("/item/get and /accounts/get with consent_expiration_time; /transactions/sync and /transactions/get with PFC v1 and v2", async () => {
      const password = JSON.stringify({ override_accounts: [{ type: "depository", subtype: "checking", starting_balance: 100 }], simulator: { seed: 3, transactions: 40, consent_expiration_days: 365 } });
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password });
      const item = valid("/item/get", (await client.itemGet({ access_token: accessToken })).data);
      assert.ok(item.item.consent_expiration_time);
      valid("/accounts/get", (await client.accountsGet({ access_token: accessToken })).data);
      for (const version of ["v1", "v2"]) {
        const sync = valid("/transactions/sync", (await client.transactionsSync({ access_token: accessToken, options: { personal_finance_category_version: version as never } })).data);
        assert.ok(sync.added.length > 0 && sync.added.every((t) => t.personal_finance_category?.version === version));
        const get = await client.transactionsGet({ access_token: accessToken, start_date: "2020-01-01", end_date: TODAY, options: { personal_finance_category_version: version as never } });
        valid("/transactions/get", get.data);
      }
    });

    it("/accounts/get and /transactions/sync with investment and loan accounts", async () => {
      const password = JSON.stringify({
        override_accounts: [
          { type: "loan", subtype: "student", starting_balance: 65262 },
          { type: "loan", subtype: "mortgage", starting_balance: 56302.06 },
          { type: "investment", subtype: "401k", starting_balance: 23631.98 },
        ],
        simulator: { seed: 5, transactions: 30 },
      });
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password });
      valid("/accounts/get", (await client.accountsGet({ access_token: accessToken })).data);
      valid("/transactions/sync", (await client.transactionsSync({ access_token: accessToken })).data);
    });

    it("errors: update of the wrong type, a bad personal_finance_category_version → 400 INVALID_REQUEST INVALID_FIELD", async () => {
      const { accessToken } = await linkSandboxItem(client);
      await expectPlaidError("update.account_selection_enabled", () => client.linkTokenCreate({ ...LINK_BASE, access_token: accessToken, update: { account_selection_enabled: "yes" as never } }), { status: 400, type: "INVALID_REQUEST", code: "INVALID_FIELD" });
      await expectPlaidError("pfc version", () => client.transactionsSync({ access_token: accessToken, options: { personal_finance_category_version: "v3" as never } }), { status: 400, type: "INVALID_REQUEST", code: "INVALID_FIELD" });
    });
  });

  describe("webhooks", () => {
    let hook: Awaited<ReturnType<typeof webhookReceiver>>;
    before(async () => {
      hook = await webhookReceiver();
    });
    after(async () => {
      if (hook) await hook.close();
    });

    it("/sandbox/item/fire_webhook: 200 body, and the delivered bodies match their webhook schemas", async () => {
      const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pass_good", webhook: hook.url });
      await syncAll(client, accessToken);
      const fired = await client.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: "SYNC_UPDATES_AVAILABLE" as never });
      valid("/sandbox/item/fire_webhook", fired.data);
      assert.equal(fired.data.webhook_fired, true);
      const sync = await hook.waitFor((b) => b.item_id === itemId && b.webhook_code === "SYNC_UPDATES_AVAILABLE");
      assertValid(validateSchema("SyncUpdatesAvailableWebhook", sync), "SYNC_UPDATES_AVAILABLE webhook", sync);

      const dflt = await client.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: "DEFAULT_UPDATE" as never });
      valid("/sandbox/item/fire_webhook", dflt.data);
      const du = await hook.waitFor((b) => b.item_id === itemId && b.webhook_code === "DEFAULT_UPDATE");
      assertValid(validateSchema("DefaultUpdateWebhook", du), "DEFAULT_UPDATE webhook", du);

      await client.sandboxItemResetLogin({ access_token: accessToken });
      const err = await hook.waitFor((b) => b.item_id === itemId && b.webhook_code === "ERROR");
      assertValid(validateSchema("ItemErrorWebhook", err), "ITEM ERROR webhook", err);
    });

    it("/item/webhook/update: 200 body, and WEBHOOK_UPDATE_ACKNOWLEDGED (if sent) matches its schema", async () => {
      const { accessToken, itemId } = await linkSandboxItem(client);
      const r = await client.itemWebhookUpdate({ access_token: accessToken, webhook: hook.url });
      valid("/item/webhook/update", r.data);
      assert.equal(r.data.item.webhook, hook.url);
      const fired = await client.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: "NEW_ACCOUNTS_AVAILABLE" as never });
      valid("/sandbox/item/fire_webhook", fired.data);
      const na = await hook.waitFor((b) => b.item_id === itemId && b.webhook_code === "NEW_ACCOUNTS_AVAILABLE");
      assertValid(validateSchema("NewAccountsAvailableWebhook", na), "NEW_ACCOUNTS_AVAILABLE webhook", na);
      const ack = hook.bodies.find((b) => b.item_id === itemId && b.webhook_code === "WEBHOOK_UPDATE_ACKNOWLEDGED");
      if (ack) assertValid(validateSchema("WebhookUpdateAcknowledgedWebhook", ack), "WEBHOOK_UPDATE_ACKNOWLEDGED webhook", ack);
    });

    it("the webhook validator is not vacuous: a delivered body without item_id fails", async () => {
      const sync = hook.bodies.find((b) => b.webhook_code === "SYNC_UPDATES_AVAILABLE");
      assert.ok(sync, "no SYNC_UPDATES_AVAILABLE webhook recorded");
      const { item_id: _drop, ...broken } = sync;
      assert.equal(validateSchema("SyncUpdatesAvailableWebhook", broken).valid, false);
    });
  });

  describe("error responses (PlaidError)", () => {
    it("wrong client_id / secret → 400 INVALID_INPUT INVALID_API_KEYS", async () => {
      const badId = simulatorClient({ url: sim.url, clientId: "not_the_client_id", secret: sim.secret });
      await expectPlaidError("bad client_id", () => badId.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] }), { status: 400, type: "INVALID_INPUT", code: "INVALID_API_KEYS" });
      const badSecret = simulatorClient({ url: sim.url, clientId: sim.clientId, secret: "not_the_secret" });
      await expectPlaidError("bad secret", () => badSecret.linkTokenCreate({ ...LINK_BASE, products: ["transactions" as never] }), { status: 400, type: "INVALID_INPUT", code: "INVALID_API_KEYS" });
    });

    it("unknown access token → 400 INVALID_INPUT INVALID_ACCESS_TOKEN", async () => {
      await expectPlaidError("bad access token", () => client.accountsGet({ access_token: "access-sandbox-00000000-0000-0000-0000-000000000000" }), { status: 400, type: "INVALID_INPUT", code: "INVALID_ACCESS_TOKEN" });
      await expectPlaidError("bad access token (sync)", () => client.transactionsSync({ access_token: "access-sandbox-nope" }), { status: 400, type: "INVALID_INPUT", code: "INVALID_ACCESS_TOKEN" });
    });

    it("unknown public token → 400 INVALID_INPUT INVALID_PUBLIC_TOKEN", async () => {
      await expectPlaidError("bad public token", () => client.itemPublicTokenExchange({ public_token: "public-sandbox-00000000-0000-0000-0000-000000000000" }), { status: 400, type: "INVALID_INPUT", code: "INVALID_PUBLIC_TOKEN" });
    });

    it("429 via faults → RATE_LIMIT_EXCEEDED error type", async () => {
      const { accessToken } = await linkSandboxItem(client);
      await addFault(sim, { path: "/transactions/sync", error: "RATE_LIMIT_EXCEEDED", times: 1 });
      const e = await expectPlaidError("429 sync", () => client.transactionsSync({ access_token: accessToken }), { status: 429, type: "RATE_LIMIT_EXCEEDED" });
      assert.match(e.error_code, /LIMIT/);
      await addFault(sim, { path: "/accounts/get", status: 429, times: 1 });
      await expectPlaidError("429 accounts", () => client.accountsGet({ access_token: accessToken }), { status: 429, type: "RATE_LIMIT_EXCEEDED" });
      valid("/accounts/get", (await client.accountsGet({ access_token: accessToken })).data);
    });

    it("500 via faults → API_ERROR INTERNAL_SERVER_ERROR", async () => {
      const { accessToken } = await linkSandboxItem(client);
      await addFault(sim, { path: "/item/get", status: 500, times: 1 });
      await expectPlaidError("500 item/get", () => client.itemGet({ access_token: accessToken }), { status: 500, type: "API_ERROR", code: "INTERNAL_SERVER_ERROR" });
    });

    it("after /sandbox/item/reset_login → 400 ITEM_ERROR ITEM_LOGIN_REQUIRED", async () => {
      const { accessToken } = await linkSandboxItem(client);
      await client.sandboxItemResetLogin({ access_token: accessToken });
      await expectPlaidError("login required (sync)", () => client.transactionsSync({ access_token: accessToken }), { status: 400, type: "ITEM_ERROR", code: "ITEM_LOGIN_REQUIRED" });
      await expectPlaidError("login required (accounts)", () => client.accountsGet({ access_token: accessToken }), { status: 400, type: "ITEM_ERROR", code: "ITEM_LOGIN_REQUIRED" });
    });

    it("malformed JSON (raw fetch) → 400 INVALID_REQUEST INVALID_BODY", async () => {
      const r = await rawPost(sim, "/accounts/get", '{"access_token": "x",');
      assertValid(validateError(r.data), "malformed JSON error body", r.data);
      assert.equal(r.status, 400);
      const data = r.data as ErrorBody;
      assert.equal(data.error_type, "INVALID_REQUEST");
      assert.equal(data.error_code, "INVALID_BODY");
    });
  });
});
