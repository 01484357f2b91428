#!/usr/bin/env node
// Builds what Node-RED loads. tsc compiles src/ into dist/; nodes/ — where the editor .html and
// the message catalogs (locales/) are authored, in git — then gets, for every node entry in
// src/nodes, a one-line .js that requires the compiled module, and a copy of the icons: Node-RED
// finds .html, locales/ and icons/ only beside the .js it loads.
// `--out DIR` builds into DIR/dist and DIR/nodes instead of the repo (the bench uses it so a
// rebuild never pulls files from under tests running in the working tree); the .html and
// locales/ are copied there too.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const outFlag = process.argv.indexOf("--out");
const outRoot = outFlag > 0 && process.argv[outFlag + 1] ? path.resolve(process.argv[outFlag + 1]) : root;
const dist = path.join(outRoot, "dist");
const nodesOut = path.join(outRoot, "nodes");
const nodesAuthored = path.join(root, "nodes");
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
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json"), "--outDir", dist], { stdio: "inherit", cwd: root });

// The official client, without the 9 MB of comments its loading would otherwise cost.
execFileSync(process.execPath, [path.join(__dirname, "vendor-plaid.js"), dist], { stdio: "inherit", cwd: root });

// Non-TypeScript assets under src/ (browser scripts of the simulator) travel with the compiled code.
copyTree(path.join(root, "src"), dist, (f) => !f.endsWith(".ts"));

// Only what the build makes goes away: the authored .html and locales/ stay.
fs.mkdirSync(nodesOut, { recursive: true });
for (const f of fs.readdirSync(nodesOut)) if (f.endsWith(".js")) fs.rmSync(path.join(nodesOut, f));
fs.rmSync(path.join(nodesOut, "icons"), { recursive: true, force: true });
if (nodesOut !== nodesAuthored) copyTree(nodesAuthored, nodesOut, (f) => f.endsWith(".html") || f.endsWith(".json"));

const entries = fs.readdirSync(nodesSrc).filter((f) => /^plaid-[a-z-]+\.ts$/.test(f));
for (const file of entries) {
  const name = file.replace(/\.ts$/, "");
  if (!fs.existsSync(path.join(nodesAuthored, `${name}.html`))) throw new Error(`nodes/${name}.html is missing (the editor side of src/nodes/${file})`);
  fs.writeFileSync(path.join(nodesOut, `${name}.js`), `module.exports = require("../dist/nodes/${name}.js");\n`);
}
copyTree(path.join(root, "icons"), path.join(nodesOut, "icons"));
console.log(`built ${entries.length} node(s) into ${path.relative(root, nodesOut) || "."} and compiled src/ into ${path.relative(root, dist) || "."}`);
