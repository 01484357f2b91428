/**
 * The linking logic of src/link without Node-RED: sessions, origin check, the encrypted
 * pending-link store, page rendering and the service behind the admin routes (with a fake Plaid).
 */
import * as assert from "assert";
import { createDecipheriv, createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkSameOrigin } from "../../src/link/origin";
import { escapeHtml, renderErrorPage, renderLinkPage, renderOAuthPage, scriptJson } from "../../src/link/page";
import { renderHostedPage } from "../../src/link/hosted-page";
import { fill, FILL_JS } from "../../src/link/html";
import { decryptJson, encryptJson, resolveKey } from "../../src/link/encrypted-file";
import { PendingLinkStore, type PendingLink } from "../../src/link/pending";
import { pageStrings } from "../../src/link/routes";
import { linkScriptUrl } from "../../src/link/script-source";
import { normaliseAccounts } from "../../src/link/accounts";
import { isWellFormedSessionId, SessionStore } from "../../src/link/sessions";
import { isProxiedDemoPath } from "../../src/link/demo";
import { permissionGuard } from "../../src/nodes/link-runtime";

const SECRET_TOKEN = "access-sandbox-UNIT-TOKEN-4f2a9c1e-dead-beef";

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-link-unit-"));
  tmpDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

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
  it("allows the same origin (scheme, host and port; default ports folded), no Origin, and configured public origins", () => {
    assert.ok(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://127.0.0.1:1880" }, "http").ok);
    assert.ok(checkSameOrigin({ host: "home.example", origin: "https://home.example:443" }, "https").ok);
    assert.ok(checkSameOrigin({ host: "home.example:80", origin: "http://home.example" }, "http").ok);
    assert.ok(checkSameOrigin({ host: "127.0.0.1:1880" }, "http").ok, "curl / server-side callers");
    assert.ok(checkSameOrigin({ host: "10.0.0.5:1880", origin: "https://ha.example" }, "http", ["https://ha.example/api/hassio_ingress/x"]).ok);
  });

  it("refuses other origins, opaque origins, forged forwarding headers and cross-site fetches", () => {
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://evil.example" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://127.0.0.1:1881" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "null" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "http://evil.example", "x-forwarded-host": "evil.example" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", "sec-fetch-site": "cross-site" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "file:///x" }, "http").ok, false);
  });

  it("compares the scheme too, and never splits a Host header on commas", () => {
    // An https page of the same host:port is another origin than this http editor (and the reverse).
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880", origin: "https://127.0.0.1:1880" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "home.example", origin: "http://home.example" }, "https").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "ha.example", origin: "http://ha.example" }, "https", ["https://ha.example"]).ok, false);
    // "Host: a, b" is not two hosts: the Origin must not match the second one.
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880, evil.example", origin: "http://evil.example" }, "http").ok, false);
    assert.strictEqual(checkSameOrigin({ host: "127.0.0.1:1880, evil.example", origin: "http://127.0.0.1:1880" }, "http").ok, false);
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
    const a = resolveKey({ credentialSecret: "s3cret", userDir: dir, dataDir: path.join(dir, "plaid-sync") });
    assert.strictEqual(a.source, "credentialSecret");
    assert.deepStrictEqual(a.key, createHash("sha256").update("s3cret").digest());
    fs.writeFileSync(path.join(dir, ".config.runtime.json"), JSON.stringify({ _credentialSecret: "generated" }));
    const b = resolveKey({ credentialSecret: undefined, userDir: dir, dataDir: path.join(dir, "plaid-sync") });
    assert.strictEqual(b.source, "system");
    assert.deepStrictEqual(b.key, createHash("sha256").update("generated").digest());
    // credentialSecret: false → Node-RED writes plaintext creds; we still encrypt, with a key file.
    const c = resolveKey({ credentialSecret: false, userDir: dir, dataDir: path.join(dir, "plaid-sync") });
    assert.strictEqual(c.source, "keyfile");
    const keyFile = path.join(dir, "plaid-sync", "pending-links.key");
    assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.deepStrictEqual(resolveKey({ credentialSecret: false, userDir: dir, dataDir: path.join(dir, "plaid-sync") }).key, c.key, "stable across restarts");
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

  it("a bank name is put into a text as it is, even one with $& or $' in it (server side and in the pages' scripts)", () => {
    const name = "A$&B $' $` Bank";
    const strings = pageStrings((k) => (k === "page.introUpdate" || k === "page.hostedIntroUpdate" ? "__institution__ needs you to log in again." : `[${k}]`));
    const embedded = renderLinkPage({ session: "S".repeat(43), mode: "update", scriptUrl: "https://cdn.plaid.com/x.js", institutionName: name, strings });
    assert.ok(embedded.html.includes(`${escapeHtml(name)} needs you to log in again.`), "the embedded page's intro");
    const hosted = renderHostedPage({ session: "S".repeat(43), mode: "update", hostedUrl: "https://secure.plaid.example/hl/x", institutionName: name, strings });
    assert.ok(hosted.html.includes(`${escapeHtml(name)} needs you to log in again.`), "the hosted page's intro");
    const browserFill = new Function(`${FILL_JS}; return fill;`)() as (t: string, v: Record<string, string>) => string;
    assert.strictEqual(browserFill("Linked __institution__.", { institution: name }), `Linked ${name}.`);
    assert.strictEqual(fill("Linked __institution__ (__count__).", { institution: name, count: "2" }), `Linked ${name} (2).`);
    assert.strictEqual(fill("__unknown__ stays", {}), "__unknown__ stays");
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

  it("the demo proxy forwards only the Link script, the hosted Link page and the stand-in Link backend", () => {
    assert.ok(isProxiedDemoPath("link/v2/stable/link-initialize.js"));
    assert.ok(isProxiedDemoPath("simulator/link/session"));
    assert.ok(isProxiedDemoPath("hl/4f2a9c1e00000000000000000000abcd"));
    for (const p of ["accounts/get", "sandbox/item/reset_login", "simulator/reset", "simulator/faults", "simulator/link/../reset", "item/get", "hl/../simulator/reset", "hl/a/b", "link/token/get"]) {
      assert.ok(!isProxiedDemoPath(p), p);
    }
  });
});


describe("link: account lists from Plaid", () => {
  it("normaliseAccounts keeps only the documented fields", () => {
    assert.deepStrictEqual(normaliseAccounts([{ id: "a", name: "n", mask: null, type: "t", subtype: "s", secret: "x" }, null, { name: "no id" }]), [
      { account_id: "a", name: "n", mask: null, type: "t", subtype: "s" },
    ]);
  });
});

describe("link: admin permissions", () => {
  it("uses RED.auth.needsPermission, and refuses the route (fails closed) when a runtime has no RED.auth", () => {
    const mw = () => undefined;
    assert.strictEqual(permissionGuard({ auth: { needsPermission: (p: string) => (p === "plaid-sync.write" ? mw : null) } }, "plaid-sync.write"), mw);
    const guard = permissionGuard({}, "plaid-sync.write");
    let nextCalled = false;
    const res = { code: 0, body: null as unknown, headers: {} as Record<string, string>, setHeader(k: string, v: string) { this.headers[k] = v; }, status(c: number) { this.code = c; return this; }, json(b: unknown) { this.body = b; } };
    (guard as unknown as (req: unknown, res: unknown, next: () => void) => void)({}, res, () => (nextCalled = true));
    assert.strictEqual(nextCalled, false, "never passed on");
    assert.strictEqual(res.code, 503);
    assert.strictEqual((res.body as { code: string }).code, "NO_AUTH");
  });
});
