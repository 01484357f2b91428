/**
 * Seeded fuzz of every admin route of the package and of the plaid-transactions node's input,
 * against a real node-red process (adminAuth off, then on) with the built package, the simulator
 * behind a `custom` plaid-config, and a `demo` plaid-config (so the demo proxy is live).
 *
 * Requests: random methods, random and malformed JSON, wrong content types, wrong types, huge
 * bodies, unknown and real ids, path tricks (../, encoded slashes and dots, NUL, very long ids),
 * foreign / null Origins, with and without the admin token. Node input: random msg shapes,
 * topics, payloads, msg.plaid with unknown / own-prefixed / malformed syncIds, huge values.
 *
 * Never: a crash (the process answers and still syncs afterwards), a 500 with a stack trace,
 * a stack trace or file path in any response, the client secret or the access token in any
 * response or header, a protected route answering 2xx without the admin token (adminAuth on),
 * a state-changing route answering 2xx to a foreign Origin.
 *
 * FUZZ_SEED / FUZZ_COUNT override the seed and the number of requests per mode.
 */
import * as assert from "assert";
import { Rng } from "../../src/simulator/prng";
import { startNodeRed, startSink, type FlowNode, type MessageSink, type NodeRed } from "../support/nodered";
import { packageNodesDirs } from "../support/package-snapshot";
import { waitFor } from "../support/ports";
import { startTestSimulator, type Simulator } from "../support/simulator";
import { linkThroughAdmin, reporter } from "../support/sync-flow";

const SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const COUNT = Number(process.env.FUZZ_COUNT ?? 300);
const NODE_INPUTS = Number(process.env.FUZZ_NODE_INPUTS ?? 150);
const CLIENT_ID = "fuzz-client-id";
const SECRET = "fuzz-secret-ZQ9xW7vK3mT1pL8n";

const ID = {
  tab: "f0220000000000a1",
  cfg: "f0220000000000a2",
  link: "f0220000000000a3",
  cfgDemo: "f0220000000000a4",
  linkDemo: "f0220000000000a5",
  tx: "f0220000000000a6",
  txUnlinked: "f0220000000000a7",
  httpIn: "f0220000000000a8",
  build: "f0220000000000a9",
  httpOut: "f0220000000000aa",
  catch: "f0220000000000ab",
  done: "f0220000000000ac",
};

const STACK_RE = /\bat [^\s()]+ \([^)]*:\d+:\d+\)|\bat (?:async )?[^\s]*\.(?:js|ts):\d+:\d+|node_modules\/|\/work\/|\/dist\/|\/src\/[a-z]/i;

