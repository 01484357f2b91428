/*
 * Stand-in Plaid Hosted Link page script (served inline, with a nonce, by GET /hl/<id>). It is
 * what Plaid's hosted page does with Link: open it at once for the page's link_token, resume
 * after an OAuth bank (the bank sends the browser back here with ?oauth_state_id), then show
 * the outcome. Results reach the integrator server-side only, through /link/token/get.
 *
 * Stable hooks for tests: main#hosted-link with data-state = open | done | exited (server pages:
 * expired | used | not_found); #hosted-link-status; #hosted-link-done, #hosted-link-continue
 * (link to completion_redirect_uri); #hosted-link-exited, #hosted-link-restart,
 * #hosted-link-return. Link itself keeps its own ids (#plaid-link-dialog[data-view=...]).
 */
/* global window, document */
(function () {
  "use strict";

  var main = document.getElementById("hosted-link");
  var status = document.getElementById("hosted-link-status");
  var config = JSON.parse(document.getElementById("hosted-link-config").textContent || "{}");
  var client = config.client_name || "the application";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  /** Replaces the page's content with one outcome section. */
  function show(state, id, title, lines, actions) {
    main.setAttribute("data-state", state);
    main.textContent = "";
    var section = el("section", { id: id });
    var h1 = el("h1", { id: "hosted-link-title", tabindex: "-1" }, title);
    section.appendChild(h1);
    lines.forEach(function (line) { section.appendChild(el("p", { class: "sub" }, line)); });
    (actions || []).forEach(function (a) { section.appendChild(a); });
    main.appendChild(section);
    h1.focus();
  }

  function onSuccess(publicToken, metadata) {
    void publicToken; // the integrator reads it from /link/token/get, never from the browser
    var inst = metadata && metadata.institution && metadata.institution.name ? metadata.institution.name : "your bank";
    var n = metadata && Array.isArray(metadata.accounts) ? metadata.accounts.length : 0;
    var what = config.account_selection
      ? "Your accounts at " + inst + " are updated: " + n + " shared with " + client + "."
      : config.mode === "update"
      ? "Your account at " + inst + " is connected again."
      : "Your " + (n === 1 ? "account" : n + " accounts") + " at " + inst + (n === 1 ? " is" : " are") + " now connected to " + client + ".";
    var target = config.completion_redirect_uri;
    var actions = [];
    if (target) actions.push(el("a", { id: "hosted-link-continue", class: "btn", href: target }, "Return to " + client));
    show("done", "hosted-link-done", "You\u2019re all set", [what, target ? "Taking you back\u2026" : "You can close this window."], actions);
    if (target) window.location.assign(target);
  }

  function onExit(error) {
    var restart = el("button", { id: "hosted-link-restart", class: "btn", type: "button" }, "Start again");
    // A new page load is a new link session for the same (still valid) link.
    restart.addEventListener("click", function () { window.location.assign(window.location.pathname); });
    var actions = [restart];
    if (config.completion_redirect_uri)
      actions.push(el("a", { id: "hosted-link-return", class: "btn secondary", href: config.completion_redirect_uri }, "Return to " + client));
    var lines = ["You closed Plaid before your account was connected."];
    if (error && (error.display_message || error.error_message)) lines.push(error.display_message || error.error_message);
    show("exited", "hosted-link-exited", "Not connected", lines, actions);
  }

  if (!window.Plaid || typeof window.Plaid.create !== "function") {
    status.textContent = "Plaid Link could not be loaded. Reload the page to try again.";
    return;
  }
  var received = /[?&]oauth_state_id=/.test(window.location.search) ? window.location.href : undefined;
  var handler = window.Plaid.create({ token: config.link_token, receivedRedirectUri: received, onSuccess: onSuccess, onExit: onExit });
  // Link has read the OAuth state; a reload must start over rather than replay it.
  if (received && window.history && typeof window.history.replaceState === "function") window.history.replaceState(null, "", window.location.pathname);
  status.textContent = "Plaid is open in this window.";
  handler.open();
})();
