/**
 * Update mode with account selection (Plaid: /link/token/create with access_token and
 * update.account_selection_enabled), driven through the stand-in Link backend without a browser
 * and observed through the official client: a subset linked first, accounts added and removed
 * later, and what /accounts/get and /transactions/sync make of it. The browser flow is in
 * link-script.test.ts and hosted-link.test.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PlaidApi, Transaction } from "plaid";
import { completeLinkSession, hostedLinkToken, linkBackend, linkWithAccounts, updateLinkToken, type Json } from "../support/hosted-link";
import { plaidId } from "../../src/simulator/prng";
import { linkSandboxItem, plaidErrorOf, simulatorClient, simulatorSuite, startTestSimulator, syncAll, type Simulator } from "../support/simulator";

type Offered = { id: string; name: string; type: string; selected: boolean };

const ids = (accounts: Array<{ account_id: string }>): string[] => accounts.map((a) => a.account_id).sort();
const byName = (offered: Array<{ id: string; name: string }>, ...names: string[]): string[] =>
  names.map((n) => {
    const a = offered.find((o) => o.name === n);
    assert.ok(a, `no account ${n} offered`);
    return a.id;
  });

async function allTransactions(client: PlaidApi, accessToken: string, accountIds?: string[]): Promise<Transaction[]> {
  const { data } = await client.transactionsGet({
    access_token: accessToken,
    start_date: "2000-01-01",
    end_date: "2100-01-01",
    options: { count: 500, ...(accountIds ? { account_ids: accountIds } : {}) },
  });
  return data.transactions;
}

describe("simulator: update mode with account selection", function () {
  const suite = simulatorSuite({ today: "2024-06-15" });
  let sim: Simulator;
  let client: PlaidApi;
  before(() => ({ sim, client } = suite));

  /** One update-mode session through the stand-in backend: login, then `pick` from the accounts offered. */
  async function updateSession(token: string, pick: (offered: Offered[]) => string[], creds = { username: "user_good", password: "pass_good" }) {
    let offered: Offered[] = [];
    const done = await completeLinkSession(sim, token, {
      ...creds,
      onLogin: (accounts) => {
        offered = accounts;
        return pick(accounts);
      },
    });
    return { offered, metadata: done.completed.metadata as { accounts: Array<{ id: string; name: string }> }, publicToken: done.completed.public_token as string };
  }

  it("First Platypus Bank: link Plaid Checking only, then add the rest in update mode; same Item and token", async () => {
    const linked = await linkWithAccounts(sim, client, (o) => byName(o, "Plaid Checking"));
    assert.deepEqual(linked.offered.map((a) => a.name), ["Plaid Checking", "Plaid Saving", "Plaid Credit Card", "Plaid IRA"]);
    const [checking, saving, credit, ira] = linked.offered.map((a) => a.id);
    assert.deepEqual(ids((await client.accountsGet({ access_token: linked.accessToken })).data.accounts), [checking]);
    const first = await syncAll(client, linked.accessToken);
    const firstAdded = first.pages.flatMap((p) => p.added);
    assert.ok(firstAdded.length > 0);
    assert.ok(firstAdded.every((t) => t.account_id === checking), "only the shared account's transactions");
    assert.deepEqual(ids(first.pages[0].accounts), [checking]);

    const token = await updateLinkToken(client, linked.accessToken, { accountSelection: true });
    const session = await linkBackend(sim, "session", { link_token: token });
    assert.equal(session.data.mode, "update");
    assert.equal(session.data.account_selection_enabled, true);
    const up = await updateSession(token, (o) => o.map((a) => a.id));
    assert.deepEqual(up.offered.map((a) => [a.id, a.selected]), [[checking, true], [saving, false], [credit, false], [ira, false]], "every account, the shared one pre-checked");
    assert.deepEqual(up.metadata.accounts.map((a) => a.id), [checking, saving, credit, ira], "onSuccess lists the now-selected accounts");
    assert.equal((await client.itemPublicTokenExchange({ public_token: up.publicToken })).data.item_id, linked.itemId);

    const accounts = await client.accountsGet({ access_token: linked.accessToken });
    assert.equal(accounts.data.item.item_id, linked.itemId, "the same access token, the same Item");
    assert.deepEqual(ids(accounts.data.accounts), [checking, saving, credit, ira].sort());

    // The next sync from the old cursor: the newly shared accounts' history, as added.
    const next = await syncAll(client, linked.accessToken, first.cursor);
    const added = next.pages.flatMap((p) => p.added);
    assert.deepEqual(next.pages.flatMap((p) => [...p.modified, ...p.removed]), []);
    const expected = await allTransactions(client, linked.accessToken, [saving, credit]);
    assert.ok(expected.length > 0);
    assert.deepEqual(added.map((t) => t.transaction_id).sort(), expected.map((t) => t.transaction_id).sort());
    assert.deepEqual(ids(next.pages[0].accounts), [checking, saving, credit].sort(), "sync omits the IRA");
    assert.equal((await syncAll(client, linked.accessToken, next.cursor)).pages[0].added.length, 0, "delivered once");

    // A client starting over gets the same set, each transaction once.
    const fresh = (await syncAll(client, linked.accessToken, undefined, 7)).pages.flatMap((p) => p.added.map((t) => t.transaction_id));
    assert.equal(new Set(fresh).size, fresh.length);
    assert.deepEqual(fresh.sort(), [...firstAdded, ...added].map((t) => t.transaction_id).sort());
  });

  it("removing an account: gone from /accounts/get and sync's accounts, no further changes for it, nothing reported removed", async () => {
    const { accessToken } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
    const all = ids((await client.accountsGet({ access_token: accessToken })).data.accounts);
    const credit = (await client.accountsGet({ access_token: accessToken })).data.accounts.find((a) => a.type === "credit")!.account_id;
    const first = await syncAll(client, accessToken);
    assert.ok(first.pages.some((p) => p.added.some((t) => t.account_id === credit)));

    const token = await updateLinkToken(client, accessToken, { accountSelection: true });
    const up = await updateSession(token, (o) => o.filter((a) => a.id !== credit).map((a) => a.id), { username: "user_transactions_dynamic", password: "pw" });
    assert.ok(up.offered.every((a) => a.selected), "all shared before");
    assert.ok(!up.metadata.accounts.some((a) => a.id === credit));
    assert.deepEqual(ids((await client.accountsGet({ access_token: accessToken })).data.accounts), all.filter((id) => id !== credit));
    assert.equal((await plaidErrorOf(() => client.accountsGet({ access_token: accessToken, options: { account_ids: [credit] } }))).error_code, "INVALID_ACCOUNT_ID");
    assert.equal((await plaidErrorOf(() => client.transactionsSync({ access_token: accessToken, options: { account_id: credit } }))).error_code, "INVALID_ACCOUNT_ID");

    for (let day = 0; day < 4; day++) await client.transactionsRefresh({ access_token: accessToken });
    const later = await syncAll(client, accessToken, first.cursor);
    const touched = later.pages.flatMap((p) => [...p.added, ...p.modified, ...p.removed]).map((t) => t.account_id);
    assert.ok(touched.length > 0, "the other accounts moved on");
    assert.ok(!touched.includes(credit), "nothing for the removed account, not even removals");
    assert.ok(later.pages.every((p) => !p.accounts.some((a) => a.account_id === credit)));
    assert.ok((await allTransactions(client, accessToken)).every((t) => t.account_id !== credit));

    // Shared again: its transactions as they are now arrive as added once more.
    const again = await updateLinkToken(client, accessToken, { accountSelection: true });
    await updateSession(again, (o) => o.map((a) => a.id), { username: "user_transactions_dynamic", password: "pw" });
    const back = (await syncAll(client, accessToken, later.cursor)).pages.flatMap((p) => p.added);
    const live = await allTransactions(client, accessToken, [credit]);
    assert.deepEqual(back.map((t) => t.transaction_id).sort(), live.map((t) => t.transaction_id).sort());
  });

  it("without account_selection_enabled, update mode offers only the shared accounts and keeps them", async () => {
    const linked = await linkWithAccounts(sim, client, (o) => byName(o, "Plaid Checking", "Plaid Saving"));
    for (const accountSelection of [undefined, false]) {
      const token = await updateLinkToken(client, linked.accessToken, { accountSelection });
      assert.equal((await linkBackend(sim, "session", { link_token: token })).data.account_selection_enabled, false);
      const up = await updateSession(token, (o) => o.slice(0, 1).map((a) => a.id));
      assert.deepEqual(up.offered.map((a) => a.id), linked.shared);
      assert.deepEqual(up.metadata.accounts.map((a) => a.id), linked.shared, "metadata lists the Item's accounts");
      assert.deepEqual(ids((await client.accountsGet({ access_token: linked.accessToken })).data.accounts), [...linked.shared].sort());
    }
  });

  it("one account must stay selected, and only the login's accounts can be chosen", async () => {
    const linked = await linkWithAccounts(sim, client, (o) => byName(o, "Plaid Saving"));
    const token = await updateLinkToken(client, linked.accessToken, { accountSelection: true });
    const creds = { link_token: token, institution_id: "ins_109508", username: "user_good", password: "pass_good" };
    const none = await linkBackend(sim, "complete", { ...creds, account_ids: [] });
    assert.deepEqual([none.status, none.data.error_code], [400, "INVALID_FIELD"]);
    assert.match(none.data.error_message as string, /account_ids/);
    const foreign = await linkBackend(sim, "complete", { ...creds, account_ids: ["not-an-account"] });
    assert.deepEqual([foreign.status, foreign.data.error_code], [400, "INVALID_ACCOUNT_ID"]);
    const omitted = await linkBackend(sim, "complete", creds);
    assert.equal(omitted.status, 200, "no account_ids: the current selection stays");
    assert.deepEqual(((omitted.data.metadata as Json).accounts as Json[]).map((a) => a.id), linked.shared);
    assert.deepEqual(ids((await client.accountsGet({ access_token: linked.accessToken })).data.accounts), linked.shared);
  });

  it("/link/token/create type-checks update (INVALID_FIELD naming the field); in add mode the flag has no effect", async () => {
    const { accessToken } = await linkSandboxItem(client);
    const base = { client_name: "Node-RED", language: "en", country_codes: ["US" as never], user: { client_user_id: "u" }, access_token: accessToken };
    const cases: Array<[unknown, RegExp]> = [
      ["yes", /^update must be an object/],
      [{ account_selection_enabled: "true" }, /^update\.account_selection_enabled must be a boolean/],
      [{ reauthorization_enabled: 1 }, /^update\.reauthorization_enabled must be a boolean/],
      [{ item_ids: [1] }, /^update\.item_ids must be an array of strings/],
      [{ user: true }, /^update\.user requires a user_token/],
    ];
    for (const [update, message] of cases) {
      const e = await plaidErrorOf(() => client.linkTokenCreate({ ...base, update: update as never }));
      assert.deepEqual([e.error_type, e.error_code], ["INVALID_REQUEST", "INVALID_FIELD"], JSON.stringify(update));
      assert.match(e.error_message, message);
    }
    const ok = await client.linkTokenCreate({ ...base, update: { account_selection_enabled: true, reauthorization_enabled: false, user: false, item_ids: null } });
    assert.equal((await linkBackend(sim, "session", { link_token: ok.data.link_token })).data.account_selection_enabled, true);
    const add = await client.linkTokenCreate({ ...base, access_token: undefined, products: ["transactions" as never], update: { account_selection_enabled: true } });
    assert.equal((await linkBackend(sim, "session", { link_token: add.data.link_token })).data.account_selection_enabled, false);
  });

  it("Hosted Link: /link/token/get reports the update-mode session with empty item_add_results; the Item's accounts changed", async () => {
    const linked = await linkWithAccounts(sim, client, (o) => byName(o, "Plaid Credit Card"));
    const t = await hostedLinkToken(client, { accessToken: linked.accessToken, extra: { update: { account_selection_enabled: true } } });
    await updateSession(t.linkToken, (o) => byName(o, "Plaid Checking", "Plaid Credit Card"));
    const got = (await client.linkTokenGet({ link_token: t.linkToken })).data;
    const s = got.link_sessions![0];
    assert.ok(s.finished_at);
    assert.equal(s.exit, undefined);
    assert.deepEqual(s.results?.item_add_results, [], "no Item was added");
    assert.ok(s.events?.some((e) => e.event_name === "HANDOFF"));
    assert.deepEqual(ids((await client.accountsGet({ access_token: linked.accessToken })).data.accounts), byName(linked.offered, "Plaid Checking", "Plaid Credit Card").sort());
  });

  it("NEW_ACCOUNTS_AVAILABLE (fire_webhook): the webhook, last_webhook, and one unshared 'Plaid New Savings' that update mode can add", async () => {
    const hook = "http://127.0.0.1:9/hook";
    const { accessToken, itemId } = await linkSandboxItem(client, { webhook: hook });
    const before = ids((await client.accountsGet({ access_token: accessToken })).data.accounts);
    const fired = await client.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: "NEW_ACCOUNTS_AVAILABLE" as never });
    assert.equal(fired.data.webhook_fired, true);
    const sent = sim.webhooksSent().filter((w) => w.payload.item_id === itemId).pop();
    assert.deepEqual(sent, { url: hook, payload: { webhook_type: "ITEM", webhook_code: "NEW_ACCOUNTS_AVAILABLE", item_id: itemId, error: null, environment: "sandbox" } });
    assert.equal((await client.itemGet({ access_token: accessToken })).data.status?.last_webhook?.code_sent, "NEW_ACCOUNTS_AVAILABLE");
    assert.deepEqual(ids((await client.accountsGet({ access_token: accessToken })).data.accounts), before, "not shared until the user adds it");
    const first = await syncAll(client, accessToken);

    const token = await updateLinkToken(client, accessToken, { accountSelection: true });
    const up = await updateSession(token, (o) => o.map((a) => a.id));
    const fresh = up.offered.find((a) => a.name === "Plaid New Savings");
    assert.ok(fresh, "offered in update mode");
    assert.equal(fresh.selected, false);
    assert.equal(fresh.id, plaidId(itemId, "new-account", 0), "deterministic id");
    const account = (await client.accountsGet({ access_token: accessToken })).data.accounts.find((a) => a.account_id === fresh.id);
    assert.deepEqual(
      account && { type: account.type, subtype: account.subtype, mask: account.mask, balances: account.balances },
      { type: "depository", subtype: "savings", mask: "2222", balances: { available: 500, current: 500, limit: null, iso_currency_code: "USD", unofficial_currency_code: null } },
    );
    const next = await syncAll(client, accessToken, first.cursor);
    assert.deepEqual(next.pages.flatMap((p) => p.added).map((t) => [t.account_id, t.amount, t.pending]), [[fresh.id, -500, false]], "its opening transfer, as added");
    assert.ok(next.pages[0].accounts.some((a) => a.account_id === fresh.id));

    // A second one is another account; without a webhook URL nothing is fired or opened.
    await client.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: "NEW_ACCOUNTS_AVAILABLE" as never });
    const again = await updateSession(await updateLinkToken(client, accessToken, { accountSelection: true }), (o) => o.filter((a) => a.selected).map((a) => a.id));
    assert.deepEqual(again.offered.filter((a) => !a.selected).map((a) => a.name), ["Plaid New Savings 2"]);
    const plain = await linkSandboxItem(client);
    const e = await plaidErrorOf(() => client.sandboxItemFireWebhook({ access_token: plain.accessToken, webhook_code: "NEW_ACCOUNTS_AVAILABLE" as never }));
    assert.equal(e.error_code, "SANDBOX_WEBHOOK_INVALID");
    const offered = (await updateSession(await updateLinkToken(client, plain.accessToken, { accountSelection: true }), (o) => o.map((a) => a.id))).offered;
    assert.ok(!offered.some((a) => a.name.startsWith("Plaid New Savings")));
  });

  it("survives a restart: the shared accounts and their pending delivery are in the state file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-sim-accounts-"));
    const stateFile = path.join(dir, "sim.json");
    let sim1: Simulator | null = await startTestSimulator({ stateFile, today: "2024-06-15" });
    try {
      const c1 = simulatorClient(sim1);
      const linked = await linkWithAccounts(sim1, c1, (o) => byName(o, "Plaid Checking"));
      const first = await syncAll(c1, linked.accessToken);
      const token = await updateLinkToken(c1, linked.accessToken, { accountSelection: true });
      await completeLinkSession(sim1, token, { onLogin: (o) => byName(o, "Plaid Checking", "Plaid Saving") });
      await sim1.close();
      sim1 = null;
      const sim2 = await startTestSimulator({ stateFile, today: "2024-06-15" });
      try {
        const c2 = simulatorClient(sim2);
        const [saving] = byName(linked.offered, "Plaid Saving");
        const next = await syncAll(c2, linked.accessToken, first.cursor);
        const added = next.pages.flatMap((p) => p.added);
        assert.ok(added.length > 0 && added.every((t) => t.account_id === saving));
        assert.deepEqual(ids((await c2.accountsGet({ access_token: linked.accessToken })).data.accounts), byName(linked.offered, "Plaid Checking", "Plaid Saving").sort());
      } finally {
        await sim2.close();
      }
    } finally {
      await sim1?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
