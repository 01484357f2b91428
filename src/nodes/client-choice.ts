/**
 * Which official client a plaid-config hands out, as settings.js says: by default the shared
 * worker process (remote-client.ts); `plaidSync: {clientInWorker: false}` loads `plaid` into
 * Node-RED itself on first use (and keeps it), for a runtime where a child process is not wanted.
 * `plaidSync.clientWorkerIdleMs` is how long the worker waits for the next call before it exits.
 */
import type { NodeAPI } from "node-red";
import type { PlaidApi } from "plaid";
import type { PlaidClientOptions } from "../plaid/environments";
import { remotePlaidClient, sharedPlaidWorker, type PlaidWorker } from "../plaid/remote-client";
import { setting } from "./runtime";

/** How long a warm-up (the link dialog opening) keeps the worker: time to read the dialog and click. */
export const WARM_HOLD_MS = 120_000;

function worker(RED: NodeAPI): PlaidWorker | null {
  const ps = (setting(RED, "plaidSync") ?? {}) as { clientInWorker?: unknown; clientWorkerIdleMs?: unknown };
  if (ps.clientInWorker === false) return null;
  const idle = typeof ps.clientWorkerIdleMs === "number" && ps.clientWorkerIdleMs >= 0 ? ps.clientWorkerIdleMs : undefined;
  return sharedPlaidWorker(idle);
}

export function plaidClientFor(RED: NodeAPI, options: PlaidClientOptions): PlaidApi {
  const w = worker(RED);
  return w ? remotePlaidClient(options, w) : (require("../plaid/client") as typeof import("../plaid/client")).createPlaidClient(options);
}

/**
 * Starts the worker ahead of a link (the editor's plaid-link dialog asks when it opens), so the
 * click on "Link account" does not wait for `plaid` to load — seconds on a Raspberry Pi.
 */
export function warmPlaidClient(RED: NodeAPI): void {
  worker(RED)?.warm(WARM_HOLD_MS);
}

/**
 * Starts the worker as a sync is triggered, so that `plaid` loads while the engine and the sync
 * state load, not after them; it stays for its usual idle time if no call comes.
 */
export function startPlaidClient(RED: NodeAPI): void {
  worker(RED)?.warm(0);
}
