/**
 * The linking service of src/link without Node-RED, against the simulator through the official
 * client: embedded Link (page → public token → exchange), Hosted Link (the server polls
 * /link/token/get), re-login episodes, remove and health. Node-RED's credential store, comms
 * and nodes are a few plain objects here.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi } from "plaid";
import { EncryptedJsonFile } from "../../src/link/encrypted-file";
import { PendingLinkStore } from "../../src/link/pending";
import { PollSchedule } from "../../src/link/poll-schedule";
import type { ConfigLike } from "../../src/link/config-like";
import { LinkError, LinkService, type LinkNodeLike } from "../../src/link/service";
import { SessionStore, type LinkSession } from "../../src/link/sessions";
import { addFault, clearFaults, linkSandboxItem, simulatorClient, startTestSimulator, type Simulator } from "../support/simulator";
import { waitFor } from "../support/ports";
import { finishHostedLink } from "../support/hosted-link";

/** A client that records which Plaid calls were made (and passes each one to the simulator). */
function recording(client: PlaidApi, calls: Array<{ op: string; req: Record<string, unknown> }>): PlaidApi {
  return new Proxy(client, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== "function") return v;
      return (req: Record<string, unknown>, ...rest: unknown[]) => {
        calls.push({ op: String(prop), req });
        return (v as (...a: unknown[]) => unknown).call(target, req, ...rest);
      };
    },
  });
}

async function rejects(p: Promise<unknown>, status: number, code?: string): Promise<LinkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LinkError, `expected LinkError, got ${err}`);
    assert.strictEqual(err.status, status, err.message);
    if (code) assert.strictEqual(err.code, code);
    return err;
  }
  assert.fail("expected a rejection");
}

/** What a browser reports after Link: display only, never stored (the bank name here is a lie). */
const lyingMetadata = {
  institution: { name: "Evil Bank", institution_id: "ins_evil" },
  accounts: [{ id: "acct-made-up", name: "Not an account", mask: "9999", type: "depository", subtype: "checking" }],
  link_session_id: "ls",
};

