// A production install as an operator does it: `npm pack`, then `npm install -g` of the tarball
// into a fresh prefix (dependencies only, no TypeScript), then `orgauth` from an unrelated folder:
// --version, bootstrap, serve, and a token from the bootstrap credentials. Not part of `npm test`
// (it compiles better-sqlite3); CI runs it as its own step: `node --import tsx --test test/install/tarball.test.ts`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '../helpers/index.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-tarball-'));
const prefix = path.join(work, 'prefix');
const elsewhere = path.join(work, 'elsewhere');
const orgauthBin = path.join(prefix, 'bin', 'orgauth');
const installed = path.join(prefix, 'lib', 'node_modules', 'orgauth');
let filename = '';

after(() => {
  if (!process.env.KEEP_TEST_DATA) fs.rmSync(work, { recursive: true, force: true });
});

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `npm ${args.join(' ')}: ${result.stderr}\n${result.stdout}`);
  return result;
}

/** The installed command, run from a folder that has nothing of orgauth in it. */
function orgauth(args: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync(orgauthBin, args, { cwd: elsewhere, encoding: 'utf8', env: { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? ''}`, HOME: work, LOG_LEVEL: 'warn', ...env } });
}

before(() => {
  fs.mkdirSync(elsewhere, { recursive: true });
  // prepack builds dist/ from the sources; the tarball carries dist/, never src/ or the tests.
  const packed = npm(['pack', '--json', '--pack-destination', work, REPO_ROOT], work);
  filename = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]?.filename ?? '';
  assert.ok(filename, `npm pack named its tarball: ${packed.stdout}`);
  // better-sqlite3 compiles its binding (npm runs no install scripts in a global install unless allowed).
  npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--allow-scripts=better-sqlite3', path.join(work, filename)], work);
});

describe('npm pack → npm install -g → orgauth', () => {
  it('the package holds the build, the licence and the docs, and no sources, tests or dev tools', () => {
    for (const present of ['LICENSE', 'README.md', 'bin/orgauth', 'dist/cli.js', 'dist/start.cjs', 'dist/thread-pool.cjs', 'docs/operations.md']) {
      assert.ok(fs.existsSync(path.join(installed, present)), `${present} is installed`);
    }
    for (const absent of ['src', 'test', 'bench', 'node_modules/typescript', 'node_modules/tsx']) {
      assert.equal(fs.existsSync(path.join(installed, absent)), false, `${absent} is not installed`);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { license?: string; version: string };
    assert.equal(pkg.license, 'Apache-2.0');
    // The package carries the lockfile (as npm-shrinkwrap.json): an install gets the tested versions.
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    for (const dep of ['fastify', 'better-sqlite3', 'kysely', 'pino', '@fastify/swagger-ui']) {
      const got = JSON.parse(fs.readFileSync(path.join(installed, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string };
      assert.equal(got.version, lock.packages[`node_modules/${dep}`]?.version, `${dep} as locked`);
    }
    assert.equal(fs.existsSync(path.join(REPO_ROOT, 'npm-shrinkwrap.json')), false, 'postpack removed the copy');
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = orgauth(['--version'], {});
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), version);
  });

  it('bootstrap and serve work from any folder; the served token endpoint accepts the bootstrap credentials', async () => {
    const port = await freePort();
    const env = { PORT: String(port), ORGAUTH_DATA_DIR: path.join(work, 'data') };
    const boot = orgauth(['bootstrap', '--json'], env);
    assert.equal(boot.status, 0, boot.stderr);
    const { apiToken, orgId } = JSON.parse(boot.stdout) as { apiToken: string; orgId: string };
    assert.ok(fs.existsSync(path.join(work, 'data', 'orgauth.db')), 'the database is where ORGAUTH_DATA_DIR says');

    const server = spawn(orgauthBin, ['serve'], { cwd: elsewhere, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: work, LOG_LEVEL: 'warn', ...env } });
    try {
      const base = `http://127.0.0.1:${port}`;
      let up = false;
      for (let i = 0; i < 600 && !up; i++) {
        up = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, 'orgauth serve answers /readyz');
      const token = await fetch(`${base}/csp/gateway/am/api/auth/api-tokens/authorize`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ api_token: apiToken }) });
      assert.equal(token.status, 200);
      const { access_token: accessToken } = await token.json() as { access_token: string };
      const apps = await fetch(`${base}/csp/gateway/am/api/orgs/${orgId}/oauth-apps`, { headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal(apps.status, 200);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});

describe('the unpacked package (it carries its lockfile): npm ci --omit=dev → orgauth serve', () => {
  it('installs only runtime dependencies, builds nothing, and serves', async () => {
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    assert.equal(spawnSync('tar', ['-xzf', path.join(work, filename), '-C', unpacked]).status, 0);
    const app = path.join(unpacked, 'package');
    assert.ok(fs.existsSync(path.join(app, 'npm-shrinkwrap.json')), 'the package carries its lockfile');
    npm(['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], app);
    assert.equal(fs.existsSync(path.join(app, 'node_modules', 'typescript')), false, 'no TypeScript');
    const port = await freePort();
    const server = spawn(process.execPath, [path.join(app, 'bin', 'orgauth'), 'serve'], {
      cwd: elsewhere, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: work, LOG_LEVEL: 'warn', PORT: String(port), ORGAUTH_DATA_DIR: path.join(work, 'data-omit-dev') },
    });
    try {
      let up = false;
      for (let i = 0; i < 600 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, 'orgauth serve answers /readyz');
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});
