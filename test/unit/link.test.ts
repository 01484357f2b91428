/**
 * The linking logic of src/link without Node-RED: sessions, origin check, the encrypted
 * pending-link store, page rendering and the service behind the admin routes (with a fake Plaid).
 */
import * as assert from "assert";
import { createDecipheriv, createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi } from "plaid";
import { checkSameOrigin } from "../../src/link/origin";
import { renderErrorPage, renderLinkPage, renderOAuthPage, scriptJson } from "../../src/link/page";
import { decryptJson, encryptJson, PendingLinkStore, resolveKey, type PendingLink } from "../../src/link/pending";
import { pageStrings } from "../../src/link/routes";
import { LinkError, LinkService, linkScriptUrl, normaliseAccounts, type ConfigLike, type LinkNodeLike } from "../../src/link/service";
import { isWellFormedSessionId, SessionStore } from "../../src/link/sessions";
import { isProxiedDemoPath } from "../../src/link/demo";

const SECRET_TOKEN = "access-sandbox-UNIT-TOKEN-4f2a9c1e-dead-beef";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "plaid-link-unit-"));
}

/** Decrypts like Node-RED's runtime/lib/nodes/credentials.js decryptCredentials. */
function nodeRedDecrypt(key: Buffer, wrapped: { $: string }): unknown {
  const iv = Buffer.from(wrapped.$.substring(0, 32), "hex");
  const d = createDecipheriv("aes-256-ctr", key, iv);
  return JSON.parse(d.update(wrapped.$.substring(32), "base64", "utf8") + d.final("utf8"));
}

describe("link: sessions", () => {
  it("creates 256-bit, url-safe ids that expire after the TTL", () => {
    let now = 1_000_000;
    const store = new SessionStore({ now: () => now, ttlMs: 1000 });
    const s = store.create({ linkId: "l1", configId: "c1", mode: "add", linkToken: "link-x" });
    assert.ok(isWellFormedSessionId(s.id));
    assert.strictEqual(Buffer.from(s.id, "base64url").length, 32);
    assert.notStrictEqual(store.create({ linkId: "l1", configId: "c1", mode: "add", linkToken: "t" }).id, s.id);
    assert.ok(store.get(s.id));
    now += 999;
    assert.ok(store.get(s.id));
    now += 1;
    assert.strictEqual(store.get(s.id), null, "expired at the TTL");
  });

  it("can be claimed once; a failed completion may retry; a finished one is gone", () => {
    const store = new SessionStore();
    const s = store.create({ linkId: "l1", configId: "c1", mode: "add", linkToken: "t" });
    assert.ok(store.claim(s.id));
    assert.strictEqual(store.claim(s.id), null, "no second claim while the first is in flight");
    store.release(s.id);
    assert.ok(store.claim(s.id), "released after a failure: claimable again");
    store.finish(s.id);
    assert.strictEqual(store.get(s.id), null);
    assert.strictEqual(store.claim(s.id), null);
  });

  it("rejects malformed and unknown ids", () => {
    const store = new SessionStore();
    for (const bad of [undefined, "", "x", "../../etc", "a".repeat(44), 42]) assert.strictEqual(store.get(bad), null);
    assert.strictEqual(store.get("A".repeat(43)), null);
  });

  it("stays bounded and revokes a link's sessions", () => {
    const store = new SessionStore({ maxSessions: 3 });
    const ids = [1, 2, 3, 4].map((i) => store.create({ linkId: `l${i % 2}`, configId: "c", mode: "add", linkToken: "t" }).id);
    assert.strictEqual(store.size(), 3);
    store.revokeForLink("l1");
    assert.ok(ids.every((id) => store.get(id)?.linkId !== "l1"));
  });
});

