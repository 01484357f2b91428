/**
 * Helpers for Hosted Link against the simulator: link tokens with `hosted_link`, the stand-in
 * Link backend (/simulator/link/*) driven without a browser, and a loopback proxy that re-serves
 * the simulator under a path prefix the way Node-RED's demo proxy does (only the allowed paths).
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { LinkTokenCreateHostedLink, LinkTokenCreateRequest, PlaidApi } from "plaid";
import type { Simulator } from "./simulator";

export type Json = Record<string, unknown>;

/** POST /simulator/link/<route> (no client credentials: the link token is the credential). */
export async function linkBackend(sim: Pick<Simulator, "url">, route: string, body: Json): Promise<{ status: number; data: Json }> {
  const res = await fetch(`${sim.url}/simulator/link/${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, data: (await res.json()) as Json };
}

/** The fields every test link token shares (Plaid requires them). */
const TOKEN_BASE: Pick<LinkTokenCreateRequest, "client_name" | "language" | "country_codes"> = { client_name: "Node-RED", language: "en", country_codes: ["US" as never] };

/** /link/token/create with `hosted_link` (add mode, or update mode with `accessToken`). */
export async function hostedLinkToken(
  client: PlaidApi,
  opts: { hosted?: LinkTokenCreateHostedLink; accessToken?: string; extra?: Partial<LinkTokenCreateRequest> } = {},
): Promise<{ linkToken: string; url: string; expiration: string }> {
  const r = await client.linkTokenCreate({
    ...TOKEN_BASE,
    user: { client_user_id: "hosted-user" },
    ...(opts.accessToken ? { access_token: opts.accessToken } : { products: ["transactions" as never] }),
    hosted_link: opts.hosted ?? {},
    ...opts.extra,
  });
  if (!r.data.hosted_link_url) throw new Error("no hosted_link_url in the /link/token/create answer");
  return { linkToken: r.data.link_token, url: r.data.hosted_link_url, expiration: r.data.expiration };
}

/**
 * What a user's browser does in a hosted session, as backend calls: open, log in, choose
 * accounts, complete. Returns the link_session_id and the accounts offered at login.
 */
export async function completeLinkSession(
  sim: Pick<Simulator, "url">,
  linkToken: string,
  opts: {
    institutionId?: string;
    username?: string;
    password?: string;
    accountIds?: (offered: string[]) => string[];
    /** Sees the login's accounts in full (with `selected`: pre-checked); its ids replace accountIds'. */
    onLogin?: (accounts: Array<{ id: string; name: string; type: string; selected: boolean }>) => string[];
  } = {},
): Promise<{ linkSessionId: string; offered: string[]; completed: Json }> {
  const linkSessionId = randomUUID();
  const ok = (r: { status: number; data: Json }, what: string): Json => {
    if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  };
  const institution_id = opts.institutionId ?? "ins_109508";
  const creds = { username: opts.username ?? "user_good", password: opts.password ?? "pass_good" };
  ok(await linkBackend(sim, "open", { link_token: linkToken, link_session_id: linkSessionId }), "open");
  const login = ok(await linkBackend(sim, "login", { link_token: linkToken, link_session_id: linkSessionId, institution_id, ...creds }), "login");
  const accounts = login.accounts as Array<{ id: string; name: string; type: string; selected: boolean }>;
  const offered = accounts.map((a) => a.id);
  const account_ids = opts.onLogin ? opts.onLogin(accounts) : opts.accountIds ? opts.accountIds(offered) : offered;
  const completed = ok(await linkBackend(sim, "complete", { link_token: linkToken, link_session_id: linkSessionId, institution_id, ...creds, account_ids }), "complete");
  return { linkSessionId, offered, completed };
}

/**
 * Links an Item through the stand-in Link (add mode, no browser) sharing only some of the
 * login's accounts — what /sandbox/public_token/create cannot do (it shares all). `pick` gets
 * the offered accounts (First Platypus Bank / user_good: Plaid Checking, Saving, Credit Card, IRA).
 */
export async function linkWithAccounts(
  sim: Pick<Simulator, "url">,
  client: PlaidApi,
  pick: (offered: Array<{ id: string; name: string; type: string }>) => string[],
  opts: { institutionId?: string; username?: string; password?: string; webhook?: string } = {},
): Promise<{ accessToken: string; itemId: string; offered: Array<{ id: string; name: string; type: string }>; shared: string[] }> {
  const r = await client.linkTokenCreate({ ...TOKEN_BASE, user: { client_user_id: "subset-user" }, products: ["transactions" as never], ...(opts.webhook ? { webhook: opts.webhook } : {}) });
  let offered: Array<{ id: string; name: string; type: string }> = [];
  const done = await completeLinkSession(sim, r.data.link_token, {
    institutionId: opts.institutionId,
    username: opts.username,
    password: opts.password,
    onLogin: (accounts) => {
      offered = accounts;
      return pick(accounts);
    },
  });
  const ex = await client.itemPublicTokenExchange({ public_token: done.completed.public_token as string });
  const shared = ((done.completed.metadata as Json).accounts as Array<{ id: string }>).map((a) => a.id);
  return { accessToken: ex.data.access_token, itemId: ex.data.item_id, offered, shared };
}

/** An update-mode link token, with Plaid's `update.account_selection_enabled` if asked. */
export async function updateLinkToken(client: PlaidApi, accessToken: string, opts: { accountSelection?: boolean; hosted?: LinkTokenCreateHostedLink } = {}): Promise<string> {
  const r = await client.linkTokenCreate({
    ...TOKEN_BASE,
    user: { client_user_id: "update-user" },
    access_token: accessToken,
    ...(opts.accountSelection === undefined ? {} : { update: { account_selection_enabled: opts.accountSelection } }),
    ...(opts.hosted ? { hosted_link: opts.hosted } : {}),
  });
  return r.data.link_token;
}

/**
 * The simulator paths a proxy must forward for Hosted Link (and the embedded stand-in) to
 * work under a prefix, relative to the prefix: the hosted page, the stand-in Link script, the
 * stand-in bank's OAuth page and the stand-in Link backend's JSON routes.
 */
export function isForwardedPath(method: string, rel: string): boolean {
  if (method === "GET" && /^hl\/[A-Za-z0-9]+$/.test(rel)) return true;
  if (method === "GET" && rel === "link/v2/stable/link-initialize.js") return true;
  if (method === "GET" && rel === "simulator/link/oauth") return true;
  return method === "POST" && /^simulator\/link\/[A-Za-z0-9_-]+$/.test(rel);
}

/** Response headers the proxy passes on (the demo proxy's three, plus the page security headers). */
const FORWARDED_HEADERS = ["content-type", "cache-control", "location", "content-security-policy", "referrer-policy", "x-content-type-options", "x-frame-options"];

export interface PrefixProxy {
  /** e.g. http://localhost:PORT/some/prefix/ (trailing slash). */
  base: string;
  /** Every request the proxy saw: what it forwarded and what it refused (404). */
  seen: Array<{ method: string; path: string; forwarded: boolean }>;
  close(): Promise<void>;
}

/**
 * A loopback proxy serving the simulator under `prefix` on a different origin ("localhost" vs
 * the simulator's "127.0.0.1"), forwarding only isForwardedPath; anything else is a 404. Like
 * Node-RED's proxy it re-sends a JSON body rather than piping the original request.
 */
export async function startPrefixProxy(sim: Pick<Simulator, "url">, prefix = "/some/prefix/"): Promise<PrefixProxy> {
  const seen: PrefixProxy["seen"] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy.invalid");
    const rel = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : null;
    const method = req.method ?? "GET";
    const forwarded = rel !== null && isForwardedPath(method, rel);
    seen.push({ method, path: url.pathname + url.search, forwarded });
    if (!forwarded) {
      req.resume();
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not forwarded");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = { accept: req.headers.accept ?? "*/*" };
      if (method === "POST") {
        headers["content-type"] = "application/json";
        headers["content-length"] = body.length;
      }
      const up = http.request(new URL(`${sim.url}/${rel}${url.search}`), { method, headers }, (upRes) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const h of FORWARDED_HEADERS) {
          const v = upRes.headers[h];
          if (typeof v === "string") out[h] = v;
        }
        res.writeHead(upRes.statusCode ?? 502, out);
        upRes.pipe(res);
      });
      up.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      up.end(method === "POST" ? body : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://localhost:${port}${prefix}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * What a user does with a hosted_link_url, without a browser: load Plaid's page (directly or
 * through Node-RED's demo proxy — every URL of it is relative), take the link token it runs
 * with, and finish the flow through the stand-in Link backend next to it. `exit: true` leaves
 * instead (Link's close button).
 */
export async function finishHostedLink(
  hostedUrl: string,
  opts: { institutionId?: string; username?: string; password?: string; exit?: boolean } = {},
): Promise<{ linkToken: string; linkSessionId: string }> {
  const page = await fetch(hostedUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`hosted page: HTTP ${page.status}`);
  const m = /<script type="application\/json" id="hosted-link-config">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error("hosted page without its config");
  const cfg = JSON.parse(m[1]) as { link_token: string; mode: string };
  const backend = new URL("../simulator/link/", hostedUrl).href.replace(/\/$/, "");
  const base = { url: backend.slice(0, -"/simulator/link".length) };
  if (opts.exit) {
    const linkSessionId = randomUUID();
    const open = await linkBackend(base, "open", { link_token: cfg.link_token, link_session_id: linkSessionId });
    if (open.status !== 200) throw new Error(`open: HTTP ${open.status}`);
    const exit = await linkBackend(base, "exit", { link_token: cfg.link_token, link_session_id: linkSessionId, error: null, status: "requires_credentials", institution_id: null });
    if (exit.status !== 200) throw new Error(`exit: HTTP ${exit.status} ${JSON.stringify(exit.data)}`);
    return { linkToken: cfg.link_token, linkSessionId };
  }
  let institutionId = opts.institutionId;
  if (!institutionId && cfg.mode === "update") {
    const s = await linkBackend(base, "session", { link_token: cfg.link_token });
    institutionId = (s.data.item as { institution_id?: string } | null)?.institution_id;
  }
  const done = await completeLinkSession(base, cfg.link_token, { institutionId, username: opts.username, password: opts.password });
  return { linkToken: cfg.link_token, linkSessionId: done.linkSessionId };
}