function flows(sim: Simulator, sinkUrl: string, linked?: Awaited<ReturnType<typeof linkThroughAdmin>>): FlowNode[] {
  // Builds the fuzz message from the JSON body (its `msg` property) and answers the HTTP request at once.
  const build = `
const spec = msg.payload && typeof msg.payload === "object" ? msg.payload : {};
const out = (spec.msg && typeof spec.msg === "object") ? spec.msg : { payload: spec.msg };
out.trigger = spec.n;
const reply = { res: msg.res, req: msg.req, payload: "ok", statusCode: 200 };
return [[spec.unlinked ? null : out], [spec.unlinked ? out : null], reply];`;
  return [
    { id: ID.tab, type: "tab", label: "fuzz", disabled: false, info: "" },
    {
      id: ID.cfg, type: "plaid-config", name: "sim", environment: "custom", basePath: sim.url, clientName: "fuzz", countryCodes: "US",
      language: "en", redirectUri: "", daysRequested: 730, publicUrl: "",
    },
    {
      id: ID.link, type: "plaid-link", name: "bank", config: ID.cfg, itemId: linked?.itemId ?? "", institutionId: linked?.institutionId ?? "",
      institutionName: linked?.institutionName ?? "", accounts: linked?.accounts ?? [],
    },
    { id: ID.cfgDemo, type: "plaid-config", name: "demo", environment: "demo", basePath: "", clientName: "fuzz", countryCodes: "US", language: "en", redirectUri: "", daysRequested: 730, publicUrl: "" },
    { id: ID.linkDemo, type: "plaid-link", name: "demo bank", config: ID.cfgDemo, itemId: "", institutionId: "", institutionName: "", accounts: [] },
    { id: ID.httpIn, type: "http in", z: ID.tab, name: "", url: "/fuzz-input", method: "post", upload: false, swaggerDoc: "", x: 100, y: 100, wires: [[ID.build]] },
    { id: ID.build, type: "function", z: ID.tab, name: "build msg", func: build, outputs: 3, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], x: 300, y: 100, wires: [[ID.tx], [ID.txUnlinked], [ID.httpOut]] },
    { id: ID.httpOut, type: "http response", z: ID.tab, name: "", statusCode: "", headers: {}, x: 500, y: 160, wires: [] },
    {
      id: ID.tx, type: "plaid-transactions", z: ID.tab, name: "", link: ID.link, measurement: "plaid_transactions", balanceMeasurement: "plaid_balances",
      includePending: true, invertAmounts: false, timezone: "", batchSize: 50, commit: "send", x: 500, y: 100, wires: [[`${ID.tab.slice(0, 4)}pt0f`], [`${ID.tab.slice(0, 4)}ev0f`]],
    },
    {
      id: ID.txUnlinked, type: "plaid-transactions", z: ID.tab, name: "", link: ID.linkDemo, measurement: "m", balanceMeasurement: "b",
      includePending: true, invertAmounts: false, timezone: "", batchSize: 50, commit: "confirm", x: 500, y: 220, wires: [[], []],
    },
    { id: ID.catch, type: "catch", z: ID.tab, name: "", scope: [ID.tx, ID.txUnlinked], uncaught: false, x: 100, y: 300, wires: [[`${ID.tab.slice(0, 4)}er0f`]] },
    { id: ID.done, type: "complete", z: ID.tab, name: "", scope: [ID.tx, ID.txUnlinked], uncaught: false, x: 100, y: 360, wires: [[`${ID.tab.slice(0, 4)}dn0f`]] },
    ...reporter(ID.tab, `${ID.tab.slice(0, 4)}pt0`, "parts", "return { payload: { plaid: msg.plaid, points: Array.isArray(msg.payload) ? msg.payload.length : -1, status: 'ok' } };", sinkUrl, 420),
    ...reporter(ID.tab, `${ID.tab.slice(0, 4)}ev0`, "events", "return { payload: { topic: msg.topic, payload: msg.payload } };", sinkUrl, 480),
    ...reporter(ID.tab, `${ID.tab.slice(0, 4)}er0`, "errors", "return { payload: { trigger: msg.trigger, error: msg.error } };", sinkUrl, 540),
    ...reporter(ID.tab, `${ID.tab.slice(0, 4)}dn0`, "done", "return { payload: { trigger: msg.trigger } };", sinkUrl, 600),
  ];
}

// ---- generators ----

function randomString(rng: Rng, max = 40): string {
  const alphabets = ["abcdefghijklmnopqrstuvwxyz0123456789", "../%2F%2e\\\u0000\u202e\u00e9<>\"'`{}$;|&", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"];
  const a = rng.pick(alphabets);
  let s = "";
  const n = rng.int(0, max);
  for (let i = 0; i < n; i++) s += a[rng.int(0, a.length - 1)];
  return s;
}

function randomJson(rng: Rng, depth = 0): unknown {
  const k = rng.int(0, depth > 2 ? 5 : 8);
  switch (k) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE, 42]);
    case 3:
      return randomString(rng);
    case 4:
      return rng.pick(["add", "update", "remove", "", "__proto__", "constructor", "resync", "reset", ID.link, ID.cfg, ID.linkDemo, ID.cfgDemo]);
    case 5:
      return "x".repeat(rng.pick([1000, 100_000]));
    case 6:
    case 7: {
      // No prototype: "__proto__" and "constructor" become plain keys of the JSON sent.
      const o: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      const keys = ["link", "config", "mode", "public_token", "metadata", "institution", "accounts", "access_token", "__proto__", "constructor", "id", randomString(rng, 8)];
      for (let i = rng.int(0, 5); i > 0; i--) o[rng.pick(keys)] = randomJson(rng, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth + 1));
  }
}

