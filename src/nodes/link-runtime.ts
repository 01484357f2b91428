/**
 * Wires the plain linking logic to a Node-RED runtime: one session store, pending-link store and
 * set of admin routes per runtime (keyed by its httpAdmin app, so a test harness that reloads
 * the nodes with a fresh app gets fresh routes).
 *
 * The routes, the pending-link store and the credential writer exist from the start (a deployed
 * plaid-link needs its token at once); the link service — sessions, Hosted Link polling, the
 * pages — is loaded on the first request or re-login that needs it, or after a restart when
 * link sessions were left open. An installed package nobody links with never loads it.
 */
import * as fs from "fs";
import * as path from "path";
import type { NodeAPI } from "node-red";
import type { Express, RequestHandler } from "express";
import { createDemoProxy, isDemoSimulatorRunning } from "../link/demo";
import { EncryptedJsonFile, resolveKey, type ResolvedKey } from "../link/encrypted-file";
import { LinkWriter } from "../link/link-writer";
import { PendingLinkStore } from "../link/pending";
import { registerLinkRoutes } from "../link/routes";
import { warmPlaidClient } from "./client-choice";
import type { ConfigLike } from "../link/config-like";
import type { LinkNodeLike, LinkService, Translate } from "../link/service";
import type { LinkSession } from "../link/sessions";
import { adminRootOf, dataDirOf, noteEditorOrigin, setting, userDirOf } from "./runtime";
import type { PlaidConfigNode, PlaidLinkNode } from "./types";

export interface LinkRuntime {
  /** The linking logic, created on first call. */
  service(): LinkService;
  /** The service if something already needed it (a link that never started has nothing to end). */
  serviceIfLoaded(): LinkService | null;
  writer: LinkWriter;
  pending: PendingLinkStore;
  adminRoot: string;
  /** Called when a link's Item logs in again (update mode finished); returns the unsubscribe. */
  onLoginRepaired(linkId: string, listener: () => void): () => void;
}

const runtimes = new WeakMap<object, LinkRuntime>();
/** Per RED.events emitter: the runtime whose Hosted Link polling follows the flows' start and stop. */
const flowFollowers = new WeakMap<object, { current: LinkRuntime | null; open: () => boolean }>();

/**
 * Open Hosted Link sessions are polled again once the flows (and so the config nodes) run; a
 * redeploy stops and restarts them the same way. One pair of listeners per runtime event bus: a
 * test harness that builds a new admin app per test replaces the service they serve.
 */
function followFlows(RED: NodeAPI, rt: LinkRuntime, sessionsLeftOpen: () => boolean): void {
  const bus = RED.events as unknown as { on(ev: string, fn: () => void): void };
  let slot = flowFollowers.get(bus);
  if (!slot) {
    const s: { current: LinkRuntime | null; open: () => boolean } = { current: null, open: () => false };
    bus.on("flows:started", () => {
      const cur = s.current;
      if (!cur) return;
      // Only a service that runs, or sessions a previous run left open, have anything to poll.
      const service = cur.serviceIfLoaded() ?? (s.open() ? cur.service() : null);
      service?.resume();
    });
    bus.on("flows:stopped", () => s.current?.serviceIfLoaded()?.close());
    flowFollowers.set(bus, s);
    slot = s;
  }
  slot.current?.serviceIfLoaded()?.close();
  slot.current = rt;
  slot.open = sessionsLeftOpen;
}

/** The key flows_cred.json is encrypted with (see pending.ts for the `credentialSecret: false` case). */
export function credentialKey(RED: NodeAPI): ResolvedKey {
  return resolveKey({
    credentialSecret: setting(RED, "credentialSecret"),
    systemSecret: setting(RED, "_credentialSecret"),
    userDir: userDirOf(RED),
    dataDir: dataDirOf(RED),
  });
}

function isConfigNode(n: unknown): n is PlaidConfigNode & ConfigLike {
  return !!n && (n as { type?: string }).type === "plaid-config";
}

function isLinkNode(n: unknown): n is PlaidLinkNode & LinkNodeLike {
  return !!n && (n as { type?: string }).type === "plaid-link";
}

/**
 * RED.auth.needsPermission for a route — or, should a runtime ever come without RED.auth, a
 * refusal: these routes start links and remove Items, they are never left open by default.
 */
