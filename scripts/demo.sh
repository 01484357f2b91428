#!/usr/bin/env bash
# `npm run demo`: Node-RED with these nodes and the example flow, on the built-in Plaid simulator,
# writing into a local InfluxDB. Everything it keeps is in .demo/ (delete it to start over).
# Env: PORT (Node-RED, default 1880 or the next free port), INFLUX_PORT, DEMO_NO_INFLUX=1.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/.bin ] || [ ! -e node_modules/node-red/red.js ]; then
  echo "Installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi

echo "Building…"
npm run --silent build

if [ -z "${DEMO_NO_INFLUX:-}" ] && ! command -v influxd >/dev/null 2>&1 && [ ! -x /usr/bin/influxd ]; then
  # Installs Debian's influxdb when we may (root or passwordless sudo); otherwise it prints the
  # command and the demo falls back to the debug-only example.
  bash scripts/system-deps.sh influxdb || true
fi

mkdir -p .demo
exec node --import tsx scripts/demo/run.ts "$@"