describe("link: origin check", () => {
  it("allows same host (default ports folded), no Origin, and configured public origins", () => {
    assert.ok(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://127.0.0.1:1880" }).ok);
    assert.ok(checkSameOrigin({ host: "home.example", origin: "https://home.example:443" }).ok);
    assert.ok(checkSameOrigin({ host: "127.0.0.1:1880" }).ok, "curl / server-side callers");
    assert.ok(checkSameOrigin({ host: "10.0.0.5:1880", origin: "https://ha.example" }, ["https://ha.example/api/hassio_ingress/x"]).ok);
  });

  it("refuses other origins, opaque origins, forged forwarding headers and cross-site fetches", () => {
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://evil.example" }).ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://127.0.0.1:1881" }).ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "null" }).ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://evil.example", "x-forwarded-host": "evil.example" }).ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", "sec-fetch-site": "cross-site" }).ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "file:///x" }).ok, false);
  });
});

describe("link: pending-link store", () => {
  const entry: PendingLink = {
    accessToken: SECRET_TOKEN,
    itemId: "item-1",
    institutionId: "ins_109508",
    institutionName: "First Platypus Bank",
    accounts: [{ account_id: "a1", name: "Checking", mask: "0000", type: "depository", subtype: "checking" }],
    configId: "c1",
    savedAt: new Date(0).toISOString(),
  };

  it("encrypts like flows_cred.json: Node-RED's own decryption reads it back", () => {
    const key = createHash("sha256").update("my-credential-secret").digest();
    const wrapped = encryptJson(key, { a: SECRET_TOKEN });
    assert.ok(!JSON.stringify(wrapped).includes(SECRET_TOKEN));
    assert.deepStrictEqual(nodeRedDecrypt(key, wrapped), { a: SECRET_TOKEN });
    assert.deepStrictEqual(decryptJson(key, wrapped), { a: SECRET_TOKEN });
  });

  it("derives the key from credentialSecret, else Node-RED's _credentialSecret, else a 0600 key file", () => {
    const dir = tmpDir();
    const a = resolveKey({ credentialSecret: "s3cret", userDir: dir });
    assert.strictEqual(a.source, "credentialSecret");
    assert.deepStrictEqual(a.key, createHash("sha256").update("s3cret").digest());
    fs.writeFileSync(path.join(dir, ".config.runtime.json"), JSON.stringify({ _credentialSecret: "generated" }));
    const b = resolveKey({ credentialSecret: undefined, userDir: dir });
    assert.strictEqual(b.source, "system");
    assert.deepStrictEqual(b.key, createHash("sha256").update("generated").digest());
    // credentialSecret: false → Node-RED writes plaintext creds; we still encrypt, with a key file.
    const c = resolveKey({ credentialSecret: false, userDir: dir });
    assert.strictEqual(c.source, "keyfile");
    const keyFile = path.join(dir, "plaid-sync", "pending-links.key");
    assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.deepStrictEqual(resolveKey({ credentialSecret: false, userDir: dir }).key, c.key, "stable across restarts");
  });

  it("stores entries encrypted (0600, atomically), reads them back, removes the file when empty", () => {
    const dir = tmpDir();
    const file = path.join(dir, "plaid-sync", "pending-links.json");
    const key = createHash("sha256").update("k").digest();
    const store = new PendingLinkStore({ file, key: () => key });
    assert.strictEqual(store.get("l1"), undefined);
    store.put("l1", entry);
    const raw = fs.readFileSync(file, "utf8");
    assert.ok(!raw.includes(SECRET_TOKEN) && !raw.includes("First Platypus"), "nothing readable at rest");
    assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepStrictEqual(new PendingLinkStore({ file, key: () => key }).get("l1"), entry);
    assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ["pending-links.json"], "no temp files left");
    assert.ok(store.remove("l1"));
    assert.ok(!fs.existsSync(file));
  });

  it("a file it cannot decrypt is reported, kept aside and treated as empty", () => {
    const dir = tmpDir();
    const file = path.join(dir, "pending-links.json");
    new PendingLinkStore({ file, key: () => createHash("sha256").update("old").digest() }).put("l1", entry);
    const warnings: string[] = [];
    const store = new PendingLinkStore({ file, key: () => createHash("sha256").update("new").digest(), warn: (m) => warnings.push(m) });
    assert.deepStrictEqual(store.all(), {});
    assert.strictEqual(warnings.length, 1);
    assert.ok(fs.readdirSync(dir).some((f) => f.startsWith("pending-links.json.unreadable-")));
  });
});

