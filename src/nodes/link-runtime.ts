/**
 * Wires the plain linking logic to a Node-RED runtime: one session store, pending-link store and
 * set of admin routes per runtime (keyed by its httpAdmin app, so a test harness that reloads
 * the nodes with a fresh app gets fresh routes).
 */
import * as path from "path";
import type { NodeAPI } from "node-red";
import type { Express, RequestHandler } from "express";
import { createDemoProxy, isDemoSimulatorRunning } from "../link/demo";
import { EncryptedJsonFile, resolveKey, type ResolvedKey } from "../link/encrypted-file";
import { PendingLinkStore } from "../link/pending";
import { registerLinkRoutes } from "../link/routes";
import { LinkService, type ConfigLike, type LinkNodeLike, type Translate } from "../link/service";
import { SessionStore, type LinkSession } from "../link/sessions";
import { adminRootOf, dataDirOf, setting, userDirOf } from "./runtime";
import type { PlaidConfigNode, PlaidLinkNode } from "./types";

export interface LinkRuntime {
  service: LinkService;
  sessions: SessionStore;
  pending: PendingLinkStore;
  adminRoot: string;
  /** Called when a link's Item logs in again (update mode finished); returns the unsubscribe. */
  onLoginRepaired(linkId: string, listener: () => void): () => void;
}

const runtimes = new WeakMap<object, LinkRuntime>();
/** Per RED.events emitter: the service whose Hosted Link polling follows the flows' start and stop. */
const flowFollowers = new WeakMap<object, { current: LinkService | null }>();

/**
 * Open Hosted Link sessions are polled again once the flows (and so the config nodes) run; a
 * redeploy stops and restarts them the same way. One pair of listeners per runtime event bus: a
 * test harness that builds a new admin app per test replaces the service they serve.
 */
function followFlows(RED: NodeAPI, service: LinkService): void {
  const bus = RED.events as unknown as { on(ev: string, fn: () => void): void };
  let slot = flowFollowers.get(bus);
  if (!slot) {
    const s: { current: LinkService | null } = { current: null };
    bus.on("flows:started", () => s.current?.resume());
    bus.on("flows:stopped", () => s.current?.close());
    flowFollowers.set(bus, s);
    slot = s;
  }
  slot.current?.close();
  slot.current = service;
}
let lastEditorOrigin: string | null = null;

/** The browser Origin of the last successful link-sessions call (verified against that request): the best guess of publicUrl. */
export function seenEditorOrigin(): string | null {
  return lastEditorOrigin;
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
  const sessionFile = new EncryptedJsonFile<{ sessions: LinkSession[] }>({
    file: path.join(dataDir, "link-sessions.json"),
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
  const adminRoot = adminRootOf(RED);
  const repairListeners = new Map<string, Set<() => void>>();
  const service = new LinkService({
    sessions,
    pending,
    adminRoot,
    t,
    getConfig: (id) => {
      const n = RED.nodes.getNode(id);
      return isConfigNode(n) ? n : null;
    },
    getLinkNode: (id) => {
      const n = RED.nodes.getNode(id);
      return isLinkNode(n) ? n : null;
    },
    nodeType: (id) => (RED.nodes.getNode(id) as { type?: string } | null)?.type,
    getCredentials: (id) => RED.nodes.getCredentials(id) as Record<string, unknown> | undefined,
    addCredentials: (id, creds) => RED.nodes.addCredentials(id, creds),
    publish: (topic, data) => RED.comms.publish(topic, data, false),
    warn: (m) => RED.log.warn(`plaid-sync: ${m}`),
    onLoginRepaired: (linkId) => {
      for (const l of repairListeners.get(linkId) ?? []) l();
    },
  });
  followFlows(RED, service);

  const demoInUse = (): boolean => {
    if (isDemoSimulatorRunning()) return true;
    let found = false;
    RED.nodes.eachNode((n: { type?: string; environment?: string }) => {
      if (n.type === "plaid-config" && (n.environment ?? "demo") === "demo") found = true;
    });
    return found;
  };

  registerLinkRoutes(app, {
    service,
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
    sawEditorOrigin: (o) => {
      lastEditorOrigin = o;
    },
    log: { warn: (m) => RED.log.warn(m) },
  });

  const rt: LinkRuntime = {
    service,
    sessions,
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
  runtimes.set(app, rt);
  return rt;
}
