/**
 * What a sync learns about its Item beyond transactions, against the simulator: balances of the
 * accounts /transactions/sync leaves out (from /accounts/get, only when the Item has them), the
 * plaid_items point, and health events — once per change of state, across restarts too.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PlaidApi } from "plaid";
import type { LinkedAccount } from "../../src/plaid/types";
import type { EngineSettings, SyncEngine } from "../../src/sync/engine";
import { engineSuite, recordingSink } from "../support/engine";
import { completeLinkSession, hostedLinkToken } from "../support/hosted-link";
import { countSyncCalls, linkSandboxItem, type SyncCalls } from "../support/simulator";

const RELINK = "https://relink.example/abc";

/** Bank and card accounts only: nothing /transactions/sync leaves out. */
const TX_ONLY_USER = JSON.stringify({
  override_accounts: [
    { type: "depository", subtype: "checking", starting_balance: 1200, meta: { name: "Everyday" } },
    { type: "credit", subtype: "credit card", starting_balance: 300, meta: { name: "Card", limit: 5000 } },
  ],
  simulator: { seed: 7, transactions: 40 },
});

async function linkedAccounts(client: PlaidApi, accessToken: string): Promise<LinkedAccount[]> {
  const { data } = await client.accountsGet({ access_token: accessToken });
  return data.accounts.map((a) => ({ account_id: a.account_id, name: a.name, mask: a.mask ?? null, type: a.type, subtype: a.subtype ?? null }));
}

