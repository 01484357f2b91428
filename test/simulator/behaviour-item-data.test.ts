/**
 * What an Item's data says, through the official client: consent_expiration_time (user_custom's
 * simulator.consent_expiration_days, renewed by update mode), personal_finance_category v1 and
 * v2 (options.personal_finance_category_version), and which account types /accounts/get and
 * /transactions/sync return (investment omitted from sync, student loans in it, mortgages not).
 */
import assert from "node:assert/strict";
import type { PlaidApi, Transaction } from "plaid";
import { completeLinkSession, updateLinkToken } from "../support/hosted-link";
import { linkSandboxItem, plaidErrorOf, simulatorSuite, syncAll, type Simulator } from "../support/simulator";

const DAY_MS = 86_400_000;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const custom = (cfg: Record<string, unknown>): string => JSON.stringify(cfg);
const plusDays = (iso: string, days: number): string => new Date(Date.parse(iso) + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("simulator: Item data (consent, categories, account types)", function () {
  const suite = simulatorSuite({ today: "2024-06-15" });
  let sim: Simulator;
  let client: PlaidApi;
  before(() => ({ sim, client } = suite));

  describe("consent_expiration_time", () => {
    it("user_custom simulator.consent_expiration_days: link time + days in /item/get and /accounts/get; null otherwise", async () => {
      const password = custom({ override_accounts: [{ type: "depository", subtype: "checking", starting_balance: 100 }], simulator: { consent_expiration_days: 90 } });
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password });
      const item = (await client.itemGet({ access_token: accessToken })).data.item;
      assert.match(item.consent_expiration_time ?? "", ISO_SECONDS);
      assert.equal(item.consent_expiration_time, plusDays(item.created_at as string, 90));
      assert.equal((await client.accountsGet({ access_token: accessToken })).data.item.consent_expiration_time, item.consent_expiration_time);
      const plain = await linkSandboxItem(client);
      assert.equal((await client.itemGet({ access_token: plain.accessToken })).data.item.consent_expiration_time, null);
    });

    it("a completed update mode renews it: the update's time (simulator clock) + the same days", async () => {
      const password = custom({ simulator: { consent_expiration_days: 30 } });
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password });
      const linkedAt = (await client.itemGet({ access_token: accessToken })).data.item.consent_expiration_time as string;
      sim.advanceClock(10 * DAY_MS);
      await client.sandboxItemResetLogin({ access_token: accessToken });
      const before = Date.now() + 10 * DAY_MS;
      await completeLinkSession(sim, await updateLinkToken(client, accessToken), { username: "user_custom", password });
      const renewed = (await client.itemGet({ access_token: accessToken })).data.item.consent_expiration_time as string;
      assert.match(renewed, ISO_SECONDS);
      const delta = Date.parse(renewed) - Date.parse(linkedAt);
      assert.ok(delta >= 10 * DAY_MS - 5000 && delta <= 10 * DAY_MS + 60_000, `renewed ${renewed} vs linked ${linkedAt}`);
      assert.ok(Math.abs(Date.parse(renewed) - (before + 30 * DAY_MS)) < 60_000);
    });

    it("a wrong consent_expiration_days → INVALID_FIELD naming it", async () => {
      for (const days of ["90", 0, -1, 3651, true]) {
        const e = await plaidErrorOf(() => linkSandboxItem(client, { username: "user_custom", password: custom({ simulator: { consent_expiration_days: days } }) }));
        assert.deepEqual([e.error_type, e.error_code], ["INVALID_REQUEST", "INVALID_FIELD"], String(days));
        assert.match(e.error_message, /^options\.override_password\.simulator\.consent_expiration_days must be a number/);
      }
    });
  });

  describe("personal_finance_category_version", () => {
    const ofVersion = async (accessToken: string, version?: "v1" | "v2"): Promise<Transaction[]> => {
      const { data } = await client.transactionsSync({ access_token: accessToken, count: 500, ...(version ? { options: { personal_finance_category_version: version as never } } : {}) });
      return data.added;
    };

    it("v1 by default and for 'v1' (version: v1); v2 maps the catalogue, with at least one primary changed; the same ids and icon per primary", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const dflt = await ofVersion(accessToken);
      const v1 = await ofVersion(accessToken, "v1");
      const v2 = await ofVersion(accessToken, "v2");
      assert.deepEqual(v1, dflt);
      assert.deepEqual(v2.map((t) => t.transaction_id), v1.map((t) => t.transaction_id));
      for (const t of v1) assert.equal(t.personal_finance_category?.version, "v1");
      for (const t of v2) {
        assert.equal(t.personal_finance_category?.version, "v2");
        assert.equal(t.personal_finance_category_icon_url, `https://plaid-category-icons.plaid.com/PFC_${t.personal_finance_category?.primary}.png`);
        assert.ok(t.personal_finance_category?.detailed.startsWith(`${t.personal_finance_category?.primary}_`));
      }
      const pairs = new Map(v1.map((t, i) => [t.personal_finance_category!.detailed, v2[i].personal_finance_category!]));
      const v2Primaries = new Set([...pairs.values()].map((c) => c.primary));
      assert.ok(!v2Primaries.has("FOOD_AND_DRINK"), "FOOD_AND_DRINK is not a v2 primary here");
      assert.ok(["DINING", "FOOD_RETAIL"].some((p) => v2Primaries.has(p)), [...v2Primaries].join(", "));
      if (pairs.has("FOOD_AND_DRINK_GROCERIES")) assert.deepEqual(pairs.get("FOOD_AND_DRINK_GROCERIES")?.detailed, "FOOD_RETAIL_GROCERIES");
      // Everything else of the transaction is the same.
      const strip = (t: Transaction) => ({ ...t, personal_finance_category: null, personal_finance_category_icon_url: null });
      assert.deepEqual(v2.map(strip), v1.map(strip));
    });

    it("stable: a transaction keeps its category across syncs (modified, after refreshes) for the same version", async () => {
      const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
      const seen = new Map<string, string>();
      const check = (pages: Array<{ added: Transaction[]; modified: Transaction[] }>) => {
        for (const t of pages.flatMap((p) => [...p.added, ...p.modified])) {
          const c = `${t.personal_finance_category?.version} ${t.personal_finance_category?.primary} ${t.personal_finance_category?.detailed}`;
          const key = t.pending_transaction_id ?? t.transaction_id;
          if (seen.has(key)) assert.equal(c, seen.get(key), `${key} changed category`);
          seen.set(key, c);
        }
      };
      const v2Sync = async (cursor?: string) => {
        const pages = [];
        for (;;) {
          const { data } = await client.transactionsSync({ access_token: accessToken, cursor, count: 20, options: { personal_finance_category_version: "v2" as never } });
          pages.push(data);
          cursor = data.next_cursor;
          if (!data.has_more) return { pages, cursor };
        }
      };
      let r = await v2Sync();
      check(r.pages);
      for (let day = 0; day < 3; day++) {
        await client.transactionsRefresh({ access_token: accessToken });
        r = await v2Sync(r.cursor);
        check(r.pages);
      }
      assert.ok([...seen.values()].every((c) => c.startsWith("v2 ")));
      const get = await client.transactionsGet({ access_token: accessToken, start_date: "2000-01-01", end_date: "2100-01-01", options: { count: 500, personal_finance_category_version: "v2" as never } });
      for (const t of get.data.transactions) {
        const c = `v2 ${t.personal_finance_category?.primary} ${t.personal_finance_category?.detailed}`;
        const key = t.pending_transaction_id ?? t.transaction_id;
        if (seen.has(key)) assert.equal(c, seen.get(key), "/transactions/get agrees");
      }
    });

    it("anything but v1 / v2 → INVALID_FIELD naming options.personal_finance_category_version (sync and get)", async () => {
      const { accessToken } = await linkSandboxItem(client);
      for (const version of ["v3", "V2", 2, ""]) {
        const e = await plaidErrorOf(() => client.transactionsSync({ access_token: accessToken, options: { personal_finance_category_version: version as never } }));
        assert.deepEqual([e.error_type, e.error_code], ["INVALID_REQUEST", "INVALID_FIELD"]);
        assert.match(e.error_message, /^options\.personal_finance_category_version must be/);
      }
      const e = await plaidErrorOf(() => client.transactionsGet({ access_token: accessToken, start_date: "2024-01-01", end_date: "2024-06-15", options: { personal_finance_category_version: "v9" as never } }));
      assert.match(e.error_message, /^options\.personal_finance_category_version must be one of: v1, v2/);
    });
  });

  describe("account types", () => {
    it("user_good at First Platypus Bank: /accounts/get has the Plaid IRA (investment/ira, balances); /transactions/sync omits it", async () => {
      const { accessToken } = await linkSandboxItem(client);
      const ira = (await client.accountsGet({ access_token: accessToken })).data.accounts.find((a) => a.name === "Plaid IRA");
      assert.ok(ira);
      assert.deepEqual([ira.type, ira.subtype, ira.mask], ["investment", "ira", "5555"]);
      assert.deepEqual(ira.balances, { available: null, current: 110.01, limit: null, iso_currency_code: "USD", unofficial_currency_code: null });
      const sync = await syncAll(client, accessToken);
      assert.ok(sync.pages.every((p) => !p.accounts.some((a) => a.account_id === ira.account_id || a.type === "investment")));
      assert.ok(sync.pages.every((p) => p.added.every((t) => t.account_id !== ira.account_id)));
    });

    it("user_custom loans: a student loan is in /transactions/sync (with activity); a mortgage only in /accounts/get", async () => {
      const password = custom({
        override_accounts: [
          { type: "depository", subtype: "checking", starting_balance: 2500 },
          { type: "loan", subtype: "student", starting_balance: 65262, meta: { name: "Plaid Student Loan", mask: "7777" } },
          { type: "loan", subtype: "mortgage", starting_balance: 56302.06, meta: { name: "Plaid Mortgage", mask: "8888" } },
        ],
        simulator: { seed: 7, transactions: 400, days: 120 },
      });
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password });
      const accounts = (await client.accountsGet({ access_token: accessToken })).data.accounts;
      const student = accounts.find((a) => a.subtype === "student")!;
      const mortgage = accounts.find((a) => a.subtype === "mortgage")!;
      assert.deepEqual([student.type, student.name, mortgage.type, mortgage.name], ["loan", "Plaid Student Loan", "loan", "Plaid Mortgage"]);
      assert.deepEqual(mortgage.balances, { available: null, current: 56302.06, limit: null, iso_currency_code: "USD", unofficial_currency_code: null });
      assert.equal(student.balances.current, 65262, "the link-time balance");
      assert.equal(student.balances.available, null);
      const sync = await syncAll(client, accessToken);
      const synced = sync.pages[0].accounts.map((a) => a.subtype);
      assert.deepEqual(synced.sort(), ["checking", "student"]);
      const added = sync.pages.flatMap((p) => p.added);
      assert.ok(added.some((t) => t.account_id === student.account_id), "the student loan has transactions");
      assert.ok(added.every((t) => t.account_id !== mortgage.account_id));
    });

    it("user_custom transactions on an account sync does not cover → INVALID_FIELD", async () => {
      const password = custom({ override_accounts: [{ type: "loan", subtype: "mortgage", starting_balance: 1000, transactions: [{ date_transacted: "2024-06-01", date_posted: "2024-06-01", amount: -500, description: "PAYMENT" }] }] });
      const e = await plaidErrorOf(() => linkSandboxItem(client, { username: "user_custom", password }));
      assert.equal(e.error_code, "INVALID_FIELD");
      assert.match(e.error_message, /^options\.override_password\.override_accounts\[0\]\.transactions are not supported/);
    });
  });
});
