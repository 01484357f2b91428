/**
 * The admin routes of DESIGN §4 (paths and bodies are an interface):
 *
 *   POST <admin>/plaid-sync/link-sessions            plaid-sync.write  {link, config, mode} → {session, url, hosted, hostedUrl?}
 *   GET  <admin>/plaid-sync/link-sessions/<session>  plaid-sync.read   ?link=<id> → {status, itemId?, institutionName?, accounts?, message?}
 *   GET  <admin>/plaid-sync/link/<session>           no admin auth     the Link page (embedded: runs Link; hosted: hands over to Plaid)
 *   GET  <admin>/plaid-sync/link/<session>/status    no admin auth     the same status, for the Link page
 *   GET  <admin>/plaid-sync/link/<session>/token     no admin auth     {link_token, mode} (embedded)
 *   POST <admin>/plaid-sync/link/<session>/complete  no admin auth     {public_token, metadata} (embedded)
 *   GET  <admin>/plaid-sync/oauth                    no admin auth     OAuth return page
 *   POST <admin>/plaid-sync/warm-up                  plaid-sync.write  → 204; starts Plaid's client ahead of a link (dialog open)
 *   POST <admin>/plaid-sync/links/<id>/remove        plaid-sync.write  /item/remove
 *   GET  <admin>/plaid-sync/links/<id>/health        plaid-sync.read   /item/get summary
 *   GET|POST <admin>/plaid-sync/demo/*               no admin auth     demo simulator (Link script + backend only)
 *
 * The session routes are not behind admin auth on purpose: the Link window is not logged in.
 * The session id (256 random bits, limited life, one completion) is their credential.
 */
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from "express";
import type { PageStrings, RenderedPage } from "./html";
import { LinkError } from "./link-error";
import { checkSameOrigin } from "./origin";
import type { LinkService, Translate } from "./service";

/**
 * The pages' code, loaded on the first page request: the routes are registered when Node-RED
 * loads the nodes, and an installed package that nobody links with should not pay for the pages.
 */
const pages = (): typeof import("./page") & typeof import("./hosted-page") => ({
  ...(require("./page") as typeof import("./page")),
  ...(require("./hosted-page") as typeof import("./hosted-page")),
});

export interface RouteDeps {
  /** The linking logic, created on first use (the first request that needs it). */
  service(): LinkService;
  needsPermission(permission: string): RequestHandler;
  t: Translate;
  /** Origins that also count as "this editor" (configured public URLs, for reverse proxies). */
  extraOrigins(): string[];
  demoProxy: (req: Request, res: Response) => Promise<void>;
  /** Starts Plaid's client ahead of a link (the dialog opened); no Plaid call, nothing stored. */
  warmUp?(): void;
  /** Called with the browser's verified Origin after a successful link-sessions call (to guess publicBaseUrl). */
  sawEditorOrigin?(origin: string): void;
  log?: { warn(msg: string): void };
}

export const PAGE_STRING_KEYS = [
  "title",
  "titleUpdate",
  "titleAccounts",
  "introAccounts",
  "accountsUpdated",
  "hostedIntroAccounts",
  "intro",
  "introUpdate",
  "introUpdateGeneric",
  "loading",
  "opening",
  "saving",
  "linked",
  "relinked",
  "deployHint",
  "exited",
  "exitError",
  "failed",
  "reopen",
  "close",
  "scriptFailed",
  "sessionInvalid",
  "sessionInvalidTitle",
  "sessionInvalidHint",
  "oauthResuming",
  "oauthNoSession",
  "hostedIntro",
  "hostedIntroUpdate",
  "yourBank",
  "hostedOpen",
  "hostedQr",
  "hostedQrLabel",
  "hostedUrlLabel",
  "hostedWaiting",
  "hostedExited",
  "hostedExpired",
  "hostedFailed",
] as const;

export function pageStrings(t: Translate): PageStrings {
  const out: PageStrings = {};
  for (const k of PAGE_STRING_KEYS) out[k] = t(`page.${k}`);
  return out;
}

function send(res: Response, page: RenderedPage, status = 200): void {
  res.status(status);
  for (const [k, v] of Object.entries(page.headers)) res.setHeader(k, v);
  res.end(page.html);
}

function noStore(res: Response): void {
  res.setHeader("Cache-Control", "no-store");
}

function fail(res: Response, err: unknown, deps: RouteDeps): void {
  noStore(res);
  if (err instanceof LinkError) {
    res.status(err.status).json({ error: err.message, code: err.code ?? null });
    return;
  }
  // Anything else is ours: say so without leaking internals (a raw axios error holds the secret).
  deps.log?.warn(`plaid-sync: ${(err as Error)?.name ?? "Error"} in a link route`);
  res.status(500).json({ error: deps.t("errors.internal"), code: "INTERNAL" });
}

/** Refuses state-changing requests from another origin (Node-RED ≤4.1 answers CORS *). */
function sameOrigin(deps: RouteDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const check = checkSameOrigin(req.headers, req.protocol, deps.extraOrigins());
    if (!check.ok) {
      noStore(res);
      res.status(403).json({ error: deps.t("errors.cross-origin"), code: "CROSS_ORIGIN" });
      return;
    }
    next();
  };
}

/** The browser's Origin header, when it is a plain http(s) origin (the sameOrigin check has passed it). */
function browserOrigin(req: Request): string | undefined {
  const o = req.headers.origin;
  return typeof o === "string" && /^https?:\/\/[^/]+$/i.test(o) ? o : undefined;
}