describe("link: pages", () => {
  const S = pageStrings((k) => `[${k}]`);

  it("the Link page carries the session and script URL, escapes everything, no secret, strict headers", () => {
    const page = renderLinkPage({ session: "S".repeat(43), mode: "add", scriptUrl: "https://cdn.plaid.com/link/v2/stable/link-initialize.js", institutionName: "</script><b>x", strings: S });
    assert.ok(page.html.includes("S".repeat(43)));
    assert.ok(!page.html.includes("</script><b>x"));
    assert.match(page.headers["Content-Security-Policy"], /script-src 'nonce-[^']+' 'self' https:\/\/cdn\.plaid\.com/);
    assert.match(page.headers["Content-Security-Policy"], /frame-ancestors 'none'/);
    assert.strictEqual(page.headers["Referrer-Policy"], "no-referrer");
    assert.strictEqual(page.headers["Cache-Control"], "no-store");
    const nonce = /'nonce-([^']+)'/.exec(page.headers["Content-Security-Policy"])![1];
    assert.ok(page.html.includes(`<script nonce="${nonce}">`));
  });

  it("scriptJson cannot break out of a script element", () => {
    assert.ok(!scriptJson({ a: "</script><script>alert(1)</script>" }).includes("</script"));
  });

  it("error and OAuth pages render", () => {
    assert.match(renderErrorPage("T", "<m>", "h").html, /&lt;m&gt;/);
    const o = renderOAuthPage(S).html;
    assert.match(o, /plaid-sync\.link/);
    assert.match(o, /oauth_redirect=/);
  });

  it("Link script per environment: CDN, custom base path, demo through the admin proxy", () => {
    assert.strictEqual(linkScriptUrl({ environment: "sandbox" }), "https://cdn.plaid.com/link/v2/stable/link-initialize.js");
    assert.strictEqual(linkScriptUrl({ environment: "production" }), "https://cdn.plaid.com/link/v2/stable/link-initialize.js");
    assert.strictEqual(linkScriptUrl({ environment: "custom", basePath: "http://127.0.0.1:4599/" }), "http://127.0.0.1:4599/link/v2/stable/link-initialize.js");
    assert.strictEqual(linkScriptUrl({ environment: "demo" }), "../demo/link/v2/stable/link-initialize.js");
    // The stand-in script finds its backend at ../../../simulator/link/ from its own URL:
    const page = "http://h:1880/plaid-sync/link/SESSION";
    const script = new URL(linkScriptUrl({ environment: "demo" }), page).href;
    assert.strictEqual(new URL("../../../simulator/link/", script).href, "http://h:1880/plaid-sync/demo/simulator/link/");
  });

  it("the demo proxy forwards only the Link script and the stand-in Link backend", () => {
    assert.ok(isProxiedDemoPath("link/v2/stable/link-initialize.js"));
    assert.ok(isProxiedDemoPath("simulator/link/session"));
    for (const p of ["accounts/get", "sandbox/item/reset_login", "simulator/reset", "simulator/faults", "simulator/link/../reset", "item/get"]) {
      assert.ok(!isProxiedDemoPath(p), p);
    }
  });
});

// ---------- the service, with a fake Plaid ----------

interface Call {
  op: string;
  req: Record<string, unknown>;
}

function plaidError(code: string, status = 400) {
  return Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    config: { headers: { "PLAID-SECRET": "leaky-secret" } },
    response: { status, data: { error_type: "INVALID_INPUT", error_code: code, error_message: `${code} message`, display_message: null, request_id: "r1" } },
  });
}

function fakePlaid(calls: Call[], over: Partial<Record<string, (req: Record<string, unknown>) => unknown>> = {}): PlaidApi {
  const ok = (data: unknown) => Promise.resolve({ data });
  const impl: Record<string, (req: Record<string, unknown>) => unknown> = {
    linkTokenCreate: () => ok({ link_token: "link-sandbox-123", expiration: new Date().toISOString(), request_id: "r" }),
    itemPublicTokenExchange: () => ok({ access_token: SECRET_TOKEN, item_id: "item-1", request_id: "r" }),
    itemGet: () =>
      ok({
        item: { item_id: "item-1", institution_id: "ins_109508", institution_name: "First Platypus Bank", error: null, consent_expiration_time: null },
        status: { transactions: { last_successful_update: "2024-05-01T00:00:00Z", last_failed_update: null } },
        request_id: "r",
      }),
    itemRemove: () => ok({ request_id: "r" }),
    ...over,
  };
  return new Proxy({} as PlaidApi, {
    get: (_t, op: string) =>
      op === "then" ? undefined : (req: Record<string, unknown>) => {
      calls.push({ op, req });
      const f = impl[op];
      if (!f) throw new Error(`unexpected call ${op}`);
      return f(req);
    },
  });
}

