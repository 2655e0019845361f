// The command line (docs/design.md §9): bootstrap once, --json prints exactly one JSON object, same database as the server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exchangeApiToken, startServer, REPO_ROOT, type TestServer } from './helpers/index.js';

let server: TestServer;
let boot: { orgId: string; username: string; apiToken: string };

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs with --json and checks stdout is exactly one JSON object (nothing before or after it). */
async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await server.cliRaw([...args, '--json']);
  assert.equal(r.code, 0, `orgauth ${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  let parsed: unknown;
  assert.doesNotThrow(() => { parsed = JSON.parse(r.stdout); }, `stdout is one JSON value: ${JSON.stringify(r.stdout)}`);
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'a JSON object');
  assert.equal(r.stdout.trim().split('\n').length, 1, 'one line');
  for (const [k, v] of Object.entries(parsed as object)) if (k === 'apiToken') server.rememberSecret(v as string, 'apiToken');
  return parsed as Record<string, unknown>;
}

describe('orgauth bootstrap', () => {
  it('on an empty database → {orgId, username, apiToken}; the token works at the token endpoint', async () => {
    const out = await json(['bootstrap', '--username', 'root@example.com', '--org-name', 'Acme']);
    assert.match(String(out.orgId), GUID, 'orgId is a GUID');
    assert.equal(out.username, 'root@example.com');
    assert.equal(typeof out.apiToken, 'string');
    boot = out as typeof boot;
    const token = await exchangeApiToken(server, boot.apiToken);
    const list = await server.req('GET', `/orgs/${boot.orgId}/oauth-apps`, { token });
    assert.equal(list.status, 200, list.text);
  });

  it('a second time → exit 1, and no new credentials printed', async () => {
    const r = await server.cliRaw(['bootstrap', '--json']);
    assert.equal(r.code, 1, `exit 1 expected, got ${r.code}`);
    assert.ok(!/apiToken/.test(r.stdout), 'no apiToken on a refused bootstrap');
    assert.ok((r.stderr + r.stdout).trim().length > 0, 'says why');
  });
});

describe('orgauth org create / user add / api-token create / revoke / keys rotate', () => {
  let orgId: string;

  it('org create --name → {id, displayName}', async () => {
    const out = await json(['org', 'create', '--name', 'Second Org']);
    assert.match(String(out.id), GUID);
    assert.equal(out.displayName, 'Second Org');
    orgId = out.id as string;
  });

  it('user add → {username, orgId, roles}; adding again updates the membership', async () => {
    const a = await json(['user', 'add', '--org', orgId, '--username', 'dev@example.com', '--role', 'org_member', '--developer']);
    assert.equal(a.username, 'dev@example.com');
    assert.equal(a.orgId, orgId);
    assert.ok(Array.isArray(a.roles));
    assert.ok((a.roles as string[]).includes('org_member') && (a.roles as string[]).includes('developer'), JSON.stringify(a.roles));
    const b = await json(['user', 'add', '--org', orgId, '--username', 'dev@example.com', '--role', 'org_admin']);
    assert.ok((b.roles as string[]).includes('org_admin'), JSON.stringify(b.roles));
    assert.ok(!(b.roles as string[]).includes('org_member'), 'one org role per membership');
  });

  it('user add with an unknown org or role → non-zero exit', async () => {
    const r1 = await server.cliRaw(['user', 'add', '--org', '00000000-0000-4000-8000-000000000000', '--username', 'x@example.com', '--role', 'org_member', '--json']);
    assert.notEqual(r1.code, 0);
    const r2 = await server.cliRaw(['user', 'add', '--org', orgId, '--username', 'x@example.com', '--role', 'emperor', '--json']);
    assert.notEqual(r2.code, 0);
  });

  it('api-token create → {apiToken, expiresAt}; revoke → one JSON object, then the token is refused', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const t = await json(['api-token', 'create', '--org', orgId, '--username', 'dev@example.com', '--ttl', '3600']);
    const t1 = Math.ceil(Date.now() / 1000);
    assert.equal(typeof t.apiToken, 'string');
    assert.ok(Number.isInteger(t.expiresAt), 'expiresAt epoch seconds');
    const exp = t.expiresAt as number;
    assert.ok(exp >= t0 + 3600 - 1 && exp <= t1 + 3600 + 1, `expiresAt = creation time + ttl: ${exp} vs [${t0}, ${t1}] + 3600`);
    await exchangeApiToken(server, t.apiToken as string);
    await json(['api-token', 'revoke', '--token', t.apiToken as string]);
    const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: t.apiToken as string } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('keys rotate → {kid}, published in the JWKS of the running server', async () => {
    const out = await json(['keys', 'rotate']);
    assert.equal(typeof out.kid, 'string');
    const keys = await server.req('GET', '/auth/keys');
    const kids = keys.body.keys.map((k: { kid: string }) => k.kid);
    assert.ok(kids.includes(out.kid), `JWKS of the running server ${JSON.stringify(kids)} has the rotated kid ${String(out.kid)}`);
  });
});

describe('configuration errors stop the start with one clear line (docs/design.md §9)', () => {
  const dist = process.env.ORGAUTH_TEST_DIST ?? path.join(REPO_ROOT, 'dist');
  const start = (env: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-config-'));
    try {
      const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: '0', ORGAUTH_DATA_DIR: dir };
      return spawnSync(process.execPath, [path.join(dist, 'start.cjs')], { env: { ...base, ...env }, timeout: 15_000, encoding: 'utf8' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  for (const [name, env, mentions] of [
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['ORGAUTH_MASTER_KEY too short', { ORGAUTH_MASTER_KEY: 'c2hvcnQta2V5LXZhbHVl' }, 'ORGAUTH_MASTER_KEY'],
    ['DATABASE_URL not postgres', { DATABASE_URL: 'mysql://x/y', ORGAUTH_MASTER_KEY: 'a'.repeat(64) }, 'DATABASE_URL'],
  ] as const) {
    it(`${name} → non-zero exit, one line naming ${mentions}`, () => {
      const r = start(env);
      assert.notEqual(r.status, 0, `exit status ${r.status}`);
      assert.equal(r.signal, null, 'exits by itself, does not hang');
      const out = `${r.stderr}${r.stdout}`.trim();
      assert.ok(out.includes(mentions), `output names ${mentions}: ${out}`);
      const lines = out.split('\n').filter((l) => l.includes(mentions));
      assert.ok(lines.length >= 1 && !/\n\s+at /.test(out), `one clear line, no stack: ${out}`);
      if (name.startsWith('ORGAUTH_MASTER_KEY')) assert.ok(!out.includes('c2hvcnQta2V5LXZhbHVl'), 'the key value is not echoed');
    });
  }
});

describe('first start (docs/design.md §8)', () => {
  it('creates the key material in the data folder with mode 0600', { skip: process.env.TEST_SERVER_ENV_JSON ? 'master key comes from the environment' : undefined }, () => {
    const files = fs.readdirSync(server.dataDir).filter((f) => /key/i.test(f));
    assert.ok(files.length >= 1, `a key file in ${fs.readdirSync(server.dataDir).join(', ')}`);
    for (const f of files) {
      const mode = fs.statSync(path.join(server.dataDir, f)).mode & 0o777;
      assert.equal(mode, 0o600, `${f} has mode ${mode.toString(8)}`);
    }
  });
});