/**
 * Where this request reached the editor: for URLs handed back to the same caller only (the demo's
 * OAuth redirect and hosted page). Never recorded: a Host header is whatever the caller sends.
 */
function requestOrigin(req: Request): string | undefined {
  const o = browserOrigin(req);
  if (o) return o;
  const host = req.headers.host;
  if (typeof host === "string" && /^[A-Za-z0-9.:[\]-]+$/.test(host)) return `${req.protocol}://${host}`;
  return undefined;
}

/**
 * A JSON route: what `handle` returns is the answer (never cached: it may name a session); a
 * LinkError becomes its status and message, anything else a plain 500.
 */
function jsonRoute(deps: RouteDeps, handle: (req: Request) => unknown, status = 200): RequestHandler {
  return async (req: Request, res: Response) => {
    try {
      const out = await handle(req);
      noStore(res);
      res.status(status).json(out);
    } catch (err) {
      fail(res, err, deps);
    }
  };
}

export function registerLinkRoutes(app: Express, deps: RouteDeps): void {
  const service = (): LinkService => deps.service();
  const strings = () => pageStrings(deps.t);
  const invalidPage = () => {
    const S = strings();
    return pages().renderErrorPage(S.sessionInvalidTitle, S.sessionInvalid, S.sessionInvalidHint);
  };

  app.post(
    "/plaid-sync/link-sessions",
    deps.needsPermission("plaid-sync.write"),
    sameOrigin(deps),
    jsonRoute(
      deps,
      async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        const out = await service().createSession({ link: b.link, config: b.config, mode: b.mode ?? "add", editorOrigin: requestOrigin(req) });
        // The best guess of the editor's public address (re-login links of embedded mode): only a
        // browser's own Origin — verified against this request by sameOrigin — on a call that
        // worked, never the Host header a caller can set at will.
        const origin = browserOrigin(req);
        if (origin) deps.sawEditorOrigin?.(origin);
        return out;
      },
      201,
    ),
  );

  app.post("/plaid-sync/warm-up", deps.needsPermission("plaid-sync.write"), sameOrigin(deps), (_req: Request, res: Response) => {
    deps.warmUp?.();
    res.status(204).end();
  });

  app.get(
    "/plaid-sync/link-sessions/:session",
    deps.needsPermission("plaid-sync.read"),
    jsonRoute(deps, (req) => service().sessionStatus(req.params.session, typeof req.query.link === "string" ? req.query.link : undefined)),
  );

  app.get("/plaid-sync/link/:session", (req: Request, res: Response) => {
    const info = service().pageInfo(req.params.session);
    if (!info) {
      send(res, invalidPage(), 404);
      return;
    }
    const s = info.session;
    const S = strings();
    send(
      res,
      s.kind === "hosted" && s.hostedUrl
        ? pages().renderHostedPage({ session: s.id, mode: s.mode, hostedUrl: s.hostedUrl, institutionName: info.institutionName, strings: S })
        : pages().renderLinkPage({ session: s.id, mode: s.mode, scriptUrl: info.scriptUrl, institutionName: info.institutionName, strings: S }),
    );
  });

  app.get("/plaid-sync/link/:session/status", jsonRoute(deps, (req) => service().sessionStatus(req.params.session)));
  app.get("/plaid-sync/link/:session/token", jsonRoute(deps, (req) => service().token(req.params.session)));
  app.post("/plaid-sync/link/:session/complete", sameOrigin(deps), jsonRoute(deps, (req) => service().complete(req.params.session, req.body)));

  app.get("/plaid-sync/oauth", (_req: Request, res: Response) => {
    send(res, pages().renderOAuthPage(strings()));
  });

  // A body's `config` is not used: a link acts with its own (LinkService.resolveLink).
  app.post("/plaid-sync/links/:id/remove", deps.needsPermission("plaid-sync.write"), sameOrigin(deps), jsonRoute(deps, (req) => service().remove(req.params.id)));
  app.get("/plaid-sync/links/:id/health", deps.needsPermission("plaid-sync.read"), jsonRoute(deps, (req) => service().health(req.params.id)));

  app.all("/plaid-sync/demo/*", (req: Request, res: Response) => {
    void deps.demoProxy(req, res);
  });

  // Registered last: errors raised around our handlers — httpAdmin's body parser (malformed JSON,
  // a body over its limit) and undecodable path parameters. Express would answer them with an
  // HTML page showing the stack trace and file paths.
  const requestError: ErrorRequestHandler = (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; name?: unknown };
    const raw = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
    const status = raw >= 400 && raw < 500 ? raw : 500;
    noStore(res);
    if (status === 500) {
      deps.log?.warn(`plaid-sync: ${typeof e.name === "string" ? e.name : "Error"} in a link route`);
      res.status(500).json({ error: deps.t("errors.internal"), code: "INTERNAL" });
      return;
    }
    res.status(status).json({ error: deps.t("errors.bad-request"), code: status === 413 ? "TOO_LARGE" : "BAD_REQUEST" });
  };
  app.use("/plaid-sync", requestError);
  // httpAdmin's body parser runs in the editor's app, which mounts this one (RED.httpAdmin):
  // its errors never enter here, so the same handler goes on that app too, for our paths only.
  const parent = (app as unknown as { parent?: { use?: (path: string, h: ErrorRequestHandler) => unknown } }).parent;
  if (parent && typeof parent.use === "function") parent.use("/plaid-sync", requestError);
}
