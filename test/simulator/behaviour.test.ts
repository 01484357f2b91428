/**
 * The simulator behaves like Plaid's Sandbox, observed only through the official client
 * (raw fetch only for requests the client cannot send). Mirrors Plaid's documented behaviour.
 */
import assert from "node:assert/strict";
import type { AxiosError } from "axios";
import type { PlaidApi, Transaction, TransactionsSyncResponse } from "plaid";
import { linkSandboxItem, simulatorClient, startTestSimulator, syncAll, type Simulator, simulatorSuite } from "../support/simulator";

interface PlaidErrorData {
  error_type: string;
  error_code: string;
  error_message: string;
  display_message: string | null;
  request_id: string;
}

/** Runs `fn`, expects a Plaid error, returns {status, data} after checking Plaid's error shape. */
async function plaidError(fn: () => Promise<unknown>): Promise<{ status: number; data: PlaidErrorData }> {
  try {
    await fn();
  } catch (e) {
    const res = (e as AxiosError).response;
    assert.ok(res, `expected an HTTP error response, got ${String(e)}`);
    const data = res.data as PlaidErrorData;
    assert.deepEqual(Object.keys(data).sort(), ["display_message", "error_code", "error_message", "error_type", "request_id"]);
    assert.equal(typeof data.error_message, "string");
    assert.equal(typeof data.request_id, "string");
    return { status: res.status, data };
  }
  assert.fail("expected the call to fail");
}

async function rawPost(sim: Simulator, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; data: PlaidErrorData & Record<string, unknown> }> {
  const res = await fetch(sim.url + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "PLAID-CLIENT-ID": sim.clientId, "PLAID-SECRET": sim.secret, ...headers },
    body,
  });
  return { status: res.status, data: (await res.json()) as PlaidErrorData & Record<string, unknown> };
}

/** Applies sync pages in order (added → modified → removed per page) to a map id → transaction. */
function applyPages(state: Map<string, Transaction>, pages: TransactionsSyncResponse[]): void {
  for (const p of pages) {
    for (const t of p.added) state.set(t.transaction_id, t);
    for (const t of p.modified) state.set(t.transaction_id, t);
    for (const r of p.removed) state.delete(r.transaction_id);
  }
}

async function allFromGet(client: PlaidApi, accessToken: string): Promise<Transaction[]> {
  const out: Transaction[] = [];
  for (;;) {
    const { data } = await client.transactionsGet({
      access_token: accessToken,
      start_date: "2000-01-01",
      end_date: "2100-01-01",
      options: { count: 500, offset: out.length },
    });
    out.push(...data.transactions);
    if (out.length >= data.total_transactions) return out;
  }
}

