// The operator's inventory commands: org list, user list, api-token list, keys list, keys retire,
// --version, and --json failures as one {error, message} object on stdout with a non-zero exit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { decodeProtectedHeader } from 'jose';
import { bootstrapAdmin, REPO_ROOT, startServer, type Admin, type TestServer } from './helpers/index.js';

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
});
after(async () => {
  await server?.stop();
});

/** `--json`: exit 0 and exactly one JSON object on one line. */
async function json(args: string[]): Promise<Record<string, any>> {
  const r = await server.cliRaw([...args, '--json']);
  assert.equal(r.code, 0, `orgauth ${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  assert.equal(r.stdout.trim().split('\n').length, 1, `one line: ${r.stdout}`);
  return JSON.parse(r.stdout) as Record<string, any>;
}

/** `--json` failure: non-zero exit, exactly one {error, message} object on stdout. */
async function jsonFailure(args: string[]): Promise<{ error: string; message: string }> {
  const r = await server.cliRaw([...args, '--json']);
  assert.notEqual(r.code, 0, `orgauth ${args.join(' ')} should fail`);
  assert.equal(r.stdout.trim().split('\n').length, 1, `one line on stdout: ${JSON.stringify(r.stdout)}`);
  const body = JSON.parse(r.stdout) as { error: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
  assert.equal(typeof body.error, 'string');
  assert.ok(body.message.length > 0 && !body.message.includes('\n'), 'one-line message');
  return body;
}

describe('orgauth --version', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await server.cliRaw([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), version);
    }
  });
});

describe('orgauth org list / user list', () => {
  it('org list gives back every org id with its name (a lost org id is found again)', async () => {
    const second = await json(['org', 'create', '--name', 'Listed Org']);
    const { organizations } = await json(['org', 'list']);
    assert.ok(organizations.some((o: any) => o.id === admin.orgId), 'the bootstrap org');
    const listed = organizations.find((o: any) => o.id === second.id);
    assert.equal(listed?.displayName, 'Listed Org');
    assert.equal(typeof listed?.createdAt, 'number');
    const text = await server.cliRaw(['org', 'list']);
    assert.match(text.stdout, new RegExp(`${second.id}\\s+Listed Org`));
  });

  it('user list --org gives the members with their roles; another org\'s members are not listed', async () => {
    const other = await json(['org', 'create', '--name', 'Other Org']);
    await json(['user', 'add', '--org', admin.orgId, '--username', 'dev@example.com', '--role', 'org_member', '--developer']);
    await json(['user', 'add', '--org', other.id, '--username', 'elsewhere@example.com', '--role', 'org_admin']);
    const { orgId, users } = await json(['user', 'list', '--org', admin.orgId]);
    assert.equal(orgId, admin.orgId);
    assert.deepEqual(users.find((u: any) => u.username === 'dev@example.com')?.roles, ['org_member', 'developer']);
    assert.deepEqual(users.find((u: any) => u.username === admin.username)?.roles, ['org_owner', 'developer']);
    assert.ok(!users.some((u: any) => u.username === 'elsewhere@example.com'));
  });

  it('user list for an unknown org, or without --org: {error, message} and exit 1', async () => {
    assert.equal((await jsonFailure(['user', 'list', '--org', '00000000-0000-0000-0000-000000000000'])).error, 'ORGANIZATION_NOT_FOUND_ERROR');
    const missing = await jsonFailure(['user', 'list']);
    assert.equal(missing.error, 'usage_error');
    assert.match(missing.message, /--org/);
  });
});

describe('orgauth api-token list', () => {
  it('lists ids, last four characters and status — never a token', async () => {
    const created = await json(['api-token', 'create', '--org', admin.orgId, '--username', admin.username]);
    server.rememberSecret(created.apiToken, 'apiToken');
    await json(['api-token', 'revoke', '--token', created.apiToken]);
    const r = await server.cliRaw(['api-token', 'list', '--org', admin.orgId, '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const token of [admin.apiToken, created.apiToken]) assert.ok(!r.stdout.includes(token), 'no API token in the listing');
    const { apiTokens } = JSON.parse(r.stdout) as { apiTokens: any[] };
    const byHint = (token: string) => apiTokens.filter((t) => t.hint === token.slice(-4));
    assert.equal(byHint(admin.apiToken)[0]?.status, 'active');
    assert.equal(byHint(created.apiToken)[0]?.status, 'revoked');
    assert.equal(typeof byHint(created.apiToken)[0]?.revokedAt, 'number');
    assert.ok(apiTokens.every((t) => t.orgId === admin.orgId && typeof t.id === 'string' && typeof t.expiresAt === 'number'));
    const none = await json(['api-token', 'list', '--username', 'nobody@example.com']);
    assert.deepEqual(none.apiTokens, []);
  });
});

describe('orgauth keys list / keys retire', () => {
  const jwksKids = async (): Promise<string[]> => ((await server.req('GET', '/auth/keys')).body.keys as Array<{ kid: string }>).map((k) => k.kid);
  const keyStatus = async (): Promise<Record<string, any>> => Object.fromEntries((await json(['keys', 'list'])).keys.map((k: any) => [k.kid, k]));

  it('the current key cannot be retired (something must sign)', async () => {
    const keys = await json(['keys', 'list']);
    const current = keys.keys.find((k: any) => k.status === 'current');
    assert.ok(current, 'one key is current');
    const refused = await jsonFailure(['keys', 'retire', current.kid]);
    assert.equal(refused.error, 'key_retirement_refused');
    assert.match(refused.message, /current signing key/);
    assert.ok((await jwksKids()).includes(current.kid));
    assert.equal((await jsonFailure(['keys', 'retire', 'no-such-kid'])).error, 'key_retirement_refused');
  });

  it('a superseded key, once retired, stays in JWKS and verifies until the last token it can have signed expires', async () => {
    const oldKid = decodeProtectedHeader(admin.accessToken).kid!;
    const { kid: newKid } = await json(['keys', 'rotate']);
    const before = await keyStatus();
    assert.equal(before[oldKid].status, 'active');
    assert.equal(before[newKid].status, 'current');
    const retired = await json(['keys', 'retire', oldKid]);
    assert.equal(retired.status, 'retiring');
    // The longest token lifetime (30 days) after the newer key took over, and a little more.
    assert.ok(retired.leavesJwksAt >= before[newKid].createdAt + 30 * 24 * 3600, `leaves at ${retired.leavesJwksAt}`);
    assert.equal((await keyStatus())[oldKid].status, 'retiring');
    assert.ok((await jwksKids()).includes(oldKid), 'still in JWKS');
    const list = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken });
    assert.equal(list.status, 200, 'a token signed by the retiring key still works');
  });

  it('a key superseded longer ago than any token lives leaves JWKS at once, and its tokens stop working', { skip: process.env.TEST_SERVER_ENV_JSON ? 'ages the keys in the SQLite file' : false }, async () => {
    const { kid: signingKid } = await json(['keys', 'rotate']);
    // Serving JWKS makes the node re-read its keys now (otherwise within 30 s).
    assert.ok((await jwksKids()).includes(signingKid));
    const fresh = await bootstrapToken();
    assert.equal(decodeProtectedHeader(fresh).kid, signingKid);
    const { kid: newestKid } = await json(['keys', 'rotate']);
    // Age every key by more than the longest token lifetime, as if the rotation were long past.
    const file = new SQLite(path.join(server.dataDir, 'orgauth.db'));
    file.pragma('busy_timeout = 5000');
    file.prepare("update keys set created_at = created_at - ? where purpose = 'signing'").run(30 * 24 * 3600 + 3600);
    file.close();
    const retired = await json(['keys', 'retire', signingKid]);
    assert.equal(retired.status, 'retired');
    const kids = await jwksKids();
    assert.ok(!kids.includes(signingKid), 'left JWKS');
    assert.ok(kids.includes(newestKid), 'the current key stays');
    const refused = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: fresh });
    assert.equal(refused.status, 401, 'a token of a retired key is refused');
    assert.equal((await keyStatus())[signingKid].status, 'retired');
  });
});

/** A fresh access token for the admin (signed by the current key). */
async function bootstrapToken(): Promise<string> {
  const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: admin.apiToken } });
  assert.equal(res.status, 200);
  return res.body.access_token as string;
}

describe('--json failures', () => {
  it('an unknown command, a missing option, a failed command: each one {error, message} object and exit 1', async () => {
    assert.equal((await jsonFailure(['no-such-command'])).error, 'usage_error');
    assert.equal((await jsonFailure(['api-token', 'create', '--org', admin.orgId])).error, 'usage_error');
    assert.equal((await jsonFailure(['api-token', 'revoke', '--token', 'oat_not_a_token'])).error, 'command_failed');
    assert.equal((await jsonFailure(['bootstrap'])).error, 'bootstrap_refused');
  });

  it('without --json the failure is one line on stderr and nothing on stdout', async () => {
    const r = await server.cliRaw(['api-token', 'revoke', '--token', 'oat_not_a_token']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim(), 'orgauth: no such API token');
  });
});
