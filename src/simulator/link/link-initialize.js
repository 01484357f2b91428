/*
 * Stand-in Plaid Link for the local Plaid simulator (demo mode, tests). Plain browser JavaScript:
 * no dependencies, no build step. It offers Plaid's web API,
 *
 *   const handler = Plaid.create({ token, onSuccess, onExit, onEvent, onLoad, receivedRedirectUri });
 *   handler.open(); handler.exit({ force }); handler.destroy(); handler.submit(data);
 *
 * and renders an accessible modal in the page instead of Plaid's iframe. It talks to the
 * simulator's stand-in Link backend, found relative to this script's own URL
 * (<base>/link/v2/stable/link-initialize.js → <base>/simulator/link/), see docs/internals.md.
 * Every call names the link session (link_session_id), so the backend can record it for
 * /link/token/get: `open` when the UI opens, `exit` when it closes without success.
 * Under a Content-Security-Policy the style element it adds carries this script's nonce.
 *
 * Stable hooks for tests: #plaid-link-overlay, [role=dialog]#plaid-link-dialog with data-view =
 * SELECT_INSTITUTION | CREDENTIAL | SELECT_ACCOUNT | CONNECTED | OAUTH | LOADING | ERROR,
 * #plaid-link-close, #plaid-link-error (role=alert), #plaid-link-search, .plaid-link-institution
 * buttons (data-institution-id), #plaid-link-username, #plaid-link-password, #plaid-link-submit,
 * .plaid-link-account checkboxes (value = account id; in update mode with account selection the
 * shared accounts are the checked ones), #plaid-link-continue, #plaid-link-done,
 * #plaid-link-oauth-continue.
 */
