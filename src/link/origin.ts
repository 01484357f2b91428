/**
 * Cross-origin refusal for state-changing admin routes.
 *
 * Node-RED up to 4.1 answers every admin route with CORS `*` and has no CSRF protection, so
 * without adminAuth any web page the user visits could POST to our routes. Browsers always send
 * `Origin` on cross-origin POSTs (and on same-origin fetch/XHR POSTs too), so a POST whose Origin
 * names another host than the one it was sent to is refused. Requests without Origin (curl,
 * node-red-admin, server-side callers) are allowed: they are not a browser being abused.
 */

export type HeaderBag = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function hostsFrom(v: string | string[] | undefined): string[] {
  const s = first(v);
  if (!s) return [];
  return s
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/** "host[:port]" of a URL, lower-case, with the default port for its scheme removed. */
export function hostOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return u.host.toLowerCase();
  } catch {
    return null;
  }
}

function stripDefaultPort(host: string): string {
  return host.replace(/:(80|443)$/, "");
}

export interface OriginCheck {
  ok: boolean;
  reason?: string;
}

/**
 * @param headers the request headers (lower-case names, as Node gives them)
 * @param extraOrigins origins that are also the editor (e.g. configured public URLs behind a proxy)
 */
export function checkSameOrigin(headers: HeaderBag, extraOrigins: string[] = []): OriginCheck {
  const origin = first(headers["origin"]);
  const fetchSite = first(headers["sec-fetch-site"]);
  if (origin === undefined) {
    // No Origin: not a cross-origin browser request, unless the browser says otherwise.
    if (fetchSite === "cross-site") return { ok: false, reason: "cross-site request" };
    return { ok: true };
  }
  if (origin === "null") return { ok: false, reason: "opaque origin" };
  const originHost = hostOf(origin);
  if (!originHost) return { ok: false, reason: "malformed origin" };
  const allowed = new Set<string>();
  // Host only: a browser cannot forge it. X-Forwarded-Host is deliberately not trusted: a page
  // can set custom headers on a CORS request, and Node-RED ≤4.1 allows them all. Behind a
  // proxy that rewrites Host, the configured public URL (extraOrigins) names the editor.
  for (const h of hostsFrom(headers["host"])) allowed.add(stripDefaultPort(h));
  for (const o of extraOrigins) {
    const h = hostOf(o);
    if (h) allowed.add(stripDefaultPort(h));
  }
  if (allowed.has(stripDefaultPort(originHost))) return { ok: true };
  return { ok: false, reason: `origin ${origin} is not this Node-RED` };
}
