import type { AddressInfo } from "node:net";
import { SimulatorCore } from "./core";
import { createSimServer, type SimLogger } from "./http/server";
import type { SimItem } from "./store/item";

/** Credentials the simulator accepts unless told otherwise (not secrets: a local test API). */
export const SIM_CLIENT_ID = "sim_client_id_0000000000";
export const SIM_SECRET = "sim_secret_00000000000000000000";

export interface SimulatorOptions {
  /** Interface to listen on; default 127.0.0.1 (never all interfaces unless asked). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  clientId?: string;
  secret?: string;
  /** Items survive restarts in this file (access tokens only as SHA-256 hashes). */
  stateFile?: string;
  /** Simulated "today" (YYYY-MM-DD) at start; new Items' histories end on it. Default: real UTC date. */
  today?: string;
  /**
   * Test knob (not Plaid): /transactions/sync pages hold at most this many updates, whatever
   * `count` asks (Plaid's `count` is an upper bound). Lets a short history span many pages, e.g.
   * for a client that always asks for 500. Default: `count` alone decides.
   */
  syncPageLimit?: number;
  /** Where internal errors are reported; default stderr. */
  log?: SimLogger;
}

export interface Simulator {
  /** Base URL for the plaid client's basePath, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  port: number;
  clientId: string;
  secret: string;
  close(): Promise<void>;
  /** Same as POST /simulator/reset: forget Items, tokens and faults. */
  reset(): void;
  /** Moves the simulator's clock (token expiry, "today" of new Items) forward. */
  advanceClock(ms: number): void;
  /** In-process access for tests; not part of the HTTP surface. */
  core: SimulatorCore;
  /** The Item with this id, for assertions (e.g. its change log length). */
  item(itemId: string): SimItem | undefined;
  /** Webhook payloads the simulator has tried to deliver, oldest first. */
  webhooksSent(): ReadonlyArray<{ url: string; payload: Record<string, unknown> }>;
}

export function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? "127.0.0.1";
  const clientId = opts.clientId ?? SIM_CLIENT_ID;
  const secret = opts.secret ?? SIM_SECRET;
  const log = opts.log ?? ((line: string) => process.stderr.write(`[plaid-simulator] ${line}\n`));
  return new Promise((resolve, reject) => {
    const core = new SimulatorCore({ clientId, secret, stateFile: opts.stateFile, today: opts.today, syncPageLimit: opts.syncPageLimit, warn: log });
    const server = createSimServer(core, log);
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${port}`,
        port,
        clientId,
        secret,
        core,
        reset: () => core.reset(),
        advanceClock: (ms) => core.advanceClock(ms),
        item: (id) => core.store.get(id),
        webhooksSent: () => core.webhooks.sent,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }).then(() => core.webhooks.drain()),
      });
    });
  });
}

export type { SimulatorCore } from "./core";
