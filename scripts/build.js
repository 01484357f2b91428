#!/usr/bin/env node
// Builds what Node-RED loads. tsc compiles src/ into dist/; nodes/ then gets, for every node
// entry in src/nodes, a one-line .js that requires the compiled module, plus the editor .html,
// the message catalogs and the icons. Node-RED finds .html, locales/ and icons/ only beside
// the .js it loads, which is why they are gathered here rather than left in src/.
// `--out DIR` builds into DIR/dist and DIR/nodes instead of the repo (the bench uses it so a
// rebuild never pulls files from under tests running in the working tree).
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const outFlag = process.argv.indexOf("--out");
const outRoot = outFlag > 0 && process.argv[outFlag + 1] ? path.resolve(process.argv[outFlag + 1]) : root;
const dist = path.join(outRoot, "dist");
const nodesOut = path.join(outRoot, "nodes");
const nodesSrc = path.join(root, "src", "nodes");

function copyTree(from, to, filter) {
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

fs.rmSync(dist, { recursive: true, force: true });
fs.rmSync(nodesOut, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json"), "--outDir", dist], { stdio: "inherit", cwd: root });

// Non-TypeScript assets under src/ (browser scripts, pages) travel with the compiled code.
copyTree(path.join(root, "src"), dist, (f) => !f.endsWith(".ts") && !f.startsWith(nodesSrc + path.sep));

fs.mkdirSync(nodesOut, { recursive: true });
const entries = fs.readdirSync(nodesSrc).filter((f) => /^plaid-[a-z-]+\.ts$/.test(f));
for (const file of entries) {
  const name = file.replace(/\.ts$/, "");
  fs.writeFileSync(path.join(nodesOut, name + ".js"), `module.exports = require("../dist/nodes/${name}.js");\n`);
  const html = path.join(nodesSrc, name + ".html");
  if (fs.existsSync(html)) fs.copyFileSync(html, path.join(nodesOut, name + ".html"));
}
copyTree(path.join(nodesSrc, "locales"), path.join(nodesOut, "locales"));
copyTree(path.join(root, "icons"), path.join(nodesOut, "icons"));
console.log(`built ${entries.length} node(s) into ${path.relative(root, nodesOut) || "."} and compiled src/ into ${path.relative(root, dist) || "."}`);
