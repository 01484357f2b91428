/**
 * The HTML the Link window shows. Served without admin auth (the session id in the URL is the only
 * credential), so it contains no secret: the link_token is fetched by the page, the public token
 * goes back to the server, and the access token never leaves Node-RED.
 *
 * All URLs in the page are relative to it (`<admin>/plaid-sync/link/<session>`) so that it keeps
 * working behind a reverse proxy that serves Node-RED under a path prefix (Home Assistant ingress).
 */
import { escapeHtml, fill, FILL_JS, modeTexts, newNonce, scriptJson, securityHeaders, shell, type LinkPageBase, type PageStrings, type RenderedPage } from "./html";
import { originOf } from "./origin";

/** localStorage key holding {session, link_token} across the OAuth redirect. */
export const OAUTH_STORAGE_KEY = "plaid-sync.link";

export type { PageStrings, RenderedPage };
export { escapeHtml, scriptJson };

export interface LinkPageInput extends LinkPageBase {
  /** Absolute (CDN, custom) or relative to the page (demo). */
  scriptUrl: string;
}

/** Browser code of the Link page (ES2017, no dependencies). */
const LINK_PAGE_JS = `
(function () {
  "use strict";${FILL_JS}
  var cfg = JSON.parse(document.getElementById("plaid-sync-cfg").textContent);
  var S = cfg.strings;
  var KEY = ${JSON.stringify(OAUTH_STORAGE_KEY)};
  var statusEl = document.getElementById("status");
  var actionsEl = document.getElementById("actions");
  var detailEl = document.getElementById("detail");
  var handler = null;
  var linkToken = null;

  function show(text, kind) {
    statusEl.textContent = text;
    statusEl.className = kind || "";
  }
  function button(label, id, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.id = id;
    b.textContent = label;
    b.addEventListener("click", onClick);
    actionsEl.appendChild(b);
    return b;
  }
  function clearActions() { actionsEl.textContent = ""; }
  function remember() {
    try { localStorage.setItem(KEY, JSON.stringify({ session: cfg.session, link_token: linkToken, at: Date.now() })); } catch (e) { /* private mode */ }
  }
  function forget() {
    try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
  }
  function reopenButton() {
    clearActions();
    button(S.reopen, "plaid-sync-reopen", function () { clearActions(); open(); });
  }
  function closeButton() {
    clearActions();
    button(S.close, "plaid-sync-close", function () { window.close(); });
  }

  function complete(publicToken, metadata) {
    show(S.saving);
    clearActions();
    fetch(cfg.session + "/complete", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ public_token: publicToken, metadata: metadata })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      if (!res.ok) {
        show((res.body && res.body.error) || S.failed, "err");
        if (res.status !== 404) reopenButton();
        return;
      }
      forget();
      var ev = res.body;
      var name = (ev.institution && ev.institution.name) || "";
      show(fill(S[cfg.doneKey], { institution: name }), "ok");
      detailEl.textContent = "";
      var ul = document.createElement("ul");
      ul.id = "plaid-sync-accounts";
      (ev.accounts || []).forEach(function (a) {
        var li = document.createElement("li");
        li.textContent = a.name + (a.mask ? " ••" + a.mask : "") + (a.subtype ? " (" + a.subtype + ")" : "");
        ul.appendChild(li);
      });
      detailEl.appendChild(ul);
      if (cfg.deployHint) {
        var p = document.createElement("p");
        p.className = "hint";
        p.textContent = S.deployHint;
        detailEl.appendChild(p);
      }
      closeButton();
    }).catch(function () {
      show(S.failed, "err");
      reopenButton();
    });
  }

  function open() {
    if (!window.Plaid || typeof window.Plaid.create !== "function") { show(S.scriptFailed, "err"); return; }
    remember();
    var options = {
      token: linkToken,
      onSuccess: function (publicToken, metadata) { complete(publicToken, metadata); },
      onExit: function (err, metadata) {
        if (handler && handler.destroy) { try { handler.destroy(); } catch (e) { /* ignore */ } }
        handler = null;
        // Nothing to resume after an exit: do not leave the link_token in this browser.
        forget();
        if (err) {
          show(fill(S.exitError, { message: err.display_message || err.error_message || err.error_code || "" }), "err");
        } else {
          show(S.exited);
        }
        reopenButton();
      }
    };
    var params = new URLSearchParams(window.location.search);
    var received = params.get("oauth_redirect");
    if (received) {
      options.receivedRedirectUri = received;
      // Only once: a later "open again" starts a fresh Link flow.
      history.replaceState(null, "", window.location.pathname);
    }
    show(S.opening);
    handler = window.Plaid.create(options);
    handler.open();
  }

  function loadScript() {
    var s = document.createElement("script");
    s.src = cfg.scriptUrl;
    s.onload = open;
    s.onerror = function () { show(S.scriptFailed, "err"); };
    document.head.appendChild(s);
  }

  var stored = null;
  try { stored = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { stored = null; }
  if (new URLSearchParams(window.location.search).get("oauth_redirect") && stored && stored.session === cfg.session && stored.link_token) {
    // Back from the bank (OAuth): Link must be re-created with the same link_token.
    linkToken = stored.link_token;
    loadScript();
    return;
  }
  fetch(cfg.session + "/token", { credentials: "same-origin" }).then(function (r) {
    return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, body: body }; });
  }).then(function (res) {
    if (!res.ok || !res.body.link_token) { show((res.body && res.body.error) || S.sessionInvalid, "err"); return; }
    linkToken = res.body.link_token;
    loadScript();
  }).catch(function () { show(S.failed, "err"); });
})();
`;

