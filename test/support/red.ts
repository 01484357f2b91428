/**
 * Which Node-RED runtime the in-process (node-red-node-test-helper) tests run on. Default: the
 * node-red devDependency (4.1.x). NODE_RED_HOME = another node-red package dir (CI's second pass
 * sets it to Node-RED 5.x, see scripts/compat-node-red-5.sh); the process's own node must suit it.
 */
import * as fs from "fs";
import * as path from "path";
import type { PlaidApi } from "plaid";
import { simulatorAndDir, simulatorSuite, tempDirEach, type Simulator } from "./simulator";

export function nodeRedRuntimePath(): string {
  const home = process.env.NODE_RED_HOME;
  if (!home) return require.resolve("node-red");
  const pkg = JSON.parse(fs.readFileSync(path.join(home, "package.json"), "utf8")) as { main: string };
  return path.join(home, pkg.main);
}

/** The runtime's version, for test titles and messages. */
export function nodeRedVersion(): string {
  const home = process.env.NODE_RED_HOME ?? path.dirname(require.resolve("node-red/package.json"));
  return (JSON.parse(fs.readFileSync(path.join(home, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * node-red-node-test-helper, started on nodeRedRuntimePath(). No type declarations ship with the
 * helper: the calls the integration tests use are typed here, `getNode` as the caller's node type.
 */
/** A node under test: messages go in with receive(), what it does comes out as events. */
export interface TestNode extends NodeJS.EventEmitter {
  receive(msg: Record<string, unknown>): void;
}

/** One admin API request (supertest), as the integration tests use it. */
export interface AdminRequest extends PromiseLike<{ status: number; body: Record<string, unknown>; text: string }> {
  send(b: unknown): AdminRequest;
  query(q: Record<string, string>): AdminRequest;
  set(k: string, v: string): AdminRequest;
}

export interface TestHelper {
  /** Requests against the runtime's admin API (httpAdmin). */
  request(): { get(p: string): AdminRequest; post(p: string): AdminRequest };
  settings(s: Record<string, unknown>): void;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  load(nodes: unknown[], flow: unknown[], creds?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode<T = unknown>(id: string): T;
  log(): { args: unknown[][] };
}

export function nodeRedTestHelper(): TestHelper {
  const helper = require("node-red-node-test-helper") as TestHelper & { init(runtimePath: string): void };
  helper.init(nodeRedRuntimePath());
  return helper;
}

type NodeModule = (RED: Record<string, unknown>) => void;

/** Node-RED's own i18n (i18next), from the runtime the tests run on. */
function runtimeI18n(): {
  init(settings: Record<string, unknown>): void;
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  _(key: string, vars?: Record<string, unknown>): string;
} {
  const home = process.env.NODE_RED_HOME ?? path.dirname(require.resolve("node-red/package.json"));
  return (require(require.resolve("@node-red/util", { paths: [home] })) as { i18n: ReturnType<typeof runtimeI18n> }).i18n;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const MODULE = "node-red-contrib-plaid-sync";

/**
 * The three node modules as Node-RED itself would load them: their `RED._` reads the real
 * message catalogs in nodes/locales/ through Node-RED's i18n, namespaced `<module>/<set>` as the
 * registry does. (The test helper's own `RED._` returns the key, which would hide missing or
 * wrong strings.) Call once, in a before() hook.
 */
export async function plaidNodeModules(): Promise<{ config: NodeModule; link: NodeModule; transactions: NodeModule }> {
  const i18n = runtimeI18n();
  i18n.init({ lang: "en-US" });
  const sets = ["plaid-config", "plaid-link", "plaid-transactions"] as const;
  for (const set of sets) await i18n.registerMessageCatalog(`${MODULE}/${set}`, path.join(REPO_ROOT, "nodes", "locales"), `${set}.json`);
  const wrap = (set: (typeof sets)[number]): NodeModule => {
    const mod = require(path.join(REPO_ROOT, "src", "nodes", set)) as NodeModule;
    return (RED) => {
      const scoped = Object.create(RED) as Record<string, unknown>;
      scoped._ = (key: string, vars?: Record<string, unknown>) => i18n._(`${MODULE}/${set}:${key}`, vars);
      mod(scoped);
    };
  };
  return { config: wrap("plaid-config"), link: wrap("plaid-link"), transactions: wrap("plaid-transactions") };
}

/**
 * What a runtime test file shares: one simulator (with these keys) for the file, and per test a
 * fresh userDir (`dir`) and the test helper's runtime started on it with `settings`; unloaded, stopped
 * and removed after each test. Read the getters inside hooks and tests.
 */
export function runtimeSuite(
  helper: TestHelper,
  o: { clientId: string; secret: string; dirPrefix: string; settings?: Record<string, unknown> },
): { readonly sim: Simulator; readonly client: PlaidApi; readonly dir: string } {
  const simulator = simulatorSuite({ clientId: o.clientId, secret: o.secret });
  // Registered before the dir's cleanup, so the runtime stops before its userDir goes.
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });
  const dir = tempDirEach(o.dirPrefix);
  beforeEach(async () => {
    helper.settings({ userDir: dir.path, credentialSecret: `${o.dirPrefix}credential-secret`, plaidSync: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 }, ...o.settings });
    await helper.startServer();
  });
  return simulatorAndDir(simulator, dir);
}