export function permissionGuard(RED: Pick<NodeAPI, "auth"> | Record<string, unknown>, permission: string): RequestHandler {
  const auth = (RED as { auth?: { needsPermission?(p: string): RequestHandler } }).auth;
  if (auth && typeof auth.needsPermission === "function") return auth.needsPermission(permission);
  return (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.status(503).json({ error: "Node-RED's admin authentication is not available; refusing this route.", code: "NO_AUTH" });
  };
}

export function linkRuntime(RED: NodeAPI): LinkRuntime {
  const app = RED.httpAdmin as unknown as Express;
  const existing = runtimes.get(app);
  if (existing) return existing;

  const t: Translate = (key, vars) => RED._(`plaid-link.${key}`, vars);
  const dataDir = dataDirOf(RED);
  let key: ResolvedKey | null = null;
  const pending = new PendingLinkStore({
    file: path.join(dataDir, "pending-links.json"),
    key: () => (key ??= credentialKey(RED)).key,
    warn: (m) => RED.log.warn(`plaid-sync: ${m}`),
  });
  const sessionsPath = path.join(dataDir, "link-sessions.json");
  const adminRoot = adminRootOf(RED);
  const repairListeners = new Map<string, Set<() => void>>();
  const writerDeps = {
    pending,
    getLinkNode: (id: string) => {
      const n = RED.nodes.getNode(id);
      return isLinkNode(n) ? n : null;
    },
    getCredentials: (id: string) => RED.nodes.getCredentials(id) as Record<string, unknown> | undefined,
    addCredentials: (id: string, creds: Record<string, unknown>) => RED.nodes.addCredentials(id, creds),
    publish: (topic: string, data: unknown) => RED.comms.publish(topic, data, false),
  };
  const writer = new LinkWriter(writerDeps);
  let service: LinkService | null = null;
  const loadService = (): LinkService => {
    if (service) return service;
    const { LinkService: Service } = require("../link/service") as typeof import("../link/service");
    const { SessionStore } = require("../link/sessions") as typeof import("../link/sessions");
    const sessionFile = new EncryptedJsonFile<{ sessions: LinkSession[] }>({
      file: sessionsPath,
      key: () => (key ??= credentialKey(RED)).key,
      warn: (m) => RED.log.warn(`plaid-sync: ${m}`),
    });
    const sessions = new SessionStore({
      persistence: {
        load: () => {
          const list = sessionFile.read()?.sessions;
          return Array.isArray(list) ? list : [];
        },
        save: (list) => sessionFile.write(list.length ? { sessions: list } : null),
      },
    });
    service = new Service({
      ...writerDeps,
      writer,
      sessions,
      adminRoot,
      t,
      getConfig: (id) => {
        const n = RED.nodes.getNode(id);
        return isConfigNode(n) ? n : null;
      },
      nodeType: (id) => (RED.nodes.getNode(id) as { type?: string } | null)?.type,
      warn: (m) => RED.log.warn(`plaid-sync: ${m}`),
      onLoginRepaired: (linkId) => {
        for (const l of repairListeners.get(linkId) ?? []) l();
      },
    });
    return service;
  };

  const demoInUse = (): boolean => {
    if (isDemoSimulatorRunning()) return true;
    let found = false;
    RED.nodes.eachNode((n: { type?: string; environment?: string }) => {
      if (n.type === "plaid-config" && (n.environment ?? "demo") === "demo") found = true;
    });
    return found;
  };

  registerLinkRoutes(app, {
    service: loadService,
    t,
    needsPermission: (perm) => permissionGuard(RED, perm),
    extraOrigins: () => {
      const out: string[] = [];
      RED.nodes.eachNode((n: { type?: string; publicUrl?: string }) => {
        if (n.type === "plaid-config" && typeof n.publicUrl === "string" && n.publicUrl) out.push(n.publicUrl);
      });
      return out;
    },
    demoProxy: createDemoProxy({ dataDir: () => dataDir, enabled: demoInUse, notFound: t("errors.demo-off") }),
    sawEditorOrigin: noteEditorOrigin,
    warmUp: () => warmPlaidClient(RED),
    log: { warn: (m) => RED.log.warn(m) },
  });

  const rt: LinkRuntime = {
    service: loadService,
    serviceIfLoaded: () => service,
    writer,
    pending,
    adminRoot,
    onLoginRepaired: (linkId, listener) => {
      let set = repairListeners.get(linkId);
      if (!set) repairListeners.set(linkId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (!set.size) repairListeners.delete(linkId);
      };
    },
  };
  followFlows(RED, rt, () => fs.existsSync(sessionsPath));
  runtimes.set(app, rt);
  return rt;
}