function randomId(rng: Rng, real: string[]): string {
  const tricks = [
    "..",
    "../..",
    "..%2F..%2Fsettings.js",
    "%2e%2e%2f%2e%2e%2fflows_cred.json",
    "%2F",
    "a%2Fb",
    "..%5c..%5cwindows",
    "%00",
    "a%00b",
    "%252e%252e%252f",
    "x".repeat(5000),
    "%C0%AE%C0%AE%2F",
    "%E2%80%AE",
    "__proto__",
    "constructor",
    "null",
    "undefined",
    "-1",
    "0",
    encodeURIComponent(randomString(rng, 60)),
    "A".repeat(43),
    "Z".repeat(43).replace(/^Z/, "-"),
  ];
  return rng.next() < 0.25 && real.length ? rng.pick(real) : rng.pick(tricks);
}

interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
  withToken: boolean;
  /** Route family, for the per-route invariants. */
  route: "sessions" | "page" | "token" | "complete" | "oauth" | "remove" | "health" | "demo" | "other";
}

function randomRequest(rng: Rng, sessions: string[], adminAuth: boolean): FuzzRequest {
  const route = rng.pick(["sessions", "page", "token", "complete", "oauth", "remove", "health", "demo", "demo", "other"] as const);
  const ids = [ID.link, ID.linkDemo, ID.cfg];
  let p: string;
  let method = rng.next() < 0.8 ? (["sessions", "complete", "remove"].includes(route) ? "POST" : "GET") : rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);
  switch (route) {
    case "sessions":
      p = rng.next() < 0.8 ? "/plaid-sync/link-sessions" : `/plaid-sync/link-sessions/${randomId(rng, ids)}`;
      break;
    case "page":
      p = `/plaid-sync/link/${randomId(rng, sessions)}`;
      break;
    case "token":
      p = `/plaid-sync/link/${randomId(rng, sessions)}/token`;
      break;
    case "complete":
      p = `/plaid-sync/link/${randomId(rng, sessions)}/complete`;
      break;
    case "oauth":
      p = `/plaid-sync/oauth${rng.next() < 0.5 ? `?oauth_state_id=${encodeURIComponent(randomString(rng))}&x=${"y".repeat(rng.pick([1, 3000]))}` : ""}`;
      break;
    case "remove":
      p = `/plaid-sync/links/${randomId(rng, ids)}/remove`;
      break;
    case "health":
      p = `/plaid-sync/links/${randomId(rng, ids)}/health${rng.next() < 0.5 ? `?config=${encodeURIComponent(JSON.stringify(randomJson(rng)) ?? "")}` : ""}`;
      break;
    case "demo":
      p = `/plaid-sync/demo/${rng.pick([
        "link/v2/stable/link-initialize.js",
        "simulator/link/session",
        "simulator/link/login",
        "simulator/link/complete",
        "simulator/link/oauth",
        "simulator/faults",
        "simulator/reset",
        "transactions/get",
        "item/public_token/exchange",
        "sandbox/public_token/create",
        "..%2Fsimulator%2Ffaults",
        "simulator/link/..%2F..%2Fsimulator%2Freset",
        "simulator%2Freset",
        "link/v2/stable/../../../simulator/reset",
        randomId(rng, []),
      ])}`;
      if (rng.next() < 0.5) method = "POST";
      break;
    default:
      p = rng.pick(["/plaid-sync", "/plaid-sync/", "/plaid-sync/links", "/plaid-sync/links/", "/plaid-sync/link", `/plaid-sync/${randomId(rng, [])}`, "/plaid-sync/link//token"]);
  }
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (method !== "GET" && method !== "HEAD" && rng.next() < 0.9) {
    const shape = rng.int(0, 9);
    if (shape <= 4) {
      body = JSON.stringify(randomJson(rng));
      headers["content-type"] = "application/json";
    } else if (shape === 5) {
      body = rng.pick(['{"link": ', "{'a':1}", "[1,2", "\u0000\u0001", '{"a":1}}', "nul", '{"__proto__":{"polluted":true}}']);
      headers["content-type"] = "application/json";
    } else if (shape === 6) {
      body = `link=${encodeURIComponent(randomString(rng))}&mode=add&config[a][b]=1&__proto__[x]=1`;
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (shape === 7) {
      body = JSON.stringify({ link: ID.link, config: ID.cfg, mode: rng.pick(["add", "update"]), public_token: "x".repeat(rng.pick([10, 2000])) });
      headers["content-type"] = rng.pick(["application/json", "text/plain", "application/xml"]);
    } else if (shape === 8) {
      // Over httpAdmin's 5 MB body limit.
      body = JSON.stringify({ pad: "p".repeat(6 * 1024 * 1024) });
      headers["content-type"] = "application/json";
    } else {
      body = JSON.stringify({ metadata: { accounts: Array.from({ length: 500 }, (_, i) => ({ id: `a${i}`, name: "n".repeat(300) })), institution: { name: "x".repeat(10_000) } }, public_token: "public-sandbox-x" });
      headers["content-type"] = "application/json";
    }
  }
  const o = rng.int(0, 5);
  if (o === 0) headers.origin = "http://evil.example";
  else if (o === 1) headers.origin = "null";
  else if (o === 2) headers.origin = "not a url";
  else if (o === 3) headers["sec-fetch-site"] = "cross-site";
  return { method, path: p, body, headers, withToken: adminAuth && rng.next() < 0.5, route };
}

