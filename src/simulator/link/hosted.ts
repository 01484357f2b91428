import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import type { SimulatorCore } from "../core";
import { escapeHtml, jsonForScript, strictPageHeaders } from "./page-security";

/** hosted_link_url = <origin> + HOSTED_LINK_PATH + <id>. */
export const HOSTED_LINK_PATH = "/hl/";
/** The ids newHostedLinkId makes; anything else under /hl/ is not a hosted link. */
export const HOSTED_LINK_ROUTE = /^\/hl\/([A-Za-z0-9]{16,64})$/;

/** The page's own script (plain browser JavaScript, inlined with the response's nonce). */
const HOSTED_SCRIPT_FILE = path.join(__dirname, "hosted-link.js");

/**
 * The stand-in Link script, relative to /hl/<id>: every URL in the page is relative, so the
 * page works wherever the simulator is re-served (Node-RED's demo proxy under a path prefix).
 */
const LINK_SCRIPT_RELATIVE = "../link/v2/stable/link-initialize.js";

export interface HostedPage {
  status: number;
  html: string;
  headers: Record<string, string>;
}

type PageState = "open" | "expired" | "used" | "not_found" | "unavailable";

const STYLE = `body{margin:0;background:#f3f4f6;color:#111827;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:30rem;margin:3rem auto;padding:1.5rem 1.75rem;background:#fff;border-radius:12px;box-shadow:0 4px 18px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:0 0 .75rem}.sub{color:#4b5563}
.btn{display:inline-block;margin:.75rem .5rem 0 0;padding:.6rem 1.1rem;border:0;border-radius:8px;background:#111827;color:#fff;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.btn.secondary{background:#6b7280}`;

const TEXT: Record<Exclude<PageState, "open" | "unavailable">, { status: number; title: string; body: string }> = {
  expired: { status: 410, title: "This link has expired", body: "Ask for a new link to connect your account." },
  used: { status: 409, title: "This link was already used", body: "Your account was connected with this link. It cannot be used again." },
  not_found: { status: 404, title: "This link is not valid", body: "Check the address, or ask for a new link." },
};

function shell(nonce: string, state: PageState, inner: string, scripts = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Plaid Hosted Link (simulator)</title>
<style nonce="${nonce}">${STYLE}</style></head>
<body><main id="hosted-link" data-state="${state}">
${inner}
</main>${scripts}</body></html>`;
}

/**
 * GET /hl/<id>: what Plaid serves at hosted_link_url. While the token is usable, the page runs
 * the stand-in Link at once (no integrator code) and shows a done or exited screen afterwards;
 * otherwise a 4xx page says why not (expired, already used, unknown).
 */
export function hostedLinkPage(core: SimulatorCore, id: string): HostedPage {
  const nonce = randomBytes(16).toString("base64");
  const headers = strictPageHeaders(nonce, { scripts: true });
  const rec = core.linkTokens.hosted(id);
  let state: PageState = "open";
  if (!rec || !rec.hosted) state = "not_found";
  else if (rec.expiresAt <= core.now()) state = "expired";
  else if (rec.hosted.completedAt !== null) state = "used";

  if (state !== "open" || !rec || !rec.hosted) {
    const t = TEXT[state as keyof typeof TEXT];
    const inner = `<section id="hosted-link-${state.replace("_", "-")}"><h1 id="hosted-link-title">${escapeHtml(t.title)}</h1><p class="sub">${escapeHtml(t.body)}</p></section>`;
    return { status: t.status, html: shell(nonce, state, inner), headers };
  }

  let script: string;
  try {
    script = fs.readFileSync(HOSTED_SCRIPT_FILE, "utf8");
  } catch {
    // A broken build, not the user's link: say so rather than pretend the link is bad.
    return { status: 500, html: shell(nonce, "unavailable", `<p id="hosted-link-unavailable">hosted-link.js is not available in this build</p>`), headers };
  }
  const config = {
    link_token: rec.token,
    client_name: rec.clientName,
    mode: rec.mode,
    account_selection: rec.mode === "update" && !!rec.accountSelection,
    completion_redirect_uri: rec.hosted.completionRedirectUri,
  };
  const inner = `<h1 id="hosted-link-title">Connect your account</h1>
<p class="sub" id="hosted-link-status" role="status">Opening Plaid\u2026</p>
<noscript><p>This page needs JavaScript.</p></noscript>`;
  const scripts = `
<script type="application/json" id="hosted-link-config">${jsonForScript(config)}</script>
<script nonce="${nonce}" src="${LINK_SCRIPT_RELATIVE}"></script>
<script nonce="${nonce}">${script.replace(/<\/script/gi, "<\\/script")}</script>`;
  return { status: 200, html: shell(nonce, "open", inner, scripts), headers };
}
