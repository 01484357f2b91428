/**
 * The Link page in Hosted Link mode (DESIGN §4.6). It loads no Plaid script: it hands over to
 * Plaid's own page (`hostedUrl`, a new tab, so this one stays and shows progress), shows a QR
 * code of that URL to finish on a phone, and follows the session until it ends by asking this
 * Node-RED (`<session>/status`; the session id is the credential) — no callback from Plaid's page
 * or from the browser is needed, the server polls Plaid.
 */
import { escapeHtml, fill, FILL_JS, modeTexts, newNonce, scriptJson, securityHeaders, shell, type LinkPageBase, type RenderedPage } from "./html";
import { qrSvg } from "./qr";

export interface HostedPageInput extends LinkPageBase {
  /** Plaid's hosted_link_url, as a browser reaches it. */
  hostedUrl: string;
}

/** Browser code of the hosted Link page (ES2017, no dependencies). */
const HOSTED_PAGE_JS = `
(function () {
  "use strict";${FILL_JS}
  var cfg = JSON.parse(document.getElementById("plaid-sync-cfg").textContent);
  var S = cfg.strings;
  var statusEl = document.getElementById("status");
  var detailEl = document.getElementById("detail");
  var handoff = document.getElementById("plaid-sync-hosted-handoff");
  var timer = null;

  function show(text, kind, status) {
    statusEl.textContent = text;
    statusEl.className = kind || "";
    document.body.setAttribute("data-status", status);
  }
  function accounts(list) {
    var ul = document.createElement("ul");
    ul.id = "plaid-sync-accounts";
    (list || []).forEach(function (a) {
      var li = document.createElement("li");
      li.textContent = a.name + (a.mask ? " ••" + a.mask : "") + (a.subtype ? " (" + a.subtype + ")" : "");
      ul.appendChild(li);
    });
    return ul;
  }
  function render(r) {
    if (r.status === "linked") {
      var name = r.institutionName || "";
      show(fill(S[cfg.doneKey], { institution: name }), "ok", r.status);
      handoff.hidden = true;
      detailEl.textContent = "";
      detailEl.appendChild(accounts(r.accounts));
      if (cfg.deployHint) {
        var p = document.createElement("p");
        p.className = "hint";
        p.textContent = S.deployHint;
        detailEl.appendChild(p);
      }
      return false;
    }
    if (r.status === "expired" || r.status === "failed") {
      show(r.status === "expired" ? S.hostedExpired : fill(S.hostedFailed, { message: r.message || "" }), "err", r.status);
      handoff.hidden = true;
      return false;
    }
    if (r.status === "exited") show(S.hostedExited + (r.message ? " (" + r.message + ")" : ""), "err", r.status);
    else show(S.hostedWaiting, "", r.status);
    return true;
  }
  function poll() {
    fetch(cfg.session + "/status", { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) { show((res.body && res.body.error) || S.sessionInvalid, "err", "unknown"); handoff.hidden = true; return; }
      if (render(res.body)) timer = setTimeout(poll, 2000);
    }).catch(function () {
      // Node-RED unreachable for a moment (restart): keep asking, more slowly.
      timer = setTimeout(poll, 5000);
    });
  }
  document.getElementById("plaid-sync-hosted-open").addEventListener("click", function () {
    show(S.hostedWaiting, "", "open");
  });
  poll();
})();
`;

export function renderHostedPage(input: HostedPageInput): RenderedPage {
  const nonce = newNonce();
  const S = input.strings;
  const { title, doneKey, deployHint } = modeTexts(input.mode, S);
  const bank = { institution: input.institutionName || S.yourBank };
  const intro = input.mode === "update" ? fill(S.hostedIntroUpdate, bank) : input.mode === "accounts" ? fill(S.hostedIntroAccounts, bank) : S.hostedIntro;
  const cfg = { session: input.session, doneKey, deployHint, strings: S };
  const body = `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(intro)}</p>
<div id="plaid-sync-hosted-handoff">
<p><a id="plaid-sync-hosted-open" class="button" href="${escapeHtml(input.hostedUrl)}" target="_blank" rel="noopener noreferrer">${escapeHtml(S.hostedOpen)}</a></p>
<figure id="plaid-sync-qr">${qrSvg(input.hostedUrl, S.hostedQrLabel)}<figcaption>${escapeHtml(S.hostedQr)}</figcaption></figure>
<p class="hint">${escapeHtml(S.hostedUrlLabel)} <span id="plaid-sync-hosted-url">${escapeHtml(input.hostedUrl)}</span></p>
</div>
<p id="status">${escapeHtml(S.loading)}</p>
<div id="detail"></div>
<script type="application/json" id="plaid-sync-cfg">${scriptJson(cfg)}</script>`;
  return { html: shell(title, body, nonce, HOSTED_PAGE_JS), headers: securityHeaders(nonce, []) };
}
