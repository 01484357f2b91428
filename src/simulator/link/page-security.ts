/** HTML escaping and response headers shared by the simulator's browser pages. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/**
 * Headers of a page that runs only what it was served with: scripts and styles need the
 * response's nonce (no inline handlers, no eval), fetches go to its own origin only ('self' is
 * whatever origin the browser sees, so the same policy holds behind a proxy), and no site may
 * frame it. The page's own meta referrer tag repeats the Referrer-Policy for proxies that drop it.
 */
export function strictPageHeaders(nonce: string, opts: { scripts: boolean }): Record<string, string> {
  const csp = [
    "default-src 'none'",
    ...(opts.scripts ? [`script-src 'nonce-${nonce}'`, "connect-src 'self'"] : []),
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "base-uri 'none'",
    opts.scripts ? "form-action 'self'" : "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": csp,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    // The hosted URL is a credential: never hand it to the next site in a Referer header.
    "Referrer-Policy": "no-referrer",
  };
}

/** JSON for a <script type="application/json"> block: nothing in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
