/**
 * Builds the package the way `npm run build` does, but into a temp directory of the bench's own
 * so that rebuilding never pulls dist/ or nodes/ from under tests other people run in the same
 * working tree at the same time. The result is a complete Node-RED module dir (package.json with
 * the "node-red" section, dist/, nodes/) that Node-RED loads through `nodesDir`; a node_modules
 * symlink to the repo's makes its dependencies resolve as in the repo.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

function copyTree(from: string, to: string, filter?: (file: string) => boolean): void {
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst, filter);
    else if (!filter || filter(src)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
}

/** Compiles src/ into `<out>/dist`, lays out `<out>/nodes`, copies package.json. Returns `out`. */
export function buildPackage(out: string): string {
  const dist = path.join(out, "dist");
  const nodesOut = path.join(out, "nodes");
  const nodesSrc = path.join(REPO_ROOT, "src", "nodes");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(REPO_ROOT, "tsconfig.json"), "--outDir", dist], {
    stdio: "inherit",
    cwd: REPO_ROOT,
  });
  copyTree(path.join(REPO_ROOT, "src"), dist, (f) => !f.endsWith(".ts") && !f.startsWith(nodesSrc + path.sep));
  fs.mkdirSync(nodesOut, { recursive: true });
  for (const file of fs.readdirSync(nodesSrc).filter((f) => /^plaid-[a-z-]+\.ts$/.test(f))) {
    const name = file.replace(/\.ts$/, "");
    fs.writeFileSync(path.join(nodesOut, `${name}.js`), `module.exports = require("../dist/nodes/${name}.js");\n`);
    const html = path.join(nodesSrc, `${name}.html`);
    if (fs.existsSync(html)) fs.copyFileSync(html, path.join(nodesOut, `${name}.html`));
  }
  copyTree(path.join(nodesSrc, "locales"), path.join(nodesOut, "locales"));
  copyTree(path.join(REPO_ROOT, "icons"), path.join(nodesOut, "icons"));
  fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(out, "package.json"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(out, "node_modules"), "dir");
  return out;
}