function setup(opts: { problem?: string | null; plaid?: Parameters<typeof fakePlaid>[1]; environment?: string } = {}) {
  const calls: Call[] = [];
  const creds: Record<string, Record<string, unknown>> = {};
  const published: Array<{ topic: string; data: unknown }> = [];
  const dir = tmpDir();
  const pending = new PendingLinkStore({ file: path.join(dir, "pending-links.json"), key: () => createHash("sha256").update("k").digest() });
  const sessions = new SessionStore();
  const config: ConfigLike = {
    id: "c1",
    environment: opts.environment ?? "sandbox",
    clientName: "Node-RED",
    countryCodes: ["US"],
    language: "en",
    redirectUri: "",
    daysRequested: 730,
    problem: () => opts.problem ?? null,
    getClient: async () => fakePlaid(calls, opts.plaid),
    publicBaseUrl: () => "http://nr.example:1880",
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
    getCredentials: (id) => creds[id],
    addCredentials: async (id, c) => {
      if (failAdd) throw new Error("disk full");
      creds[id] = c;
    },
    publish: (topic, data) => published.push({ topic, data }),
    warn: () => undefined,
  });
  return { service, calls, creds, published, pending, sessions, links, config, failAddCredentials: () => (failAdd = true) };
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

const metadata = {
  institution: { name: "First Platypus Bank", institution_id: "ins_109508" },
  accounts: [{ id: "a1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking", verification_status: null, class_type: null }],
  link_session_id: "ls",
};

