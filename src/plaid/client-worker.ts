/**
 * The worker process that holds the official `plaid` client (remote-client.ts forks it). Loading
 * it costs some 23 MB and ~180 ms (src/vendor/plaid.ts); kept here, that cost exists only while
 * Plaid is being called and goes away with the process, so a Node-RED that waits between syncs
 * pays nothing.
 *
 * Protocol: calls arrive on the IPC channel, {id, config, method, body}; {cancel: id} aborts one.
 * Answers go out on fd 4 as frames (reply-frames.ts): Plaid's response bytes untouched, or a
 * cleaned error. Errors are cleaned here, before anything crosses: an axios error carries the
 * client secret in its config.
 */
import * as net from "net";
import type { PlaidApi } from "plaid";
import { createPlaidClient } from "./client";
import type { PlaidClientOptions } from "./environments";
import { toCleanError } from "./errors";
import { SyncReadAhead, type RawReply } from "./read-ahead";
import { encodeFrame, FRAME_DATA, FRAME_ERROR } from "./reply-frames";

export interface CallMessage {
  id: number;
  config: PlaidClientOptions;
  method: string;
  /** The request body (and nothing else: options such as `signal` stay on the caller's side). */
  body: unknown;
}

/** The fd on which replies go: remote-client.ts opens it as the fifth stdio entry. */
export const REPLY_FD = 4;

type RawMethod = (body: unknown, options: object) => Promise<{ data: unknown; status: number }>;

const clients = new Map<string, PlaidApi>();
const running = new Map<number, AbortController>();
const replies = new net.Socket({ fd: REPLY_FD, readable: false, writable: true });
const readAhead = new SyncReadAhead();
/** The one method whose pages are read ahead. */
const SYNC = "transactionsSync";

function clientFor(config: PlaidClientOptions): PlaidApi {
  const key = configKey(config);
  let c = clients.get(key);
  if (!c) {
    c = createPlaidClient(config);
    clients.set(key, c);
  }
  return c;
}

function asBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(typeof data === "string" ? data : JSON.stringify(data ?? null));
}

/** An error's body arrives as bytes too (responseType below); Plaid's error fields are in it. */
function parseErrorBody(err: unknown): unknown {
  const res = (err as { response?: { data?: unknown } } | null)?.response;
  if (res && (Buffer.isBuffer(res.data) || res.data instanceof ArrayBuffer)) {
    try {
      res.data = JSON.parse(asBuffer(res.data).toString("utf8"));
    } catch {
      res.data = {};
    }
  }
  return err;
}

function configKey(config: PlaidClientOptions): string {
  return JSON.stringify([config.basePath, config.clientId, config.secret, config.timeoutMs ?? null]);
}

function methodOf(client: PlaidApi, method: string): RawMethod {
  const fn = (client as unknown as Record<string, RawMethod>)[method];
  if (method === "constructor" || typeof fn !== "function" || !Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(client), method)) {
    throw new Error(`the Plaid client has no method ${method}`);
  }
  return fn;
}

/** One call at Plaid; Plaid's bytes, not parsed: Node-RED parses them once, as the client in-process would. */
async function fetchRaw(config: PlaidClientOptions, method: string, body: unknown, signal: AbortSignal): Promise<RawReply> {
  const client = clientFor(config);
  const res = await methodOf(client, method).call(client, body, { signal, responseType: "arraybuffer", transformResponse: [(d: unknown) => d] });
  return { status: res.status, bytes: asBuffer(res.data) };
}

function isBody(body: unknown): body is Record<string, unknown> {
  return !!body && typeof body === "object" && !Array.isArray(body);
}

/** A call's answer: for /transactions/sync the page read ahead when there is one, then the next page is read ahead. */
async function replyFor(msg: CallMessage, signal: AbortSignal): Promise<RawReply> {
  const body = msg.body;
  if (msg.method !== SYNC || !isBody(body)) return fetchRaw(msg.config, msg.method, body, signal);
  const key = configKey(msg.config);
  const ahead = readAhead.claim(key, body);
  if (ahead) signal.addEventListener("abort", () => ahead.abort.abort(), { once: true });
  const reply = await (ahead ? ahead.reply : fetchRaw(msg.config, SYNC, body, signal));
  // After this answer's frame is on its way to Node-RED, not before it.
  setImmediate(() => readAhead.after(key, body, reply, (next, s) => fetchRaw(msg.config, SYNC, next, s)));
  return reply;
}

async function call(msg: CallMessage): Promise<Buffer[]> {
  const abort = new AbortController();
  running.set(msg.id, abort);
  try {
    const reply = await replyFor(msg, abort.signal);
    return encodeFrame(msg.id, reply.status, FRAME_DATA, reply.bytes);
  } catch (err) {
    const clean = toCleanError(parseErrorBody(err)).plaid;
    return encodeFrame(msg.id, clean.status ?? 0, FRAME_ERROR, Buffer.from(JSON.stringify(clean)));
  } finally {
    running.delete(msg.id);
  }
}

process.on("message", (msg: CallMessage | { cancel: number }) => {
  if ("cancel" in msg) {
    running.get(msg.cancel)?.abort();
    return;
  }
  void call(msg).then(([header, body]) => {
    replies.write(header);
    replies.write(body);
  });
});
// Node-RED went away (or stopped us): nothing is left to answer.
process.on("disconnect", () => process.exit(0));
