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

function clientFor(config: PlaidClientOptions): PlaidApi {
  const key = JSON.stringify([config.basePath, config.clientId, config.secret, config.timeoutMs ?? null]);
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

async function call(msg: CallMessage): Promise<Buffer[]> {
  const abort = new AbortController();
  running.set(msg.id, abort);
  try {
    const client = clientFor(msg.config) as unknown as Record<string, RawMethod>;
    const fn = client[msg.method];
    if (msg.method === "constructor" || typeof fn !== "function" || !Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(client), msg.method)) {
      throw new Error(`the Plaid client has no method ${msg.method}`);
    }
    // Bytes, not parsed: Node-RED parses them once, as the client in-process would.
    const res = await fn.call(client, msg.body, { signal: abort.signal, responseType: "arraybuffer", transformResponse: [(d: unknown) => d] });
    return encodeFrame(msg.id, res.status, FRAME_DATA, asBuffer(res.data));
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