function randomNodeMsg(rng: Rng, n: number): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  if (rng.next() < 0.7) msg.topic = rng.pick(["", "resync", "RESYNC ", "reset", "sync", 42, null, { a: 1 }, ["resync"], randomString(rng), "x".repeat(100_000)]);
  if (rng.next() < 0.7) msg.payload = randomJson(rng);
  if (rng.next() < 0.6) {
    const plaid: Record<string, unknown> = {};
    plaid.syncId = rng.pick([`${ID.tx}.zzz.1`, `${ID.tx}.`, `${ID.tx}`, "someone-else.1", 42, null, { toString: 1 }, "x".repeat(100_000), `${ID.tx}.${"9".repeat(500)}`]);
    if (rng.next() < 0.8) plaid.part = rng.pick([1, 0, -1, 1e308, Number.MAX_SAFE_INTEGER, "1", null, [1], 2.5]);
    if (rng.next() < 0.3) plaid.last = rng.pick([true, "yes", null]);
    msg.plaid = rng.next() < 0.1 ? rng.pick([null, "str", 5, []]) : plaid;
  }
  if (rng.next() < 0.3) msg.error = rng.pick([{ message: "refused" }, "boom", true, null, { code: "X" }]);
  if (rng.next() < 0.2) msg._msgid = rng.pick([null, 5, "dup"]);
  return { n, unlinked: rng.next() < 0.2, msg: rng.next() < 0.05 ? randomJson(rng) : msg };
}

// ---- the test ----

