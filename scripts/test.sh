#!/usr/bin/env bash
# The one command that runs every test: `npm test`. It brings what it needs: node modules,
# the build, and the real InfluxDB and Chromium the end-to-end tests drive. The runtime and
# end-to-end tests run twice: on the node-red devDependency (4.1.x) with this machine's Node,
# then on Node-RED 5.x with Node.js 22 (scripts/compat-node-red-5.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/system-deps.sh influxdb chromium
npm run build
npm run typecheck
npm run lint
echo "== all tests on Node-RED $(node -p "require('node-red/package.json').version") with Node.js $(node --version)"
npx mocha 'test/unit/**/*.test.ts' 'test/simulator/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts'
bash scripts/compat-node-red-5.sh
