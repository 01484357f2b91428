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
 * Starts the worker ahead of a call, so the call does not wait for `plaid` to load — seconds on a
 * Raspberry Pi — and holds it `holdMs` (at least its idle time). The editor's plaid-link dialog
 * asks when it opens (the default hold: time to read it and click "Link account"); a sync's
 * trigger asks with 0, so the client loads while the engine and the sync state do.
 */
export function warmPlaidClient(RED: NodeAPI, holdMs = WARM_HOLD_MS): void {
  worker(RED)?.warm(holdMs);
}
