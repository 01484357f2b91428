/**
 * The worker process that holds the official `plaid` client (remote-client.ts forks it). Loading
 * `plaid` costs some 70 MB and 150–500 ms; kept here, that cost exists only while Plaid is being
 * called and goes away with the process, so a Node-RED that waits between syncs pays nothing.
 *
 * Protocol (structured clone over the IPC channel, serialization "advanced"): {id, config, method, args} → {id, data, status} or
 * {id, error: ErrorInfo}; {cancel: id} aborts a call. Errors are cleaned here, before anything
 * crosses: an axios error carries the client secret in its config.
 */
import type { PlaidApi } from "plaid";
import { createPlaidClient } from "./client";
import type { PlaidClientOptions } from "./environments";
import { toCleanError } from "./errors";

export interface CallMessage {
  id: number;
  config: PlaidClientOptions;
  method: string;
  /** The request body (and nothing else: options such as `signal` stay on the caller's side). */
  body: unknown;
}

export type ReplyMessage = { id: number; data: unknown; status: number } | { id: number; error: ReturnType<typeof toCleanError>["plaid"] };

const clients = new Map<string, PlaidApi>();
const running = new Map<number, AbortController>();

function clientFor(config: PlaidClientOptions): PlaidApi {
  const key = JSON.stringify([config.basePath, config.clientId, config.secret, config.timeoutMs ?? null]);
  let c = clients.get(key);
  if (!c) {
    c = createPlaidClient(config);
    clients.set(key, c);
  }
  return c;
}

async function call(msg: CallMessage): Promise<ReplyMessage> {
  const abort = new AbortController();
  running.set(msg.id, abort);
  try {
    const client = clientFor(msg.config) as unknown as Record<string, (body: unknown, options: { signal: AbortSignal }) => Promise<{ data: unknown; status: number }>>;
    const fn = client[msg.method];
    if (msg.method === "constructor" || typeof fn !== "function" || !Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(client), msg.method)) {
      throw new Error(`the Plaid client has no method ${msg.method}`);
    }
    const res = await fn.call(client, msg.body, { signal: abort.signal });
    return { id: msg.id, data: res.data, status: res.status };
  } catch (err) {
    return { id: msg.id, error: toCleanError(err).plaid };
  } finally {
    running.delete(msg.id);
  }
}

process.on("message", (msg: CallMessage | { cancel: number }) => {
  if ("cancel" in msg) {
    running.get(msg.cancel)?.abort();
    return;
  }
  void call(msg).then((reply) => process.send?.(reply));
});
// Node-RED went away (or stopped us): nothing is left to answer.
process.on("disconnect", () => process.exit(0));
