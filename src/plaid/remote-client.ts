/**
 * The official `plaid` client, run in a worker process (client-worker.ts, a child of Node-RED)
 * that exists only while Plaid is being called. Loading the client is most of what this package
 * would otherwise cost a Node-RED that waits between syncs (some 23 MB and ~180 ms vendored, 66 MB
 * and ~400 ms as npm's `plaid`; bench/README.md): here Node-RED never loads it, and the worker —
 * with all the client's memory — goes away once Plaid has been quiet for `idleMs`.
 *
 * What callers get is shaped like PlaidApi: `client.transactionsSync(body, {signal})` resolves
 * to `{data, status}` or rejects with a CleanError (cleaned in the worker, so no secret crosses).
 * An abort signal is honoured by cancelling the call in the worker. A worker that dies with
 * calls in flight fails them with a retryable error and the next call starts a new one. The
 * worker exits by itself when Node-RED goes away (its IPC channel closes).
 */
import * as fs from "fs";
import * as path from "path";
import { fork, type ChildProcess } from "child_process";
import type { Readable } from "stream";
import type { PlaidApi } from "plaid";
import type { PlaidClientOptions } from "./environments";
import type { CallMessage } from "./client-worker";
import { CleanError, type ErrorInfo } from "./errors";
import { FRAME_ERROR, FrameReader, type Frame } from "./reply-frames";

/** The worker's V8 sizing (startWorker). */
const WORKER_V8_FLAG = "--optimize-for-size";

/** How long a worker with no call in flight stays: a sync's next page or a link's next step reuses it. */
export const DEFAULT_IDLE_MS = 20_000;

interface Pending {
  resolve(v: { data: unknown; status: number }): void;
  reject(e: Error): void;
  cleanup(): void;
}

function stoppedError(why: string): CleanError {
  // 503: retryable like a Plaid outage (retry.ts), which is what a lost worker is to a sync.
  return new CleanError({ code: "PLAID_WORKER_STOPPED", type: "INTERNAL_ERROR", message: `The Plaid client stopped (${why})`, display_message: null, request_id: null, status: 503 });
}

/**
 * The compiled worker beside this file, as a child process; when running from the TypeScript
 * sources (tests, bench, under tsx) the .ts, with tsx's loader. A process rather than a thread:
 * a thread's malloc arena outlives the thread, so the ~20 MB that compiling `plaid` takes stayed
 * in Node-RED after the worker had gone; a process gives all of it back when it exits.
 */
