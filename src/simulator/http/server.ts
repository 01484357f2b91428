import * as fs from "node:fs";
import * as http from "node:http";
import type { SimulatorCore } from "../core";
import { SimError, missingFields } from "../errors";
import type { Handler, HandlerContext } from "../handlers/common";
import { newRequestId } from "../ids";
import { LINK_BACKEND_ROUTES, LINK_SCRIPT_FILE, oauthPage } from "../link/backend";
import { HOSTED_LINK_ROUTE, hostedLinkPage } from "../link/hosted";
import { CONTROL_ROUTES } from "../handlers/control";
import { Fields, type JsonObject } from "../validate";
import { parseJsonObject, readBody } from "./body";
import { PLAID_ROUTES } from "./routes";

export const LINK_SCRIPT_PATH = "/link/v2/stable/link-initialize.js";

export type SimLogger = (line: string) => void;

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type",
  "Access-Control-Max-Age": "600",
};

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: SimError, requestId: string, extra: Record<string, string> = {}): void {
  sendJson(res, err.status, err.toBody(requestId), extra);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A Host header value a URL may be built from: a name or address, an optional port, nothing else. */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::\d{1,5})?$/;

/**
 * The origin the client addressed (http://<Host>), for URLs handed back to it (hosted_link_url).
 * Without a usable Host header: the address the request arrived on.
 */
export function requestOrigin(req: http.IncomingMessage): string {
  const host = header(req, "host");
  if (host && HOST_VALUE.test(host)) return `http://${host}`;
  const addr = req.socket.localAddress ?? "127.0.0.1";
  const plain = addr.startsWith("::ffff:") ? addr.slice(7) : addr;
  return `http://${plain.includes(":") ? `[${plain}]` : plain}:${req.socket.localPort ?? 80}`;
}

function sendPage(res: http.ServerResponse, page: { status: number; html: string; headers: Record<string, string> }): void {
  res.writeHead(page.status, { ...page.headers, "Content-Length": Buffer.byteLength(page.html) });
  res.end(page.html);
}

/** Plaid accepts client_id/secret in the body or in the PLAID-CLIENT-ID / PLAID-SECRET headers. */
function authenticate(core: SimulatorCore, req: http.IncomingMessage, body: JsonObject): void {
  const f = new Fields(body);
  const clientId = f.string("client_id") || header(req, "plaid-client-id");
  const secret = f.string("secret") || header(req, "plaid-secret");
  const missing = [...(clientId ? [] : ["client_id"]), ...(secret ? [] : ["secret"])];
  if (missing.length) throw missingFields(missing);
  if (clientId !== core.clientId || secret !== core.secret) throw new SimError("INVALID_API_KEYS");
}

/**
 * The HTTP front: routing, body parsing, credentials, faults and Plaid-shaped errors. Every
 * request ends in a JSON answer (or the Link script/page); nothing a client sends can crash it.
 */
export function createSimServer(core: SimulatorCore, log: SimLogger): http.Server {
  const server = http.createServer((req, res) => {
    const requestId = newRequestId();
    handle(core, req, res, requestId).catch((err: unknown) => {
      if (err instanceof SimError) {
        sendError(res, err, requestId, err.errorCode === "INVALID_BODY" ? { Connection: "close" } : {});
        return;
      }
      log(`internal error on ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      sendError(res, new SimError("INTERNAL_SERVER_ERROR"), requestId);
    });
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  return server;
}

async function handle(core: SimulatorCore, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const path = url.pathname;
  const cors = path.startsWith("/simulator/link/") || path === LINK_SCRIPT_PATH;
  if (cors) for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);

  if (req.method === "OPTIONS" && cors) {
    res.writeHead(204);
    res.end();
    return;
  }
  if (req.method === "GET" && path === LINK_SCRIPT_PATH) return serveLinkScript(res, requestId);
  if (req.method === "GET" && path === "/simulator/link/oauth") return sendPage(res, oauthPage(core, url.searchParams));
  const hosted = req.method === "GET" ? HOSTED_LINK_ROUTE.exec(path) : null;
  if (hosted) return sendPage(res, hostedLinkPage(core, hosted[1]));

  const plaid = PLAID_ROUTES.get(path);
  const local = CONTROL_ROUTES.get(path) ?? LINK_BACKEND_ROUTES.get(path);
  if (req.method !== "POST" || (!plaid && !local)) {
    req.resume();
    throw new SimError("NOT_FOUND");
  }
  if (plaid) {
    const type = header(req, "content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) {
      req.resume();
      throw new SimError("INVALID_HEADERS", "the Content-Type header must be application/json");
    }
  }
  const body = parseJsonObject(await readBody(req));
  const ctx: HandlerContext = { path, body, fields: new Fields(body), requestId, core, origin: requestOrigin(req) };
  // The control routes (faults, reset) need the client credentials too: anyone who can reach the
  // simulator must not be able to wipe it or make it fail. The stand-in Link backend needs none
  // (a link token is its credential), as Plaid's Link frontend needs no client secret.
  if (plaid || CONTROL_ROUTES.has(path)) authenticate(core, req, body);
  if (plaid) {
    const outcome = await core.faults.apply(path);
    if (outcome.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (outcome.kind === "error") throw outcome.error;
  }
  const result = await (plaid ?? (local as Handler))(ctx);
  sendJson(res, 200, { ...result, request_id: requestId });
}

function serveLinkScript(res: http.ServerResponse, requestId: string): void {
  let script: Buffer;
  try {
    script = fs.readFileSync(LINK_SCRIPT_FILE);
  } catch {
    sendError(res, new SimError("NOT_FOUND", "link-initialize.js is not available in this build"), requestId);
    return;
  }
  res.writeHead(200, {
    "Content-Type": "application/javascript; charset=utf-8",
    "Content-Length": script.length,
    "Cache-Control": "no-cache",
  });
  res.end(script);
}
