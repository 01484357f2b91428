/**
 * Cross-origin refusal for state-changing admin routes.
 *
 * Node-RED up to 4.1 answers every admin route with CORS `*` and has no CSRF protection, so
 * without adminAuth any web page the user visits could POST to our routes. Browsers always send
 * `Origin` on cross-origin POSTs (and on same-origin fetch/XHR POSTs too), so a POST whose Origin
 * is not the origin it was sent to is refused. Requests without Origin (curl, node-red-admin,
 * server-side callers) are allowed: they are not a browser being abused.
 *
 * Origins are compared whole — scheme, host and port — as browsers define them: an https page on
 * the same host is another site than an http editor.
 */

export type HeaderBag = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** scheme://host[:port] of an http(s) URL, lower-case, default port dropped (URL does that); else null. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return u.origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * The origin a request was addressed to: its scheme and its Host header. A Host that is not one
 * plain `host[:port]` (a list, a path, spaces) names no origin at all.
 */
function requestOriginOf(host: string | undefined, scheme: string): string | null {
  if (!host || !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(host.trim())) return null;
  return originOf(`${scheme}://${host.trim()}`);
}

export interface OriginCheck {
  ok: boolean;
  reason?: string;
}

/**
 * @param headers the request headers (lower-case names, as Node gives them)
 * @param scheme the request's own scheme (express `req.protocol`: "http" unless Node-RED serves https)
 * @param extraOrigins origins that are also the editor (e.g. configured public URLs behind a proxy)
 */
export function checkSameOrigin(headers: HeaderBag, scheme: string, extraOrigins: string[] = []): OriginCheck {
  const origin = first(headers["origin"]);
  const fetchSite = first(headers["sec-fetch-site"]);
  if (origin === undefined) {
    // No Origin: not a cross-origin browser request, unless the browser says otherwise.
    if (fetchSite === "cross-site") return { ok: false, reason: "cross-site request" };
    return { ok: true };
  }
  if (origin === "null") return { ok: false, reason: "opaque origin" };
  const from = originOf(origin);
  if (!from) return { ok: false, reason: "malformed origin" };
  // Host only: a browser cannot forge it. X-Forwarded-Host is deliberately not trusted: a page
  // can set custom headers on a CORS request, and Node-RED ≤4.1 allows them all. Behind a
  // proxy that rewrites Host or ends TLS, the configured public URL (extraOrigins) names the editor.
  const allowed = new Set<string>();
  const own = requestOriginOf(first(headers["host"]), scheme);
  if (own) allowed.add(own);
  for (const o of extraOrigins) {
    const e = originOf(o);
    if (e) allowed.add(e);
  }
  if (allowed.has(from)) return { ok: true };
  return { ok: false, reason: `origin ${origin} is not this Node-RED` };
}