export function renderLinkPage(input: LinkPageInput): RenderedPage {
  const nonce = newNonce();
  const S = input.strings;
  const scriptOrigin = originOf(input.scriptUrl);
  const { title, doneKey, deployHint } = modeTexts(input.mode, S);
  const cfg = { session: input.session, mode: input.mode, scriptUrl: input.scriptUrl, doneKey, deployHint, strings: S };
  const bank = { institution: input.institutionName || S.yourBank };
  const intro =
    input.mode === "accounts"
      ? fill(S.introAccounts, bank)
      : input.mode === "update" && input.institutionName
        ? fill(S.introUpdate, bank)
        : input.mode === "update"
          ? S.introUpdateGeneric
          : S.intro;
  const body = `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(intro)}</p>
<p id="status">${escapeHtml(S.loading)}</p>
<div id="detail"></div>
<div id="actions"></div>
<script type="application/json" id="plaid-sync-cfg">${scriptJson(cfg)}</script>`;
  return { html: shell(title, body, nonce, LINK_PAGE_JS), headers: securityHeaders(nonce, scriptOrigin ? [scriptOrigin] : []) };
}

export function renderErrorPage(title: string, message: string, hint: string): RenderedPage {
  const nonce = newNonce();
  const body = `<h1>${escapeHtml(title)}</h1><p class="err" id="status">${escapeHtml(message)}</p><p class="hint">${escapeHtml(hint)}</p>`;
  return { html: shell(title, body, nonce), headers: securityHeaders(nonce, []) };
}

/**
 * `<admin>/plaid-sync/oauth?oauth_state_id=…`: the bank sends the user here. The page finds the
 * Link session this browser started (stored before Link opened) and goes back to it, passing the
 * exact URL it was reached at, which Link needs as `receivedRedirectUri`.
 */
export function renderOAuthPage(strings: PageStrings): RenderedPage {
  const nonce = newNonce();
  const body = `<h1>${escapeHtml(strings.title)}</h1><p id="status">${escapeHtml(strings.oauthResuming)}</p>
<script type="application/json" id="plaid-sync-cfg">${scriptJson({ strings })}</script>`;
  const js = `
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("plaid-sync-cfg").textContent).strings;
  var stored = null;
  try { stored = JSON.parse(localStorage.getItem(${JSON.stringify(OAUTH_STORAGE_KEY)}) || "null"); } catch (e) { stored = null; }
  if (!stored || typeof stored.session !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(stored.session)) {
    var el = document.getElementById("status");
    el.textContent = S.oauthNoSession;
    el.className = "err";
    return;
  }
  window.location.replace("link/" + stored.session + "?oauth_redirect=" + encodeURIComponent(window.location.href));
})();`;
  return { html: shell(strings.title, body, nonce, js), headers: securityHeaders(nonce, []) };
}
