/**
 * What the nodes read from the Node-RED runtime, in one place: settings (which throw for some
 * keys before the runtime loaded them), the user directory, the folder this package keeps its
 * files in, and httpAdminRoot.
 */
import * as os from "os";
import * as path from "path";
import type { NodeAPI } from "node-red";

/** The folder of this package's files in the user directory (state, pending links, sessions, demo). */
export const DATA_DIR_NAME = "plaid-sync";

type Settings = NodeAPI["settings"] & { get?(key: string): unknown };

export function setting(RED: Pick<NodeAPI, "settings">, key: string): unknown {
  const s = RED.settings as Settings;
  try {
    if (typeof s.get === "function") return s.get(key);
  } catch {
    // settings.get throws for storage-backed keys before the runtime loaded them
  }
  return (s as unknown as Record<string, unknown>)[key];
}

export function userDirOf(RED: Pick<NodeAPI, "settings">): string {
  const dir = setting(RED, "userDir");
  return typeof dir === "string" && dir ? dir : path.join(os.homedir(), ".node-red");
}

/** `<userDir>/plaid-sync`. */
export function dataDirOf(RED: Pick<NodeAPI, "settings">): string {
  return path.join(userDirOf(RED), DATA_DIR_NAME);
}

/** httpAdminRoot, normalised to "/…/" (Node-RED's own formatRoot does the same). */
export function adminRootOf(RED: Pick<NodeAPI, "settings">): string {
  const root = setting(RED, "httpAdminRoot");
  if (typeof root !== "string" || !root) return "/";
  let r = root.startsWith("/") ? root : `/${root}`;
  if (!r.endsWith("/")) r += "/";
  return r;
}

let lastEditorOrigin: string | null = null;

/** A browser's Origin, verified against a successful link-sessions call. */
export function noteEditorOrigin(origin: string): void {
  lastEditorOrigin = origin;
}

/** The browser Origin of the last successful link-sessions call: the best guess of publicUrl. */
export function seenEditorOrigin(): string | null {
  return lastEditorOrigin;
}
