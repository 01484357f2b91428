/**
 * plaid-config + plaid-link in the real Node-RED runtime (node-red-node-test-helper), against the
 * simulator: the admin routes end to end, credentials, the encrypted pending store, and the
 * demo environment's in-process simulator behind the admin proxy.
 *
 * Plaid Link's UI is replaced here by the simulator's own APIs (/sandbox/public_token/create and
 * the stand-in Link backend); the browser test (test/e2e/link.test.ts) drives the real page.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import type { Simulator } from "../../src/simulator";
import { SIM_CLIENT_ID, SIM_SECRET, startTestSimulator } from "../support/simulator";
import { createPlaidClient } from "../../src/plaid/client";
import { getDemoSimulator } from "../../src/link/demo";
import { stopDemoSimulator } from "../../src/link/demo";
import { nodeRedTestHelper, plaidNodeModules } from "../support/red";
import { finishHostedLink } from "../support/hosted-link";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy";
import type { PlaidConfigNode, PlaidLinkNode } from "../../src/nodes/types";


const helper = nodeRedTestHelper();
// The node modules, with Node-RED's i18n on the real message catalogs (test/support/red.ts).
let plaidConfig: unknown, plaidLink: unknown;
before(async () => {
  const m = await plaidNodeModules();
  plaidConfig = m.config;
  plaidLink = m.link;
});


type Resp = { status: number; body: Record<string, unknown>; text: string; headers: Record<string, string> };

interface H {
  request(): {
    get(p: string): Req;
    post(p: string): Req;
  };
  credentials: { get(id: string): Record<string, unknown> | undefined };
  _events: NodeJS.EventEmitter;
}
interface Req extends PromiseLike<Resp> {
  set(k: string, v: string): Req;
  send(b: unknown): Req;
  query(q: Record<string, string>): Req;
}
const h = helper as unknown as H;

/** Every admin response body, for the "no secret anywhere" check at the end of each test. */
let seen: string[] = [];
async function call(method: "get" | "post", p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Resp> {
  let r = h.request()[method](p);
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
  if (body !== undefined) r = r.send(body);
  const res = await r;
  seen.push(res.text);
  return res;
}

function flow(env: Record<string, unknown>) {
  return [
    { id: "c1", type: "plaid-config", name: "", clientName: "Node-RED", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "embedded", ...env },
    { id: "l1", type: "plaid-link", config: "c1", name: "", itemId: "", institutionId: "", institutionName: "", accounts: [] },
  ];
}

async function sandboxPublicToken(sim: Simulator): Promise<string> {
  const client = createPlaidClient({ basePath: sim.url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET });
  const res = await client.sandboxPublicTokenCreate({ institution_id: "ins_109508", initial_products: ["transactions" as never] });
  return res.data.public_token;
}

/** The stand-in Link backend (what the Link window does): log in and finish, for a link_token. */
async function standInLink(backend: string, linkToken: string): Promise<{ public_token: string; metadata: Record<string, unknown> }> {
  const post = async (ep: string, body: unknown) => {
    const r = await fetch(`${backend}/simulator/link/${ep}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const j = (await r.json()) as Record<string, unknown>;
    if (!r.ok) throw new Error(`${ep}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const session = (await post("session", { link_token: linkToken })) as { mode: string; item: { institution_id: string } | null };
  const institution_id = session.item?.institution_id ?? "ins_109508";
  const login = (await post("login", { link_token: linkToken, institution_id, username: "user_good", password: "pass_good" })) as { accounts: Array<{ id: string }> };
  return (await post("complete", {
    link_token: linkToken,
    institution_id,
    username: "user_good",
    password: "pass_good",
    account_ids: login.accounts.map((a) => a.id),
  })) as { public_token: string; metadata: Record<string, unknown> };
}

function comms(): Array<{ topic: string; data: Record<string, unknown> }> {
  const got: Array<{ topic: string; data: Record<string, unknown> }> = [];
  h._events.on("comms", (m: { topic: string; data: Record<string, unknown> }) => got.push(m));
  return got;
}

describe("link: admin routes in the Node-RED runtime", function () {
  let sim: Simulator;
  let userDir: string;

  before(async () => {
    sim = await startTestSimulator();
  });
  after(async () => {
    await sim.close();
  });

  beforeEach(async () => {
    seen = [];
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-link-int-"));
    helper.settings({ userDir, credentialSecret: "integration-secret" });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    await stopDemoSimulator();
    for (const text of seen) {
      assert.ok(!text.includes(SIM_SECRET), "a response carried the client secret");
      assert.ok(!/access-(sandbox|production|development)-/.test(text), `a response carried an access token: ${text.slice(0, 200)}`);
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function loadCustom(extraCreds: Record<string, unknown> = {}) {
    await helper.load([plaidConfig, plaidLink], flow({ environment: "custom", basePath: sim.url }), {
      c1: { clientId: SIM_CLIENT_ID, secret: SIM_SECRET },
      ...extraCreds,
    });
  }

  async function linkByRoutes(): Promise<{ session: string; ev: Record<string, unknown> }> {
    const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
    assert.strictEqual(s.status, 201, s.text);
    const session = s.body.session as string;
    const tok = await call("get", `/plaid-sync/link/${session}/token`);
    assert.strictEqual(tok.status, 200);
    assert.match(tok.body.link_token as string, /^link-/);
    const public_token = await sandboxPublicToken(sim);
    const done = await call("post", `/plaid-sync/link/${session}/complete`, {
      public_token,
      metadata: { institution: { name: "First Platypus Bank", institution_id: "ins_109508" }, accounts: [{ id: "acc-1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }] },
    });
    assert.strictEqual(done.status, 200, done.text);
    return { session, ev: done.body };
  }

  it("plaid-config: problem() names what is missing; getClient per environment", async () => {
    await helper.load([plaidConfig, plaidLink], [
      { id: "a", type: "plaid-config", environment: "sandbox" },
      { id: "b", type: "plaid-config", environment: "production" },
      { id: "c", type: "plaid-config", environment: "custom", basePath: "" },
      { id: "d", type: "plaid-config", environment: "custom", basePath: sim.url },
      { id: "e", type: "plaid-config", environment: "demo" },
    ], { a: { clientId: "id" }, b: { secret: "s" }, d: { clientId: SIM_CLIENT_ID, secret: SIM_SECRET } });
    const n = (id: string) => helper.getNode<PlaidConfigNode>(id);
    assert.strictEqual(n("a").problem(), "Secret is missing");
    assert.strictEqual(n("b").problem(), "Client ID is missing");
    assert.strictEqual(n("c").problem(), "Base URL is missing (needed for a custom environment)");
    assert.strictEqual(n("d").problem(), null);
    assert.strictEqual(n("e").problem(), null, "demo needs no keys");
    await assert.rejects(n("a").getClient(), /Secret is missing/);
    const inst = await (await n("d").getClient()).institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] });
    assert.strictEqual(inst.data.institution.name, "First Platypus Bank");
    // demo: the in-process simulator, state under <userDir>/plaid-sync/
    const demo = await n("e").getClient();
    const pt = await demo.sandboxPublicTokenCreate({ institution_id: "ins_109508", initial_products: ["transactions" as never] });
    await demo.itemPublicTokenExchange({ public_token: pt.data.public_token });
    assert.ok(fs.existsSync(path.join(userDir, "plaid-sync", "demo-simulator.json")), "demo Items persist in the userDir");
    // The demo simulator's keys are this process's own: the well-known test keys open nothing.
    const running = await getDemoSimulator(path.join(userDir, "plaid-sync"));
    assert.notStrictEqual(running.secret, SIM_SECRET);
    const reset = await fetch(`${running.url}/simulator/reset`, { method: "POST", headers: { "content-type": "application/json", "PLAID-CLIENT-ID": SIM_CLIENT_ID, "PLAID-SECRET": SIM_SECRET }, body: "{}" });
    assert.strictEqual(reset.status, 400, "the simulator's control routes refuse other keys");
    assert.strictEqual(n("e").countryCodes.join(), "US");
    assert.match(n("e").publicBaseUrl(), /^https?:\/\/[^/]+$/);
  });

  it("add: session → Link page → token → complete stores the access token, pushes the link to the editor", async () => {
    await loadCustom();
    const events = comms();
    const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
    assert.strictEqual(s.status, 201);
    assert.strictEqual(s.body.url, `/plaid-sync/link/${s.body.session}`, "url from httpAdminRoot");
    const page = await call("get", s.body.url as string);
    assert.strictEqual(page.status, 200);
    assert.match(page.headers["content-type"], /text\/html/);
    assert.ok(page.text.includes(`${sim.url}/link/v2/stable/link-initialize.js`), "custom: the Link script from basePath");
    assert.strictEqual(page.headers["referrer-policy"], "no-referrer");

    const tok = await call("get", `/plaid-sync/link/${s.body.session}/token`);
    const public_token = (await standInLink(sim.url, tok.body.link_token as string)).public_token;
    const done = await call("post", `/plaid-sync/link/${s.body.session}/complete`, {
      public_token,
      metadata: { institution: { name: "First Platypus Bank", institution_id: "ins_109508" }, accounts: [{ id: "acc-1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }] },
    });
    assert.strictEqual(done.status, 200, done.text);
    assert.strictEqual((done.body.institution as { name: string }).name, "First Platypus Bank");
    const token = h.credentials.get("l1")?.accessToken as string;
    assert.match(token, /^access-/);

    const link = helper.getNode<PlaidLinkNode>("l1");
    assert.strictEqual(link.getAccessToken(), token, "read fresh from the credential store");
    assert.strictEqual(link.itemId, done.body.itemId);
    assert.strictEqual(link.institutionName, "First Platypus Bank");
    const ev = events.find((e) => e.topic === "plaid-sync/link/l1");
    assert.ok(ev, "comms message for the dialog");
    assert.strictEqual(ev.data.itemId, done.body.itemId);
    assert.ok(!JSON.stringify(events).includes(token), "no token over comms");

    // The token works against Plaid.
    const accounts = await (await link.configNode()!.getClient()).accountsGet({ access_token: token });
    assert.ok(accounts.data.accounts.length > 0);

    // Single completion: the page, token and complete answer 404 from now on.
    const again = await call("post", `/plaid-sync/link/${s.body.session}/complete`, { public_token, metadata: {} });
    assert.strictEqual(again.status, 404);
    assert.strictEqual(again.body.error, "This link page has expired or was already used. Start again from the Node-RED editor.");
    assert.strictEqual((await call("get", s.body.url as string)).status, 404);
    assert.strictEqual((await call("get", `/plaid-sync/link/${s.body.session}/token`)).status, 404);
  });

  it("wrong or malformed session → 404 page and JSON", async () => {
    await loadCustom();
    const p = await call("get", "/plaid-sync/link/" + "A".repeat(43));
    assert.strictEqual(p.status, 404);
    assert.match(p.text, /This link page has expired or was already used/);
    assert.strictEqual((await call("get", "/plaid-sync/link/nope/token")).status, 404);
    assert.strictEqual((await call("post", "/plaid-sync/link/nope/complete", { public_token: "x" })).status, 404);
  });

  it("cross-origin POSTs are refused (Node-RED ≤4.1 answers CORS *); the session survives", async () => {
    await loadCustom();
    const evil = { Origin: "http://evil.example" };
    const r = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" }, evil);
    assert.strictEqual(r.status, 403);
    assert.strictEqual(r.body.code, "CROSS_ORIGIN");
    const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
    const c = await call("post", `/plaid-sync/link/${s.body.session}/complete`, { public_token: "x" }, evil);
    assert.strictEqual(c.status, 403);
    assert.strictEqual((await call("post", "/plaid-sync/links/l1/remove", {}, evil)).status, 403);
    assert.strictEqual((await call("get", `/plaid-sync/link/${s.body.session}/token`)).status, 200, "not consumed");
  });

  it("bad input: undeployed config, config with missing keys, a public token Plaid rejects — no credentials written", async () => {
    await helper.load([plaidConfig, plaidLink], [
      ...flow({ environment: "custom", basePath: sim.url }),
      { id: "c2", type: "plaid-config", environment: "sandbox" },
    ], { c1: { clientId: SIM_CLIENT_ID, secret: SIM_SECRET } });
    // A plaid-link not deployed yet is linked with the config the editor names: it must be usable.
    const undeployed = await call("post", "/plaid-sync/link-sessions", { link: "l9", config: "not-deployed", mode: "add" });
    assert.strictEqual(undeployed.status, 409);
    assert.strictEqual(undeployed.body.error, "Deploy the Plaid config first.");
    const noKeys = await call("post", "/plaid-sync/link-sessions", { link: "l9", config: "c2", mode: "add" });
    assert.strictEqual(noKeys.status, 409);
    assert.strictEqual(noKeys.body.code, "CONFIG_INVALID");
    assert.strictEqual((await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "update" })).body.code, "NOT_LINKED");

    const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
    const bad = await call("post", `/plaid-sync/link/${s.body.session}/complete`, { public_token: "public-sandbox-00000000-bogus", metadata: {} });
    assert.strictEqual(bad.status, 400, bad.text);
    assert.strictEqual(bad.body.code, "INVALID_PUBLIC_TOKEN");
    assert.strictEqual(h.credentials.get("l1")?.accessToken, undefined);
    assert.ok(!fs.existsSync(path.join(userDir, "plaid-sync", "pending-links.json")));
  });

  it("health, 'Log in again' (update mode) after reset_login, relinkUrl, and 'Remove at Plaid'", async () => {
    await loadCustom();
    const { ev } = await linkByRoutes();
    let health = await call("get", "/plaid-sync/links/l1/health");
    assert.strictEqual(health.status, 200, health.text);
    assert.strictEqual(health.body.linked, true);
    assert.strictEqual(health.body.itemId, ev.itemId);
    assert.strictEqual(health.body.needsLogin, false);

    const token = h.credentials.get("l1")!.accessToken as string;
    const client = createPlaidClient({ basePath: sim.url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET });
    await client.sandboxItemResetLogin({ access_token: token });
    health = await call("get", "/plaid-sync/links/l1/health");
    assert.strictEqual(health.body.needsLogin, true);
    assert.strictEqual((health.body.error as { code: string }).code, "ITEM_LOGIN_REQUIRED");

    // "Log in again": an update-mode session, completed through the stand-in Link backend.
    const up = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "update" });
    assert.strictEqual(up.status, 201, up.text);
    const tok = await call("get", `/plaid-sync/link/${up.body.session}/token`);
    assert.strictEqual(tok.body.mode, "update");
    const linked = await standInLink(sim.url, tok.body.link_token as string);
    const done = await call("post", `/plaid-sync/link/${up.body.session}/complete`, linked);
    assert.strictEqual(done.status, 200, done.text);
    assert.strictEqual(done.body.mode, "update");
    assert.strictEqual(h.credentials.get("l1")!.accessToken, token, "update mode keeps the Item's token");
    health = await call("get", "/plaid-sync/links/l1/health");
    assert.strictEqual(health.body.needsLogin, false);
    assert.strictEqual(health.body.error, null);

    // relinkUrl (embedded): absolute, from publicBaseUrl, a working update-mode page.
    const link = helper.getNode<PlaidLinkNode>("l1");
    const url = await link.relinkUrl();
    const base = link.configNode()!.publicBaseUrl();
    assert.ok(url.startsWith(`${base}/plaid-sync/link/`), url);
    const page = await call("get", new URL(url).pathname);
    assert.strictEqual(page.status, 200);
    assert.strictEqual((await call("get", `${new URL(url).pathname}/token`)).body.mode, "update");

    // Remove at Plaid.
    const rm = await call("post", "/plaid-sync/links/l1/remove", {});
    assert.strictEqual(rm.status, 200, rm.text);
    assert.strictEqual(h.credentials.get("l1")?.accessToken, undefined);
    await assert.rejects(client.itemGet({ access_token: token }), (e: { response?: { data?: { error_code?: string } } }) => !!e.response?.data?.error_code);
    assert.deepStrictEqual((await call("get", "/plaid-sync/links/l1/health")).body, { linked: false });
    assert.strictEqual((await call("get", new URL(url).pathname)).status, 404, "its sessions are revoked");
  });

  it("durability: the token is pending (encrypted) until deployed, adopted after a restart, dropped once deployed", async () => {
    await loadCustom();
    await linkByRoutes();
    const token = h.credentials.get("l1")!.accessToken as string;
    const file = path.join(userDir, "plaid-sync", "pending-links.json");
    const raw = fs.readFileSync(file, "utf8");
    assert.ok(!raw.includes(token), "encrypted at rest");
    assert.ok(!raw.includes("First Platypus"), "nothing readable at rest");
    assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);

    // "Restart before Deploy": the runtime comes back with the deployed credentials, which lack the token.
    await helper.unload();
    await loadCustom();
    const link = helper.getNode<PlaidLinkNode>("l1");
    await waitUntil(() => h.credentials.get("l1")?.accessToken === token);
    assert.strictEqual(link.getAccessToken(), token);
    assert.strictEqual(link.institutionName, "First Platypus Bank", "adopted with its Item details");
    assert.ok(fs.existsSync(file), "kept until a deploy holds it");

    // "Deploy": the node starts with the token in its deployed credentials → the pending entry goes.
    await helper.unload();
    await loadCustom({ l1: { accessToken: token } });
    await waitUntil(() => !fs.existsSync(file));
    assert.strictEqual((await call("get", "/plaid-sync/links/l1/health")).body.linked, true);
  });

  it("demo: the Link script and stand-in backend through the admin proxy, nothing else; link end to end", async () => {
    await helper.load([plaidConfig, plaidLink], flow({ environment: "demo" }));
    const script = await call("get", "/plaid-sync/demo/link/v2/stable/link-initialize.js");
    assert.strictEqual(script.status, 200);
    assert.match(script.headers["content-type"], /javascript/);
    assert.match(script.text, /Plaid/);
    for (const p of ["/plaid-sync/demo/accounts/get", "/plaid-sync/demo/simulator/reset", "/plaid-sync/demo/sandbox/item/reset_login"]) {
      assert.strictEqual((await call("post", p, {})).status, 404, p);
    }
    const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
    assert.strictEqual(s.status, 201, s.text);
    const page = await call("get", s.body.url as string);
    assert.ok(page.text.includes("../demo/link/v2/stable/link-initialize.js"));
    const tok = await call("get", `/plaid-sync/link/${s.body.session}/token`);
    // The stand-in Link, as the browser runs it: its backend through the proxy.
    const proxied = await proxiedStandInLink(tok.body.link_token as string);
    const done = await call("post", `/plaid-sync/link/${s.body.session}/complete`, proxied);
    assert.strictEqual(done.status, 200, done.text);
    const link = helper.getNode<PlaidLinkNode>("l1");
    const res = await (await link.configNode()!.getClient()).accountsGet({ access_token: link.getAccessToken()! });
    assert.ok(res.data.accounts.length > 0);
  });

  it("the demo proxy answers 404 when no demo config is deployed", async () => {
    await loadCustom();
    assert.strictEqual((await call("get", "/plaid-sync/demo/link/v2/stable/link-initialize.js")).status, 404);
  });

  describe("which node and which config a route acts on", () => {
    let other: Simulator;
    let otherProxy: CountingProxy;
    before(async () => {
      // Another Plaid-compatible server, as a second config (or an attacker's) would name it.
      other = await startTestSimulator({ clientId: "other_client", secret: "other_secret" });
      otherProxy = await startCountingProxy(other.url);
    });
    after(async () => {
      await otherProxy.close();
      await other.close();
    });

    async function loadTwoConfigs() {
      await helper.load(
        [plaidConfig, plaidLink],
        [
          ...flow({ environment: "custom", basePath: sim.url }),
          { id: "c2", type: "plaid-config", name: "", environment: "custom", basePath: otherProxy.url, clientName: "x", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "", linkMode: "embedded" },
        ],
        { c1: { clientId: SIM_CLIENT_ID, secret: SIM_SECRET }, c2: { clientId: "other_client", secret: "other_secret" } },
      );
    }

    it("health and remove use the link's own config: another config's server never sees the token, and its answer cannot wipe it", async () => {
      await loadTwoConfigs();
      await linkByRoutes();
      const token = h.credentials.get("l1")!.accessToken as string;
      const health = await call("get", "/plaid-sync/links/l1/health?config=c2");
      assert.strictEqual(health.status, 200, health.text);
      assert.strictEqual(health.body.institutionName, "First Platypus Bank", "asked the link's own Plaid");
      const removed = await call("post", "/plaid-sync/links/l1/remove", { config: "c2" });
      assert.strictEqual(removed.status, 200, removed.text);
      assert.strictEqual(removed.body.alreadyGone, false, "removed at the link's own Plaid");
      await assert.rejects(createPlaidClient({ basePath: sim.url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET }).itemGet({ access_token: token }));
      assert.strictEqual(otherProxy.total(), 0, `the other server saw: ${JSON.stringify([...otherProxy.counts])}`);
    });

    it("a deployed link is linked with its own config; a request naming another one is refused", async () => {
      await loadTwoConfigs();
      const r = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c2", mode: "add" });
      assert.strictEqual(r.status, 409, r.text);
      assert.strictEqual(r.body.code, "CONFIG_MISMATCH");
      assert.strictEqual(otherProxy.total(), 0);
      // A plaid-link added in the editor and not deployed yet: the editor's config is used.
      const fresh = await call("post", "/plaid-sync/link-sessions", { link: "l9", config: "c1", mode: "add" });
      assert.strictEqual(fresh.status, 201, fresh.text);
      assert.strictEqual((await call("post", "/plaid-sync/link-sessions", { link: "l9", config: "c1", mode: "update" })).body.code, "UNKNOWN_LINK");
      assert.strictEqual((await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "update" })).body.code, "NOT_LINKED");
    });

    it("only plaid-link ids: another node's id, __proto__ and the like are refused and change nothing", async () => {
      await loadTwoConfigs();
      for (const id of ["c1", "__proto__", "constructor", "hasOwnProperty"]) {
        const s = await call("post", "/plaid-sync/link-sessions", { link: id, config: "c1", mode: "add" });
        assert.ok(s.status === 400 || s.status === 404, `link-sessions ${id}: ${s.status} ${s.text}`);
        const hl = await call("get", `/plaid-sync/links/${id}/health`);
        assert.ok(hl.status === 400 || hl.status === 404, `health ${id}: ${hl.status}`);
        const rm = await call("post", `/plaid-sync/links/${id}/remove`, {});
        assert.ok(rm.status === 400 || rm.status === 404, `remove ${id}: ${rm.status}`);
      }
      assert.strictEqual((await call("post", "/plaid-sync/link-sessions", { link: "c1", config: "c1", mode: "add" })).body.code, "NOT_A_LINK");
      assert.deepStrictEqual(Object.keys(h.credentials.get("c1") ?? {}).sort(), ["clientId", "secret"], "the config's credentials are untouched");
    });

    it("a forged Host never becomes the editor's address in re-login links; only a verified browser Origin of a call that worked does", async () => {
      await loadTwoConfigs();
      const cfg = helper.getNode<PlaidConfigNode>("c1");
      const guess = cfg.publicBaseUrl();
      const forged = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" }, { host: "evil.example:1880" });
      assert.strictEqual(forged.status, 201, forged.text);
      assert.ok(!cfg.publicBaseUrl().includes("evil.example"), `publicBaseUrl is ${cfg.publicBaseUrl()}`);
      assert.strictEqual(cfg.publicBaseUrl(), guess);
      // A browser's Origin that matches the request, on a call that failed: not recorded either.
      const failed = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "update" }, { host: "10.1.1.1:1880", origin: "http://10.1.1.1:1880" });
      assert.strictEqual(failed.status, 409);
      assert.strictEqual(cfg.publicBaseUrl(), guess);
      const ok = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" }, { host: "10.1.1.1:1880", origin: "http://10.1.1.1:1880" });
      assert.strictEqual(ok.status, 201, ok.text);
      assert.strictEqual(cfg.publicBaseUrl(), "http://10.1.1.1:1880");
    });

    it("health never writes credentials", async () => {
      await loadTwoConfigs();
      await linkByRoutes();
      const token = h.credentials.get("l1")!.accessToken as string;
      // As after a restart before Deploy: only the encrypted pending store has the token.
      (h.credentials as unknown as { delete(id: string): void }).delete("l1");
      const health = await call("get", "/plaid-sync/links/l1/health");
      assert.strictEqual(health.body.linked, true);
      assert.strictEqual(health.body.pendingDeploy, true);
      assert.strictEqual(h.credentials.get("l1")?.accessToken, undefined, "health read the token; it did not store it");
      void token;
    });
  });

  describe("Hosted Link (the default link mode)", () => {
    async function loadHosted(extra: Record<string, unknown> = {}) {
      await helper.load(
        [plaidConfig, plaidLink],
        [...flow({ environment: "custom", basePath: sim.url, linkMode: "hosted", ...extra }), { id: "l2", type: "plaid-link", config: "c1", name: "", itemId: "", institutionId: "", institutionName: "", accounts: [] }],
        { c1: { clientId: SIM_CLIENT_ID, secret: SIM_SECRET } },
      );
    }

    async function statusUntil(session: string, link: string, want: string, ms = 15_000): Promise<Resp> {
      const until = Date.now() + ms;
      for (;;) {
        const r = await call("get", `/plaid-sync/link-sessions/${session}?link=${link}`);
        if (r.body.status === want) return r;
        if (Date.now() > until) throw new Error(`session still ${r.status} ${r.text}, wanted ${want}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }

    it("links with no callback from the browser: the server polls Plaid, exchanges, stores what Plaid says", async () => {
      await loadHosted();
      const events = comms();
      const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      assert.strictEqual(s.status, 201, s.text);
      assert.strictEqual(s.body.hosted, true);
      assert.ok(String(s.body.hostedUrl).startsWith(`${sim.url}/hl/`), "Plaid's own page (the simulator's origin)");
      // The Link page: no Plaid script, a hand-over link and a QR code of Plaid's URL.
      const page = await call("get", s.body.url as string);
      assert.strictEqual(page.status, 200);
      assert.ok(!/<script[^>]+src=/.test(page.text), "loads no script at all");
      assert.ok(page.text.includes(`href="${s.body.hostedUrl}"`));
      assert.match(page.text, /<svg[^>]+role="img"/);
      assert.strictEqual((await call("get", `/plaid-sync/link/${s.body.session}/token`)).status, 404, "no link_token handed out in hosted mode");
      assert.strictEqual((await call("get", `/plaid-sync/link-sessions/${s.body.session}?link=l1`)).body.status, "open");

      await finishHostedLink(s.body.hostedUrl as string);
      const done = await statusUntil(s.body.session as string, "l1", "linked");
      assert.strictEqual(done.body.institutionName, "First Platypus Bank");
      assert.ok((done.body.accounts as unknown[]).length > 0);
      const token = h.credentials.get("l1")?.accessToken as string;
      assert.match(token, /^access-/);
      assert.ok(fs.existsSync(path.join(userDir, "plaid-sync", "pending-links.json")), "kept encrypted until deployed");
      const ev = events.find((e) => e.topic === "plaid-sync/link/l1");
      assert.ok(ev && ev.data.itemId === done.body.itemId, "the editor is told over comms");
      // The page's own status route answers the same, with the session id as its only credential.
      assert.strictEqual((await call("get", `/plaid-sync/link/${s.body.session}/status`)).body.status, "linked");
    });

    it("bad input: an unknown session or another link's session is a 404; a bad link mode or lifetime is a clear config error", async () => {
      await loadHosted();
      const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      assert.strictEqual((await call("get", `/plaid-sync/link-sessions/${"A".repeat(43)}?link=l1`)).status, 404);
      const other = await call("get", `/plaid-sync/link-sessions/${s.body.session}?link=l2`);
      assert.strictEqual(other.status, 404, "l2 cannot read l1's session");
      assert.strictEqual(other.body.code, "SESSION_UNKNOWN");
      assert.strictEqual((await call("get", "/plaid-sync/link-sessions/x")).status, 404);
      await helper.unload();
      await loadHosted({ linkMode: "popup" });
      const bad = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      assert.strictEqual(bad.status, 409);
      assert.strictEqual(bad.body.code, "CONFIG_INVALID");
      assert.match(String(bad.body.error), /Unknown link mode "popup": use hosted or embedded/);
      await helper.unload();
      await loadHosted({ relinkLifetimeHours: 24 * 30 });
      const long = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      assert.strictEqual(long.status, 409);
      assert.match(String(long.body.error), /Re-login link lifetime "720" hours is out of range: use 1 to 504 hours/);
      assert.strictEqual(h.credentials.get("l1")?.accessToken, undefined, "nothing changed");
    });

    it("exit: 'exited'; the same Plaid page can then still be finished", async () => {
      await loadHosted();
      const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      await finishHostedLink(s.body.hostedUrl as string, { exit: true });
      await statusUntil(s.body.session as string, "l1", "exited");
      assert.strictEqual(h.credentials.get("l1")?.accessToken, undefined);
      await finishHostedLink(s.body.hostedUrl as string);
      await statusUntil(s.body.session as string, "l1", "linked");
    });

    it("a restart (the runtime reloaded) while a session is open: it is followed again and links", async () => {
      await loadHosted();
      const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      const file = path.join(userDir, "plaid-sync", "link-sessions.json");
      const raw = fs.readFileSync(file, "utf8");
      assert.ok(!raw.includes(String(s.body.session)) && !raw.includes("hl/"), "kept encrypted");
      await helper.unload();
      await helper.stopServer();
      await helper.startServer();
      await loadHosted();
      await finishHostedLink(s.body.hostedUrl as string);
      await statusUntil(s.body.session as string, "l1", "linked");
      assert.match(String(h.credentials.get("l1")?.accessToken), /^access-/);
    });

    it("re-login: the node's relinkUrl is Plaid's page, the same for every failed sync; finishing it repairs the Item and tells the node", async () => {
      await loadHosted();
      const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      await finishHostedLink(s.body.hostedUrl as string);
      await statusUntil(s.body.session as string, "l1", "linked");
      const token = h.credentials.get("l1")!.accessToken as string;
      const client = createPlaidClient({ basePath: sim.url, clientId: SIM_CLIENT_ID, secret: SIM_SECRET });
      await client.sandboxItemResetLogin({ access_token: token });
      const link = helper.getNode<PlaidLinkNode>("l1");
      let repaired = 0;
      const unsubscribe = link.onLoginRepaired(() => repaired++);
      const urls = [await link.relinkUrl(), await link.relinkUrl(), await link.relinkUrl()];
      assert.strictEqual(new Set(urls).size, 1, "one URL per episode");
      assert.ok(urls[0].startsWith(`${sim.url}/hl/`));
      await finishHostedLink(urls[0]);
      await waitUntil(() => repaired === 1, 90_000);
      unsubscribe();
      assert.strictEqual((await client.itemGet({ access_token: token })).data.item.error, null);
      assert.strictEqual(h.credentials.get("l1")!.accessToken, token, "update mode keeps the token");
      const next = await link.relinkUrl();
      assert.notStrictEqual(next, urls[0], "a later episode gets a new URL");
    });

    it("demo: Plaid's page is reached through the demo proxy, so any browser that reaches the editor can finish it", async () => {
      await helper.load([plaidConfig, plaidLink], flow({ environment: "demo", linkMode: "hosted" }));
      const s = await call("post", "/plaid-sync/link-sessions", { link: "l1", config: "c1", mode: "add" });
      assert.strictEqual(s.status, 201, s.text);
      // On the origin the editor was reached at (supertest's own server here), under the demo proxy.
      const hosted = new URL(String(s.body.hostedUrl));
      assert.match(hosted.pathname, /^\/plaid-sync\/demo\/hl\/[A-Za-z0-9]+$/);
      assert.strictEqual(hosted.hostname, "127.0.0.1");
      // A browser on another machine reaches the editor's admin app: serve that app on a port of its own.
      const admin = http.createServer((helper as unknown as { _httpAdmin: http.RequestListener })._httpAdmin);
      await new Promise<void>((r) => admin.listen(0, "127.0.0.1", r));
      try {
        await finishHostedLink(`http://127.0.0.1:${(admin.address() as AddressInfo).port}${hosted.pathname}`);
      } finally {
        admin.close();
      }
      await statusUntil(s.body.session as string, "l1", "linked");
    });
  });

  async function proxiedStandInLink(linkToken: string) {
    const post = async (ep: string, body: unknown) => {
      const r = await call("post", `/plaid-sync/demo/simulator/link/${ep}`, body);
      assert.ok(r.status < 300, `${ep}: ${r.status} ${r.text}`);
      return r.body;
    };
    await post("session", { link_token: linkToken });
    const login = (await post("login", { link_token: linkToken, institution_id: "ins_109508", username: "user_good", password: "pass_good" })) as { accounts: Array<{ id: string }> };
    return post("complete", { link_token: linkToken, institution_id: "ins_109508", username: "user_good", password: "pass_good", account_ids: login.accounts.map((a) => a.id) });
  }
});

async function waitUntil(pred: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
