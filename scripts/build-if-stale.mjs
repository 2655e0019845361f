#!/usr/bin/env node
// `npm start`'s build step: compiles src/ only when dist/ is missing or older than a source file,
// so a fresh clone still builds and an unchanged tree starts at once. An installed package ships
// dist/ without src/ and never builds.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['src', 'tsconfig.json', 'package.json'].map((name) => path.join(root, name));

function newestChange(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((entry) => newestChange(path.join(file, entry))));
}

if (!fs.existsSync(path.join(root, 'src'))) process.exit(0);
const builtAt = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (builtAt >= Math.max(...inputs.map(newestChange))) process.exit(0);

process.stderr.write('orgauth: building dist/ (sources changed since the last build)\n');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  process.stderr.write('orgauth: dist/ is out of date and TypeScript is not installed; run `npm ci` (with dev dependencies) and `npm run build`\n');
  process.exit(1);
}
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
} catch {
  process.exit(1);
}
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
