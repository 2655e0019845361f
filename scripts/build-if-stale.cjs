#!/usr/bin/env node
// Compiles src/ and bundles the console (web/) only when dist/ is missing or older than a source
// file, so a fresh clone builds by itself (`npm ci && npm start`, or `bin/orgauth …` right after
// `npm ci`) and an unchanged tree starts at once. An installed package ships dist/ without src/ and
// never builds. CommonJS so that bin/orgauth can run it before anything else.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function newestChange(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((entry) => newestChange(path.join(file, entry))));
}

/** Builds `root` if its dist/ is out of date; exits the process with 1 if it cannot. */
function buildIfStale(root) {
  if (!fs.existsSync(path.join(root, 'src'))) return;
  const stamp = path.join(root, 'dist', '.build-stamp');
  const builtAt = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const inputs = ['src', 'web', 'tsconfig.json', 'package.json'].map((name) => path.join(root, name));
  if (builtAt >= Math.max(...inputs.map(newestChange))) return;

  process.stderr.write('orgauth: building dist/ (sources changed since the last build)\n');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) {
    process.stderr.write('orgauth: dist/ is out of date and TypeScript is not installed; run `npm ci` (with dev dependencies) and `npm run build`\n');
    process.exit(1);
  }
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
    const bundleConsole = path.join(root, 'web', 'build.mjs');
    if (fs.existsSync(bundleConsole)) execFileSync(process.execPath, [bundleConsole], { cwd: root, stdio: 'inherit' });
  } catch {
    process.exit(1);
  }
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

module.exports = { buildIfStale };
if (require.main === module) buildIfStale(process.cwd());