describe("link: service", () => {
  it("add: session → link_token with products and history; url under httpAdminRoot", async () => {
    const { service, calls } = setup();
    const out = await service.createSession({ link: "l1", config: "c1", mode: "add" });
    assert.strictEqual(out.url, `/admin/plaid-sync/link/${out.session}`);
    const req = calls.find((c) => c.op === "linkTokenCreate")!.req;
    assert.deepStrictEqual(req.products, ["transactions"]);
    assert.deepStrictEqual(req.transactions, { days_requested: 730 });
    assert.strictEqual(req.access_token, undefined);
    assert.strictEqual(req.redirect_uri, undefined, "no redirect_uri unless configured (outside demo)");
    assert.deepStrictEqual(service.token(out.session), { link_token: "link-sandbox-123", mode: "add", expiresAt: out.expiresAt });
  });

  it("demo fills the OAuth redirect with the editor's own <admin>/plaid-sync/oauth", async () => {
    const { service, calls } = setup({ environment: "demo" });
    await service.createSession({ link: "l1", config: "c1", mode: "add", editorOrigin: "http://10.0.0.2:1880" });
    assert.strictEqual(calls[0].req.redirect_uri, "http://10.0.0.2:1880/admin/plaid-sync/oauth");
  });

  it("bad input: no/undeployed/invalid config, bad mode, update without an Item", async () => {
    const { service } = setup();
    await rejects(service.createSession({ link: "l1", config: undefined, mode: "add" }), 400, "NO_CONFIG");
    const e = await rejects(service.createSession({ link: "l1", config: "gone", mode: "add" }), 409, "CONFIG_NOT_DEPLOYED");
    assert.match(e.message, /config-not-deployed/);
    await rejects(service.createSession({ link: "l1", config: "c1", mode: "weird" }), 400, "BAD_MODE");
    await rejects(service.createSession({ link: "../x", config: "c1", mode: "add" }), 400, "NO_LINK");
    await rejects(service.createSession({ link: "l1", config: "c1", mode: "update" }), 409, "NOT_LINKED");
    const bad = setup({ problem: "Client ID is missing" });
    const p = await rejects(bad.service.createSession({ link: "l1", config: "c1", mode: "add" }), 409, "CONFIG_INVALID");
    assert.match(p.message, /Client ID is missing/);
  });

  it("Plaid refusing link/token/create is a clean error without the secret", async () => {
    const { service } = setup({ plaid: { linkTokenCreate: () => Promise.reject(plaidError("INVALID_FIELD")) } });
    const e = await rejects(service.createSession({ link: "l1", config: "c1", mode: "add" }), 400, "INVALID_FIELD");
    assert.ok(!JSON.stringify({ m: e.message }).includes("leaky-secret"));
  });

  it("complete (add): exchanges, stores merged creds + encrypted pending entry, publishes no token, single use", async () => {
    const { service, calls, creds, published, pending } = setup();
    creds.l1 = { other: "kept" };
    const { session } = await service.createSession({ link: "l1", config: "c1", mode: "add" });
    const ev = await service.complete(session, { public_token: "public-sandbox-1", metadata });
    assert.strictEqual(calls.find((c) => c.op === "itemPublicTokenExchange")!.req.public_token, "public-sandbox-1");
    assert.deepStrictEqual(creds.l1, { other: "kept", accessToken: SECRET_TOKEN });
    assert.strictEqual(pending.get("l1")!.accessToken, SECRET_TOKEN);
    assert.strictEqual(ev.itemId, "item-1");
    assert.deepStrictEqual(ev.accounts, [{ account_id: "a1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }]);
    assert.strictEqual(published.length, 1);
    assert.strictEqual(published[0].topic, "plaid-sync/link/l1");
    assert.ok(!JSON.stringify(published).includes(SECRET_TOKEN));
    assert.ok(!JSON.stringify(ev).includes(SECRET_TOKEN));
    await rejects(service.complete(session, { public_token: "public-sandbox-1", metadata }), 404, "SESSION_INVALID");
    assert.throws(() => service.token(session), (e: LinkError) => e.status === 404);
    assert.strictEqual(service.pageInfo(session), null);
  });

  it("a public token Plaid rejects: clear message, nothing written, the session may retry", async () => {
    let fail = true;
    const { service, creds, pending, published } = setup({
      plaid: {
        itemPublicTokenExchange: () =>
          fail ? Promise.reject(plaidError("INVALID_PUBLIC_TOKEN")) : Promise.resolve({ data: { access_token: SECRET_TOKEN, item_id: "item-1" } }),
      },
    });
    const { session } = await service.createSession({ link: "l1", config: "c1", mode: "add" });
    const e = await rejects(service.complete(session, { public_token: "public-bad", metadata }), 400, "INVALID_PUBLIC_TOKEN");
    assert.match(e.message, /exchange-failed/);
    assert.strictEqual(creds.l1, undefined);
    assert.strictEqual(pending.get("l1"), undefined);
    assert.strictEqual(published.length, 0);
    fail = false;
    await service.complete(session, { public_token: "public-good", metadata });
    assert.strictEqual((creds as Record<string, Record<string, unknown>>)["l1"].accessToken, SECRET_TOKEN);
  });

  it("a credential store failure rolls the pending entry back (no half-written link)", async () => {
    const s = setup();
    const { session } = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
    s.failAddCredentials();
    await rejects(s.service.complete(session, { public_token: "p", metadata }), 500, "STORE_FAILED");
    assert.strictEqual(s.pending.get("l1"), undefined);
  });

  it("complete without a public token, or after the config was removed, is refused", async () => {
    const s = setup();
    const { session } = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
    await rejects(s.service.complete(session, { metadata }), 400, "NO_PUBLIC_TOKEN");
    await rejects(s.service.complete("nope", { public_token: "p" }), 404);
    const gone = setup();
    const { session: s2 } = await gone.service.createSession({ link: "l1", config: "c1", mode: "add" });
    // simulate the config disappearing between session and completion
    const svc = gone.service as unknown as { deps: { getConfig: (id: string) => ConfigLike | null } };
    svc.deps.getConfig = () => null;
    await rejects(gone.service.complete(s2, { public_token: "p", metadata }), 409, "CONFIG_NOT_DEPLOYED");
  });

  it("add refuses a node that already has an Item (no orphaned, billed Items)", async () => {
    const { service, creds } = setup();
    creds.l1 = { accessToken: SECRET_TOKEN };
    await rejects(service.createSession({ link: "l1", config: "c1", mode: "add" }), 409, "ALREADY_LINKED");
  });

  it("update mode: link token with the access token and no products; completion without exchange", async () => {
    const { service, calls, creds, links, published } = setup();
    creds.l1 = { accessToken: SECRET_TOKEN };
    links.l1 = { id: "l1", config: "c1", itemId: "item-1", institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [], credentials: { accessToken: SECRET_TOKEN } };
    const { session } = await service.createSession({ link: "l1", config: undefined, mode: "update" });
    const req = calls.find((c) => c.op === "linkTokenCreate")!.req;
    assert.strictEqual(req.access_token, SECRET_TOKEN);
    assert.strictEqual(req.products, undefined);
    const ev = await service.complete(session, { public_token: "public-update", metadata });
    assert.ok(!calls.some((c) => c.op === "itemPublicTokenExchange"), "no exchange in update mode");
    assert.strictEqual(ev.mode, "update");
    assert.strictEqual(creds.l1.accessToken, SECRET_TOKEN);
    assert.strictEqual(published[0].topic, "plaid-sync/link/l1");
  });

  it("remove: /item/remove, token cleared everywhere, event published; an Item already gone still clears", async () => {
    const { service, calls, creds, pending, published, links } = setup();
    const { session } = await service.createSession({ link: "l1", config: "c1", mode: "add" });
    await service.complete(session, { public_token: "p", metadata });
    links.l1 = { id: "l1", config: "c1", itemId: "item-1", institutionId: "i", institutionName: "B", accounts: [] };
    const out = await service.remove("l1");
    assert.deepStrictEqual(out, { removed: true, alreadyGone: false });
    assert.strictEqual(calls.find((c) => c.op === "itemRemove")!.req.access_token, SECRET_TOKEN);
    assert.strictEqual(creds.l1.accessToken, undefined);
    assert.strictEqual(pending.get("l1"), undefined);
    assert.strictEqual(links.l1.itemId, "");
    assert.deepStrictEqual((published.at(-1)!.data as { removed: boolean }).removed, true);
    await rejects(service.remove("l1"), 409, "NOT_LINKED");

    const gone = setup({ plaid: { itemRemove: () => Promise.reject(plaidError("ITEM_NOT_FOUND")) } });
    gone.creds.l2 = { accessToken: "access-x" };
    assert.deepStrictEqual(await gone.service.remove("l2", "c1"), { removed: true, alreadyGone: true });
    assert.strictEqual(gone.creds.l2.accessToken, undefined);
    const down = setup({ plaid: { itemRemove: () => Promise.reject(plaidError("INTERNAL_SERVER_ERROR", 500)) } });
    down.creds.l3 = { accessToken: "access-y" };
    await rejects(down.service.remove("l3", "c1"), 502);
    assert.strictEqual(down.creds.l3.accessToken, "access-y", "kept when Plaid did not remove it");
  });

  it("health: /item/get summary; needsLogin for ITEM_LOGIN_REQUIRED; not linked; never the token", async () => {
    const ok = setup();
    assert.deepStrictEqual(await ok.service.health("l1", "c1"), { linked: false });
    ok.creds.l1 = { accessToken: SECRET_TOKEN };
    const h = await ok.service.health("l1", "c1");
    assert.strictEqual(h.linked, true);
    assert.strictEqual(h.institutionName, "First Platypus Bank");
    assert.strictEqual(h.lastSuccessfulUpdate, "2024-05-01T00:00:00Z");
    assert.strictEqual(h.needsLogin, false);
    assert.ok(!JSON.stringify(h).includes(SECRET_TOKEN));

    const login = setup({
      plaid: {
        itemGet: () =>
          Promise.resolve({
            data: {
              item: {
                item_id: "item-1",
                institution_id: "ins_1",
                institution_name: "B",
                error: { error_type: "ITEM_ERROR", error_code: "ITEM_LOGIN_REQUIRED", error_message: "login required", display_message: "Log in again" },
              },
              status: null,
            },
          }),
      },
    });
    login.creds.l1 = { accessToken: SECRET_TOKEN };
    const h2 = await login.service.health("l1", "c1");
    assert.strictEqual(h2.needsLogin, true);
    assert.strictEqual(h2.error!.code, "ITEM_LOGIN_REQUIRED");
  });

  it("reconcilePending: adopts a pending token missing from the deployed creds, drops it once deployed", async () => {
    const s = setup();
    const { session } = await s.service.createSession({ link: "l1", config: "c1", mode: "add" });
    await s.service.complete(session, { public_token: "p", metadata });
    delete s.creds.l1; // a restart before Deploy: the in-memory credential is gone
    assert.strictEqual(s.service.currentAccessToken("l1"), SECRET_TOKEN, "still usable from the pending store");
    assert.strictEqual(await s.service.reconcilePending("l1", undefined), "adopted");
    assert.strictEqual(s.creds.l1.accessToken, SECRET_TOKEN);
    assert.strictEqual(await s.service.reconcilePending("l1", undefined), "kept");
    assert.strictEqual(await s.service.reconcilePending("l1", SECRET_TOKEN), "dropped");
    assert.strictEqual(s.pending.get("l1"), undefined);
    assert.strictEqual(await s.service.reconcilePending("l1", SECRET_TOKEN), "none");
  });

  it("normaliseAccounts keeps only the documented fields", () => {
    assert.deepStrictEqual(normaliseAccounts([{ id: "a", name: "n", mask: null, type: "t", subtype: "s", secret: "x" }, null, { name: "no id" }]), [
      { account_id: "a", name: "n", mask: null, type: "t", subtype: "s" },
    ]);
  });
});
