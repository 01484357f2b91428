/**
 * Cost at rest in the Node-RED runtime: the Plaid client's worker process goes away when Plaid is
 * quiet (here after 100 ms instead of 20 s, settings.js plaidSync.clientWorkerIdleMs), and a
 * sync, a link and a re-login after that long idle period work as before — each on a new worker.
 */
import * as assert from "assert";
import type { PlaidApi } from "plaid";
import { sharedPlaidWorker } from "../../src/plaid/remote-client";
import { finishHostedLink } from "../support/hosted-link";
import { nodeRedTestHelper, plaidNodeModules, runtimeSuite, type TestNode } from "../support/red";
import { linkSandboxItem, type Simulator } from "../support/simulator";
import { waitFor } from "../support/ports";

type Msg = Record<string, unknown> & { plaid?: { last?: boolean; summary?: Record<string, number> } };
const helper = nodeRedTestHelper();
const SECRET = "at-rest-secret-5c1d";
const CLIENT_ID = "at-rest-client";


describe("at rest: the Plaid worker goes away and comes back (Node-RED runtime)", function () {
  this.timeout(60_000);
  let sim: Simulator;
  let client: PlaidApi;
  let plaid: Awaited<ReturnType<typeof plaidNodeModules>>;

  const suite = runtimeSuite(helper, { clientId: CLIENT_ID, secret: SECRET, dirPrefix: "plaid-rest-int-", settings: { plaidSync: { clientWorkerIdleMs: 100, retryBaseDelayMs: 5 } } });
  before(async () => {
    plaid = await plaidNodeModules();
  });
  beforeEach(() => {
    ({ sim, client } = suite);
  });
  after(() => {
    sharedPlaidWorker().idleMs = 20_000;
  });

  it("a sync, a link and a re-login after the worker has gone", async () => {
    const item = await linkSandboxItem(client, { username: "user_good" });
    const flow = [
      { id: "c1", type: "plaid-config", environment: "custom", basePath: sim.url, clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "http://nr.example:1880", linkMode: "hosted" },
      { id: "l1", type: "plaid-link", config: "c1", itemId: item.itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [] },
      { id: "l2", type: "plaid-link", config: "c1", itemId: "", institutionId: "", institutionName: "", accounts: [] },
      { id: "t1", type: "plaid-transactions", link: "l1", commit: "send", wires: [["out"], []] },
      { id: "out", type: "helper" },
    ];
    await helper.load([plaid.config, plaid.link, plaid.transactions], flow, { c1: { clientId: CLIENT_ID, secret: SECRET }, l1: { accessToken: item.accessToken } });
    const lasts: Msg[] = [];
    helper.getNode<TestNode>("out").on("input", (m: Msg) => {
      if (m.plaid?.last) lasts.push(m);
    });
    const worker = sharedPlaidWorker();
    const sync = async () => {
      const n = lasts.length;
      helper.getNode<TestNode>("t1").receive({ payload: "go" });
      await waitFor(() => lasts.length > n, { what: "the sync to end", intervalMs: 10 });
      return lasts[lasts.length - 1].plaid?.summary ?? {};
    };
    const gone = () => waitFor(() => !worker.running, { what: "the idle worker to exit", intervalMs: 10 });

    const starts0 = worker.starts;
    assert.ok((await sync()).added > 0, "first sync");
    await gone();
    await client.transactionsRefresh({ access_token: item.accessToken });
    const again = await sync();
    assert.ok(again.balances > 0, "the sync after the idle period went through");
    assert.ok(worker.starts > starts0 + 1, "on a new worker");

    // Link a second bank after the worker has gone (Hosted Link: create, finish on Plaid's page,
    // follow). The dialog's warm-up starts the worker, and the link finds it started.
    await gone();
    assert.strictEqual((await helper.request().post("/plaid-sync/warm-up")).status, 204);
    assert.ok(worker.running, "the dialog's warm-up started the worker");
    const startsAtWarmUp = worker.starts;
    const created = await helper.request().post("/plaid-sync/link-sessions").send({ link: "l2", config: "c1", mode: "add" });
    assert.strictEqual(created.status, 201, created.text);
    assert.strictEqual(worker.starts, startsAtWarmUp, "the link token came from the worker the warm-up started");
    await finishHostedLink(String(created.body.hostedUrl));
    const follow = async (session: string, link: string) => {
      const end = Date.now() + 20_000;
      for (;;) {
        const r = await helper.request().get(`/plaid-sync/link-sessions/${session}`).query({ link });
        if (r.body.status !== "open") return r.body;
        if (Date.now() > end) throw new Error("still open");
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    assert.strictEqual((await follow(String(created.body.session), "l2")).status, "linked", "linked after the idle period");

    // The bank wants a new login; after another idle period, "Log in again" works and so does the sync.
    await client.sandboxItemResetLogin({ access_token: item.accessToken });
    await gone();
    const relogin = await helper.request().post("/plaid-sync/link-sessions").send({ link: "l1", mode: "update" });
    assert.strictEqual(relogin.status, 201, relogin.text);
    await finishHostedLink(String(relogin.body.hostedUrl));
    assert.strictEqual((await follow(String(relogin.body.session), "l1")).status, "linked", "logged in again after the idle period");
    await gone();
    assert.ok((await sync()).balances > 0, "syncs again");
  });
});
