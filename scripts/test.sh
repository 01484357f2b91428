#!/usr/bin/env bash
# The one command that runs every test: `npm test`. It brings what it needs: node modules,
# the build, and the real InfluxDB and Chromium the end-to-end tests drive.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/system-deps.sh influxdb chromium
npm run build
npm run typecheck
npm run lint
npx mocha 'test/unit/**/*.test.ts' 'test/simulator/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts'
