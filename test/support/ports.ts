/**
 * Loopback ports and child-process hygiene for tests (and the demo) that start real servers.
 *
 * - freePort(): an unused 127.0.0.1 port, chosen by the OS (listen on 0, read, close).
 * - firstFreePort(1880): the given port or the next free one (the demo's "1880 or next").
 * - waitFor(): poll a predicate until true, with a bound (no wall-clock assertions, just a limit).
 * - trackChild(): kill a spawned server when this process exits, however it exits.
 */
import * as net from "net";
import type { ChildProcess } from "child_process";

export const LOOPBACK = "127.0.0.1";

/** An unused TCP port on 127.0.0.1. There is a small window before the caller binds it. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

/** Several distinct free ports (kept open while collecting, so they are distinct). */
export async function freePorts(count: number, host = LOOPBACK): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen({ port: 0, host, exclusive: true }, () => resolve());
      });
      const addr = srv.address();
      if (!addr || typeof addr !== "object") throw new Error("could not get a free port");
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** True when nothing listens on host:port (we can bind it). */
export function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `start` if it is free, else the next free port above it (up to `tries` ports). */
export async function firstFreePort(start: number, host = LOOPBACK, tries = 100): Promise<number> {
  for (let p = start; p < start + tries && p < 65536; p++) {
    if (await isPortFree(p, host)) return p;
  }
  throw new Error(`no free port in ${start}..${start + tries - 1} on ${host}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it returns a truthy value (which is returned), or throws after `timeoutMs`
 * with `what` and the last error in the message. `check` may throw or reject: that counts as "not yet",
 * unless the error has `fatal: true` (e.g. the server process died), which is rethrown at once.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 15000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      if (err && typeof err === "object" && (err as { fatal?: boolean }).fatal) throw err;
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr ? `: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? "condition"}${why}`);
    }
    await sleep(intervalMs);
  }
}

// ---- child processes: never leave a server running after the test process ends ----

const tracked = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllTracked(): void {
  for (const child of tracked) {
    try {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
  tracked.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' runs for process.exit() (mocha --exit) and a normal end; kill() is synchronous.
  process.on("exit", killAllTracked);
  // On SIGTERM/SIGHUP: if the program has its own handler (the demo stops its servers cleanly),
  // leave it to that one (the 'exit' hook still runs); otherwise kill the children and exit.
  for (const sig of ["SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (process.listenerCount(sig) > 1) return;
      killAllTracked();
      process.exit(sig === "SIGTERM" ? 143 : 129);
    });
  }
}

/** Registers a child to be SIGKILLed when this process exits; untracks it once it exits itself. */
export function trackChild(child: ChildProcess): ChildProcess {
  installHooks();
  tracked.add(child);
  child.once("exit", () => tracked.delete(child));
  return child;
}

/** Sends `signal`, waits for the exit, escalates to SIGKILL after `graceMs`. Resolves when gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 10000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
