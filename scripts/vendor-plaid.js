#!/usr/bin/env node
// Writes <dist>/vendor/plaid.js: plaid-node's own code (the official client, from the installed
// devDependency) with its comments and whitespace removed, and nothing renamed. Its api.js is
// 9.7 MB, nine tenths JSDoc; V8 keeps a module's whole source, so every load cost ~66 MB and
// ~400 ms, against ~23 MB and ~180 ms for the same code without them. axios, its one dependency,
// stays an ordinary dependency of this package, installed, updated and audited by npm.
// Usage: node scripts/vendor-plaid.js <dist>
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
const dist = path.resolve(process.argv[2] ?? path.join(root, "dist"));
const plaidDir = path.dirname(require.resolve("plaid/package.json", { paths: [root] }));
const { version } = JSON.parse(fs.readFileSync(path.join(plaidDir, "package.json"), "utf8"));
const license = fs.readFileSync(path.join(plaidDir, "LICENSE"), "utf8").trim();
const out = path.join(dist, "vendor", "plaid.js");

fs.rmSync(`${out}.map`, { force: true }); // tsc's map is of the re-export, not of this file
esbuild.buildSync({
  entryPoints: [path.join(root, "src", "vendor", "plaid.ts")],
  outfile: out,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["axios"],
  minifyWhitespace: true,
  legalComments: "none",
  banner: { js: `/* plaid-node ${version} (npm "plaid"), comments and whitespace removed by node-red-contrib-plaid-sync's scripts/vendor-plaid.js.\n${license}\n*/` },
  footer: { js: `module.exports.PLAID_VERSION = ${JSON.stringify(version)};` },
  logLevel: "warning",
});
console.log(`vendored plaid ${version} into ${path.relative(root, out)} (${Math.round(fs.statSync(out).size / 1024)} KB)`);