describe("link: service (against the simulator)", function () {
  let sim: Simulator;
  let client: PlaidApi;
  before(async () => {
    sim = await startTestSimulator();
    client = simulatorClient(sim);
  });
  after(async () => {
    await sim.close();
  });
  afterEach(async () => {
    await clearFaults(sim);
    for (const s of services.splice(0)) s.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const services: LinkService[] = [];
  /** Each test's store directories, removed after it (a restart within a test reuses its dir). */
  const dirs: string[] = [];

  function setup(opts: { linkMode?: "hosted" | "embedded"; environment?: string; problem?: string | null; dir?: string; relinkLifetimeSeconds?: number; now?: () => number } = {}) {
    const calls: Array<{ op: string; req: Record<string, unknown> }> = [];
    const creds: Record<string, Record<string, unknown>> = {};
    const published: Array<{ topic: string; data: unknown }> = [];
    const warnings: string[] = [];
    const repaired: string[] = [];
    const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "plaid-link-svc-"));
    if (!dirs.includes(dir)) dirs.push(dir);
    const key = () => createHash("sha256").update("k").digest();
    const pending = new PendingLinkStore({ file: path.join(dir, "pending-links.json"), key });
    const sessionFile = new EncryptedJsonFile<{ sessions: LinkSession[] }>({ file: path.join(dir, "link-sessions.json"), key });
    const sessions = new SessionStore({
      persistence: { load: () => sessionFile.read()?.sessions ?? [], save: (list) => sessionFile.write(list.length ? { sessions: list } : null) },
    });
    const config: ConfigLike = {
      id: "c1",
      environment: opts.environment ?? "sandbox",
      clientName: "Node-RED",
      countryCodes: ["US"],
      language: "en",
      redirectUri: "",
      daysRequested: 730,
      linkMode: opts.linkMode ?? "embedded",
      relinkLifetimeSeconds: opts.relinkLifetimeSeconds ?? 86_400,
      problem: () => opts.problem ?? null,
      getClient: async () => recording(client, calls),
      publicBaseUrl: () => "http://nr.example:1880",
      browserHostedUrl: (url) => url,
    };
    const links: Record<string, LinkNodeLike> = {};
    let failAdd = false;
    const service = new LinkService({
      sessions,
      pending,
      adminRoot: "/admin/",
      t: (k, v) => `${k}${v ? " " + JSON.stringify(v) : ""}`,
      getConfig: (id) => (id === "c1" ? config : null),
      getLinkNode: (id) => links[id] ?? null,
      nodeType: (id) => (id === "c1" ? "plaid-config" : links[id] ? "plaid-link" : undefined),
      getCredentials: (id) => creds[id],
      addCredentials: async (id, c) => {
        if (failAdd) throw new Error("disk full");
        creds[id] = c;
      },
      publish: (topic, data) => published.push({ topic, data }),
      warn: (m) => warnings.push(m),
      onLoginRepaired: (id) => repaired.push(id),
      ...(opts.now ? { now: opts.now } : {}),
      // The real schedule at a test's pace: polls every 20 ms while watched, 100 ms otherwise.
      schedule: (poll, onError) => new PollSchedule({ poll, onError, fastMs: 20, slowMs: 100, watchMs: 60_000, maxBackoffMs: 400 }),
    });
    services.push(service);
    /** A deployed plaid-link node on this config. */
    const deploy = (id: string): LinkNodeLike => (links[id] = { id, config: "c1", itemId: "", institutionId: "", institutionName: "", accounts: [] });
    return { service, calls, creds, published, pending, sessions, links, config, dir, warnings, repaired, deploy, failAddCredentials: () => (failAdd = true) };
  }

  /** A public token for a new First Platypus Bank Item, as Link would hand it to the page. */
  async function publicToken(): Promise<string> {
    return (await client.sandboxPublicTokenCreate({ institution_id: "ins_109508", initial_products: ["transactions" as never] })).data.public_token;
  }

  describe("embedded Link", () => {
    it("add: a link_token with products and history; the page URL under httpAdminRoot", async () => {
      const { service, calls } = setup();
      const out = await service.createSession({ link: "l1", config: "c1", mode: "add" });
      assert.strictEqual(out.url, `/admin/plaid-sync/link/${out.session}`);
      assert.strictEqual(out.hosted, false);
      const req = calls.find((c) => c.op === "linkTokenCreate")!.req;
      assert.deepStrictEqual(req.products, ["transactions"]);
      assert.deepStrictEqual(req.transactions, { days_requested: 730 });
      assert.strictEqual(req.hosted_link, undefined);
      assert.strictEqual(req.redirect_uri, undefined, "no redirect_uri unless configured (outside demo)");
      const token = await service.token(out.session);
      assert.match(token.link_token, /^link-/);
      assert.strictEqual(token.mode, "add");
    });

    it("demo fills the OAuth redirect with the editor's own <admin>/plaid-sync/oauth", async () => {
      const { service, calls } = setup({ environment: "demo" });
      await service.createSession({ link: "l1", config: "c1", mode: "add", editorOrigin: "http://10.0.0.2:1880" });
      assert.strictEqual(calls[0].req.redirect_uri, "http://10.0.0.2:1880/admin/plaid-sync/oauth");
    });

    it("bad input: no/undeployed/invalid config, bad mode, update without an Item, ids that are not plaid-link nodes", async () => {
      const { service } = setup();
      await rejects(service.createSession({ link: "l1", config: undefined, mode: "add" }), 400, "NO_CONFIG");
      const e = await rejects(service.createSession({ link: "l1", config: "gone", mode: "add" }), 409, "CONFIG_NOT_DEPLOYED");
      assert.match(e.message, /config-not-deployed/);
      await rejects(service.createSession({ link: "l1", config: "c1", mode: "weird" }), 400, "BAD_MODE");
      await rejects(service.createSession({ link: "../x", config: "c1", mode: "add" }), 400, "NO_LINK");
      await rejects(service.createSession({ link: "l1", config: "c1", mode: "update" }), 404, "UNKNOWN_LINK");
      await rejects(service.createSession({ link: "c1", config: "c1", mode: "add" }), 400, "NOT_A_LINK");
      await rejects(service.createSession({ link: "__proto__", config: "c1", mode: "add" }), 400, "NO_LINK");
      const bad = setup({ problem: "Client ID is missing" });
      const p = await rejects(bad.service.createSession({ link: "l1", config: "c1", mode: "add" }), 409, "CONFIG_INVALID");
      assert.match(p.message, /Client ID is missing/);
    });

    it("the embedded page loads a custom Base URL's Link script only over https or from this machine (it runs on the editor's origin)", async () => {
      const lan = setup({ environment: "custom" });
      lan.config.basePath = "http://192.168.1.50:4599";
      const e = await rejects(lan.service.createSession({ link: "l1", config: "c1", mode: "add" }), 409, "UNSAFE_SCRIPT_SOURCE");
      assert.match(e.message, /unsafe-script-source/);
      assert.strictEqual(lan.calls.length, 0, "no link token was made for a page that will not be served");
      for (const ok of ["https://plaid-proxy.example", "http://127.0.0.1:4599", "http://localhost:4599", "http://[::1]:4599"]) {
        const s = setup({ environment: "custom" });
        s.config.basePath = ok;
        await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      }
      // Hosted Link loads no script at all: any Base URL will do.
      const hosted = setup({ environment: "custom", linkMode: "hosted" });
      hosted.config.basePath = "http://192.168.1.50:4599";
      (hosted.config as { browserHostedUrl: (u: string) => string }).browserHostedUrl = (u) => u;
      hosted.config.getClient = async () => client; // the request goes to the simulator all the same
      await hosted.service.createSession({ link: "l1", config: "c1", mode: "add" });
    });

    it("Plaid refusing /link/token/create is a clean error without the secret", async () => {
      const { service } = setup();
      await addFault(sim, { path: "/link/token/create", error: "INVALID_FIELD", times: 1 });
      const e = await rejects(service.createSession({ link: "l1", config: "c1", mode: "add" }), 400, "INVALID_FIELD");
      assert.ok(!e.message.includes(sim.secret));
    });

    it("two windows finishing together: the first bank stays linked, the second is removed at Plaid; no token is overwritten", async () => {
      const s = setup();
      const a = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      const b = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      const items = sim.core.store.size;
      const [ta, tb] = [await publicToken(), await publicToken()];
      // The first exchange is slow, so the second window finishes while it is in flight.
      await addFault(sim, { path: "/item/public_token/exchange", delay_ms: 400, times: 1 });
      const first = s.service.complete(a.session, { public_token: ta });
      await waitFor(() => s.calls.some((c) => c.op === "itemPublicTokenExchange"), { what: "the first exchange to start" });
      const second = s.service.complete(b.session, { public_token: tb });
      const ev = await first;
      await rejects(second, 409, "ALREADY_LINKED");
      assert.strictEqual(s.pending.get("l1")?.itemId, ev.itemId, "the first Item's token is the one stored");
      assert.strictEqual((await client.itemGet({ access_token: s.creds.l1.accessToken as string })).data.item.item_id, ev.itemId);
      await waitFor(() => s.warnings.some((w) => /stray-removed/.test(w)), { what: "the second Item's removal" });
      assert.strictEqual(sim.core.store.size - items, 1, "only the first window's Item is left at Plaid");
    });

    it("complete: exchanges, stores merged creds + encrypted pending entry; what is stored comes from Plaid, not the browser", async () => {
      const { service, calls, creds, published, pending } = setup();
      creds.l1 = { other: "kept" };
      const { session } = await service.createSession({ link: "l1", config: "c1", mode: "add" });
      const ev = await service.complete(session, { public_token: await publicToken(), metadata: lyingMetadata });
      assert.ok(calls.some((c) => c.op === "itemPublicTokenExchange"));
      const token = creds.l1.accessToken as string;
      assert.match(token, /^access-sandbox-/);
      assert.strictEqual(creds.l1.other, "kept");
      const entry = pending.get("l1")!;
      assert.strictEqual(entry.accessToken, token);
      assert.strictEqual(entry.institutionName, "First Platypus Bank", "from /item/get, not the page's 'Evil Bank'");
      const truth = (await client.accountsGet({ access_token: token })).data.accounts;
      assert.deepStrictEqual(entry.accounts.map((a) => a.account_id).sort(), truth.map((a) => a.account_id).sort(), "from /accounts/get");
      assert.strictEqual(ev.institution?.name, "First Platypus Bank");
      assert.strictEqual(published.length, 1);
      assert.strictEqual(published[0].topic, "plaid-sync/link/l1");
      assert.ok(!JSON.stringify([published, ev]).includes(token));
      await rejects(service.complete(session, { public_token: "public-x", metadata: lyingMetadata }), 404, "SESSION_INVALID");
      await rejects(service.token(session), 404);
      assert.strictEqual(service.pageInfo(session), null);
    });

    it("a public token Plaid rejects: clear message, nothing written, the session may retry", async () => {
      const { service, creds, pending, published } = setup();
      const { session } = await service.createSession({ link: "l1", config: "c1", mode: "add" });
      const e = await rejects(service.complete(session, { public_token: "public-sandbox-not-a-real-one" }), 400, "INVALID_PUBLIC_TOKEN");
      assert.match(e.message, /exchange-failed/);
      assert.strictEqual(creds.l1, undefined);
      assert.strictEqual(pending.get("l1"), undefined);
      assert.strictEqual(published.length, 0);
      await service.complete(session, { public_token: await publicToken() });
      assert.match(String((creds as Record<string, Record<string, unknown>>).l1.accessToken), /^access-/);
    });

    it("a credential store failure rolls the pending entry back (no half-written link)", async () => {
      const s = setup();
      const { session } = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      s.failAddCredentials();
      await rejects(s.service.complete(session, { public_token: await publicToken() }), 500, "STORE_FAILED");
      assert.strictEqual(s.pending.get("l1"), undefined);
    });

    it("complete without a public token, or after the config was removed, is refused", async () => {
      const s = setup();
      const { session } = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      await rejects(s.service.complete(session, {}), 400, "NO_PUBLIC_TOKEN");
      await rejects(s.service.complete("nope", { public_token: "p" }), 404);
      const gone = setup();
      const { session: s2 } = await gone.service.createSession({ link: "l1", config: "c1", mode: "add" });
      (gone.service as unknown as { deps: { getConfig: (id: string) => ConfigLike | null } }).deps.getConfig = () => null;
      await rejects(gone.service.complete(s2, { public_token: "p" }), 409, "CONFIG_NOT_DEPLOYED");
    });

    it("add refuses a node that already has an Item (no orphaned, billed Items)", async () => {
      const { service, creds } = setup();
      creds.l1 = { accessToken: (await linkSandboxItem(client)).accessToken };
      await rejects(service.createSession({ link: "l1", config: "c1", mode: "add" }), 409, "ALREADY_LINKED");
    });

    it("update mode: link token with the access token and no products; completion checks the repair with Plaid, no exchange", async () => {
      const { service, calls, creds, links, published, repaired } = setup();
      const item = await linkSandboxItem(client);
      creds.l1 = { accessToken: item.accessToken };
      links.l1 = { id: "l1", config: "c1", itemId: item.itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [], credentials: { accessToken: item.accessToken } };
      await client.sandboxItemResetLogin({ access_token: item.accessToken });
      const { session } = await service.createSession({ link: "l1", config: undefined, mode: "update" });
      const req = calls.find((c) => c.op === "linkTokenCreate")!.req;
      assert.strictEqual(req.access_token, item.accessToken);
      assert.strictEqual(req.products, undefined);
      // Not logged in yet: Plaid still reports the error, so it is not counted as repaired.
      await rejects(service.complete(session, { public_token: "public-update", metadata: lyingMetadata }), 409, "ITEM_LOGIN_REQUIRED");
      await standInLogin((await service.token(session)).link_token);
      const ev = await service.complete(session, { public_token: "public-update", metadata: lyingMetadata });
      assert.ok(!calls.some((c) => c.op === "itemPublicTokenExchange"), "no exchange in update mode");
      assert.strictEqual(ev.mode, "update");
      assert.strictEqual(ev.institution?.name, "First Platypus Bank");
      assert.strictEqual(creds.l1.accessToken, item.accessToken);
      assert.strictEqual(published.at(-1)!.topic, "plaid-sync/link/l1");
      assert.deepStrictEqual(repaired, ["l1"]);
    });

    it("remove: /item/remove, token cleared everywhere, event published; an Item already gone still clears; Plaid down keeps it", async () => {
      const { service, calls, creds, pending, published, links, deploy } = setup();
      const { session } = await service.createSession({ link: "l1", config: "c1", mode: "add" });
      await service.complete(session, { public_token: await publicToken() });
      const token = creds.l1.accessToken as string;
      deploy("l1");
      assert.deepStrictEqual(await service.remove("l1"), { removed: true, alreadyGone: false });
      assert.strictEqual(calls.find((c) => c.op === "itemRemove")!.req.access_token, token);
      await assert.rejects(client.itemGet({ access_token: token }), "the Item is gone at Plaid");
      assert.strictEqual(creds.l1.accessToken, undefined);
      assert.strictEqual(pending.get("l1"), undefined);
      assert.strictEqual(links.l1.itemId, "");
      assert.strictEqual((published.at(-1)!.data as { removed: boolean }).removed, true);
      await rejects(service.remove("l1"), 409, "NOT_LINKED");

      deploy("l2");
      creds.l2 = { accessToken: token }; // removed above: Plaid answers ITEM_NOT_FOUND
      assert.deepStrictEqual(await service.remove("l2"), { removed: true, alreadyGone: true });
      assert.strictEqual(creds.l2.accessToken, undefined);
      const live = await linkSandboxItem(client);
      deploy("l3");
      creds.l3 = { accessToken: live.accessToken };
      await addFault(sim, { path: "/item/remove", status: 500, times: 1 });
      await rejects(service.remove("l3"), 502);
      assert.strictEqual(creds.l3.accessToken, live.accessToken, "kept when Plaid did not remove it");
    });

    it("remove and health with a config switched to another environment since linking: refused, saying so, and the token kept (Plaid there would say INVALID_ACCESS_TOKEN, which reads as gone)", async () => {
      const { service, calls, creds, deploy } = setup({ environment: "production" });
      const item = await linkSandboxItem(client); // an access-sandbox-… token
      deploy("l1");
      creds.l1 = { accessToken: item.accessToken };
      const e = await rejects(service.remove("l1"), 409, "CONFIG_MISMATCH");
      assert.match(e.message, /token-environment .*"issued":"sandbox".*"environment":"production"/);
      assert.ok(!e.message.includes(item.accessToken));
      assert.ok(!calls.some((c) => c.op === "itemRemove"), "Plaid was not asked");
      assert.strictEqual(creds.l1.accessToken, item.accessToken, "kept");
      assert.ok((await client.itemGet({ access_token: item.accessToken })).data.item.item_id, "the Item still exists");
      // The editor's health line says the same, instead of Plaid's INVALID_ACCESS_TOKEN.
      const h = await rejects(service.health("l1"), 409, "CONFIG_MISMATCH");
      assert.match(h.message, /token-environment/);
      assert.ok(!calls.some((c) => c.op === "itemGet"), "Plaid was not asked");
    });

    it("health: /item/get summary; needsLogin for ITEM_LOGIN_REQUIRED; not linked; never the token", async () => {
      const { service, creds, deploy } = setup();
      deploy("l1");
      assert.deepStrictEqual(await service.health("l1"), { linked: false });
      const item = await linkSandboxItem(client);
      creds.l1 = { accessToken: item.accessToken };
      const h = await service.health("l1");
      assert.strictEqual(h.linked, true);
      assert.strictEqual(h.itemId, item.itemId);
      assert.strictEqual(h.institutionName, "First Platypus Bank");
      assert.strictEqual(h.needsLogin, false);
      assert.ok(!JSON.stringify(h).includes(item.accessToken));
      await client.sandboxItemResetLogin({ access_token: item.accessToken });
      const h2 = await service.health("l1");
      assert.strictEqual(h2.needsLogin, true);
      assert.strictEqual(h2.error!.code, "ITEM_LOGIN_REQUIRED");
    });

    it("reconcilePending: adopts a pending token missing from the deployed creds, drops it once deployed", async () => {
      const s = setup();
      const { session } = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      await s.service.complete(session, { public_token: await publicToken() });
      const token = s.creds.l1.accessToken as string;
      delete s.creds.l1; // a restart before Deploy: the in-memory credential is gone
      assert.strictEqual(s.service.currentAccessToken("l1"), token, "still usable from the pending store");
      assert.strictEqual(await s.service.reconcilePending("l1", undefined), "adopted");
      assert.strictEqual(s.creds.l1.accessToken, token);
      assert.strictEqual(await s.service.reconcilePending("l1", undefined), "kept");
      assert.strictEqual(await s.service.reconcilePending("l1", token), "dropped");
      assert.strictEqual(s.pending.get("l1"), undefined);
      assert.strictEqual(await s.service.reconcilePending("l1", token), "none");
    });

    it("re-login URL: one page per episode, reused by every failed sync (concurrent ones too); a new link_token only when the page needs one", async () => {
      const { service, creds, calls, sessions } = setup();
      const item = await linkSandboxItem(client);
      creds.l1 = { accessToken: item.accessToken };
      const urls = await Promise.all([service.relinkUrl("l1", "c1"), service.relinkUrl("l1", "c1"), service.relinkUrl("l1", "c1")]);
      assert.strictEqual(new Set(urls).size, 1, urls.join());
      assert.match(urls[0], /^http:\/\/nr\.example:1880\/admin\/plaid-sync\/link\/[A-Za-z0-9_-]{43}$/);
      assert.strictEqual(await service.relinkUrl("l1", "c1"), urls[0]);
      assert.strictEqual(calls.filter((c) => c.op === "linkTokenCreate").length, 1, "one link_token for the episode");
      // The page outlives Plaid's 30-minute update-mode link_token: opening it later makes a new one.
      const id = urls[0].split("/").pop()!;
      const first = (await service.token(id)).link_token;
      assert.strictEqual(calls.filter((c) => c.op === "linkTokenCreate").length, 1);
      sessions.update(id, { linkTokenExpiresAt: Date.now() - 1 });
      const renewed = (await service.token(id)).link_token;
      assert.notStrictEqual(renewed, first);
      assert.strictEqual(calls.filter((c) => c.op === "linkTokenCreate").length, 2);
      assert.strictEqual((await service.token(id)).link_token, renewed, "and keeps it while it lives");
      service.endRelink("l1");
      const next = await service.relinkUrl("l1", "c1");
      assert.notStrictEqual(next, urls[0], "a new episode, a new URL");
    });
  });

  describe("Hosted Link", () => {
    async function linkedStatus(service: LinkService, session: string, want = "linked") {
      return waitFor(
        () => {
          const r = service.sessionStatus(session, "l1");
          return r.status === want ? r : null;
        },
        { timeoutMs: 10_000, intervalMs: 10, what: `session ${want}` },
      );
    }

    it("add: hosted_link with the editor's lifetime; the server polls, exchanges and stores what Plaid says; the Plaid calls of one link", async () => {
      const { service, calls, creds, published } = setup({ linkMode: "hosted" });
      const out = await service.createSession({ link: "l1", config: "c1", mode: "add" });
      assert.strictEqual(out.hosted, true);
      assert.ok(out.hostedUrl?.startsWith(`${sim.url}/hl/`), out.hostedUrl);
      const req = calls.find((c) => c.op === "linkTokenCreate")!.req;
      assert.deepStrictEqual(req.hosted_link, { url_lifetime_seconds: 1800 });
      assert.strictEqual(service.sessionStatus(out.session, "l1").status, "open");
      await finishHostedLink(out.hostedUrl!);
      const done = await linkedStatus(service, out.session);
      assert.strictEqual(done.institutionName, "First Platypus Bank");
      const token = creds.l1.accessToken as string;
      assert.match(token, /^access-sandbox-/);
      const truth = (await client.accountsGet({ access_token: token })).data.accounts.map((a) => a.account_id).sort();
      assert.deepStrictEqual(done.accounts!.map((a) => a.account_id).sort(), truth);
      assert.strictEqual(published.filter((p) => p.topic === "plaid-sync/link/l1").length, 1);
      const count: Record<string, number> = {};
      for (const c of calls) count[c.op] = (count[c.op] ?? 0) + 1;
      console.log(`      Plaid calls of one Hosted Link (add, finished at once): ${JSON.stringify(count)}`);
      assert.deepStrictEqual([count.linkTokenCreate, count.itemPublicTokenExchange, count.itemGet, count.accountsGet], [1, 1, 1, 1]);
    });

    it("expiry by the clock: one last look at Plaid at the expiry, then 'expired' and nothing stored", async () => {
      let now = Date.now();
      const s = setup({ linkMode: "hosted", now: () => now });
      const out = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      now += 31 * 60_000;
      const gets = () => s.calls.filter((c) => c.op === "linkTokenGet").length;
      const before = gets();
      s.service.sessionStatus(out.session, "l1"); // someone watches: the next look comes soon
      await linkedStatus(s.service, out.session, "expired");
      assert.ok(gets() > before, "Plaid was asked once more before giving up");
      assert.strictEqual(s.creds.l1, undefined);
      assert.strictEqual(s.pending.get("l1"), undefined);
    });

    it("a bank linked in a second window after the first: that extra Item is removed at Plaid, never orphaned", async () => {
      const s = setup({ linkMode: "hosted" });
      const a = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      const b = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      const items = sim.core.store.size;
      await finishHostedLink(a.hostedUrl!);
      await linkedStatus(s.service, a.session);
      await finishHostedLink(b.hostedUrl!);
      const second = await linkedStatus(s.service, b.session, "failed");
      assert.match(String(second.message), /linked-elsewhere/);
      // Logged once Plaid has answered the removal (the call itself is recorded when it starts).
      await waitFor(() => s.warnings.some((w) => /stray-removed/.test(w)), { what: "the extra Item's removal" });
      assert.strictEqual(sim.core.store.size, items + 1, "only the first login's Item is left at Plaid");
      assert.ok((await client.itemGet({ access_token: s.creds.l1.accessToken as string })).data.item.item_id, "the first one still works");
    });

    it("two Hosted Link windows finished before either was collected: one Item linked, the other removed at Plaid", async () => {
      const s = setup({ linkMode: "hosted" });
      const a = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      const b = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      const items = sim.core.store.size;
      // Both collections start together (both polls see a result); the first exchange is slow.
      await addFault(sim, { path: "/item/public_token/exchange", delay_ms: 400, times: 1 });
      await Promise.all([finishHostedLink(a.hostedUrl!), finishHostedLink(b.hostedUrl!)]);
      const end = (id: string) =>
        waitFor(
          () => {
            const r = s.service.sessionStatus(id, "l1");
            return r.status === "linked" || r.status === "failed" ? r : null;
          },
          { timeoutMs: 10_000, intervalMs: 10, what: "the session to end" },
        );
      const ends = await Promise.all([end(a.session), end(b.session)]);
      assert.deepStrictEqual(ends.map((e) => e.status).sort(), ["failed", "linked"], JSON.stringify(ends));
      const won = ends.find((e) => e.status === "linked")!;
      assert.strictEqual(s.pending.get("l1")?.itemId, won.itemId, "the linked window's Item is the one stored");
      await waitFor(() => s.warnings.some((w) => /stray-removed/.test(w)), { what: "the other Item's removal" });
      assert.strictEqual(sim.core.store.size - items, 1, "only one Item is left at Plaid");
    });

    it("Plaid failing during the collection (exchange 500): asked again later, then linked", async () => {
      const s = setup({ linkMode: "hosted" });
      const out = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
      await addFault(sim, { path: "/item/public_token/exchange", status: 500, times: 1 });
      await finishHostedLink(out.hostedUrl!);
      await linkedStatus(s.service, out.session);
      assert.strictEqual(s.calls.filter((c) => c.op === "itemPublicTokenExchange").length, 2);
      assert.ok(s.warnings.some((w) => /poll-failed/.test(w)), s.warnings.join("\n"));
    });

    it("re-login: Plaid's URL, one per episode; finished on any device, the Item is repaired and the node told; the Plaid calls of one episode", async () => {
      const s = setup({ linkMode: "hosted", relinkLifetimeSeconds: 86_400 });
      const item = await linkSandboxItem(client);
      s.creds.l1 = { accessToken: item.accessToken };
      await client.sandboxItemResetLogin({ access_token: item.accessToken });
      const urls = await Promise.all([1, 2, 3].map(() => s.service.relinkUrl("l1", "c1")));
      assert.strictEqual(new Set(urls).size, 1);
      assert.ok(urls[0].startsWith(`${sim.url}/hl/`));
      const req = s.calls.find((c) => c.op === "linkTokenCreate")!.req;
      assert.deepStrictEqual(req.hosted_link, { url_lifetime_seconds: 86_400 });
      assert.strictEqual(req.access_token, item.accessToken);
      await finishHostedLink(urls[0]);
      await waitFor(() => s.repaired.length === 1, { what: "the repair to be noticed" });
      assert.strictEqual((await client.itemGet({ access_token: item.accessToken })).data.item.error, null);
      const count: Record<string, number> = {};
      for (const c of s.calls) count[c.op] = (count[c.op] ?? 0) + 1;
      console.log(`      Plaid calls of one re-login episode (3 failed syncs asking, finished at once): ${JSON.stringify(count)}`);
      assert.strictEqual(count.linkTokenCreate, 1);
      assert.notStrictEqual(await s.service.relinkUrl("l1", "c1"), urls[0], "the next episode gets a new URL");
    });
  });

  /** What a user does in the stand-in Link for a link_token: log in (update mode: the Item's bank) and finish. */
  async function standInLogin(linkToken: string): Promise<Record<string, unknown>> {
    const post = async (ep: string, body: unknown) => {
      const r = await fetch(`${sim.url}/simulator/link/${ep}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const j = (await r.json()) as Record<string, unknown>;
      if (!r.ok) throw new Error(`${ep}: ${r.status} ${JSON.stringify(j)}`);
      return j;
    };
    const session = (await post("session", { link_token: linkToken })) as { item: { institution_id: string } | null };
    const institution_id = session.item?.institution_id ?? "ins_109508";
    const login = (await post("login", { link_token: linkToken, institution_id, username: "user_good", password: "pass_good" })) as { accounts: Array<{ id: string }> };
    return post("complete", { link_token: linkToken, institution_id, username: "user_good", password: "pass_good", account_ids: login.accounts.map((a) => a.id) });
  }

});
