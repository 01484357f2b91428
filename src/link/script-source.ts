/**
 * Where the embedded Link page loads Plaid's Link script from, and which sources it may load at
 * all (DESIGN §4): the page runs on the editor's origin, next to the editor's admin token.
 */
import type { ConfigLike } from "./config-like";

export const PLAID_CDN_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";
export const LINK_SCRIPT_PATH = "link/v2/stable/link-initialize.js";

/**
 * A Link script the embedded page may load. The page runs on the editor's origin, where the
 * editor keeps its admin token: a script fetched over plain http from another machine could be
 * replaced on the way and read it. So: https, or loopback (a simulator on this machine), or the
 * page's own relative path (demo).
 */
export function isSafeScriptSource(url: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) return true; // relative: this Node-RED itself
  try {
    const u = new URL(url);
    if (u.protocol === "https:") return true;
    const host = u.hostname.replace(/^\[|\]$/g, "");
    return u.protocol === "http:" && (host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host));
  } catch {
    return false;
  }
}

export function linkScriptUrl(config: Pick<ConfigLike, "environment" | "basePath">): string {
  switch (config.environment) {
    case "sandbox":
    case "production":
      return PLAID_CDN_SCRIPT;
    case "custom":
      return `${(config.basePath ?? "").trim().replace(/\/+$/, "")}/${LINK_SCRIPT_PATH}`;
    default:
      // demo: the in-process simulator, re-served through the admin routes. Relative to the Link
      // page (<admin>/plaid-sync/link/<session>), so it also works behind a path-prefixing proxy.
      return `../demo/${LINK_SCRIPT_PATH}`;
  }
}
