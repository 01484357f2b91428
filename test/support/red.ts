/**
 * Which Node-RED runtime the in-process (node-red-node-test-helper) tests run on. Default: the
 * node-red devDependency (4.1.x). NODE_RED_HOME = another node-red package dir (CI's second pass
 * sets it to Node-RED 5.x, see scripts/compat-node-red-5.sh); the process's own node must suit it.
 */
import * as fs from "fs";
import * as path from "path";

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
export interface TestHelper {
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