function startWorker(): ChildProcess {
  // A debugger flag would make the child fight Node-RED for its port.
  const execArgv = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  const js = path.join(__dirname, "client-worker.js");
  const ts = path.join(__dirname, "client-worker.ts");
  const file = fs.existsSync(js) ? js : ts;
  if (file === ts && !execArgv.some((a) => a.includes("tsx"))) execArgv.push("--import", "tsx");
  // The worker only moves Plaid's bytes, so V8's trade of memory for speed buys it little: with
  // the defaults its private memory grew by ~45 MB during a 50 000 sync, told to optimise for
  // size by ~14 MB, for ~0.2 s more of its CPU per 50 000 sync (bench/README.md, "machine +MB").
  if (!execArgv.includes(WORKER_V8_FLAG)) execArgv.push(WORKER_V8_FLAG);
  // fd 3: calls in (IPC); fd 4 (client-worker.ts REPLY_FD): answers out, as frames of bytes.
  return fork(file, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc", "pipe"] });
}

export class PlaidWorker {
  private worker: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Workers started so far (tests and the bench watch it). */
  starts = 0;

  /** `start` forks the worker (tests give one that fails). */
  constructor(
    public idleMs = DEFAULT_IDLE_MS,
    private readonly start: () => ChildProcess = startWorker,
  ) {}

  /** True while a worker process exists. */
  get running(): boolean {
    return this.worker !== null;
  }

  call(config: PlaidClientOptions, method: string, body: unknown, signal?: AbortSignal): Promise<{ data: unknown; status: number }> {
    if (signal?.aborted) return Promise.reject(stoppedError("aborted"));
    let w: ChildProcess;
    try {
      w = this.ensure();
    } catch (err) {
      return Promise.reject(err);
    }
    const id = (this.seq = (this.seq + 1) >>> 0);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => void w.send({ cancel: id });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, { resolve, reject, cleanup: () => signal?.removeEventListener("abort", onAbort) });
      const msg: CallMessage = { id, config, method, body };
      try {
        w.send(msg);
      } catch (err) {
        // A body IPC cannot carry (a BigInt, a cycle): nothing was sent, so nothing may wait for
        // an answer, or the worker would never be idle again.
        this.forget(id);
        reject(new CleanError({ code: "PLAID_CALL_NOT_SENT", type: "INTERNAL_ERROR", message: `The Plaid call ${method} could not be sent to the Plaid client (${(err as Error).message})`, display_message: null, request_id: null, status: null }));
      }
    });
  }

  /**
   * Starts the worker now, if it is not running, so that the next call finds `plaid` loaded. It
   * stays `holdMs` (or its idle time, if longer) when no call comes; once a call has come and
   * gone, the ordinary idle time applies.
   */
  warm(holdMs: number): void {
    try {
      this.ensure();
    } catch {
      return; // the call that follows reports it
    }
    if (!this.pending.size) this.scheduleIdle(Math.max(holdMs, this.idleMs));
  }

  /** Ends the worker now (Node-RED stopping; tests). Calls in flight fail. */
  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.detach(w, "stopped");
    if (w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
    w.kill("SIGTERM");
    await exited;
  }

  private ensure(): ChildProcess {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.worker) return this.worker;
    const w = this.start();
    this.starts++;
    // First, before anything can throw: a spawn that fails (EMFILE, ENOENT) says so in an
    // 'error' event, and one nobody listens to would take Node-RED down with it.
    w.on("error", (err) => this.detach(w, err.message));
    // 'close', not 'exit': a reply written just before the worker died is still in the pipe
    // at 'exit', and must reach its call rather than be failed as lost.
    w.on("close", (code, signal) => this.detach(w, signal ? `signal ${signal}` : `exit code ${code}`));
    const replies = w.stdio?.[4] as (Readable & { unref?: () => void }) | null | undefined;
    if (!replies || !w.channel) {
      // Out of file descriptors, Node gives the child neither its pipes nor its IPC channel.
      throw stoppedError("it could not be started: no pipe to it");
    }
    // The worker never keeps Node-RED (or a test run) alive on its own.
    w.unref();
    w.channel.unref();
    replies.unref?.();
    const reader = new FrameReader((f) => this.settle(f));
    replies.on("data", (chunk: Buffer) => reader.push(chunk));
    this.worker = w;
    return w;
  }

  /** Drops a call that will get no answer. */
  private forget(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (!this.pending.size) this.scheduleIdle();
  }

  private settle(f: Frame): void {
    const p = this.pending.get(f.id);
    if (!p) return;
    this.pending.delete(f.id);
    p.cleanup();
    let parsed: unknown;
    try {
      parsed = JSON.parse(f.body.toString("utf8"));
    } catch {
      // Not JSON: in-process the client would hand back a string no caller can use.
      parsed = undefined;
    }
    if (f.kind === FRAME_ERROR) p.reject(new CleanError(parsed as ErrorInfo));
    else if (parsed === undefined) p.reject(new CleanError({ code: "UNEXPECTED_RESPONSE", type: "INVALID_RESULT", message: `Plaid answered HTTP ${f.status} with a body that is not JSON`, display_message: null, request_id: null, status: f.status }));
    else p.resolve({ data: parsed, status: f.status });
    if (!this.pending.size) this.scheduleIdle();
  }

  private scheduleIdle(ms = this.idleMs): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size || !this.worker) return;
      void this.stop();
    }, ms);
    this.idleTimer.unref();
  }

  /** Forgets a worker that is gone (or going): what it had in flight fails. */
  private detach(w: ChildProcess, why: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(stoppedError(why));
    }
  }
}

/** One worker for the whole process: every plaid-config's client shares it. */
let shared: PlaidWorker | null = null;

/** The process's worker; `idleMs` (settings.js plaidSync.clientWorkerIdleMs), when given, applies from the next idle period. */
export function sharedPlaidWorker(idleMs?: number): PlaidWorker {
  shared ??= new PlaidWorker(idleMs);
  if (idleMs !== undefined) shared.idleMs = idleMs;
  return shared;
}

/**
 * A PlaidApi whose calls run in `worker`. Only the request body and the `signal` option are
 * passed on (the product uses no other option).
 */
export function remotePlaidClient(config: PlaidClientOptions, worker: PlaidWorker = sharedPlaidWorker()): PlaidApi {
  const methods = new Map<string, unknown>();
  return new Proxy({} as PlaidApi, {
    get(_target, prop) {
      if (typeof prop !== "string" || prop === "then") return undefined;
      let fn = methods.get(prop);
      if (!fn) {
        fn = (body: unknown, options?: { signal?: AbortSignal }) => worker.call(config, prop, body, options?.signal);
        methods.set(prop, fn);
      }
      return fn;
    },
  });
}
