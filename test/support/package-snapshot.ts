/**
 * One snapshot of the built package per test process (nodered.ts's snapshotPackage()), taken
 * once the build is complete — waiting out a concurrent `npm run build` that has emptied nodes/
 * for a moment — and removed when the process exits. For tests that (re)start Node-RED often.
 *
 *   const red = await startNodeRed({ nodesDir: packageNodesDirs() });
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, snapshotPackage } from "./nodered";

const REQUIRED = ["nodes/plaid-config.js", "nodes/plaid-link.js", "nodes/plaid-transactions.js", "dist/nodes/plaid-config.js", "dist/nodes/plaid-link.js", "dist/nodes/plaid-transactions.js"];

let snapshot: string | null = null;

const complete = (root: string): boolean => REQUIRED.every((f) => fs.existsSync(path.join(root, f)));

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The snapshot dir; waits (bounded, ~20 s) for a build in progress. */
export function packageSnapshot(): string {
  if (snapshot) return snapshot;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (complete(REPO_ROOT)) {
      let dir: string | null = null;
      try {
        dir = snapshotPackage();
      } catch {
        /* the build removed something while we copied: try again */
      }
      if (dir && complete(dir)) {
        snapshot = dir;
        process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        return dir;
      }
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
    sleepSync(200);
  }
  throw new Error("the package is not built (nodes/ or dist/ incomplete): run `npm run build` first");
}

/** nodesDir for startNodeRed(): the package snapshot and node-red-contrib-influxdb. */
export function packageNodesDirs(): string[] {
  return [packageSnapshot(), path.join(REPO_ROOT, "node_modules", "node-red-contrib-influxdb")];
}