for (const adminAuth of [false, true]) {
  describe(`fuzz: admin routes and node input (adminAuth ${adminAuth ? "on" : "off"})`, function () {
    this.timeout(300_000);
    let sim: Simulator;
    let red: NodeRed;
    let sink: MessageSink;
    let accessToken = "";
    const sessions: string[] = [];

    before(async function () {
      sim = await startTestSimulator({ clientId: CLIENT_ID, secret: SECRET });
      sink = await startSink();
      red = await startNodeRed({ adminAuth, nodesDir: packageNodesDirs() });
      await red.deploy(flows(sim, sink.url), { [ID.cfg]: { clientId: CLIENT_ID, secret: SECRET } });
      const linked = await linkThroughAdmin(red, sim, { link: ID.link, config: ID.cfg }, { username: "user_transactions_dynamic" });
      await red.deploy(flows(sim, sink.url, linked));
      accessToken = String(red.readCredentials()[ID.link]?.accessToken ?? "");
      assert.ok(accessToken.length > 10, "linked");
      // A few live sessions for the fuzzer to aim at (one add-mode on the unlinked demo link).
      for (const body of [
        { link: ID.link, config: ID.cfg, mode: "update" },
        { link: ID.linkDemo, config: ID.cfgDemo, mode: "add" },
      ]) {
        const r = await red.request<{ session: string }>("POST", "/plaid-sync/link-sessions", body, { expectOk: true });
        sessions.push(r.json.session);
      }
    });

    after(async function () {
      await red?.dispose();
      await sink?.close();
      await sim?.close();
    });

    it(`${NODE_INPUTS} random messages into plaid-transactions: no crash, errors are clean, a normal sync still works`, async function () {
      const rng = new Rng(SEED * 7 + (adminAuth ? 1 : 0));
      const from = sink.messages.length;
      for (let n = 0; n < NODE_INPUTS; n++) {
        const spec = randomNodeMsg(rng, n);
        const res = await fetch(`${red.url}/fuzz-input`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spec) });
        assert.strictEqual(res.status, 200, `fuzz input #${n} delivered`);
        await res.text();
      }
      // Everything that was a trigger has answered (done or a Catch), and nothing is stuck.
      await waitFor(() => red.logSinceStart() && sink.messages.length > from, { timeoutMs: 60_000, what: "the node to react" });
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(red.running, "node-red survived");
      const log = red.logText();
      assert.ok(!/Uncaught Exception|UnhandledPromiseRejection|TypeError|RangeError/.test(log), `no uncaught error in the log:\n${red.logTail(3000)}`);
      const out = sink.messages.slice(from);
      for (const m of out) {
        const t = JSON.stringify(m.body);
        assert.ok(!t.includes(SECRET) && !t.includes(accessToken), `no secret in output ${m.path}`);
        // (A Catch node's msg.error.stack is Node-RED's own, inside the flow; only responses must not carry one.)
      }
      for (const m of out.filter((x) => x.path === "/errors")) {
        const e = (m.body as { error?: { message?: unknown } }).error;
        assert.ok(e && typeof e.message === "string" && e.message.length > 0, `a Catch gets a message: ${JSON.stringify(m.body).slice(0, 300)}`);
      }
      for (const m of out.filter((x) => x.path === "/parts")) assert.ok((m.body as { points: number }).points >= 0, "parts carry arrays of points");

      // After all that, a plain trigger still syncs: wait for a last part from a fresh sync.
      const before = sink.messages.length;
      await fetch(`${red.url}/fuzz-input`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ n: -1, msg: { payload: "go" } }) });
      const outcome = await sink.waitFor(
        (m) => (m.path === "/parts" && (m.body as { plaid?: { last?: boolean } }).plaid?.last === true) || (m.path === "/errors" && (m.body as { trigger?: number }).trigger === -1),
        { from: before, timeoutMs: 60_000, what: "a normal sync after the fuzzing" },
      );
      assert.strictEqual(outcome.path, "/parts", `a normal sync works after the fuzzing: ${JSON.stringify(outcome.body).slice(0, 400)}`);
    });

    it("answers malformed JSON, an oversized body and an undecodable path with a JSON 4xx, no stack trace", async function () {
      const token = adminAuth ? await red.token() : null;
      const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const cases: Array<{ method: string; path: string; body?: string; want: number }> = [
        { method: "POST", path: "/plaid-sync/link-sessions", body: '{"link": ', want: 400 },
        { method: "POST", path: `/plaid-sync/link/${sessions[0]}/complete`, body: "[1,2", want: 400 },
        { method: "POST", path: "/plaid-sync/link-sessions", body: JSON.stringify({ pad: "p".repeat(6 * 1024 * 1024) }), want: 413 },
        { method: "GET", path: "/plaid-sync/link/%C0%AE%C0%AE%2F", want: 400 },
        { method: "GET", path: "/plaid-sync/links/%E0%A4%A/health", want: 400 },
        { method: "POST", path: "/plaid-sync/demo/simulator/link/session", body: "nul", want: 400 },
      ];
      for (const c of cases) {
        const res = await fetch(`${red.adminUrl}${c.path}`, { method: c.method, headers: { "content-type": "application/json", ...auth }, body: c.body });
        const text = await res.text();
        assert.strictEqual(res.status, c.want, `${c.method} ${c.path}: ${text.slice(0, 200)}`);
        assert.ok(!STACK_RE.test(text) && !/<pre>|Error:/.test(text), `${c.method} ${c.path}: no stack trace: ${text.slice(0, 300)}`);
        assert.ok((res.headers.get("content-type") ?? "").includes("application/json"), `${c.path}: JSON`);
      }
    });

    it(`${COUNT} random admin requests (seed ${SEED}): no crash, no 500/stack, no secret, auth and Origin hold`, async function () {
      const rng = new Rng(SEED + (adminAuth ? 1 : 0));
      const token = adminAuth ? await red.token() : null;
      const statuses = new Map<string, number>();
      const failures: string[] = [];
      for (let i = 0; i < COUNT; i++) {
        const rq = randomRequest(rng, sessions, adminAuth);
        const headers = { ...rq.headers };
        if (rq.withToken && token) headers.authorization = `Bearer ${token}`;
        let status = 0;
        let text = "";
        let headerText = "";
        try {
          const res = await fetch(`${red.adminUrl}${rq.path}`, { method: rq.method, headers, body: rq.body, redirect: "manual" });
          status = res.status;
          text = await res.text();
          res.headers.forEach((v, k) => (headerText += `${k}: ${v}\n`));
        } catch (err) {
          failures.push(`#${i} ${rq.method} ${rq.path.slice(0, 120)}: no answer (${(err as Error).message})`);
          if (!red.running) break;
          continue;
        }
        statuses.set(`${rq.route} ${status}`, (statuses.get(`${rq.route} ${status}`) ?? 0) + 1);
        const what = `#${i} ${rq.method} ${rq.path.slice(0, 120)} ${JSON.stringify(rq.headers)} body ${String(rq.body).slice(0, 80)} → ${status} ${text.slice(0, 200)}`;
        if (status >= 500 && status !== 502 && status !== 503) failures.push(`server error: ${what}`);
        // A path the client normalised out of /plaid-sync ("links/../../remove" → "/remove") is Node-RED's, not ours.
        const ours = new URL(`${red.adminUrl}${rq.path}`).pathname.startsWith(`${new URL(red.adminUrl).pathname.replace(/\/$/, "")}/plaid-sync`);
        if (ours && STACK_RE.test(text)) failures.push(`stack trace or path in the response: ${what}`);
        for (const secret of [SECRET, accessToken, String(red.credentialSecret), red.adminUser?.password ?? "\u0000none"]) {
          if (text.includes(secret) || headerText.includes(secret)) failures.push(`secret in the response: ${what}`);
        }
        const ok = status >= 200 && status < 300;
        // (OPTIONS is the CORS preflight Node-RED answers itself, with no data.)
        if (adminAuth && !rq.withToken && rq.method !== "OPTIONS" && ["sessions", "remove", "health"].includes(rq.route) && ok) failures.push(`protected route answered without the admin token: ${what}`);
        const foreign = rq.headers.origin !== undefined || rq.headers["sec-fetch-site"] === "cross-site";
        if (foreign && rq.method === "POST" && ["sessions", "complete", "remove"].includes(rq.route) && ok) failures.push(`cross-origin POST accepted: ${what}`);
        if (i % 50 === 49) {
          const alive = await fetch(`${red.adminUrl}/plaid-sync/oauth`);
          if (alive.status !== 200) failures.push(`#${i}: node-red stopped answering (${alive.status})`);
        }
      }
      assert.ok(red.running, `node-red is still running; log:\n${red.logTail(3000)}`);
      const alive = await fetch(`${red.adminUrl}/plaid-sync/oauth`);
      assert.strictEqual(alive.status, 200, "node-red still answers");
      assert.ok(!/Uncaught Exception|UnhandledPromiseRejection|\[red\] Error/.test(red.logText()), `no uncaught error in the log:\n${red.logTail(3000)}`);
      assert.deepStrictEqual(failures.slice(0, 15), [], `${failures.length} failures; statuses ${JSON.stringify([...statuses])}`);
      assert.ok(statuses.size > 10, `the fuzzer reached many route/status pairs: ${JSON.stringify([...statuses])}`);
    });

  });
}
