/**
 * Demo mode: one in-process Plaid simulator per Node-RED process, started on first use, with its
 * Items kept in `<dataDir>/demo-simulator.json` (the package's folder of the user directory) so
 * demo links survive restarts.
 *
 * The browser reaches only three things of it, through the admin routes (so that a browser on
 * another machine than Node-RED can link — the simulator listens on 127.0.0.1): the stand-in
 * Link script, the stand-in Hosted Link page and the stand-in Link backend (`/simulator/link/*`),
 * all guarded by link tokens or the hosted page's id.
 */
import { randomBytes } from "crypto";
import * as http from "http";
import * as path from "path";
import * as fs from "fs";

export interface DemoSimulator {
  url: string;
  clientId: string;
  secret: string;
  close(): Promise<void>;
}

interface SimulatorModule {
  startSimulator(opts: { host?: string; port?: number; stateFile?: string; clientId?: string; secret?: string }): Promise<{ url: string; close(): Promise<void> | void }>;
}

let running: Promise<DemoSimulator> | null = null;

/** Loaded lazily: only demo mode pays for the simulator. */
function loadSimulatorModule(): SimulatorModule {
  return require("../simulator") as SimulatorModule;
}

export function demoStateFile(dataDir: string): string {
  return path.join(dataDir, "demo-simulator.json");
}

/** The demo simulator, started on the first call; later calls share it. */
export function getDemoSimulator(dataDir: string): Promise<DemoSimulator> {
  if (!running) {
    const starting = (async (): Promise<DemoSimulator> => {
      const mod = loadSimulatorModule();
      const stateFile = demoStateFile(dataDir);
      fs.mkdirSync(path.dirname(stateFile), { recursive: true });
      // Keys of this process only: nothing else on the machine can call the simulator's API or its
      // control routes (faults, reset) without reading this process's memory.
      const clientId = `demo_${randomBytes(12).toString("hex")}`;
      const secret = randomBytes(24).toString("hex");
      const sim = await mod.startSimulator({ host: "127.0.0.1", port: 0, stateFile, clientId, secret });
      return {
        url: sim.url.replace(/\/+$/, ""),
        clientId,
        secret,
        close: async () => {
          await sim.close();
        },
      };
    })();
    running = starting;
    // A failed start is not cached: the next use tries again.
    starting.catch(() => {
      if (running === starting) running = null;
    });
  }
  return running;
}

export function isDemoSimulatorRunning(): boolean {
  return running !== null;
}

/** Stops the demo simulator (tests; Node-RED itself keeps it for the life of the process). */
export async function stopDemoSimulator(): Promise<void> {
  const r = running;
  running = null;
  if (!r) return;
  try {
    await (await r).close();
  } catch {
    // it failed to start or is already closed
  }
}

/**
 * A URL of the in-process simulator (its hosted Link page) as a browser reaches it: through this
 * Node-RED's demo proxy at `<base><admin>plaid-sync/demo/`, since the simulator itself listens
 * on loopback only. Other URLs are returned unchanged.
 */
export function viaDemoProxy(url: string, simulatorUrl: string, base: string, adminRoot: string): string {
  const sim = simulatorUrl.replace(/\/+$/, "");
  if (url !== sim && !url.startsWith(`${sim}/`)) return url;
  return `${base.replace(/\/+$/, "")}${adminRoot}plaid-sync/demo${url.slice(sim.length)}`;
}

/**
 * The only simulator paths the admin proxy forwards: the stand-in Link script, the stand-in Hosted
 * Link page (`hl/<id>`), and the stand-in Link backend (its JSON routes and the bank's OAuth page).
 * Plaid's API itself and the simulator's control routes are never reachable through it.
 */
export function isProxiedDemoPath(p: string): boolean {
  if (p === "link/v2/stable/link-initialize.js") return true;
  if (/^hl\/[A-Za-z0-9]+$/.test(p)) return true;
  return /^simulator\/link\/[A-Za-z0-9_-]+$/.test(p);
}

/** Pages and scripts: only GET (the backend's JSON routes take POST). */
function getOnly(p: string): boolean {
  return p.startsWith("link/") || p.startsWith("hl/");
}

/** Response headers passed on: the content's own, and the simulator pages' security headers. */
const FORWARDED_HEADERS = ["content-type", "cache-control", "location", "content-security-policy", "referrer-policy", "x-content-type-options", "x-frame-options"];

interface ProxyRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body?: unknown;
  params: Record<string, string | string[]>;
  pipe?: (dest: NodeJS.WritableStream) => unknown;
}

interface ProxyResponse {
  status(code: number): ProxyResponse;
  setHeader(name: string, value: string): void;
  end(body?: string | Buffer): void;
  headersSent?: boolean;
  json(body: unknown): void;
}

/**
 * Express handler for `<admin>/plaid-sync/demo/*`. `enabled()` says whether demo mode is in use
 * (a deployed demo plaid-config, or the simulator already running): otherwise 404, so that the
 * route never starts a simulator for a stranger.
 */
export function createDemoProxy(deps: { dataDir: () => string; enabled: () => boolean; notFound: string }) {
  return async (req: ProxyRequest, res: ProxyResponse): Promise<void> => {
    const raw = req.params[0];
    const rest = (Array.isArray(raw) ? raw.join("/") : (raw ?? "")).replace(/^\/+/, "");
    if (!isProxiedDemoPath(rest) || !deps.enabled()) {
      res.status(404).json({ error: deps.notFound });
      return;
    }
    if (getOnly(rest) && req.method !== "GET" && req.method !== "HEAD") {
      res.status(405).json({ error: "method not allowed" });
      return;
    }
    let sim: DemoSimulator;
    try {
      sim = await getDemoSimulator(deps.dataDir());
    } catch (err) {
      res.status(503).json({ error: `demo simulator unavailable: ${(err as Error).message}` });
      return;
    }
    const query = req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : "";
    const target = new URL(`${sim.url}/${rest}${query}`);
    let payload: Buffer | undefined;
    if (req.method !== "GET" && req.method !== "HEAD") {
      // httpAdmin has already parsed JSON and urlencoded bodies.
      payload = Buffer.from(req.body === undefined ? "" : JSON.stringify(req.body), "utf8");
    }
    const headers: http.OutgoingHttpHeaders = { accept: req.headers.accept ?? "*/*" };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = payload.length;
    }
    await new Promise<void>((resolve) => {
      const up = http.request(target, { method: req.method, headers }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on("data", (c: Buffer) => chunks.push(c));
        upRes.on("end", () => {
          res.status(upRes.statusCode ?? 502);
          for (const h of FORWARDED_HEADERS) {
            const v = upRes.headers[h];
            // Never hand the browser the simulator's own loopback URL.
            if (typeof v === "string" && !(h === "location" && v.startsWith(sim.url))) res.setHeader(h, v);
          }
          res.end(Buffer.concat(chunks));
          resolve();
        });
        upRes.on("error", () => {
          if (!res.headersSent) res.status(502).json({ error: "demo simulator connection failed" });
          resolve();
        });
      });
      up.on("error", () => {
        if (!res.headersSent) res.status(502).json({ error: "demo simulator unreachable" });
        resolve();
      });
      up.end(payload);
    });
  };
}
