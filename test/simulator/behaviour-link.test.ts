/**
 * The stand-in Link backend (/simulator/link/*) as docs/internals.md specifies it, and the
 * script and OAuth page it serves. Link tokens come from the official client.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PlaidApi } from "plaid";
import { linkSandboxItem, type Simulator, simulatorSuite } from "../support/simulator";

type Json = Record<string, unknown>;

describe("simulator: stand-in Link backend", function () {
  const suite = simulatorSuite({ today: "2024-06-15" });
  let sim: Simulator;
  let client: PlaidApi;
  before(() => ({ sim, client } = suite));

  async function post(route: string, body: Json): Promise<{ status: number; data: Json; headers: Headers }> {
    const res = await fetch(`${sim.url}/simulator/link/${route}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "http://elsewhere.example" },
      body: JSON.stringify(body),
    });
    return { status: res.status, data: (await res.json()) as Json, headers: res.headers };
  }

  async function linkToken(extra: Json = {}): Promise<string> {
    const r = await client.linkTokenCreate({
      client_name: "Node-RED",
      language: "en",
      country_codes: ["US" as never],
      user: { client_user_id: "user-1" },
      products: ["transactions" as never],
      ...extra,
    });
    return r.data.link_token;
  }

  it("session describes an add-mode token; unknown tokens are INVALID_LINK_TOKEN", async () => {
    const token = await linkToken();
    const s = await post("session", { link_token: token });
    assert.equal(s.status, 200);
    assert.equal(s.data.mode, "add");
    assert.equal(s.data.client_name, "Node-RED");
    assert.equal(s.data.item, null);
    const institutions = s.data.institutions as Array<{ institution_id: string; name: string; oauth: boolean }>;
    assert.ok(institutions.some((i) => i.institution_id === "ins_109508" && i.name === "First Platypus Bank" && i.oauth === false));
    assert.ok(institutions.some((i) => i.institution_id === "ins_127287" && i.oauth === true));
    assert.equal(s.headers.get("access-control-allow-origin"), "*");
    const bad = await post("session", { link_token: "link-sandbox-nope" });
    assert.deepEqual([bad.status, bad.data.error_type, bad.data.error_code], [400, "INVALID_INPUT", "INVALID_LINK_TOKEN"]);
  });

  it("login → accounts; complete with a selection → public token whose Item has exactly those accounts", async () => {
    const token = await linkToken();
    const wrong = await post("login", { link_token: token, institution_id: "ins_109508", username: "user_good", password: "nope" });
    assert.deepEqual([wrong.status, wrong.data.error_type, wrong.data.error_code], [400, "ITEM_ERROR", "INVALID_CREDENTIALS"]);
    const login = await post("login", { link_token: token, institution_id: "ins_109508", username: "user_good", password: "pass_good" });
    assert.equal(login.status, 200);
    const accounts = login.data.accounts as Array<{ id: string; name: string; mask: string; type: string; subtype: string }>;
    assert.ok(accounts.length >= 3);
    const chosen = accounts.filter((a) => a.type !== "investment").slice(0, 2);
    const done = await post("complete", { link_token: token, institution_id: "ins_109508", username: "user_good", password: "pass_good", account_ids: chosen.map((a) => a.id) });
    assert.equal(done.status, 200, JSON.stringify(done.data));
    const md = done.data.metadata as { institution: Json; accounts: Json[]; link_session_id: string; transfer_status: null };
    assert.deepEqual(md.institution, { name: "First Platypus Bank", institution_id: "ins_109508" });
    assert.deepEqual(md.accounts.map((a) => a.id), chosen.map((a) => a.id));
    assert.ok(md.accounts.every((a) => a.verification_status === null && a.class_type === null));
    assert.match(md.link_session_id, /^[0-9a-f-]{36}$/);
    assert.equal(md.transfer_status, null);
    const ex = await client.itemPublicTokenExchange({ public_token: done.data.public_token as string });
    const got = await client.accountsGet({ access_token: ex.data.access_token });
    assert.deepEqual(got.data.accounts.map((a) => a.account_id).sort(), chosen.map((a) => a.id).sort());
    const sync = await client.transactionsSync({ access_token: ex.data.access_token });
    assert.ok(sync.data.added.length > 0);
    assert.ok(sync.data.added.every((t) => chosen.some((a) => a.id === t.account_id)));
  });

  it("update mode: must use the Item's institution, clears ITEM_LOGIN_REQUIRED, token belongs to the same Item", async () => {
    const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_transactions_dynamic", password: "pw" });
    await client.sandboxItemResetLogin({ access_token: accessToken });
    const r = await client.linkTokenCreate({ client_name: "Node-RED", language: "en", country_codes: ["US" as never], user: { client_user_id: "u" }, access_token: accessToken });
    const token = r.data.link_token;
    const s = await post("session", { link_token: token });
    assert.equal(s.data.mode, "update");
    assert.deepEqual(s.data.item, { item_id: itemId, institution_id: "ins_109508", institution_name: "First Platypus Bank" });
    const other = await post("login", { link_token: token, institution_id: "ins_109509", username: "user_good", password: "pass_good" });
    assert.equal(other.status, 400);
    const wrong = await post("complete", { link_token: token, institution_id: "ins_109508", username: "user_good", password: "bad" });
    assert.equal(wrong.data.error_code, "INVALID_CREDENTIALS");
    assert.equal((await client.itemGet({ access_token: accessToken })).data.item.error?.error_code, "ITEM_LOGIN_REQUIRED");
    const done = await post("complete", { link_token: token, institution_id: "ins_109508", username: "user_transactions_dynamic", password: "pw" });
    assert.equal(done.status, 200, JSON.stringify(done.data));
    assert.equal((await client.itemGet({ access_token: accessToken })).data.item.error, null);
    const ex = await client.itemPublicTokenExchange({ public_token: done.data.public_token as string });
    assert.equal(ex.data.item_id, itemId);
    assert.equal((await client.transactionsSync({ access_token: accessToken })).status, 200);
  });

  it("OAuth: the bank page redirects to redirect_uri with oauth_state_id; oauth-resume continues the login", async () => {
    const token = await linkToken({ redirect_uri: "http://localhost:1880/plaid-sync/oauth" });
    const page = await fetch(`${sim.url}/simulator/link/oauth?link_token=${encodeURIComponent(token)}&institution_id=ins_127287`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const html = await page.text();
    assert.match(html, /Platypus OAuth Bank/);
    const href = /id="authorize"[^>]*href="([^"]+)"/.exec(html)?.[1].replace(/&amp;/g, "&");
    assert.ok(href, "an Authorize link");
    const target = new URL(href);
    assert.equal(target.origin + target.pathname, "http://localhost:1880/plaid-sync/oauth");
    const stateId = target.searchParams.get("oauth_state_id") as string;
    assert.match(stateId, /^[0-9a-f-]{36}$/);
    const resumed = await post("oauth-resume", { link_token: token, oauth_state_id: stateId });
    assert.equal(resumed.status, 200);
    assert.ok((resumed.data.accounts as Json[]).length > 0);
    const bogus = await post("oauth-resume", { link_token: token, oauth_state_id: "00000000-0000-0000-0000-000000000000" });
    assert.equal(bogus.status, 400);
    const done = await post("complete", { link_token: token, institution_id: "ins_127287", oauth_state_id: stateId });
    assert.equal(done.status, 200, JSON.stringify(done.data));

    const noRedirect = await fetch(`${sim.url}/simulator/link/oauth?link_token=${encodeURIComponent(await linkToken())}&institution_id=ins_127287`);
    assert.equal(noRedirect.status, 400);
  });

  it("CORS preflight on /simulator/link/* and the Link script path; the script is served from the package", async () => {
    for (const p of ["/simulator/link/session", "/link/v2/stable/link-initialize.js"]) {
      const res = await fetch(sim.url + p, { method: "OPTIONS", headers: { Origin: "http://x.example", "Access-Control-Request-Method": "POST" } });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
    }
    const script = await fetch(`${sim.url}/link/v2/stable/link-initialize.js`);
    const file = path.resolve(__dirname, "..", "..", "src", "simulator", "link", "link-initialize.js");
    if (fs.existsSync(file)) {
      assert.equal(script.status, 200);
      assert.match(script.headers.get("content-type") ?? "", /javascript/);
      assert.equal(await script.text(), fs.readFileSync(file, "utf8"));
    } else {
      assert.equal(script.status, 404);
      assert.equal(((await script.json()) as Json).error_code, "NOT_FOUND");
    }
    // Plaid endpoints are not CORS-enabled (a browser must never hold the secret).
    const plaid = await fetch(sim.url + "/item/get", { method: "OPTIONS" });
    assert.equal(plaid.headers.get("access-control-allow-origin"), null);
  });
});