/* global window, document, fetch, sessionStorage, HTMLElement, KeyboardEvent */
(function () {
  "use strict";

  var currentScript =
    document.currentScript || document.querySelector('script[src*="link-initialize.js"]');
  var scriptSrc = currentScript && currentScript.src ? currentScript.src : window.location.href;
  var BACKEND = new URL("../../../simulator/link/", scriptSrc).href;
  var NONCE = currentScript ? currentScript.nonce || currentScript.getAttribute("nonce") || "" : "";
  /** onExit waits this long at most for the backend to record the exit. */
  var EXIT_RECORD_WAIT_MS = 2000;
  var STORAGE_PREFIX = "plaid-sim-link:";
  var STYLE_ID = "plaid-link-style";

  var CSS = [
    "#plaid-link-overlay{position:fixed;inset:0;z-index:2147483000;background:rgba(17,24,39,.55);display:flex;align-items:center;justify-content:center;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827}",
    "#plaid-link-dialog{background:#fff;border-radius:12px;box-shadow:0 20px 50px rgba(0,0,0,.3);width:min(420px,94vw);max-height:92vh;display:flex;flex-direction:column;overflow:hidden}",
    "#plaid-link-dialog header{display:flex;align-items:center;justify-content:space-between;padding:14px 16px;border-bottom:1px solid #e5e7eb}",
    "#plaid-link-title{font-size:17px;font-weight:600;margin:0}",
    "#plaid-link-close{border:0;background:transparent;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px;color:#374151}",
    "#plaid-link-close:focus-visible,.plaid-link-btn:focus-visible,.plaid-link-institution:focus-visible{outline:3px solid #2563eb;outline-offset:2px}",
    "#plaid-link-body{padding:16px;overflow:auto}",
    "#plaid-link-error{display:none;margin:0 0 12px;padding:10px 12px;border-radius:8px;background:#fef2f2;color:#991b1b;border:1px solid #fecaca}",
    "#plaid-link-error.visible{display:block}",
    ".plaid-link-sub{color:#4b5563;margin:0 0 12px}",
    ".plaid-link-field{display:block;margin:0 0 12px}",
    ".plaid-link-field span{display:block;font-weight:600;margin-bottom:4px}",
    ".plaid-link-field input{width:100%;box-sizing:border-box;padding:9px 10px;border:1px solid #9ca3af;border-radius:8px;font:inherit}",
    ".plaid-link-hint{font-size:13px;color:#4b5563;background:#f3f4f6;border-radius:6px;padding:6px 8px;margin:0 0 12px}",
    ".plaid-link-list{list-style:none;margin:0;padding:0}",
    ".plaid-link-list li{margin:0 0 6px}",
    ".plaid-link-institution{width:100%;text-align:left;padding:10px 12px;border:1px solid #d1d5db;border-radius:8px;background:#fff;font:inherit;cursor:pointer}",
    ".plaid-link-institution:hover{background:#f9fafb}",
    ".plaid-link-institution small{display:block;color:#6b7280}",
    ".plaid-link-account-row{display:flex;gap:10px;align-items:center;padding:8px 10px;border:1px solid #d1d5db;border-radius:8px;margin:0 0 6px}",
    ".plaid-link-btn{width:100%;padding:11px 14px;border:0;border-radius:8px;background:#111827;color:#fff;font:inherit;font-weight:600;cursor:pointer;margin-top:4px}",
    ".plaid-link-btn[disabled]{opacity:.55;cursor:progress}",
    ".plaid-link-success{font-size:16px;margin:0 0 12px}",
    ".plaid-link-empty{color:#6b7280}",
    "fieldset.plaid-link-accounts{border:0;padding:0;margin:0 0 8px}",
    "fieldset.plaid-link-accounts legend{font-weight:600;margin-bottom:6px}",
  ].join("\n");

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k.slice(0, 2) === "on" && typeof v === "function") node.addEventListener(k.slice(2), v);
        else if (k === "className") node.className = v;
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function ensureStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = el("style", { id: STYLE_ID });
    if (NONCE) { style.nonce = NONCE; style.setAttribute("nonce", NONCE); }
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  function storageGet(key) {
    try { return JSON.parse(sessionStorage.getItem(STORAGE_PREFIX + key) || "null"); } catch { return null; }
  }
  function storageSet(key, value) {
    try { sessionStorage.setItem(STORAGE_PREFIX + key, JSON.stringify(value)); } catch { /* private mode */ }
  }
  function storageDel(key) {
    try { sessionStorage.removeItem(STORAGE_PREFIX + key); } catch { /* ignore */ }
  }

  function networkError(message) {
    return {
      error_type: "API_ERROR",
      error_code: "INTERNAL_SERVER_ERROR",
      error_message: message,
      display_message: "Something went wrong. Please try again.",
      request_id: null,
    };
  }

  /**
   * POST JSON to the stand-in Link backend; rejects with a Plaid-shaped error object.
   * `keepalive` lets a call outlive the page (an exit recorded while the integrator navigates).
   */
  function post(endpoint, body, keepalive) {
    return fetch(BACKEND + endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      keepalive: !!keepalive,
    }).then(
      function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch { data = null; }
          if (res.ok && data && typeof data === "object") return data;
          if (data && typeof data.error_code === "string") throw data;
          throw networkError("stand-in Link backend answered HTTP " + res.status + " to " + endpoint);
        });
      },
      function (err) {
        throw networkError("could not reach the stand-in Link backend: " + (err && err.message ? err.message : String(err)));
      }
    );
  }

  function plainError(err) {
    if (!err) return null;
    return {
      error_type: err.error_type || "API_ERROR",
      error_code: err.error_code || "INTERNAL_SERVER_ERROR",
      error_message: err.error_message || "",
      display_message: err.display_message === undefined ? null : err.display_message,
    };
  }

  function oauthStateIdFrom(uri) {
    if (!uri) return null;
    try { return new URL(uri, window.location.href).searchParams.get("oauth_state_id"); } catch { return null; }
  }

  var EXIT_STATUS = {
    SELECT_INSTITUTION: null,
    CREDENTIAL: "requires_credentials",
    SELECT_ACCOUNT: "requires_account_selection",
    OAUTH: "requires_oauth",
    CONNECTED: null,
    ERROR: null,
    LOADING: null,
  };

  function create(config) {
    if (!config || typeof config !== "object") throw new TypeError("Plaid.create expects a config object");
    var token = config.token;
    var receivedRedirectUri = config.receivedRedirectUri || null;
    var oauthStateId = oauthStateIdFrom(receivedRedirectUri);
    var stored = token ? storageGet("oauth:" + token) : null;

    var state = {
      loaded: false,
      loadError: null,
      session: null,
      openRequested: false,
      isOpen: false,
      destroyed: false,
      finished: false,
      view: null,
      linkSessionId: (oauthStateId && stored && stored.link_session_id) || uuid(),
      requestId: null,
      institution: null, // {institution_id, name, oauth}
      username: null,
      password: null,
      accounts: [],
      lastError: null,
      success: null, // {public_token, metadata} once complete
      searchQuery: "",
      searchTimer: null,
      busy: false,
      previousFocus: null,
    };
    var root = null;

    function call(name) {
      var fn = config[name];
      if (typeof fn !== "function") return;
      var args = Array.prototype.slice.call(arguments, 1);
      try { fn.apply(null, args); } catch (e) {
        window.setTimeout(function () { throw e; }, 0); // surface, but don't break Link
      }
    }

    function eventMetadata(extra) {
      var md = {
        account_number_mask: null,
        error_type: null,
        error_code: null,
        error_message: null,
        exit_status: null,
        institution_id: state.institution ? state.institution.institution_id : null,
        institution_name: state.institution ? state.institution.name : null,
        institution_search_query: state.searchQuery || null,
        is_update_mode: state.session ? String(state.session.mode === "update") : null,
        match_reason: null,
        mfa_type: null,
        routing_number: null,
        view_name: state.view,
        selection: null,
        timestamp: new Date().toISOString(),
        link_session_id: state.linkSessionId,
        request_id: state.requestId || uuid().replace(/-/g, "").slice(0, 15),
      };
      Object.keys(extra || {}).forEach(function (k) { md[k] = extra[k]; });
      return md;
    }

    function emit(name, extra) {
      call("onEvent", name, eventMetadata(extra));
    }

    function noteRequestId(data) {
      if (data && typeof data.request_id === "string") state.requestId = data.request_id;
    }

    // ---------- DOM ----------

    function byId(id) {
      return root ? root.querySelector("#" + id) : null;
    }

    function mount() {
      ensureStyle();
      state.previousFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      root = el("div", { id: "plaid-link-overlay", "data-link-session-id": state.linkSessionId }, [
        el("div", { id: "plaid-link-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "plaid-link-title", "aria-describedby": "plaid-link-error" }, [
          el("header", null, [
            el("h2", { id: "plaid-link-title", text: "Plaid (simulator)" }),
            el("button", { id: "plaid-link-close", type: "button", "aria-label": "Close", title: "Close", onclick: function () { exit({}); } }, ["\u00d7"]),
          ]),
          el("div", { id: "plaid-link-body" }, [
            el("div", { id: "plaid-link-error", role: "alert", "aria-live": "assertive" }),
            el("div", { id: "plaid-link-view" }),
          ]),
        ]),
      ]);
      root.addEventListener("keydown", onKeyDown);
      document.body.appendChild(root);
    }

    function unmount() {
      if (state.searchTimer) { window.clearTimeout(state.searchTimer); state.searchTimer = null; }
      if (root && root.parentNode) root.parentNode.removeChild(root);
      root = null;
      state.isOpen = false;
      if (state.previousFocus && typeof state.previousFocus.focus === "function") {
        try { state.previousFocus.focus(); } catch { /* gone */ }
      }
    }

    function onKeyDown(ev) {
      if (!(ev instanceof KeyboardEvent)) return;
      if (ev.key === "Escape") {
        ev.preventDefault();
        exit({});
        return;
      }
      if (ev.key !== "Tab" || !root) return;
      // Keep focus inside the dialog.
      var focusables = Array.prototype.filter.call(
        root.querySelectorAll("button, input, [tabindex]:not([tabindex='-1'])"),
        function (n) { return !n.disabled && n.offsetParent !== null; }
      );
      if (!focusables.length) return;
      var first = focusables[0];
      var last = focusables[focusables.length - 1];
      if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); }
      else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
    }

    function showError(err) {
      var box = byId("plaid-link-error");
      if (!box) return;
      if (!err) {
        box.textContent = "";
        box.className = "";
        box.removeAttribute("data-error-code");
        return;
      }
      box.textContent = err.display_message || err.error_message || err.error_code || "Something went wrong.";
      box.setAttribute("data-error-code", err.error_code || "");
      box.className = "visible";
    }

    function setError(err) {
      state.lastError = err ? plainError(err) : null;
      showError(err);
      if (err) {
        noteRequestId(err);
        emit("ERROR", { error_type: err.error_type || null, error_code: err.error_code || null, error_message: err.error_message || null });
      }
    }

    function render(view, title, children, focusSelector) {
      if (!root) return;
      var changed = state.view !== view;
      state.view = view;
      byId("plaid-link-dialog").setAttribute("data-view", view);
      byId("plaid-link-title").textContent = title;
      var container = byId("plaid-link-view");
      container.textContent = "";
      children.forEach(function (c) { if (c) container.appendChild(c); });
      var target = focusSelector ? root.querySelector(focusSelector) : null;
      (target || byId("plaid-link-close")).focus();
      if (changed) emit("TRANSITION_VIEW", { view_name: view });
    }

    function setBusy(busy) {
      state.busy = busy;
      if (!root) return;
      Array.prototype.forEach.call(root.querySelectorAll("#plaid-link-view button, #plaid-link-view input"), function (n) {
        n.disabled = busy;
      });
      byId("plaid-link-dialog").setAttribute("aria-busy", busy ? "true" : "false");
    }

    // ---------- views ----------

    function viewLoading(message) {
      render("LOADING", "Connecting\u2026", [el("p", { className: "plaid-link-sub", id: "plaid-link-loading", role: "status", text: message || "Loading\u2026" })]);
    }

    function viewError(err) {
      render("ERROR", "Something went wrong", [
        el("p", { className: "plaid-link-sub", text: "Link could not continue. Close this window and try again." }),
        el("button", { id: "plaid-link-error-exit", className: "plaid-link-btn", type: "button", onclick: function () { exit({}); } }, ["Exit"]),
      ]);
      setError(err);
    }

    function institutionItems() {
      var q = state.searchQuery.trim().toLowerCase();
      var list = (state.session.institutions || []).filter(function (i) {
        return !q || i.name.toLowerCase().indexOf(q) !== -1 || i.institution_id.toLowerCase().indexOf(q) !== -1;
      });
      if (!list.length) return [el("li", { className: "plaid-link-empty", id: "plaid-link-no-results", role: "status", text: "No institutions match \u201c" + state.searchQuery + "\u201d." })];
      return list.map(function (inst) {
        return el("li", null, [
          el("button", {
            type: "button",
            className: "plaid-link-institution",
            id: "plaid-link-institution-" + inst.institution_id,
            "data-institution-id": inst.institution_id,
            onclick: function () { selectInstitution(inst); },
          }, [inst.name, el("small", { text: inst.institution_id + (inst.oauth ? " \u00b7 OAuth" : "") })]),
        ]);
      });
    }

    function viewSelectInstitution() {
      var list = el("ul", { className: "plaid-link-list", id: "plaid-link-institutions", "aria-label": "Institutions" }, institutionItems());
      var search = el("input", {
        id: "plaid-link-search",
        type: "search",
        autocomplete: "off",
        placeholder: "Search",
        value: state.searchQuery,
        oninput: function (ev) {
          state.searchQuery = ev.target.value;
          list.textContent = "";
          institutionItems().forEach(function (n) { list.appendChild(n); });
          if (state.searchTimer) window.clearTimeout(state.searchTimer);
          state.searchTimer = window.setTimeout(flushSearchEvent, 300);
        },
      });
      render("SELECT_INSTITUTION", "Select your institution", [
        el("p", { className: "plaid-link-sub", text: (state.session.client_name || "This application") + " uses Plaid to connect your account." }),
        el("label", { className: "plaid-link-field", for: "plaid-link-search" }, [el("span", { text: "Search institutions" }), search]),
        list,
      ], "#plaid-link-search");
    }

    function flushSearchEvent() {
      if (!state.searchTimer) return;
      window.clearTimeout(state.searchTimer);
      state.searchTimer = null;
      emit("SEARCH_INSTITUTION", { institution_search_query: state.searchQuery });
    }

    function selectInstitution(inst) {
      if (state.busy) return;
      flushSearchEvent();
      state.institution = { institution_id: inst.institution_id, name: inst.name, oauth: !!inst.oauth };
      emit("SELECT_INSTITUTION", { institution_id: inst.institution_id, institution_name: inst.name });
      setError(null);
      if (inst.oauth) viewOAuth();
      else viewCredential();
    }

    function viewCredential() {
      var inst = state.institution;
      var update = state.session && state.session.mode === "update";
      var form = el("form", { id: "plaid-link-login-form", novalidate: true, onsubmit: function (ev) { ev.preventDefault(); submitCredentials(); } }, [
        el("label", { className: "plaid-link-field", for: "plaid-link-username" }, [
          el("span", { text: "Username" }),
          el("input", { id: "plaid-link-username", name: "username", type: "text", autocomplete: "off", autocapitalize: "off", spellcheck: "false", required: true, value: state.username || "" }),
        ]),
        el("label", { className: "plaid-link-field", for: "plaid-link-password" }, [
          el("span", { text: "Password" }),
          el("input", { id: "plaid-link-password", name: "password", type: "password", autocomplete: "off", required: true }),
        ]),
        el("p", { className: "plaid-link-hint", id: "plaid-link-hint" }, ["Sandbox credentials: ", el("code", { text: "user_good" }), " / ", el("code", { text: "pass_good" })]),
        el("button", { id: "plaid-link-submit", className: "plaid-link-btn", type: "submit" }, ["Submit"]),
      ]);
      render("CREDENTIAL", "Log in to " + inst.name, [
        el("p", { className: "plaid-link-sub", text: update ? "Your bank needs you to log in again to keep your account connected." : "Enter your online banking credentials." }),
        form,
      ], state.username ? "#plaid-link-password" : "#plaid-link-username");
    }

    function submitCredentials() {
      if (state.busy || !root) return;
      var username = byId("plaid-link-username").value;
      var password = byId("plaid-link-password").value;
      if (!username) {
        setError({ error_type: "INVALID_INPUT", error_code: "MISSING_FIELDS", error_message: "username is required", display_message: "Enter your username." });
        byId("plaid-link-username").focus();
        return;
      }
      state.username = username;
      state.password = password;
      emit("SUBMIT_CREDENTIALS", {});
      setBusy(true);
      post("login", { link_token: token, link_session_id: state.linkSessionId, institution_id: state.institution.institution_id, username: username, password: password }).then(
        function (res) {
          noteRequestId(res);
          setBusy(false);
          if (!root) return;
          setError(null);
          state.accounts = Array.isArray(res.accounts) ? res.accounts : [];
          afterLogin({ username: username, password: password });
        },
        function (err) {
          setBusy(false);
          if (!root) return;
          setError(err);
          var pw = byId("plaid-link-password");
          if (pw) { pw.value = ""; pw.focus(); }
        }
      );
    }

    /** Update mode with update.account_selection_enabled: the user may add or remove accounts. */
    function selectsAccounts() {
      return state.session.mode !== "update" || state.session.account_selection_enabled === true;
    }

    function afterLogin(credentials) {
      if (selectsAccounts()) {
        viewSelectAccount(credentials);
      } else {
        // Update mode without account selection: re-authenticate, keep the Item's accounts.
        complete(credentials, state.accounts.map(function (a) { return a.id; }));
      }
    }

    function viewSelectAccount(credentials) {
      var rows = state.accounts.map(function (a) {
        var id = "plaid-link-account-" + a.id;
        return el("label", { className: "plaid-link-account-row", for: id }, [
          // The backend pre-selects: everything in add mode, the shared accounts in update mode.
          el("input", { type: "checkbox", className: "plaid-link-account", id: id, name: "account", value: a.id, checked: a.selected !== false }),
          el("span", null, [a.name + (a.mask ? " \u2022\u2022" + a.mask : ""), el("small", { text: " " + [a.type, a.subtype].filter(Boolean).join(" \u00b7 ") })]),
        ]);
      });
      var form = el("form", { id: "plaid-link-accounts-form", novalidate: true, onsubmit: function (ev) {
        ev.preventDefault();
        if (state.busy) return;
        var ids = Array.prototype.filter.call(root.querySelectorAll("input.plaid-link-account"), function (c) { return c.checked; })
          .map(function (c) { return c.value; });
        if (!ids.length) {
          setError({ error_type: "INVALID_INPUT", error_code: "NO_ACCOUNTS", error_message: "no account selected", display_message: "Select at least one account." });
          return;
        }
        complete(credentials, ids);
      } }, [
        el("fieldset", { className: "plaid-link-accounts" }, [el("legend", { text: "Accounts to share" })].concat(rows)),
        el("button", { id: "plaid-link-continue", className: "plaid-link-btn", type: "submit" }, ["Continue"]),
      ]);
      var update = state.session.mode === "update";
      render("SELECT_ACCOUNT", update ? "Update shared accounts" : "Select accounts", [
        el("p", { className: "plaid-link-sub", text: "Choose the accounts " + (state.session.client_name || "this application") + " may access." + (update ? " The accounts shared now are checked." : "") }),
        form,
      ], "#plaid-link-continue");
    }

    function complete(credentials, accountIds) {
      setBusy(true);
      var body = { link_token: token, link_session_id: state.linkSessionId, institution_id: state.institution.institution_id, account_ids: accountIds };
      Object.keys(credentials).forEach(function (k) { body[k] = credentials[k]; });
      if (state.view !== "SELECT_ACCOUNT") viewLoading("Connecting your account\u2026");
      post("complete", body).then(
        function (res) {
          noteRequestId(res);
          setBusy(false);
          if (!root) return;
          setError(null);
          var md = res.metadata || {};
          var accounts = (md.accounts || []).map(function (a) {
            return {
              id: a.id,
              name: a.name,
              mask: a.mask === undefined ? null : a.mask,
              type: a.type,
              subtype: a.subtype,
              verification_status: a.verification_status === undefined ? null : a.verification_status,
              class_type: a.class_type === undefined ? null : a.class_type,
            };
          });
          state.success = {
            public_token: res.public_token,
            metadata: {
              institution: md.institution || { name: state.institution.name, institution_id: state.institution.institution_id },
              accounts: accounts,
              link_session_id: state.linkSessionId,
              transfer_status: md.transfer_status === undefined ? null : md.transfer_status,
            },
          };
          if (token) storageDel("oauth:" + token);
          viewConnected();
        },
        function (err) {
          setBusy(false);
          if (!root) return;
          if (state.view === "LOADING") {
            if (state.session.mode === "update" && !state.institution.oauth) viewCredential();
            else viewError(err);
          }
          setError(err);
        }
      );
    }

    function viewConnected() {
      var n = state.success.metadata.accounts.length;
      render("CONNECTED", "Success", [
        el("p", { className: "plaid-link-success", id: "plaid-link-success", role: "status" }, [
          state.session.mode === "update" && state.session.account_selection_enabled === true
            ? "Your accounts at " + state.institution.name + " are updated: " + n + " shared with " + (state.session.client_name || "the application") + "."
            : state.session.mode === "update"
            ? "Your account at " + state.institution.name + " is connected again."
            : "Your " + (n === 1 ? "account" : n + " accounts") + " at " + state.institution.name + (n === 1 ? " is" : " are") + " connected to " + (state.session.client_name || "the application") + ".",
        ]),
        el("button", { id: "plaid-link-done", className: "plaid-link-btn", type: "button", onclick: finishSuccess }, ["Continue"]),
      ], "#plaid-link-done");
    }

    function viewOAuth() {
      var inst = state.institution;
      render("OAUTH", "Continue to " + inst.name, [
        el("p", { className: "plaid-link-sub", text: "You will be sent to " + inst.name + " to log in and authorize access, then brought back here." }),
        el("button", { id: "plaid-link-oauth-continue", className: "plaid-link-btn", type: "button", onclick: startOAuth }, ["Continue to " + inst.name]),
      ], "#plaid-link-oauth-continue");
    }

    function startOAuth() {
      if (state.busy) return;
      emit("OPEN_OAUTH", {});
      storageSet("oauth:" + token, {
        institution: state.institution,
        link_session_id: state.linkSessionId,
      });
      var url = new URL("oauth", BACKEND);
      url.searchParams.set("link_token", token);
      url.searchParams.set("institution_id", state.institution.institution_id);
      url.searchParams.set("link_session_id", state.linkSessionId);
      window.location.assign(url.href);
    }

    function resumeOAuth() {
      if (stored && stored.institution) state.institution = stored.institution;
      viewLoading("Finishing the connection with your bank\u2026");
      emit("CLOSE_OAUTH", {});
      setBusy(true);
      post("oauth-resume", { link_token: token, link_session_id: state.linkSessionId, oauth_state_id: oauthStateId }).then(
        function (res) {
          noteRequestId(res);
          setBusy(false);
          if (!root) return;
          if (res.institution_id || res.institution) {
            var inst = res.institution || {};
            state.institution = {
              institution_id: res.institution_id || inst.institution_id,
              name: res.institution_name || inst.name || (state.institution && state.institution.name) || res.institution_id,
              oauth: true,
            };
          }
          if (!state.institution) {
            viewError({ error_type: "INVALID_INPUT", error_code: "INVALID_OAUTH_STATE_ID", error_message: "unknown institution for this OAuth state", display_message: null });
            return;
          }
          state.accounts = Array.isArray(res.accounts) ? res.accounts : [];
          afterLogin({ oauth_state_id: oauthStateId });
        },
        function (err) {
          setBusy(false);
          if (!root) return;
          emit("FAIL_OAUTH", { error_type: err.error_type || null, error_code: err.error_code || null, error_message: err.error_message || null });
          viewError(err);
        }
      );
    }

    // ---------- lifecycle ----------

    function firstView() {
      if (state.loadError) {
        viewError(state.loadError);
        return;
      }
      var s = state.session;
      if (oauthStateId) {
        resumeOAuth();
        return;
      }
      if (s.mode === "update") {
        var item = s.item || {};
        var known = (s.institutions || []).filter(function (i) { return i.institution_id === item.institution_id; })[0];
        state.institution = {
          institution_id: item.institution_id,
          name: item.institution_name || (known && known.name) || item.institution_id,
          oauth: !!(known && known.oauth),
        };
        if (state.institution.oauth) viewOAuth();
        else viewCredential();
        return;
      }
      viewSelectInstitution();
    }

    /** Tells the backend a link session started; after OAuth it answers with the original one. */
    function recordOpen() {
      if (!token || state.loadError) return;
      post("open", { link_token: token, link_session_id: state.linkSessionId, oauth_state_id: oauthStateId }).then(
        function (res) {
          if (res && typeof res.link_session_id === "string" && res.link_session_id !== state.linkSessionId) {
            state.linkSessionId = res.link_session_id;
            if (root) root.setAttribute("data-link-session-id", state.linkSessionId);
          }
        },
        function () { /* recording is best effort; the flow itself reports errors */ }
      );
    }

    function reallyOpen() {
      if (state.destroyed || state.isOpen || state.finished) return;
      state.isOpen = true;
      mount();
      recordOpen();
      emit("OPEN", { view_name: null });
      firstView();
    }

    function finishSuccess() {
      if (!state.success || state.finished) return;
      state.finished = true;
      emit("HANDOFF", {});
      var s = state.success;
      unmount();
      call("onSuccess", s.public_token, s.metadata);
    }

    function exit(opts) {
      void opts; // {force: true} closes at once, as does a plain exit() here
      if (!state.isOpen || state.finished) return;
      if (state.success) {
        finishSuccess();
        return;
      }
      state.finished = true;
      flushSearchEvent();
      var status = Object.prototype.hasOwnProperty.call(EXIT_STATUS, state.view) ? EXIT_STATUS[state.view] : null;
      if (state.view === "SELECT_INSTITUTION" && state.searchQuery && root && byId("plaid-link-no-results")) status = "institution_not_found";
      var error = state.lastError;
      var metadata = {
        institution: state.institution ? { name: state.institution.name, institution_id: state.institution.institution_id } : null,
        status: status,
        link_session_id: state.linkSessionId,
        request_id: state.requestId || uuid().replace(/-/g, "").slice(0, 15),
      };
      emit("EXIT", { exit_status: status });
      unmount();
      recordExit(error, metadata, function () { call("onExit", error, metadata); });
    }

    /**
     * Records the exit with the backend, then runs `then` (once): when the backend answered, or
     * after EXIT_RECORD_WAIT_MS if it does not, so onExit is never lost to a slow backend.
     */
    function recordExit(error, metadata, then) {
      var done = false;
      function once() { if (!done) { done = true; then(); } }
      if (!token || state.loadError) { once(); return; }
      var body = {
        link_token: token,
        link_session_id: state.linkSessionId,
        error: error,
        status: metadata.status,
        institution_id: metadata.institution ? metadata.institution.institution_id : null,
      };
      post("exit", body, true).then(once, once);
      window.setTimeout(once, EXIT_RECORD_WAIT_MS);
    }

    // Load: fetch the session for the token, then onLoad; open() before that is deferred.
    (function load() {
      var p = token
        ? post("session", { link_token: token })
        : Promise.reject({ error_type: "INVALID_INPUT", error_code: "INVALID_LINK_TOKEN", error_message: "link_token is missing", display_message: null });
      p.then(
        function (session) {
          noteRequestId(session);
          state.session = session;
        },
        function (err) {
          state.loadError = err;
          state.session = { mode: "add", institutions: [], item: null, client_name: null };
        }
      ).then(function () {
        if (state.destroyed) return;
        state.loaded = true;
        call("onLoad");
        if (state.openRequested) reallyOpen();
      });
    })();

    return {
      open: function () {
        if (state.destroyed) return;
        if (!state.loaded) { state.openRequested = true; return; }
        reallyOpen();
      },
      exit: function (opts) { exit(opts || {}); },
      destroy: function () {
        state.destroyed = true;
        state.openRequested = false;
        unmount();
      },
      submit: function (data) { void data; /* Plaid Layer only: nothing to submit in the simulator */ },
    };
  }

  var Plaid = window.Plaid && typeof window.Plaid === "object" ? window.Plaid : {};
  Plaid.create = create;
  Plaid.createEmbedded = function (config, target) {
    void target;
    return create(config);
  };
  Plaid.version = "simulator";
  window.Plaid = Plaid;
})();