describe("simulator: Plaid Sandbox behaviour", function () {
  const suite = simulatorSuite({ today: "2024-06-15" });
  let sim: Simulator;
  let client: PlaidApi;
  before(() => ({ sim, client } = suite));
  afterEach(() => sim.core.faults.clear());

  describe("linking", () => {
    it("creates an Item through /sandbox/public_token/create and a single-use exchange", async () => {
      const created = await client.sandboxPublicTokenCreate({ institution_id: "ins_109508", initial_products: ["transactions" as never] });
      assert.match(created.data.public_token, /^public-sandbox-[0-9a-f-]{36}$/);
      const ex = await client.itemPublicTokenExchange({ public_token: created.data.public_token });
      assert.match(ex.data.access_token, /^access-sandbox-/);
      assert.equal(ex.data.item_id.length, 37);
      const reuse = await plaidError(() => client.itemPublicTokenExchange({ public_token: created.data.public_token }));
      assert.equal(reuse.status, 400);
      assert.equal(reuse.data.error_code, "INVALID_PUBLIC_TOKEN");
      assert.equal(reuse.data.error_type, "INVALID_INPUT");
    });

    it("rejects unknown and expired public tokens", async () => {
      const bad = await plaidError(() => client.itemPublicTokenExchange({ public_token: "public-sandbox-nope" }));
      assert.equal(bad.data.error_code, "INVALID_PUBLIC_TOKEN");
      const created = await client.sandboxPublicTokenCreate({ institution_id: "ins_109508", initial_products: ["transactions" as never] });
      sim.advanceClock(31 * 60_000);
      const expired = await plaidError(() => client.itemPublicTokenExchange({ public_token: created.data.public_token }));
      assert.equal(expired.data.error_code, "INVALID_PUBLIC_TOKEN");
    });

    it("refuses a wrong password, an unknown institution and a down institution", async () => {
      const wrong = await plaidError(() => linkSandboxItem(client, { password: "pass_bad" }));
      assert.deepEqual([wrong.status, wrong.data.error_type, wrong.data.error_code], [400, "ITEM_ERROR", "INVALID_CREDENTIALS"]);
      const unknown = await plaidError(() => linkSandboxItem(client, { institutionId: "ins_0" }));
      assert.equal(unknown.data.error_code, "INVALID_INSTITUTION");
      const down = await plaidError(() => linkSandboxItem(client, { institutionId: "ins_132361" }));
      assert.deepEqual([down.data.error_type, down.data.error_code], ["INSTITUTION_ERROR", "INSTITUTION_DOWN"]);
    });

    it("accepts any credentials at Platypus OAuth Bank and any non-blank password for user_transactions_dynamic", async () => {
      await linkSandboxItem(client, { institutionId: "ins_127287", username: "", password: "" });
      await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "anything" });
      const blank = await plaidError(() => linkSandboxItem(client, { username: "user_transactions_dynamic", password: " " }));
      assert.equal(blank.data.error_code, "INVALID_CREDENTIALS");
    });

    it("creates link tokens (4 h, update mode 30 min) and validates their fields", async () => {
      const t = await client.linkTokenCreate({ client_name: "Node-RED", language: "en", country_codes: ["US" as never], user: { client_user_id: "u1" }, products: ["transactions" as never] });
      assert.match(t.data.link_token, /^link-sandbox-/);
      const hours = (Date.parse(t.data.expiration) - sim.core.now()) / 3600_000;
      assert.ok(hours > 3.9 && hours < 4.1, `expiration ${t.data.expiration}`);
      const { accessToken } = await linkSandboxItem(client);
      const u = await client.linkTokenCreate({ client_name: "Node-RED", language: "en", country_codes: ["US" as never], user: { client_user_id: "u1" }, access_token: accessToken });
      const minutes = (Date.parse(u.data.expiration) - sim.core.now()) / 60_000;
      assert.ok(minutes > 29 && minutes < 31, `expiration ${u.data.expiration}`);
      const missing = await plaidError(() => client.linkTokenCreate({ language: "en", user: { client_user_id: "u1" }, products: ["transactions" as never] } as never));
      assert.equal(missing.data.error_code, "MISSING_FIELDS");
      assert.match(missing.data.error_message, /client_name/);
      assert.match(missing.data.error_message, /country_codes/);
      const noProducts = await plaidError(() => client.linkTokenCreate({ client_name: "x", language: "en", country_codes: ["US" as never], user: { client_user_id: "u1" } }));
      assert.equal(noProducts.status, 400);
      const balance = await plaidError(() => client.linkTokenCreate({ client_name: "x", language: "en", country_codes: ["US" as never], user: { client_user_id: "u1" }, products: ["balance" as never] }));
      assert.equal(balance.data.error_code, "INVALID_PRODUCT");
    });
  });

  describe("/transactions/sync", () => {
    it("pages with count and has_more, each transaction once (user_good)", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const all = await client.transactionsSync({ access_token: accessToken });
      assert.equal(all.data.has_more, false);
      const total = all.data.added.length;
      assert.ok(total > 10 && total <= 100, `user_good has ${total} transactions`);
      assert.equal(all.data.transactions_update_status, "HISTORICAL_UPDATE_COMPLETE");
      assert.ok(all.data.next_cursor.length > 0 && all.data.next_cursor.length <= 256);
      assert.match(all.data.next_cursor, /^[A-Za-z0-9+/]+=*$/);

      const { pages } = await syncAll(client, accessToken, undefined, 10);
      assert.equal(pages.length, Math.ceil(total / 10));
      pages.forEach((p, i) => {
        assert.equal(p.added.length, i < pages.length - 1 ? 10 : total - 10 * (pages.length - 1));
        assert.equal(p.has_more, i < pages.length - 1);
      });
      const ids = pages.flatMap((p) => p.added.map((t) => t.transaction_id));
      assert.equal(new Set(ids).size, total);
      assert.deepEqual(new Set(ids), new Set(all.data.added.map((t) => t.transaction_id)));
    });

    it("treats an absent, null or empty cursor as the beginning", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const a = await client.transactionsSync({ access_token: accessToken, count: 7 });
      const b = await client.transactionsSync({ access_token: accessToken, count: 7, cursor: null as unknown as string });
      const c = await client.transactionsSync({ access_token: accessToken, count: 7, cursor: "" });
      const ids = (r: typeof a) => r.data.added.map((t) => t.transaction_id);
      assert.equal(ids(a).length, 7);
      assert.deepEqual(ids(b), ids(a));
      assert.deepEqual(ids(c), ids(a));
    });

    it("enforces count between 1 and 500 (default 100)", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password: JSON.stringify({ simulator: { seed: 3, transactions: 1200 } }) });
      assert.equal((await client.transactionsSync({ access_token: accessToken })).data.added.length, 100);
      assert.equal((await client.transactionsSync({ access_token: accessToken, count: 500 })).data.added.length, 500);
      assert.equal((await client.transactionsSync({ access_token: accessToken, count: 1 })).data.added.length, 1);
      for (const count of [0, 501, -5]) {
        const e = await plaidError(() => client.transactionsSync({ access_token: accessToken, count }));
        assert.deepEqual([e.status, e.data.error_type, e.data.error_code], [400, "INVALID_REQUEST", "INVALID_FIELD"]);
        assert.match(e.data.error_message, /count/);
      }
    });

    it("omits investment accounts and returns balances", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const sync = await client.transactionsSync({ access_token: accessToken });
      assert.ok(sync.data.accounts.length >= 3);
      assert.ok(sync.data.accounts.every((a) => a.type !== "investment"));
      assert.ok(sync.data.accounts.every((a) => typeof a.balances.current === "number"));
      const accounts = await client.accountsGet({ access_token: accessToken });
      assert.ok(accounts.data.accounts.some((a) => a.type === "investment"));
      const credit = accounts.data.accounts.find((a) => a.type === "credit");
      assert.ok(credit && credit.balances.limit !== null);
    });

    it("user_transactions_dynamic: refresh posts pending (removed id + added with pending_transaction_id), adds pending, bumps an amount by 1.00", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
      const first = await syncAll(client, accessToken);
      const state = new Map<string, Transaction>();
      applyPages(state, first.pages);
      assert.equal(state.size, 50);
      const pendingIds = [...state.values()].filter((t) => t.pending).map((t) => t.transaction_id);
      assert.ok(pendingIds.length > 0, "starts with pending transactions");
      assert.ok([...state.values()].some((t) => !t.pending));

      await client.transactionsRefresh({ access_token: accessToken });
      const second = await syncAll(client, accessToken, first.cursor);
      const removed = second.pages.flatMap((p) => p.removed.map((r) => r.transaction_id));
      const added = second.pages.flatMap((p) => p.added);
      const modified = second.pages.flatMap((p) => p.modified);
      for (const id of pendingIds) {
        assert.ok(removed.includes(id), `pending ${id} reported removed`);
        const posted = added.find((t) => t.pending_transaction_id === id);
        assert.ok(posted, `a posted transaction replaces ${id}`);
        assert.equal(posted.pending, false);
      }
      assert.ok(added.some((t) => t.pending), "new pending transactions appear");
      const bumped = modified.filter((t) => state.has(t.transaction_id) && Math.abs(t.amount - ((state.get(t.transaction_id) as Transaction).amount + 1)) < 1e-9);
      assert.equal(bumped.length, 1, "one previous transaction's amount grew by 1.00");
    });

    it("/transactions/get agrees with the net result of all sync pages after several refreshes", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
      const state = new Map<string, Transaction>();
      let cursor: string | undefined;
      for (let day = 0; day < 6; day++) {
        const r = await syncAll(client, accessToken, cursor, 3);
        applyPages(state, r.pages);
        cursor = r.cursor;
        await client.transactionsRefresh({ access_token: accessToken });
        if (day % 2 === 0) await client.transactionsRefresh({ access_token: accessToken });
      }
      applyPages(state, (await syncAll(client, accessToken, cursor, 7)).pages);
      const fromGet = await allFromGet(client, accessToken);
      assert.equal(fromGet.length, state.size);
      for (const t of fromGet) assert.deepEqual(state.get(t.transaction_id), t);

      // Balances follow the data: for depository accounts, current − available = pending outflows.
      const { data } = await client.accountsGet({ access_token: accessToken });
      for (const a of data.accounts.filter((x) => x.type === "depository")) {
        const pending = fromGet.filter((t) => t.account_id === a.account_id && t.pending).reduce((s, t) => s + t.amount, 0);
        assert.ok(Math.abs((a.balances.current as number) - (a.balances.available as number) - pending) < 0.005, a.name);
      }
    });

    it("a fresh full sync equals an incremental one", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
      const incremental = new Map<string, Transaction>();
      let cursor: string | undefined;
      for (let i = 0; i < 4; i++) {
        const r = await syncAll(client, accessToken, cursor, 4);
        applyPages(incremental, r.pages);
        cursor = r.cursor;
        await client.transactionsRefresh({ access_token: accessToken });
      }
      applyPages(incremental, (await syncAll(client, accessToken, cursor)).pages);
      const full = new Map<string, Transaction>();
      applyPages(full, (await syncAll(client, accessToken, undefined, 9)).pages);
      assert.deepEqual(full, incremental);
    });

    it("syncPageLimit (test knob) caps every page below count; the pages still add up to the same history", async () => {
      const capped = await startTestSimulator({ today: "2024-06-15", syncPageLimit: 7 });
      try {
        const c = simulatorClient(capped);
        const { accessToken } = await linkSandboxItem(c, { username: "user_transactions_dynamic", password: "pw" });
        for (let i = 0; i < 3; i++) await c.transactionsRefresh({ access_token: accessToken });
        const { pages } = await syncAll(c, accessToken, undefined, 500);
        assert.ok(pages.length > 5, `several pages (${pages.length})`);
        for (const p of pages) assert.ok(p.added.length + p.modified.length + p.removed.length <= 7);
        assert.ok(pages.slice(0, -1).every((p) => p.has_more));
        const net = new Map<string, Transaction>();
        applyPages(net, pages);
        const get = await allFromGet(c, accessToken);
        assert.deepEqual(new Set(net.keys()), new Set(get.map((t) => t.transaction_id)));
        assert.equal((await c.transactionsSync({ access_token: accessToken, count: 3 })).data.added.length, 3, "a smaller count still wins");
      } finally {
        await capped.close();
      }
      await assert.rejects(startTestSimulator({ syncPageLimit: 0 }), /syncPageLimit/);
    });

    it("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION when data changes between pages; restarting from the first cursor works", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
      const page1 = await client.transactionsSync({ access_token: accessToken, count: 5 });
      assert.equal(page1.data.has_more, true);
      await client.transactionsRefresh({ access_token: accessToken });
      const e = await plaidError(() => client.transactionsSync({ access_token: accessToken, count: 5, cursor: page1.data.next_cursor }));
      assert.deepEqual([e.status, e.data.error_type, e.data.error_code], [400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"]);
      const restarted = await syncAll(client, accessToken, undefined, 5);
      const state = new Map<string, Transaction>();
      applyPages(state, restarted.pages);
      assert.equal(state.size, (await allFromGet(client, accessToken)).length);
      // A cursor from a finished sync stays valid after changes: it just sees them.
      await client.transactionsRefresh({ access_token: accessToken });
      const next = await client.transactionsSync({ access_token: accessToken, cursor: restarted.cursor });
      assert.ok(next.data.added.length > 0);
    });

    it("options.account_id gives a separate stream for one account", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const all = (await client.transactionsSync({ access_token: accessToken })).data;
      const accountId = all.added[0].account_id;
      const pages: TransactionsSyncResponse[] = [];
      let cursor: string | undefined;
      for (;;) {
        const { data } = await client.transactionsSync({ access_token: accessToken, cursor, count: 3, options: { account_id: accountId } });
        pages.push(data);
        cursor = data.next_cursor;
        if (!data.has_more) break;
      }
      const ids = pages.flatMap((p) => p.added.map((t) => t.transaction_id)).sort();
      assert.deepEqual(ids, all.added.filter((t) => t.account_id === accountId).map((t) => t.transaction_id).sort());
      assert.ok(pages.every((p) => p.accounts.length === 1 && p.accounts[0].account_id === accountId));
      const e = await plaidError(() => client.transactionsSync({ access_token: accessToken, options: { account_id: "nope" } }));
      assert.equal(e.data.error_code, "INVALID_ACCOUNT_ID");
    });

    it("fires SYNC_UPDATES_AVAILABLE on refresh once /transactions/sync has been called", async () => {
      const http = await import("node:http");
      const hook = http.createServer((_req, res) => res.end());
      await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
      try {
        const url = `http://127.0.0.1:${(hook.address() as import("node:net").AddressInfo).port}/`;
        const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw", webhook: url });
        const count = () => sim.webhooksSent().filter((w) => w.payload.item_id === itemId && w.payload.webhook_code === "SYNC_UPDATES_AVAILABLE").length;
        await client.transactionsRefresh({ access_token: accessToken });
        assert.equal(count(), 0, "not before the first sync");
        await client.transactionsSync({ access_token: accessToken });
        await client.transactionsRefresh({ access_token: accessToken });
        assert.equal(count(), 1);
        const item = await client.itemGet({ access_token: accessToken });
        assert.equal(item.data.status?.last_webhook?.code_sent, "SYNC_UPDATES_AVAILABLE");
      } finally {
        await new Promise((r) => hook.close(r));
      }
    });

    it("rejects a cursor it did not issue", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const e = await plaidError(() => client.transactionsSync({ access_token: accessToken, cursor: "bm90IGEgY3Vyc29y" }));
      assert.equal(e.data.error_code, "INVALID_FIELD");
      assert.match(e.data.error_message, /cursor/);
    });
  });

  describe("login required and update mode", () => {
    it("reset_login → data calls fail ITEM_LOGIN_REQUIRED, /item/get shows item.error, update mode repairs", async () => {
      const { accessToken, itemId } = await linkSandboxItem(client);
      const reset = await client.sandboxItemResetLogin({ access_token: accessToken });
      assert.equal(reset.data.reset_login, true);
      for (const call of [
        () => client.transactionsSync({ access_token: accessToken }),
        () => client.accountsGet({ access_token: accessToken }),
        () => client.transactionsGet({ access_token: accessToken, start_date: "2024-01-01", end_date: "2024-06-15" }),
        () => client.transactionsRefresh({ access_token: accessToken }),
      ]) {
        const e = await plaidError(call);
        assert.deepEqual([e.status, e.data.error_type, e.data.error_code], [400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED"]);
      }
      const broken = await client.itemGet({ access_token: accessToken });
      assert.equal(broken.data.item.item_id, itemId);
      assert.equal(broken.data.item.error?.error_code, "ITEM_LOGIN_REQUIRED");
      assert.ok(broken.data.status?.transactions?.last_successful_update);

      const link = await client.linkTokenCreate({ client_name: "Node-RED", language: "en", country_codes: ["US" as never], user: { client_user_id: "u" }, access_token: accessToken });
      const session = await rawPost(sim, "/simulator/link/session", JSON.stringify({ link_token: link.data.link_token }));
      assert.equal(session.data.mode, "update");
      const done = await rawPost(sim, "/simulator/link/complete", JSON.stringify({ link_token: link.data.link_token, institution_id: "ins_109508", username: "user_good", password: "pass_good" }));
      assert.equal(done.status, 200, JSON.stringify(done.data));
      const repaired = await client.itemGet({ access_token: accessToken });
      assert.equal(repaired.data.item.error, null);
      await client.transactionsSync({ access_token: accessToken });
    });
  });

  describe("errors", () => {
    it("bad client id or secret → INVALID_API_KEYS; missing → MISSING_FIELDS; body credentials work", async () => {
      const wrong = simulatorClient({ url: sim.url, clientId: sim.clientId, secret: "wrong" });
      const e = await plaidError(() => wrong.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] }));
      assert.deepEqual([e.status, e.data.error_type, e.data.error_code], [400, "INVALID_INPUT", "INVALID_API_KEYS"]);
      const wrongId = simulatorClient({ url: sim.url, clientId: "nobody", secret: sim.secret });
      assert.equal((await plaidError(() => wrongId.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] }))).data.error_code, "INVALID_API_KEYS");

      const body = JSON.stringify({ institution_id: "ins_109508", country_codes: ["US"] });
      const missing = await fetch(sim.url + "/institutions/get_by_id", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const md = (await missing.json()) as PlaidErrorData;
      assert.deepEqual([missing.status, md.error_type, md.error_code], [400, "INVALID_REQUEST", "MISSING_FIELDS"]);
      const inBody = await fetch(sim.url + "/institutions/get_by_id", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ client_id: sim.clientId, secret: sim.secret, institution_id: "ins_109508", country_codes: ["US"] }),
      });
      assert.equal(inBody.status, 200);
    });

    it("bad access token → INVALID_ACCESS_TOKEN; removed Item → ITEM_NOT_FOUND", async () => {
      const e = await plaidError(() => client.accountsGet({ access_token: "access-sandbox-00000000-0000-0000-0000-000000000000" }));
      assert.deepEqual([e.status, e.data.error_type, e.data.error_code], [400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN"]);
      const { accessToken } = await linkSandboxItem(client);
      await client.itemRemove({ access_token: accessToken });
      const gone = await plaidError(() => client.transactionsSync({ access_token: accessToken }));
      assert.deepEqual([gone.data.error_type, gone.data.error_code], ["ITEM_ERROR", "ITEM_NOT_FOUND"]);
    });

    it("malformed JSON, wrong types, missing fields, unknown paths and oversized bodies get Plaid errors; the server survives", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const malformed = await rawPost(sim, "/transactions/sync", '{"access_token": ');
      assert.deepEqual([malformed.status, malformed.data.error_type, malformed.data.error_code], [400, "INVALID_REQUEST", "INVALID_BODY"]);
      const notObject = await rawPost(sim, "/transactions/sync", "[1,2]");
      assert.equal(notObject.data.error_code, "INVALID_BODY");
      const wrongType = await rawPost(sim, "/transactions/sync", JSON.stringify({ access_token: accessToken, count: "10" }));
      assert.deepEqual([wrongType.status, wrongType.data.error_code], [400, "INVALID_FIELD"]);
      assert.match(wrongType.data.error_message, /count/);
      const wrongToken = await rawPost(sim, "/transactions/sync", JSON.stringify({ access_token: 42 }));
      assert.equal(wrongToken.data.error_code, "INVALID_FIELD");
      assert.match(wrongToken.data.error_message, /access_token/);
      const wrongOption = await rawPost(sim, "/transactions/get", JSON.stringify({ access_token: accessToken, start_date: "2024-01-01", end_date: "2024-02-01", options: { count: true } }));
      assert.match(wrongOption.data.error_message, /options\.count/);
      const badDate = await rawPost(sim, "/transactions/get", JSON.stringify({ access_token: accessToken, start_date: "2024-13-01", end_date: "2024-02-01" }));
      assert.equal(badDate.data.error_code, "INVALID_FIELD");
      const missing = await rawPost(sim, "/transactions/get", JSON.stringify({ access_token: accessToken }));
      assert.equal(missing.data.error_code, "MISSING_FIELDS");
      assert.match(missing.data.error_message, /start_date, end_date/);
      const unknown = await rawPost(sim, "/no/such/endpoint", "{}");
      assert.deepEqual([unknown.status, unknown.data.error_type, unknown.data.error_code], [404, "INVALID_REQUEST", "NOT_FOUND"]);
      const noType = await rawPost(sim, "/transactions/sync", "{}", { "Content-Type": "text/plain" });
      assert.equal(noType.data.error_code, "INVALID_HEADERS");
      const big = await rawPost(sim, "/transactions/sync", JSON.stringify({ access_token: accessToken, pad: "x".repeat(1_100_000) }));
      assert.deepEqual([big.status, big.data.error_type], [400, "INVALID_REQUEST"]);
      assert.equal(big.data.error_code, "INVALID_BODY");
      // Still alive and answering normally.
      assert.equal((await client.itemGet({ access_token: accessToken })).status, 200);
    });
  });

  describe("faults", () => {
    it("429 RATE_LIMIT_EXCEEDED with the endpoint's code, once", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const added = await rawPost(sim, "/simulator/faults", JSON.stringify({ path: "/transactions/sync", error: "RATE_LIMIT_EXCEEDED", times: 1 }));
      assert.equal(typeof added.data.fault_id, "string");
      const e = await plaidError(() => client.transactionsSync({ access_token: accessToken }));
      assert.deepEqual([e.status, e.data.error_type, e.data.error_code], [429, "RATE_LIMIT_EXCEEDED", "TRANSACTIONS_SYNC_LIMIT"]);
      assert.equal((await client.transactionsSync({ access_token: accessToken })).status, 200);
    });

    it("injected mutation on page 3 (after: 2), then the restarted loop completes", async () => {
      const { accessToken } = await linkSandboxItem(client);
      await rawPost(sim, "/simulator/faults", JSON.stringify({ path: "/transactions/sync", error: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", after: 2, times: 1 }));
      const p1 = await client.transactionsSync({ access_token: accessToken, count: 5 });
      const p2 = await client.transactionsSync({ access_token: accessToken, count: 5, cursor: p1.data.next_cursor });
      const e = await plaidError(() => client.transactionsSync({ access_token: accessToken, count: 5, cursor: p2.data.next_cursor }));
      assert.equal(e.data.error_code, "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION");
      const all = await syncAll(client, accessToken, undefined, 5);
      assert.ok(all.pages.length > 3);
    });

    it("500 and 503 by status, and {clear:true} removes faults", async () => {
      await rawPost(sim, "/simulator/faults", JSON.stringify({ path: "/item/get", status: 500, times: 1 }));
      await rawPost(sim, "/simulator/faults", JSON.stringify({ path: "/institutions/get_by_id", status: 503 }));
      const { accessToken } = await linkSandboxItem(client);
      const e500 = await plaidError(() => client.itemGet({ access_token: accessToken }));
      assert.deepEqual([e500.status, e500.data.error_type, e500.data.error_code], [500, "API_ERROR", "INTERNAL_SERVER_ERROR"]);
      const e503 = await plaidError(() => client.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] }));
      assert.deepEqual([e503.status, e503.data.error_code], [503, "PLANNED_MAINTENANCE"]);
      await rawPost(sim, "/simulator/faults", JSON.stringify({ clear: true }));
      assert.equal((await client.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] })).status, 200);
      const bad = await rawPost(sim, "/simulator/faults", JSON.stringify({ path: "/item/get", error: "NOT_A_CODE" }));
      assert.equal(bad.data.error_code, "INVALID_FIELD");
    });
  });

  describe("other endpoints", () => {
    it("/institutions/get_by_id knows the Sandbox institutions", async () => {
      const r = await client.institutionsGetById({ institution_id: "ins_127287", country_codes: ["US" as never], options: { include_optional_metadata: true } });
      assert.equal(r.data.institution.name, "Platypus OAuth Bank");
      assert.equal(r.data.institution.oauth, true);
      const e = await plaidError(() => client.institutionsGetById({ institution_id: "ins_nope", country_codes: ["US" as never] }));
      assert.equal(e.data.error_code, "INVALID_INSTITUTION");
    });

    it("/sandbox/transactions/create adds up to 10 posted transactions for the dynamic user only", async () => {
      const dyn = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
      const { cursor } = await syncAll(client, dyn.accessToken);
      await client.sandboxTransactionsCreate({
        access_token: dyn.accessToken,
        transactions: [{ date_transacted: "2024-06-14", date_posted: "2024-06-15", amount: 12.34, description: "Coffee at Starbucks" }],
      });
      const next = await client.transactionsSync({ access_token: dyn.accessToken, cursor });
      assert.equal(next.data.added.length, 1);
      assert.equal(next.data.added[0].amount, 12.34);
      assert.equal(next.data.added[0].name, "Coffee at Starbucks");
      const acct = next.data.accounts.find((a) => a.account_id === next.data.added[0].account_id);
      assert.equal(acct?.type, "depository");
      const eleven = Array.from({ length: 11 }, () => ({ date_transacted: "2024-06-14", date_posted: "2024-06-14", amount: 1, description: "x" }));
      assert.equal((await plaidError(() => client.sandboxTransactionsCreate({ access_token: dyn.accessToken, transactions: eleven }))).data.error_code, "INVALID_FIELD");
      const good = await linkSandboxItem(client);
      const e = await plaidError(() => client.sandboxTransactionsCreate({ access_token: good.accessToken, transactions: eleven.slice(0, 1) }));
      assert.equal(e.status, 400);
    });

    it("/sandbox/item/fire_webhook posts to the Item's webhook, or SANDBOX_WEBHOOK_INVALID without one", async () => {
      const http = await import("node:http");
      const received: unknown[] = [];
      const hook = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          received.push(JSON.parse(body));
          res.end("ok");
        });
      });
      await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
      try {
        const port = (hook.address() as import("node:net").AddressInfo).port;
        const { accessToken, itemId } = await linkSandboxItem(client, { webhook: `http://127.0.0.1:${port}/hook` });
        const r = await client.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: "SYNC_UPDATES_AVAILABLE" as never });
        assert.equal(r.data.webhook_fired, true);
        for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
        assert.deepEqual(received[0], {
          webhook_type: "TRANSACTIONS", webhook_code: "SYNC_UPDATES_AVAILABLE", item_id: itemId,
          initial_update_complete: true, historical_update_complete: true, environment: "sandbox",
        });
        const plain = await linkSandboxItem(client);
        const e = await plaidError(() => client.sandboxItemFireWebhook({ access_token: plain.accessToken, webhook_code: "SYNC_UPDATES_AVAILABLE" as never }));
        assert.deepEqual([e.data.error_type, e.data.error_code], ["SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID"]);
      } finally {
        await new Promise((r) => hook.close(r));
      }
    });

    it("/simulator/reset forgets every Item; it and /simulator/faults need the client credentials", async () => {
      const other = await startTestSimulator({ clientId: "ctl_id", secret: "ctl_secret" });
      try {
        const c = simulatorClient(other);
        const { accessToken } = await linkSandboxItem(c);
        const post = (p: string, headers: Record<string, string>, body = "{}") => fetch(other.url + p, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
        // Without the keys (or with wrong ones) nothing happens: anyone who reaches the port cannot wipe it or make it fail.
        const attempts: Array<Record<string, string>> = [{}, { "PLAID-CLIENT-ID": "ctl_id", "PLAID-SECRET": "wrong" }];
        for (const headers of attempts) {
          const denied = await post("/simulator/reset", headers);
          assert.equal(denied.status, 400);
          assert.match(((await denied.json()) as { error_code: string }).error_code, /^(MISSING_FIELDS|INVALID_API_KEYS)$/);
          assert.equal((await post("/simulator/faults", headers, JSON.stringify({ path: "*", status: 500 }))).status, 400);
        }
        assert.equal((await c.itemGet({ access_token: accessToken })).status, 200, "no fault was added, nothing reset");
        const r = await post("/simulator/reset", {}, JSON.stringify({ client_id: "ctl_id", secret: "ctl_secret" }));
        assert.equal(r.status, 200);
        assert.equal((await plaidError(() => c.itemGet({ access_token: accessToken }))).data.error_code, "INVALID_ACCESS_TOKEN");
      } finally {
        await other.close();
      }
    });
  });
});
