// What an operator sees when the configuration or the machine is wrong: one clear line on stderr,
// exit 1, and nothing created that was not there before. Runs the CLI a user runs (bin/orgauth).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './helpers/index.js';

// Every case picks its own backend (or none): the PostgreSQL pass would only repeat them.
const skip = process.env.ORGAUTH_TEST_BACKEND === 'postgres' ? 'ran in the SQLite pass' : false;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-operator-'));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }

/** bin/orgauth with only the variables given (plus PATH), killed after `ms` if still running. */
function orgauth(args: string[], env: Record<string, string>, ms = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'orgauth'), ...args], {
      cwd: workDir, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function freshDir(name: string): string {
  return path.join(workDir, `${name}-${randomBytes(4).toString('hex')}`);
}

/** Exit 1 and exactly one line on stderr, `orgauth: …`, matching `expected`. */
function assertOneLine(run: Run, expected: RegExp): void {
  assert.equal(run.code, 1, `exit 1 expected, got ${run.code}; stderr: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
  assert.match(lines[0] ?? '', /^orgauth: /);
  assert.match(lines[0] ?? '', expected);
}

const hexKey = (): string => randomBytes(32).toString('hex');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('a wrong master key', { skip }, () => {
  it('is named as such, not as a decryption error', async () => {
    const dataDir = freshDir('wrong-key');
    const created = await orgauth(['bootstrap', '--json'], { ORGAUTH_DATA_DIR: dataDir, ORGAUTH_MASTER_KEY: hexKey() });
    assert.equal(created.code, 0, created.stderr);
    const run = await orgauth(['org', 'list'], { ORGAUTH_DATA_DIR: dataDir, ORGAUTH_MASTER_KEY: hexKey() });
    assertOneLine(run, /^orgauth: ORGAUTH_MASTER_KEY does not match the key that sealed this database$/);
    assert.doesNotMatch(run.stderr, /authenticate data|Unsupported state/);
  });

  it('the data folder\'s own key file is named when it is the wrong one', async () => {
    const dataDir = freshDir('wrong-file');
    assert.equal((await orgauth(['bootstrap'], { ORGAUTH_DATA_DIR: dataDir })).code, 0);
    fs.writeFileSync(path.join(dataDir, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const run = await orgauth(['org', 'list'], { ORGAUTH_DATA_DIR: dataDir });
    assertOneLine(run, /master\.key does not match the key that sealed this database$/);
  });
});

describe('HOST on every interface without ORGAUTH_ISSUER', { skip }, () => {
  for (const host of ['0.0.0.0', '::']) {
    it(`HOST=${host} is refused before anything is created, naming ORGAUTH_ISSUER`, async () => {
      const dataDir = freshDir('wildcard');
      const run = await orgauth(['serve'], { HOST: host, PORT: String(await freePort()), ORGAUTH_DATA_DIR: dataDir });
      assertOneLine(run, /ORGAUTH_ISSUER/);
      assert.equal(fs.existsSync(dataDir), false, 'no data folder created');
    });
  }

  it('with ORGAUTH_ISSUER set, the same HOST starts and issues that issuer', async () => {
    const port = await freePort();
    const issuer = 'https://auth.example.com/csp/gateway/am/api';
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'orgauth'), 'serve'], {
      cwd: workDir, stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HOST: '0.0.0.0', PORT: String(port), ORGAUTH_ISSUER: issuer, ORGAUTH_DATA_DIR: freshDir('issuer') },
    });
    try {
      let discovered: { issuer?: string } | undefined;
      for (let i = 0; i < 200 && !discovered; i++) {
        discovered = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).then((r) => r.json() as Promise<{ issuer?: string }>, () => undefined);
        if (!discovered) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(discovered?.issuer, issuer);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('a busy port', { skip }, () => {
  it('is reported before the data folder, the master key or the database are created', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dataDir = freshDir('busy');
      const run = await orgauth(['serve'], { PORT: String(port), ORGAUTH_DATA_DIR: dataDir });
      assertOneLine(run, new RegExp(`127\\.0\\.0\\.1:${port} .*already in use`));
      assert.equal(fs.existsSync(dataDir), false, 'no data folder, no master key, no database');
    } finally {
      blocker.close();
    }
  });
});

describe('file modes', { skip }, () => {
  const mode = (file: string): number => fs.statSync(file).mode & 0o777;

  it('the SQLite database, its WAL and the generated master key are 0600; an older 0644 database is narrowed', async () => {
    const dataDir = freshDir('modes');
    assert.equal((await orgauth(['bootstrap'], { ORGAUTH_DATA_DIR: dataDir })).code, 0);
    for (const name of ['orgauth.db', 'master.key']) assert.equal(mode(path.join(dataDir, name)), 0o600, name);
    fs.chmodSync(path.join(dataDir, 'orgauth.db'), 0o644);
    assert.equal((await orgauth(['org', 'list'], { ORGAUTH_DATA_DIR: dataDir })).code, 0);
    for (const name of fs.readdirSync(dataDir).filter((n) => n.startsWith('orgauth.db'))) {
      assert.equal(mode(path.join(dataDir, name)), 0o600, name);
    }
  });

  for (const wide of [0o640, 0o604, 0o644]) {
    it(`a master key file readable by others (mode ${wide.toString(8)}) is refused, with the fix`, async () => {
      const dataDir = freshDir('wide-key');
      assert.equal((await orgauth(['bootstrap'], { ORGAUTH_DATA_DIR: dataDir })).code, 0);
      const keyFile = path.join(dataDir, 'master.key');
      fs.chmodSync(keyFile, wide);
      const run = await orgauth(['org', 'list'], { ORGAUTH_DATA_DIR: dataDir });
      assertOneLine(run, new RegExp(`${keyFile.replaceAll('.', '\\.')} is readable by group or others .*chmod 600`));
    });
  }
});

describe('ORGAUTH_MASTER_KEY_FILE', { skip }, () => {
  it('a private file is used instead of a generated key, and no key is written into the data folder', async () => {
    const dataDir = freshDir('key-file');
    const keyFile = path.join(workDir, `key-${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(keyFile, `${hexKey()}\n`, { mode: 0o600 });
    assert.equal((await orgauth(['bootstrap'], { ORGAUTH_DATA_DIR: dataDir, ORGAUTH_MASTER_KEY_FILE: keyFile })).code, 0);
    assert.equal(fs.existsSync(path.join(dataDir, 'master.key')), false);
    const again = await orgauth(['org', 'list', '--json'], { ORGAUTH_DATA_DIR: dataDir, ORGAUTH_MASTER_KEY_FILE: keyFile });
    assert.equal(again.code, 0, again.stderr);
    // Another key for the same database is named by its variable.
    fs.writeFileSync(keyFile, `${hexKey()}\n`);
    assertOneLine(await orgauth(['org', 'list'], { ORGAUTH_DATA_DIR: dataDir, ORGAUTH_MASTER_KEY_FILE: keyFile }), /^orgauth: ORGAUTH_MASTER_KEY_FILE does not match the key that sealed this database$/);
  });

  it('a missing file, a readable one, a malformed one, or both variables at once: one line each, never the key', async () => {
    const keyFile = path.join(workDir, `key-${randomBytes(4).toString('hex')}`);
    const key = hexKey();
    const env = { ORGAUTH_DATA_DIR: freshDir('key-file-errors'), ORGAUTH_MASTER_KEY_FILE: keyFile };
    assertOneLine(await orgauth(['org', 'list'], env), /ORGAUTH_MASTER_KEY_FILE: cannot read .* \(ENOENT\)/);
    fs.writeFileSync(keyFile, key, { mode: 0o644 });
    fs.chmodSync(keyFile, 0o644);
    assertOneLine(await orgauth(['org', 'list'], env), /is readable by group or others/);
    fs.chmodSync(keyFile, 0o600);
    fs.writeFileSync(keyFile, 'not-a-key');
    const malformed = await orgauth(['org', 'list'], env);
    assertOneLine(malformed, /must hold 32 bytes/);
    assert.doesNotMatch(malformed.stderr, /not-a-key/);
    const both = await orgauth(['org', 'list'], { ...env, ORGAUTH_MASTER_KEY: key });
    assertOneLine(both, /not both/);
    assert.doesNotMatch(both.stderr, new RegExp(key));
  });
});

describe('database connection failures', { skip }, () => {
  it('an unreachable PostgreSQL is "cannot connect", with host and port, without the password', async () => {
    const port = await freePort();
    const run = await orgauth(['serve'], { PORT: String(await freePort()), DATABASE_URL: `postgres://orgauth:hunter2-pw@127.0.0.1:${port}/orgauth`, ORGAUTH_MASTER_KEY: hexKey(), ORGAUTH_DATA_DIR: freshDir('pg') });
    assertOneLine(run, new RegExp(`^orgauth: cannot connect to the database at 127\\.0\\.0\\.1:${port}/orgauth \\(connection refused\\)$`));
    assert.doesNotMatch(run.stderr, /hunter2|migration/);
  });

  it('a host that does not resolve is named as such', async () => {
    const run = await orgauth(['org', 'list'], { DATABASE_URL: 'postgres://db.invalid:5432/orgauth', ORGAUTH_MASTER_KEY: hexKey() });
    assertOneLine(run, /^orgauth: cannot connect to the database at db\.invalid:5432\/orgauth \(host not found\)$/);
  });
});
