function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** A minimal bank consent page; "Authorize" follows Plaid's OAuth redirect with oauth_state_id. */
export function renderOauthPage(p: { institution?: string; client?: string; authorizeUrl?: string; error?: string }): string {
  const body = p.error
    ? `<h1>Cannot continue</h1><p class="err">${esc(p.error)}</p>`
    : `<h1>${esc(p.institution ?? "")}</h1>
<p><strong>${esc(p.client ?? "An application")}</strong> is asking to access your accounts through Plaid (simulated).</p>
<p><a id="authorize" class="btn" href="${esc(p.authorizeUrl ?? "#")}">Authorize</a>
<a id="deny" class="btn secondary" href="javascript:window.close()">Cancel</a></p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulated bank authorization</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f1f1f}
.btn{display:inline-block;padding:.6rem 1.2rem;border-radius:.3rem;background:#0a5;color:#fff;text-decoration:none;margin-right:.5rem}
.secondary{background:#888}.err{color:#b00}</style></head>
<body>${body}</body></html>`;
}
