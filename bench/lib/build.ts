/**
 * Builds the package with `npm run build`'s own script, but into a temp directory of the bench's own
 * so that rebuilding never pulls dist/ or nodes/ from under tests other people run in the same
 * working tree at the same time. The result is a complete Node-RED module dir (package.json with
 * the "node-red" section, dist/, nodes/) that Node-RED loads through `nodesDir`; a node_modules
 * symlink to the repo's makes its dependencies resolve as in the repo.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Runs the package build (scripts/build.js --out) into `<out>`, adds package.json and node_modules. Returns `out`. */
export function buildPackage(out: string): string {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "build.js"), "--out", out], { stdio: "inherit", cwd: REPO_ROOT });
  fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(out, "package.json"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(out, "node_modules"), "dir");
  return out;
}
