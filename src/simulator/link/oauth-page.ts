import { randomBytes } from "node:crypto";
import { escapeHtml, strictPageHeaders } from "./page-security";

export interface OauthPage {
  status: number;
  html: string;
  headers: Record<string, string>;
}

/**
 * A minimal bank consent page; "Authorize" follows Plaid's OAuth redirect with oauth_state_id.
 * `strict` (hosted Link, error pages) serves it under a script-free Content-Security-Policy, with
 * a plain link for Cancel; the embedded flow keeps its `window.close()` Cancel for the pop-up case.
 */
export function renderOauthPage(p: { institution?: string; client?: string; authorizeUrl?: string; cancelUrl?: string; error?: string; strict?: boolean }): OauthPage {
  const nonce = randomBytes(16).toString("base64");
  const cancel = p.cancelUrl ?? (p.strict ? null : "javascript:window.close()");
  const body = p.error
    ? `<h1>Cannot continue</h1><p class="err" id="oauth-error">${escapeHtml(p.error)}</p>`
    : `<h1>${escapeHtml(p.institution ?? "")}</h1>
<p><strong>${escapeHtml(p.client ?? "An application")}</strong> is asking to access your accounts through Plaid (simulated).</p>
<p><a id="authorize" class="btn" href="${escapeHtml(p.authorizeUrl ?? "#")}">Authorize</a>
${cancel ? `<a id="deny" class="btn secondary" href="${escapeHtml(cancel)}">Cancel</a>` : ""}</p>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Simulated bank authorization</title>
<style nonce="${nonce}">body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f1f1f}
.btn{display:inline-block;padding:.6rem 1.2rem;border-radius:.3rem;background:#0a5;color:#fff;text-decoration:none;margin-right:.5rem}
.secondary{background:#888}.err{color:#b00}</style></head>
<body>${body}</body></html>`;
  const headers: Record<string, string> = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" };
  return { status: 200, html, headers: p.strict ? { ...headers, ...strictPageHeaders(nonce, { scripts: false }) } : headers };
}
