/**
 * Hosted Link behaviour without a browser: hosted_link validation, the URL's origin, lifetimes
 * and expiry on the simulator clock, link session recording and its 6 h retention, single use,
 * update mode, and survival across a restart with a state file. The browser flow itself is in
 * hosted-link.test.ts.
 */
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AxiosError } from "axios";
import type { LinkTokenCreateRequest, PlaidApi } from "plaid";
import { completeLinkSession, hostedLinkToken, linkBackend } from "../support/hosted-link";
import { linkSandboxItem, simulatorClient, startTestSimulator, type Simulator, simulatorSuite } from "../support/simulator";

const HOUR = 3600_000;

async function plaidError(fn: () => Promise<unknown>): Promise<{ status: number; error_code: string; error_message: string }> {
  try {
    await fn();
  } catch (e) {
    const res = (e as AxiosError).response;
    assert.ok(res, `expected an HTTP error response, got ${String(e)}`);
    const data = res.data as { error_code: string; error_message: string };
    return { status: res.status, error_code: data.error_code, error_message: data.error_message };
  }
  assert.fail("expected the call to fail");
}

/** POST with an explicit Host header (fetch cannot set one). */
function postWithHost(sim: Simulator, p: string, host: string, body: unknown): Promise<{ status: number; data: Record<string, unknown> }> {
  const target = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      "plaid-client-id": sim.clientId,
      "plaid-secret": sim.secret,
    };
    headers.host = host;
    const req = http.request({ host: target.hostname, port: target.port, path: p, method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, data: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const LINK_BASE = {
  client_name: "Node-RED",
  language: "en",
  country_codes: ["US"],
  user: { client_user_id: "u1" },
  products: ["transactions"],
} as unknown as LinkTokenCreateRequest;

describe("simulator: Hosted Link behaviour", function () {
  const suite = simulatorSuite({ today: "2024-06-15" });
  let sim: Simulator;
  let client: PlaidApi;
  before(() => ({ sim, client } = suite));

  const tokenGet = async (linkToken: string) => (await client.linkTokenGet({ link_token: linkToken })).data;
  const pageStatus = async (url: string): Promise<number> => (await fetch(url)).status;

  describe("hosted_link on /link/token/create", () => {
    it("validates url_lifetime_seconds, completion_redirect_uri, is_mobile_app, delivery_method; accepts unknown keys", async () => {
      const create = (hosted: unknown, extra: Record<string, unknown> = {}) =>
        client.linkTokenCreate({ ...LINK_BASE, ...extra, hosted_link: hosted } as never);
      for (const [hosted, field] of [
        [{ url_lifetime_seconds: 0 }, "hosted_link.url_lifetime_seconds"],
        [{ url_lifetime_seconds: -1 }, "hosted_link.url_lifetime_seconds"],
        [{ url_lifetime_seconds: 1_814_401 }, "hosted_link.url_lifetime_seconds"],
        [{ url_lifetime_seconds: 1.5 }, "hosted_link.url_lifetime_seconds"],
        [{ url_lifetime_seconds: "60" }, "hosted_link.url_lifetime_seconds"],
        [{ completion_redirect_uri: "not a uri" }, "hosted_link.completion_redirect_uri"],
        [{ completion_redirect_uri: "javascript:alert(1)" }, "hosted_link.completion_redirect_uri"],
        [{ completion_redirect_uri: 42 }, "hosted_link.completion_redirect_uri"],
        [{ is_mobile_app: "yes" }, "hosted_link.is_mobile_app"],
        [{ delivery_method: "fax" }, "hosted_link.delivery_method"],
        [{ delivery_method: "sms" }, "hosted_link.delivery_method"],
        ["yes", "hosted_link"],
      ] as const) {
        const e = await plaidError(() => create(hosted));
        assert.deepEqual([e.status, e.error_code], [400, "INVALID_FIELD"], JSON.stringify(hosted));
        assert.ok(e.error_message.startsWith(`${field} `), `${JSON.stringify(hosted)}: ${e.error_message}`);
      }
      const max = await create({ url_lifetime_seconds: 1_814_400, completion_redirect_uri: "myapp://plaid/done", is_mobile_app: true, something_new: 1 });
      assert.equal(Date.parse(max.data.expiration) - Date.parse((await tokenGet(max.data.link_token)).created_at as string), 1_814_400_000);
      const sms = await create({ delivery_method: "sms" }, { user: { client_user_id: "u1", phone_number: "+14155550123" } });
      assert.ok(sms.data.hosted_link_url);
    });

    it("hosted_link_url: <origin of the Host header>/hl/<id>, an id unrelated to the link token", async () => {
      const a = await postWithHost(sim, "/link/token/create", "plaid.example:8443", { ...LINK_BASE, hosted_link: {} });
      assert.equal(a.status, 200, JSON.stringify(a.data));
      const url = new URL(a.data.hosted_link_url as string);
      assert.equal(url.origin, "http://plaid.example:8443");
      const id = url.pathname.replace(/^\/hl\//, "");
      assert.match(id, /^[A-Za-z0-9]{32}$/);
      assert.ok(!(a.data.link_token as string).includes(id) && !id.includes((a.data.link_token as string).slice(13, 21)));
      // The page is served at that path on any origin the simulator is reached by.
      assert.equal(await pageStatus(`${sim.url}${url.pathname}`), 200);

      const ipv6 = await postWithHost(sim, "/link/token/create", "[::1]:9999", { ...LINK_BASE, hosted_link: {} });
      assert.equal(new URL(ipv6.data.hosted_link_url as string).origin, "http://[::1]:9999");
      // A Host header no URL can be built from: the address the request arrived on.
      const odd = await postWithHost(sim, "/link/token/create", "evil.example/x?", { ...LINK_BASE, hosted_link: {} });
      assert.equal(new URL(odd.data.hosted_link_url as string).origin, sim.url);
    });
  });

  describe("lifetime and expiry (simulator clock)", () => {
    it("default 30 minutes in add and in update mode; url_lifetime_seconds overrides both", async () => {
      const minutes = async (linkToken: string) => {
        const g = await tokenGet(linkToken);
        return (Date.parse(g.expiration as string) - Date.parse(g.created_at as string)) / 60_000;
      };
      assert.equal(await minutes((await hostedLinkToken(client)).linkToken), 30);
      const { accessToken } = await linkSandboxItem(client);
      assert.equal(await minutes((await hostedLinkToken(client, { accessToken })).linkToken), 30);
      assert.equal(await minutes((await hostedLinkToken(client, { accessToken, hosted: { url_lifetime_seconds: 2 * 86_400 } })).linkToken), 2 * 1440);
      assert.equal(await minutes((await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 90 } })).linkToken), 1.5);
    });

    it("the token expires with the URL; /link/token/get answers for 24 h after, then INVALID_LINK_TOKEN", async () => {
      const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 600 } });
      sim.advanceClock(599_000);
      assert.equal((await linkBackend(sim, "session", { link_token: t.linkToken })).status, 200);
      assert.equal(await pageStatus(t.url), 200);
      sim.advanceClock(2_000);
      const refused = await linkBackend(sim, "session", { link_token: t.linkToken });
      assert.deepEqual([refused.status, refused.data.error_code], [400, "INVALID_LINK_TOKEN"]);
      assert.equal(await pageStatus(t.url), 410);
      const late = await tokenGet(t.linkToken);
      assert.ok(Date.parse(late.expiration as string) < sim.core.now(), "expiration in the past");
      sim.advanceClock(24 * HOUR - 2_000);
      assert.equal((await tokenGet(t.linkToken)).link_token, t.linkToken);
      sim.advanceClock(2_000);
      assert.equal((await plaidError(() => client.linkTokenGet({ link_token: t.linkToken }))).error_code, "INVALID_LINK_TOKEN");
      assert.equal(await pageStatus(t.url), 404);
    });

    it("an unknown link token is INVALID_LINK_TOKEN; a missing one MISSING_FIELDS", async () => {
      const e = await plaidError(() => client.linkTokenGet({ link_token: "link-sandbox-00000000-0000-4000-8000-000000000000" }));
      assert.deepEqual([e.status, e.error_code], [400, "INVALID_LINK_TOKEN"]);
      assert.equal((await plaidError(() => client.linkTokenGet({} as never))).error_code, "MISSING_FIELDS");
      assert.equal(await pageStatus(`${sim.url}/hl/${"A".repeat(32)}`), 404);
    });
  });

  describe("link sessions", () => {
    it("recorded for every link token, hosted or not; a finished session disappears 6 h after it finished", async () => {
      const plain = await client.linkTokenCreate(LINK_BASE);
      const done = await completeLinkSession(sim, plain.data.link_token);
      let g = await tokenGet(plain.data.link_token);
      assert.deepEqual(g.link_sessions?.map((s) => s.link_session_id), [done.linkSessionId]);
      const finished = Date.parse(g.link_sessions![0].finished_at as string);
      assert.ok(finished >= Date.parse(g.link_sessions![0].started_at as string));
      sim.advanceClock(6 * HOUR - 2_000);
      g = await tokenGet(plain.data.link_token);
      assert.equal(g.link_sessions?.length, 1, "still there just before 6 h");
      sim.advanceClock(4_000);
      g = await tokenGet(plain.data.link_token);
      assert.deepEqual(g.link_sessions, [], "gone after 6 h; the token itself still answers");
    });

    it("an unfinished session stays; exit is recorded once; a later session is a new one", async () => {
      const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 86_400 } });
      const first = "2a4a4b9e-4c1c-4d6f-9a39-1b2c3d4e5f62";
      await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: first });
      sim.advanceClock(7 * HOUR);
      assert.equal((await tokenGet(t.linkToken)).link_sessions?.[0].finished_at, null, "open sessions are not dropped");
      const exit = await linkBackend(sim, "exit", { link_token: t.linkToken, link_session_id: first, error: null, status: "no-such-status" });
      assert.equal(exit.status, 200);
      await linkBackend(sim, "exit", { link_token: t.linkToken, link_session_id: first, error: null, status: "requires_oauth" });
      const s = (await tokenGet(t.linkToken)).link_sessions![0];
      assert.equal(s.exit?.metadata?.status, "requires_credentials", "an unknown status reads as Plaid's catch-all; the second exit changed nothing");
      assert.equal(s.exit?.error, null);
      assert.equal(s.exit?.metadata?.institution, null);
      assert.equal(s.events?.filter((e) => e.event_name === "EXIT").length, 1);
      // After an exit the hosted URL still works: a new link session.
      assert.equal(await pageStatus(t.url), 200);
      await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: first });
      const sessions = (await tokenGet(t.linkToken)).link_sessions!;
      assert.equal(sessions.length, 2);
      assert.notEqual(sessions[1].link_session_id, first, "a finished session is never reopened");
      assert.equal(sessions[1].finished_at, null);
    });

    it("OAuth in a hosted session: relative links back into the hosted page; the bank's state carries the link session", async () => {
      const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 3600 } });
      const id = "4a4a4b9e-4c1c-4d6f-9a39-1b2c3d4e5f64";
      await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: id });
      const bank = await fetch(`${sim.url}/simulator/link/oauth?link_token=${encodeURIComponent(t.linkToken)}&institution_id=ins_127287&link_session_id=${id}`);
      assert.equal(bank.status, 200);
      assert.match(bank.headers.get("content-security-policy") ?? "", /default-src 'none'.*frame-ancestors 'none'/);
      const html = await bank.text();
      const hostedPath = new URL(t.url).pathname;
      const authorize = /id="authorize"[^>]*href="([^"]+)"/.exec(html)?.[1].replace(/&amp;/g, "&") ?? "";
      const cancel = /id="deny"[^>]*href="([^"]+)"/.exec(html)?.[1] ?? "";
      assert.match(authorize, /^\.\.\/\.\.\/hl\/[A-Za-z0-9]+\?oauth_state_id=[0-9a-f-]{36}$/, "relative, no origin");
      assert.equal(new URL(authorize, `${sim.url}/simulator/link/oauth`).pathname, hostedPath);
      assert.equal(new URL(cancel, `${sim.url}/simulator/link/oauth`).pathname, hostedPath);
      assert.ok(!html.includes(sim.url) && !html.includes("javascript:"), "no absolute origin, no script URL");
      const stateId = new URL(authorize, sim.url).searchParams.get("oauth_state_id");
      // Link reopened after the bank without its sessionStorage proposes another id: it gets the original.
      const reopened = await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: randomUUID(), oauth_state_id: stateId });
      assert.equal(reopened.data.link_session_id, id);
      const resumed = await linkBackend(sim, "oauth-resume", { link_token: t.linkToken, oauth_state_id: stateId });
      assert.equal(resumed.status, 200);
      const done = await linkBackend(sim, "complete", { link_token: t.linkToken, institution_id: "ins_127287", oauth_state_id: stateId });
      assert.equal(done.status, 200, JSON.stringify(done.data));
      const sessions = (await tokenGet(t.linkToken)).link_sessions!;
      assert.deepEqual(sessions.map((x) => x.link_session_id), [id]);
      assert.deepEqual(sessions[0].events?.map((e) => e.event_name), ["OPEN", "SELECT_INSTITUTION", "OPEN_OAUTH", "CLOSE_OAUTH", "HANDOFF"]);
      assert.equal(sessions[0].results?.item_add_results[0].institution?.institution_id, "ins_127287");
    });

    it("a hosted link is used up by its first success: the page says so and Link refuses the token", async () => {
      const t = await hostedLinkToken(client, { hosted: { url_lifetime_seconds: 3600 } });
      await completeLinkSession(sim, t.linkToken);
      assert.equal(await pageStatus(t.url), 409);
      assert.equal((await linkBackend(sim, "session", { link_token: t.linkToken })).data.error_code, "INVALID_LINK_TOKEN");
      assert.equal((await linkBackend(sim, "open", { link_token: t.linkToken, link_session_id: randomUUID() })).data.error_code, "INVALID_LINK_TOKEN");
      // An embedded (not hosted) token stays reusable, as in Plaid's Sandbox.
      const plain = await client.linkTokenCreate(LINK_BASE);
      await completeLinkSession(sim, plain.data.link_token);
      await completeLinkSession(sim, plain.data.link_token);
      assert.equal((await tokenGet(plain.data.link_token)).link_sessions?.length, 2);
    });

    it("add mode: the public token in item_add_results exchanges to an Item with exactly the chosen accounts", async () => {
      const t = await hostedLinkToken(client);
      const done = await completeLinkSession(sim, t.linkToken, { accountIds: (ids) => [ids[0], ids[2]] });
      const r = (await tokenGet(t.linkToken)).link_sessions![0].results!.item_add_results[0];
      const ex = await client.itemPublicTokenExchange({ public_token: r.public_token });
      const accounts = await client.accountsGet({ access_token: ex.data.access_token });
      assert.deepEqual(accounts.data.accounts.map((a) => a.account_id).sort(), [done.offered[0], done.offered[2]].sort());
      assert.deepEqual(r.accounts.map((a) => a.id).sort(), [done.offered[0], done.offered[2]].sort());
      assert.equal((await plaidError(() => client.itemPublicTokenExchange({ public_token: r.public_token }))).error_code, "INVALID_PUBLIC_TOKEN", "single use");
    });

    it("update mode: repairs ITEM_LOGIN_REQUIRED, fires LOGIN_REPAIRED; the session succeeds with no Item add", async () => {
      const { accessToken, itemId } = await linkSandboxItem(client, { webhook: "http://127.0.0.1:9/hook" });
      await client.sandboxItemResetLogin({ access_token: accessToken });
      const t = await hostedLinkToken(client, { accessToken, hosted: { url_lifetime_seconds: 86_400 } });
      const sessionInfo = await linkBackend(sim, "session", { link_token: t.linkToken });
      assert.deepEqual(sessionInfo.data.item, { item_id: itemId, institution_id: "ins_109508", institution_name: "First Platypus Bank" });
      await completeLinkSession(sim, t.linkToken);
      assert.equal((await client.itemGet({ access_token: accessToken })).data.item.error, null);
      assert.ok(sim.webhooksSent().some((w) => w.payload.item_id === itemId && w.payload.webhook_code === "LOGIN_REPAIRED"));
      const session = (await tokenGet(t.linkToken)).link_sessions![0];
      assert.deepEqual(session.results?.item_add_results, [], "update mode adds no Item");
      assert.equal(session.exit, undefined);
      assert.ok(session.finished_at);
      assert.equal((await client.accountsGet({ access_token: accessToken })).data.item.item_id, itemId, "the same access token works");
      assert.equal(await pageStatus(t.url), 409);
    });
  });

  describe("restart with a state file", () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-sim-hosted-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("link tokens, link sessions, drafts and unexchanged public tokens survive; access tokens stay hashed", async () => {
      const stateFile = path.join(dir, "sim.json");
      const sim1 = await startTestSimulator({ stateFile, today: "2024-06-15" });
      const c1 = simulatorClient(sim1);
      const done = await hostedLinkToken(c1, { hosted: { url_lifetime_seconds: 86_400 } });
      await completeLinkSession(sim1, done.linkToken);
      const doneBefore = (await c1.linkTokenGet({ link_token: done.linkToken })).data;
      // A second link, left between login and account selection when the simulator stops.
      const midway = await hostedLinkToken(c1, { hosted: { url_lifetime_seconds: 86_400 } });
      const sessionId = "3a4a4b9e-4c1c-4d6f-9a39-1b2c3d4e5f63";
      await linkBackend(sim1, "open", { link_token: midway.linkToken, link_session_id: sessionId });
      const creds = { institution_id: "ins_109508", username: "user_good", password: "pass_good" };
      const login = await linkBackend(sim1, "login", { link_token: midway.linkToken, link_session_id: sessionId, ...creds });
      const offered = (login.data.accounts as Array<{ id: string }>).map((a) => a.id);
      const { accessToken } = await linkSandboxItem(c1);
      await sim1.close();

      const text = fs.readFileSync(stateFile, "utf8");
      assert.ok(!text.includes(accessToken), "no plaintext access token");
      assert.ok(text.includes(createHash("sha256").update(accessToken).digest("hex")));

      const sim2 = await startTestSimulator({ stateFile, today: "2024-06-15" });
      try {
        const c2 = simulatorClient(sim2);
        const doneAfter = (await c2.linkTokenGet({ link_token: done.linkToken })).data;
        const { request_id: _a, ...a } = doneBefore;
        const { request_id: _b, ...b } = doneAfter;
        assert.deepEqual(b, a, "the same answer after the restart");
        // The result was not exchanged before the restart: it still can be.
        const publicToken = doneAfter.link_sessions![0].results!.item_add_results[0].public_token;
        assert.ok((await c2.itemPublicTokenExchange({ public_token: publicToken })).data.item_id);
        assert.equal((await fetch(new URL(new URL(done.url).pathname, sim2.url))).status, 409, "still used");

        const hostedPath = new URL(midway.url).pathname;
        assert.equal((await fetch(new URL(hostedPath, sim2.url))).status, 200, "the unfinished link still opens");
        const complete = await linkBackend(sim2, "complete", { link_token: midway.linkToken, link_session_id: sessionId, ...creds, account_ids: offered.slice(0, 1) });
        assert.equal(complete.status, 200, JSON.stringify(complete.data));
        const s = (await c2.linkTokenGet({ link_token: midway.linkToken })).data.link_sessions!;
        assert.deepEqual(s.map((x) => x.link_session_id), [sessionId], "the session begun before the restart finished");
        assert.deepEqual(s[0].results!.item_add_results[0].accounts.map((x) => x.id), offered.slice(0, 1), "the account ids shown before the restart");
        assert.equal((await c2.accountsGet({ access_token: accessToken })).status, 200);
      } finally {
        await sim2.close();
      }
    });

    it("reads a state file written before link tokens were persisted", async () => {
      const stateFile = path.join(dir, "old.json");
      const sim1 = await startTestSimulator({ stateFile, today: "2024-06-15" });
      const { accessToken } = await linkSandboxItem(simulatorClient(sim1));
      await sim1.close();
      const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, unknown>;
      delete state.link_tokens;
      delete state.public_tokens;
      assert.deepEqual(Object.keys(state).sort(), ["items", "removed_token_hashes", "version"]);
      fs.writeFileSync(stateFile, JSON.stringify(state));
      const lines: string[] = [];
      const sim2 = await startTestSimulator({ stateFile, today: "2024-06-15", log: (l) => lines.push(l) });
      try {
        assert.deepEqual(lines, []);
        const c2 = simulatorClient(sim2);
        assert.equal((await c2.itemGet({ access_token: accessToken })).status, 200);
        const t = await hostedLinkToken(c2);
        assert.equal((await c2.linkTokenGet({ link_token: t.linkToken })).data.link_token, t.linkToken);
      } finally {
        await sim2.close();
      }
    });
  });
});