describe("sync engine: the Item beyond transactions (against the simulator)", function () {
  this.timeout(60_000);
  const suite = engineSuite("plaid-item-");

  async function setup(opts: { username?: string; password?: string; linked?: boolean } = {}) {
    const { client, sim } = suite;
    const { accessToken, itemId } = await linkSandboxItem(client, { username: opts.username ?? "user_good", password: opts.password });
    const accounts = opts.linked === false ? [] : await linkedAccounts(client, accessToken);
    const calls: SyncCalls = { sync: 0, inFlight: 0, maxInFlight: 0, all: {} };
    const counted = countSyncCalls(client, calls);
    const rec = recordingSink();
    const make = (settings: Partial<EngineSettings> = {}): SyncEngine =>
      suite.engine({
        accessToken,
        itemId,
        settings,
        sink: rec.sink,
        getClient: async () => counted,
        getItem: () => ({ itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts }),
        hooks: { warn: () => undefined, relinkUrl: async () => RELINK },
      });
    return { sim, client, accessToken, itemId, accounts, calls, rec, make };
  }

  const delta = (calls: SyncCalls, before: Record<string, number>) =>
    Object.fromEntries(Object.entries(calls.all ?? {}).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

  it("every account has a balance, the IRA too; a no-op sync is /transactions/sync + /accounts/get (and /item/get once a day)", async () => {
    const { calls, rec, make, accounts } = await setup();
    const engine = make();
    const first = await engine.trigger();
    assert.deepStrictEqual(delta(calls, {}), { transactionsSync: first.pages, accountsGet: 1, itemGet: 1 });
    const balances = rec.parts.flatMap((p) => p.payload).filter((p) => p.measurement === "plaid_balances");
    const ira = balances.find((p) => p.tags.subtype === "ira");
    assert.ok(ira, "the IRA's balance is written");
    assert.strictEqual(ira.tags.type, "investment");
    assert.strictEqual(typeof ira.fields.current, "number");
    assert.deepStrictEqual(new Set(balances.map((p) => p.tags.account_id)), new Set(accounts.map((a) => a.account_id)), "one balance per account");

    const before = { ...calls.all };
    const idle = await engine.trigger();
    assert.strictEqual(idle.added + idle.modified + idle.removed, 0);
    assert.deepStrictEqual(delta(calls, before), { transactionsSync: 1, accountsGet: 1 }, "a no-op sync: 2 calls");
    assert.strictEqual(idle.balances, accounts.length);
  });

  it("an Item with only bank and card accounts: a no-op sync stays one Plaid call", async () => {
    const { calls, make } = await setup({ username: "user_custom", password: TX_ONLY_USER });
    const engine = make();
    await engine.trigger();
    assert.strictEqual(calls.all?.accountsGet ?? 0, 0, "no /accounts/get: the link knows every account syncs");
    const before = { ...calls.all };
    await engine.trigger();
    assert.deepStrictEqual(delta(calls, before), { transactionsSync: 1 });
  });

  it("when the link does not list its accounts, one /accounts/get per engine finds out", async () => {
    const { calls, make } = await setup({ username: "user_custom", password: TX_ONLY_USER, linked: false });
    const engine = make();
    await engine.trigger();
    assert.strictEqual(calls.all?.accountsGet, 1);
    const before = { ...calls.all };
    await engine.trigger();
    assert.deepStrictEqual(delta(calls, before), { transactionsSync: 1 });
  });

  it("the plaid_items point: health and counts on every sync; a sync failing for a login writes one too", async () => {
    const { client, accessToken, rec, make, itemId } = await setup();
    const engine = make();
    const s = await engine.trigger();
    const items = () => rec.parts.flatMap((p) => p.payload).filter((p) => p.measurement === "plaid_items");
    assert.strictEqual(items().length, 1);
    assert.deepStrictEqual(items()[0].tags, { institution: "First Platypus Bank", item_id: itemId });
    assert.deepStrictEqual(
      [items()[0].fields.health, items()[0].fields.healthy, items()[0].fields.added],
      ["OK", 1, s.added],
    );
    await client.sandboxItemResetLogin({ access_token: accessToken });
    await assert.rejects(engine.trigger(), (e: { plaid?: { code?: string } }) => e.plaid?.code === "ITEM_LOGIN_REQUIRED");
    const last = rec.parts[rec.parts.length - 1];
    assert.deepStrictEqual(last.payload.map((p) => [p.measurement, p.fields.health, p.fields.healthy]), [["plaid_items", "ITEM_LOGIN_REQUIRED", 0]]);
    assert.deepStrictEqual([last.plaid.last, last.plaid.failed, last.plaid.summary], [false, "ITEM_LOGIN_REQUIRED", undefined], "not taken for a sync's end");
  });

  it("three failing syncs: one ITEM_LOGIN_REQUIRED (with the re-login URL), also after a restart; logging in again: one LOGIN_REPAIRED", async () => {
    const { sim, client, accessToken, rec, make } = await setup();
    let engine = make();
    await engine.trigger();
    await client.sandboxItemResetLogin({ access_token: accessToken });
    for (let i = 0; i < 2; i++) await assert.rejects(engine.trigger());
    await engine.close();
    engine = make(); // a restart: the announcement is remembered
    await assert.rejects(engine.trigger());
    assert.deepStrictEqual(
      rec.health.map((e) => [e.topic, e.payload.code, e.payload.relinkUrl]),
      [["plaid/First Platypus Bank/item/ITEM_LOGIN_REQUIRED", "ITEM_LOGIN_REQUIRED", RELINK]],
    );
    assert.match(rec.health[0].payload.message, /log in again/);
    assert.ok(fs.existsSync(path.join(suite.dir, "health-node1.json")));

    const { linkToken } = await hostedLinkToken(client, { accessToken });
    await completeLinkSession(sim, linkToken);
    await engine.loginRepaired(); // the link service saw the update mode finish
    await engine.trigger(); // and the next sync works: no second LOGIN_REPAIRED
    assert.deepStrictEqual(rec.health.map((e) => e.payload.code), ["ITEM_LOGIN_REQUIRED", "LOGIN_REPAIRED"]);
    assert.strictEqual(rec.health[1].payload.relinkUrl, undefined, "no re-login URL when nothing needs a login");
  });

  it("events off (output 2 not wired): no health event is built, the record still follows the Item", async () => {
    const { client, accessToken, make, rec } = await setup();
    const engine = make({ events: false });
    await engine.trigger();
    await client.sandboxItemResetLogin({ access_token: accessToken });
    await assert.rejects(engine.trigger());
    assert.strictEqual(rec.health.length, 0);
    const saved = JSON.parse(fs.readFileSync(path.join(suite.dir, "health-node1.json"), "utf8")) as { loginRequired?: string };
    assert.strictEqual(saved.loginRequired, "ITEM_LOGIN_REQUIRED");
  });

  it("a health record that cannot be saved: no event (it could come twice after a restart), a warning, and the sync's own error stays", async () => {
    const { client, accessToken, rec } = await setup();
    const warnings: string[] = [];
    // A directory where the record's file should go: every save fails.
    fs.mkdirSync(path.join(suite.dir, "health-node1.json"), { recursive: true });
    const engine = suite.engine({ accessToken, itemId: "i", sink: rec.sink, hooks: { warn: (m) => void warnings.push(m) } });
    await engine.trigger();
    await client.sandboxItemResetLogin({ access_token: accessToken });
    await assert.rejects(engine.trigger(), (e: { plaid?: { code?: string } }) => e.plaid?.code === "ITEM_LOGIN_REQUIRED");
    assert.strictEqual(rec.health.length, 0);
    assert.ok(warnings.some((w) => /Item health record.*not announcing ITEM_LOGIN_REQUIRED/.test(w)), warnings.join(" | "));
  });
});
