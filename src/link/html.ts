/**
 * What every page of the admin routes shares: escaping, the page shell, and strict headers.
 * These pages are served without admin auth (a session id is their credential), so they carry no
 * secret and allow no script but their own (a nonce per response).
 */
import { randomBytes } from "crypto";
import type { LinkMode } from "./sessions";

export type PageStrings = Record<string, string>;

/** What every Link page is rendered from. */
export interface LinkPageBase {
  session: string;
  mode: LinkMode;
  /** The bank, for "log in again" (update mode); "" when unknown. */
  institutionName: string;
  strings: PageStrings;
}

/**
 * What a page says for its mode: the title, and the catalog key of the text shown when it is done
 * (add and "add new accounts" end with a Deploy hint: the node's account list changed).
 */
export function modeTexts(mode: LinkMode, S: PageStrings): { title: string; doneKey: string; deployHint: boolean } {
  if (mode === "update") return { title: S.titleUpdate, doneKey: "relinked", deployHint: false };
  if (mode === "accounts") return { title: S.titleAccounts, doneKey: "accountsUpdated", deployHint: true };
  return { title: S.title, doneKey: "linked", deployHint: true };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** JSON that is safe inside a <script> element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export interface RenderedPage {
  html: string;
  headers: Record<string, string>;
}

export function securityHeaders(nonce: string, extraOrigins: string[]): Record<string, string> {
  const extra = [...new Set(extraOrigins)].join(" ");
  const csp = [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'self' ${extra}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    `frame-src 'self' https://cdn.plaid.com ${extra}`.trim(),
    `connect-src 'self' https://*.plaid.com ${extra}`.trim(),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    // The session id is in the URL: never hand it to another site in a Referer header.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": csp,
  };
}

const STYLE = `
  body { font-family: -apple-system, "Helvetica Neue", Arial, sans-serif; margin: 0; background: #f3f3f3; color: #333; }
  main { max-width: 34em; margin: 4em auto; background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 1.5em 2em; }
  h1 { font-size: 1.3em; margin-top: 0; }
  .ok { color: #2a7d2a; } .err { color: #b3261e; }
  button { font-size: 1em; padding: 0.4em 1em; margin: 0.5em 0.5em 0 0; cursor: pointer; }
  ul { padding-left: 1.2em; }
  .hint { color: #666; font-size: 0.9em; word-break: break-all; }
  a.button { display: inline-block; padding: 0.5em 1.2em; background: #2a5db0; color: #fff; border-radius: 4px; text-decoration: none; font-weight: 600; }
  figure { margin: 1em 0; } figure svg { width: 12em; height: 12em; display: block; } figcaption { color: #666; font-size: 0.9em; }
`;

export function shell(title: string, body: string, nonce: string, script = ""): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main>${script ? `<script nonce="${nonce}">${script}</script>` : ""}</body></html>`;
}


/**
 * Fills `__name__` placeholders of a catalog string. A function replacer, so a value such as a
 * bank called "A$&B" is inserted as it is (with a string replacement `$&`, `$'`... are patterns).
 */
export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/__([A-Za-z0-9_]+)__/g, (m, name: string) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : m));
}

/** The same, for the pages' own scripts (ES2017, no dependencies). */
export const FILL_JS = `
  function fill(template, vars) {
    return template.replace(/__([A-Za-z0-9_]+)__/g, function (m, name) { return Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : m; });
  }`;

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}
