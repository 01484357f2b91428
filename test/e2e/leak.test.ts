/**
 * Leak test: with a distinctive Plaid secret (the simulator is configured to accept exactly it),
 * a second distinctive wrong secret (bad keys), and the access token the simulator issues (read
 * back from flows_cred.json with readCredentials()), run a Hosted Link (the default), syncs,
 * errors of every kind — bad keys, ITEM_LOGIN_REQUIRED and the re-login on Plaid's page, 429,
 * 500 (retried, and retried until it gives up), connection resets — health checks, an
 * update-mode Hosted Link session from the editor's routes and a flow export.
 *
 * None of the strings may appear in: any message out of plaid-transactions (both outputs, and
 * what Catch nodes get), any node status, any admin response (bodies and headers), the Node-RED
 * log, or any file of the userDir other than the encrypted flows_cred.json,
 * plaid-sync/pending-links.json and plaid-sync/link-sessions.json (which must not hold them in
 * plaintext either).
 *
 * Needs `npm run build` and /usr/bin/influxd.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startInfluxd, type Influxd } from "../support/influxd";
import { startNodeRed, startSink, type FlowNode, type MessageSink, type NodeRed, type RequestOptions } from "../support/nodered";
import { packageNodesDirs } from "../support/package-snapshot";
import { addFault, clearFaults, startTestSimulator, type Simulator } from "../support/simulator";
import { linkThroughAdmin, reporter, simCall, syncFlow, syncFlowIds, type LinkedItem } from "../support/sync-flow";
import { finishHostedLink } from "../support/hosted-link";
import { waitFor } from "../support/ports";

const CLIENT_ID = "leaktest-client-id";
const SECRET = "LEAKTEST-SECRET-7d3f9a61c2e84b05";
const WRONG_SECRET = "LEAKTEST-WRONGSECRET-40c1d2e3f4a5";
const DB = "plaid";

describe("leak test: no secret or access token anywhere but the encrypted credential files", function () {
  this.timeout(240_000);
  const ids = syncFlowIds("1ea0");
  const X = {
    cfgBad: "1ea0000000000b01",
    linkBad: "1ea0000000000b02",
    txBad: "1ea0000000000b03",
    injectBad: "1ea0000000000b04",
    status: "1ea0000000000b05",
    catchAll: "1ea0000000000b06",
  };
  let sim: Simulator;
  let influx: Influxd;
  let red: NodeRed;
  let sink: MessageSink;
  const adminTexts: string[] = [];

  before(async () => {
    sim = await startTestSimulator({ clientId: CLIENT_ID, secret: SECRET });
    influx = await startInfluxd();
    await influx.createDatabase(DB);
    sink = await startSink();
    red = await startNodeRed({ adminAuth: true, nodesDir: packageNodesDirs() });
  });
  after(async () => {
    await red?.dispose();
    await influx?.dispose();
    await sink?.close();
    await sim?.close();
  });

  /** Every admin call of the test goes through here, so every response is checked. */
  async function admin<T = unknown>(method: string, p: string, body?: unknown, opts: RequestOptions = {}) {
    const res = await red.request<T>(method, p, body, opts);
    let headers = "";
    res.headers.forEach((v, k) => (headers += `${k}: ${v}\n`));
    adminTexts.push(`${method} ${p} → ${res.status}\n${headers}\n${res.text}`);
    return res;
  }

  function flows(linked?: LinkedItem): FlowNode[] {
    const tap = (name: string) => `${ids.tab.slice(0, 4)}${name}`;
    return syncFlow({
      ids,
      simUrl: sim.url,
      influx,
      db: DB,
      sinkUrl: sink.url,
      linked,
      batchSize: 30,
      extraWires: [[`${tap("o1t")}f`], [`${tap("o2t")}f`]],
      extra: [
        // Whole messages, as they leave the node (minus nothing).
        ...reporter(ids.tab, tap("o1t"), "out1", "return { payload: msg };", sink.url, 800),
        ...reporter(ids.tab, tap("o2t"), "out2", "return { payload: msg };", sink.url, 860),
        // Whatever a Catch node gets from either plaid-transactions node, whole.
        { id: X.catchAll, type: "catch", z: ids.tab, name: "", scope: [ids.tx, X.txBad], uncaught: false, x: 100, y: 920, wires: [[`${tap("cat")}f`]] },
        ...reporter(ids.tab, tap("cat"), "caught", "return { payload: { msg: msg, error: msg.error, _error: msg._error } };", sink.url, 920),
        // Every status of both nodes.
        { id: X.status, type: "status", z: ids.tab, name: "", scope: [ids.tx, X.txBad], x: 100, y: 980, wires: [[`${tap("sts")}f`]] },
        ...reporter(ids.tab, tap("sts"), "status", "return { payload: msg.status };", sink.url, 980),
        // A second config with a wrong secret, and a link using it with the real token (bad keys).
        {
          id: X.cfgBad, type: "plaid-config", name: "bad keys", environment: "custom", basePath: sim.url, clientName: "leak", countryCodes: "US",
          language: "en", redirectUri: "", daysRequested: 730, publicUrl: "",
        },
        {
          id: X.linkBad, type: "plaid-link", name: "bad", config: X.cfgBad, itemId: linked?.itemId ?? "", institutionId: linked?.institutionId ?? "",
          institutionName: linked?.institutionName ?? "", accounts: linked?.accounts ?? [],
        },
        { id: X.injectBad, type: "inject", z: ids.tab, name: "bad", props: [{ p: "payload" }], repeat: "", crontab: "", once: false, onceDelay: 0.1, topic: "", payload: "", payloadType: "date", x: 100, y: 1040, wires: [[X.txBad]] },
        {
          id: X.txBad, type: "plaid-transactions", z: ids.tab, name: "", link: X.linkBad, measurement: "plaid_transactions", balanceMeasurement: "plaid_balances",
          includePending: true, invertAmounts: false, timezone: "", batchSize: 30, commit: "send", x: 300, y: 1040, wires: [[`${tap("o1t")}f`], [`${tap("o2t")}f`]],
        },
      ],
    });
  }

  /** Presses inject and waits for the trigger's answer (done or Catch) and the parts to come back. */
  async function sync(inject = ids.inject): Promise<"ok" | "error"> {
    const from = sink.messages.length;
    await red.inject(inject);
    const m = await sink.waitFor((x) => x.path === "/trigger" || x.path === "/caught", { from, timeoutMs: 90_000, what: "the sync to answer" });
    if (m.path === "/trigger") {
      await sink.waitFor((x) => x.path === "/confirmed" && (x.body as { last?: boolean }).last === true, { from, timeoutMs: 30_000, what: "the last part to be written" });
      return "ok";
    }
    return "error";
  }

  it("keeps the secret and the access token out of messages, status, admin responses, the log and plaintext files", async () => {
    // ---- deploy, link (add mode) ----
    await red.deploy(flows(), { [ids.cfg]: { clientId: CLIENT_ID, secret: SECRET }, [X.cfgBad]: { clientId: CLIENT_ID, secret: WRONG_SECRET } });
    const linked = await linkThroughAdmin(red, sim, { link: ids.link, config: ids.cfg });
    // Before Deploy, the token waits in the encrypted pending store.
    const pending = red.readUserFile("plaid-sync/pending-links.json");
    assert.ok(pending && pending.length > 20, "a pending link was stored");
    await red.deploy(flows(linked));
    const accessToken = String(red.readCredentials()[ids.link]?.accessToken ?? "");
    assert.ok(accessToken.length > 20, "the simulator issued an access token, stored in flows_cred.json");
    assert.ok(pending && !pending.includes(accessToken) && !pending.includes(SECRET), "pending-links.json is encrypted");
    // The bad-keys link gets the same (real) token, inline as the editor would never do it.
    await red.deploy(flows(linked), { [X.linkBad]: { accessToken } });
    const secrets = [SECRET, WRONG_SECRET, accessToken];

    // ---- syncs and errors of every kind ----
    assert.strictEqual(await sync(), "ok", "first sync");
    await simCall(sim, "/transactions/refresh", { access_token: accessToken });
    await addFault(sim, { path: "/transactions/sync", error: "RATE_LIMIT_EXCEEDED", times: 1 });
    await addFault(sim, { path: "/transactions/sync", status: 500, times: 1 });
    await addFault(sim, { path: "/transactions/sync", error: "CONNECTION_RESET", times: 1 });
    assert.strictEqual(await sync(), "ok", "429, 500 and a reset are retried");
    await clearFaults(sim);

    assert.strictEqual(await sync(X.injectBad), "error", "bad keys fail");
    const badKeys = sink.on("/caught").at(-1)?.body as { error?: { code?: string } };
    assert.strictEqual(badKeys.error?.code, "INVALID_API_KEYS", JSON.stringify(badKeys));

    // Retried until it gives up (5xx all the way): the error reaches Catch, clean.
    await addFault(sim, { path: "/transactions/sync", status: 503, times: 10 });
    assert.strictEqual(await sync(), "error", "503 x10 gives up");
    await clearFaults(sim);

    // Admin routes erroring: 429, 500 and a reset on /item/get and /link/token/create.
    for (const fault of [{ error: "RATE_LIMIT_EXCEEDED" }, { status: 500 }, { error: "CONNECTION_RESET" }]) {
      await addFault(sim, { path: "/item/get", times: 1, ...fault });
      const h = await admin("GET", `/plaid-sync/links/${ids.link}/health`);
      assert.ok(h.status >= 400 || (h.json as { error?: unknown }).error, `health reports the failure (${h.status})`);
      await addFault(sim, { path: "/link/token/create", times: 1, ...fault });
      const s = await admin("POST", "/plaid-sync/link-sessions", { link: ids.link, config: ids.cfg, mode: "update" });
      assert.ok(s.status >= 400, `link-sessions reports the failure (${s.status})`);
    }
    await clearFaults(sim);
    await admin("GET", `/plaid-sync/links/${X.linkBad}/health`); // bad keys on an admin route

    // ITEM_LOGIN_REQUIRED: the sync fails with a relink URL, health says so, update mode fixes it.
    await simCall(sim, "/sandbox/item/reset_login", { access_token: accessToken });
    assert.strictEqual(await sync(), "error", "login required");
    const caught = sink.on("/caught").at(-1)?.body as { error?: { code?: string }; _error?: { relinkUrl?: string } };
    assert.strictEqual(caught.error?.code, "ITEM_LOGIN_REQUIRED", JSON.stringify(caught));
    const health = await admin<{ needsLogin?: boolean }>("GET", `/plaid-sync/links/${ids.link}/health`, undefined, { expectOk: true });
    assert.strictEqual(health.json.needsLogin, true);
    // Hosted Link: the re-login URL is Plaid's page; the user finishes it on another device.
    const relinkUrl = caught._error?.relinkUrl ?? "";
    assert.ok(relinkUrl.startsWith(`${sim.url}/hl/`), `relinkUrl is Plaid's page: ${relinkUrl}`);
    await finishHostedLink(relinkUrl, { username: "user_transactions_dynamic", password: "pass_good" });
    // And "Log in again" from the editor: the Link page of an update-mode hosted session.
    const upd = await admin<{ session: string; hostedUrl: string }>("POST", "/plaid-sync/link-sessions", { link: ids.link, config: ids.cfg, mode: "update" }, { expectOk: true });
    const page = await admin("GET", `/plaid-sync/link/${upd.json.session}`, undefined, { token: null, expectOk: true });
    assert.ok(page.text.includes("<html") || page.text.includes("<!DOCTYPE"), "the Link page");
    await admin("GET", `/plaid-sync/link/${upd.json.session}/status`, undefined, { token: null, expectOk: true });
    await admin("GET", `/plaid-sync/link-sessions/${upd.json.session}?link=${ids.link}`, undefined, { expectOk: true });
    await finishHostedLink(upd.json.hostedUrl, { username: "user_transactions_dynamic", password: "pass_good" });
    await waitFor(async () => (await admin<{ status: string }>("GET", `/plaid-sync/link-sessions/${upd.json.session}?link=${ids.link}`)).json.status === "linked", { what: "the update session to finish" });
    assert.strictEqual(await sync(), "ok", "synced again after logging in again");

    // ---- flow export and what the editor reads ----
    await admin("GET", "/flows", undefined, { headers: { "Node-RED-API-Version": "v2" }, expectOk: true });
    await admin("GET", "/flows", undefined, { expectOk: true });
    await admin("GET", `/flow/${ids.tab}`, undefined, { expectOk: true });
    for (const [type, id] of [["plaid-config", ids.cfg], ["plaid-link", ids.link], ["plaid-config", X.cfgBad], ["plaid-link", X.linkBad]]) {
      const c = await admin<Record<string, unknown>>("GET", `/credentials/${type}/${id}`, undefined, { expectOk: true });
      assert.ok(!("secret" in c.json) && !("accessToken" in c.json), `only has_<password> for ${type}: ${JSON.stringify(c.json)}`);
    }
    await admin("GET", "/nodes", undefined, { expectOk: true });
    await admin("GET", "/settings", undefined, { expectOk: true });

    // ---- the greps ----
    const outputs = sink.messages.map((m) => `${m.path} ${JSON.stringify(m.body)}`);
    assert.ok(sink.on("/out1").length > 0 && sink.on("/out2").length > 0 && sink.on("/caught").length >= 3 && sink.on("/status").length > 3, "the taps saw traffic");
    const leaks: string[] = [];
    const check = (where: string, text: string) => {
      for (const s of secrets) if (text.includes(s)) leaks.push(`${s === accessToken ? "access token" : s === SECRET ? "secret" : "wrong secret"} in ${where}: …${text.slice(Math.max(0, text.indexOf(s) - 120), text.indexOf(s) + 60)}…`);
    };
    outputs.forEach((t, i) => check(`output/status/catch message #${i}`, t));
    adminTexts.forEach((t) => check(`admin response ${t.slice(0, 60)}`, t));
    check("the Node-RED log", red.logText());
    const encrypted = new Set(["flows_cred.json", path.join("plaid-sync", "pending-links.json"), path.join("plaid-sync", "link-sessions.json")]);
    for (const f of red.userFiles()) {
      const text = fs.readFileSync(path.join(red.userDir, f), "latin1");
      if (encrypted.has(f)) {
        for (const s of secrets) assert.ok(!text.includes(s), `${f} holds no plaintext secret`);
        continue;
      }
      check(`userDir file ${f}`, text);
    }
    assert.deepStrictEqual(leaks, []);
    // The encrypted credentials really hold them (the test greps for the right strings).
    const creds = red.readCredentials();
    assert.strictEqual(creds[ids.cfg]?.secret, SECRET);
    assert.strictEqual(creds[ids.link]?.accessToken, accessToken);
  });
});
