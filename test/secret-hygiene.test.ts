// Secret hygiene (docs/design.md §6.2): with LOG_LEVEL=debug, run every operation that issues, accepts or
// refuses a client secret, API token or access token — in every request shape, on success and on
// failure — then scan every log line, every audit record, every error body and the stored data
// (SQLite file and WAL, or every PostgreSQL row) for any of them in plaintext: zero hits.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  addUser, bootstrapAdmin, clientCredentials, createApp, exchangeApiToken, strongSecret,
  type Admin, type HttpResult, type RequestOptions, type TestServer,
} from './helpers/index.js';
import { allAuditEvents, appPath, deleteOldSecret, introspect, regenerateSecret, rotateSecret, startRoomyServer, suppliedSecret } from './helpers/lifecycle.js';
import { databaseText } from './helpers/postgres.js';
import { socketRequest } from './helpers/hardening.js';

let server: TestServer;
let admin: Admin;
/** Every response with status ≥ 400 this file received. */
const errorBodies: string[] = [];
/** Values derived from secrets that must not appear either (Basic headers, percent-encoded forms). */
const derived = new Set<string>();

before(async () => {
  server = await startRoomyServer({ env: { LOG_LEVEL: 'debug' } });
  admin = await bootstrapAdmin(server);
});

after(async () => {
  // The harness scans the log and the data folder again after the server has stopped.
  await server?.stop();
});

async function req(method: string, p: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const res = await server.req(method, p, opts);
  if (res.status >= 400) errorBodies.push(res.text);
  return res;
}

function basic(id: string, secret: string): string {
  const header = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  derived.add(header.slice(6));
  server.rememberSecret(secret, 'clientSecret');
  return header;
}

/** The stored data as bytes: SQLite file, -wal and -shm, or every row of the PostgreSQL database. */
async function storedData(): Promise<{ where: string; data: Buffer }[]> {
  const json = process.env.TEST_SERVER_ENV_JSON;
  const databaseUrl = json ? (JSON.parse(json) as Record<string, string>).DATABASE_URL?.replaceAll('{uniq}', server.uniq) : undefined;
  if (databaseUrl?.startsWith('postgres')) return [{ where: 'PostgreSQL rows', data: Buffer.from(await databaseText(databaseUrl), 'utf8') }];
  const files = fs.readdirSync(server.dataDir).filter((f) => /\.(db|sqlite|sqlite3)(-wal|-shm)?$|-wal$|-shm$/.test(f) || !f.includes('.'));
  const found = files.map((f) => ({ where: f, data: fs.readFileSync(path.join(server.dataDir, f)) }));
  assert.ok(found.some((f) => /-wal$/.test(f.where)) || found.length > 0, `database files in ${server.dataDir}: ${fs.readdirSync(server.dataDir).join(', ')}`);
  return found;
}

describe('secret hygiene with LOG_LEVEL=debug', () => {
  it('runs every secret-bearing operation, in every shape, succeeding and failing', async () => {
    // API tokens: bootstrap, `api-token create`, the five exchange shapes, a revoked one.
    const user = await addUser(server, admin.orgId, 'org_admin');
    const extra = await server.cli(['api-token', 'create', '--org', admin.orgId, '--username', user.username]);
    for (const form of [{ api_token: extra.apiToken }, { grant_type: 'api_token', api_token: extra.apiToken }, { refresh_token: extra.apiToken }] as Array<Record<string, string>>) {
      assert.equal((await req('POST', '/auth/api-tokens/authorize', { form })).status, 200);
    }
    assert.equal((await req('POST', '/auth/api-tokens/authorize', { query: { refresh_token: extra.apiToken }, body: '', headers: { 'content-type': 'application/json' } })).status, 200);
    assert.equal((await req('POST', '/auth/api-tokens/authorize', { query: { refresh_token: extra.apiToken }, json: { refresh_token: extra.apiToken } })).status, 200);
    const wrongApiToken = `oat_${'Z'.repeat(43)}`;
    server.rememberSecret(wrongApiToken, 'apiToken');
    assert.equal((await req('POST', '/auth/api-tokens/authorize', { form: { api_token: wrongApiToken } })).status, 400);

    // Apps: generated and supplied secrets, PATCH with a secret, regenerate (with Idempotency-Key and
    // its replay, and with revokeTokens), rotate, delete the old one.
    const generated = await createApp(server, admin.accessToken, admin.orgId);
    const supplied = suppliedSecret('hyg');
    server.rememberSecret(supplied, 'clientSecret');
    const withSupplied = await createApp(server, admin.accessToken, admin.orgId, { secret: supplied });
    const patched = strongSecret('patch');
    server.rememberSecret(patched, 'clientSecret');
    assert.equal((await req('PATCH', appPath(admin.orgId, withSupplied.clientId), { token: admin.accessToken, json: { secret: patched } })).status, 200);
    const key = { 'idempotency-key': 'hygiene-regenerate-1' };
    const regen = await regenerateSecret(server, admin.accessToken, admin.orgId, generated.clientId, { headers: key });
    assert.equal(regen.status, 200, regen.text);
    const replay = await regenerateSecret(server, admin.accessToken, admin.orgId, generated.clientId, { headers: key });
    assert.equal(replay.body.clientSecret, regen.body.clientSecret, 'the replay returns the same secret');
    let current: string = regen.body.clientSecret;
    const rotated = suppliedSecret('rot');
    assert.equal((await rotateSecret(server, admin.accessToken, admin.orgId, generated.clientId, rotated, 3600, { headers: { 'idempotency-key': 'hygiene-rotate-1' } })).status, 200);

    // Client credentials in every shape with both valid secrets, and refusals with wrong ones.
    const accessTokens: string[] = [];
    for (const secret of [current, rotated]) {
      for (const shape of ['basic', 'basic-urlencoded', 'basic-query', 'post'] as const) {
        for (const p of ['/auth/authorize', '/auth/token'] as const) {
          const res = await clientCredentials(server, generated.clientId, secret, shape, { path: p });
          assert.equal(res.status, 200, res.text);
          accessTokens.push(res.body.access_token);
        }
      }
    }
    assert.equal((await req('POST', '/auth/token', { headers: { authorization: basic(generated.clientId, 'Wrong-Secret-9!') }, form: { grant_type: 'client_credentials' } })).status, 401);
    assert.equal((await req('POST', '/auth/token', { form: { grant_type: 'client_credentials', client_id: generated.clientId, client_secret: withSupplied.clientSecret ?? patched } })).status, 401);
    assert.equal((await req('POST', '/auth/token', { headers: { authorization: basic(generated.clientId, current) }, form: { grant_type: 'client_credentials', client_secret: current } })).status, 400);
    assert.equal((await req('DELETE', `${appPath(admin.orgId, generated.clientId)}/secret`, { token: admin.accessToken })).status, 200);
    assert.equal((await deleteOldSecret(server, admin.accessToken, admin.orgId, generated.clientId)).status, 200);

    // Secrets in refused management requests: too weak, equal to the current one, inside broken JSON.
    const weak = 'weakweakweak';
    server.rememberSecret(weak, 'clientSecret');
    assert.equal((await req('POST', `${appPath(admin.orgId, generated.clientId)}/secret`, { token: admin.accessToken, json: { newClientSecret: weak } })).status, 400);
    assert.equal((await req('POST', `${appPath(admin.orgId, generated.clientId)}/secret`, { token: admin.accessToken, json: { newClientSecret: rotated } })).status, 400);
    const inBrokenJson = suppliedSecret('broken');
    server.rememberSecret(inBrokenJson, 'clientSecret');
    assert.equal((await req('POST', `${appPath(admin.orgId, generated.clientId)}/secret`, {
      token: admin.accessToken, body: `{"newClientSecret": "${inBrokenJson}"`, headers: { 'content-type': 'application/json' },
    })).status, 400);
    assert.equal((await req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { secret: inBrokenJson, displayName: 1 } })).status, 400);

    // Introspection and revocation of access and API tokens; the revoked ones refused afterwards.
    const client = { clientId: generated.clientId, clientSecret: rotated };
    assert.equal((await introspect(server, client, accessTokens[0]!)).active, true);
    await introspect(server, client, extra.apiToken);
    assert.equal((await req('POST', '/auth/revoke', { basic: [client.clientId, client.clientSecret], form: { token: accessTokens[0]! } })).status, 200);
    assert.equal((await req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: accessTokens[0]! })).status, 401);
    const tampered = `${accessTokens[1]!.slice(0, -6)}AAAAAA`;
    server.rememberSecret(tampered, 'accessToken');
    assert.equal((await req('GET', `/orgs/${admin.orgId}/oauth-apps`, { headers: { 'csp-auth-token': tampered } })).status, 401);

    // Regenerate with revokeTokens=true; then `orgauth api-token revoke`.
    const killed = await regenerateSecret(server, admin.accessToken, admin.orgId, generated.clientId, { query: { revokeTokens: 'true' } });
    assert.equal(killed.status, 200, killed.text);
    current = killed.body.clientSecret;
    // Tokens 8–15 were minted with the rotated secret, the one this regeneration killed.
    assert.equal((await req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: accessTokens[10]! })).status, 401);
    await server.cli(['api-token', 'revoke', '--token', extra.apiToken]);
    assert.equal((await req('POST', '/auth/api-tokens/authorize', { form: { api_token: extra.apiToken } })).status, 400);
    await exchangeApiToken(server, user.apiToken);
    // A request the HTTP parser refuses, with a secret in its Basic header: logged at debug level.
    await socketRequest(server, `FOO ${appPath(admin.orgId, generated.clientId)} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(generated.clientId, current)}\r\n\r\n`);
    // The server writes that line after it has answered; the child's stdout reaches us a little later.
    for (const deadline = Date.now() + 5_000; !/"level":20|"level":"debug"/.test(server.logText()) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(server.secrets().size >= 30, `the scenario saw ${server.secrets().size} secrets and tokens`);
    for (const [value] of server.secrets()) {
      const encoded = encodeURIComponent(value);
      if (encoded !== value) derived.add(encoded);
    }
  });

  it('no secret, API token or access token in any log line (debug level)', () => {
    const log = server.logText();
    assert.ok(log.split('\n').length > 50, 'the log has a line per request');
    assert.match(log, /"level":20|"level":"debug"/, 'the debug line of the refused HTTP request was written');
    const hits: string[] = [];
    for (const [value, kind] of server.secrets()) if (log.includes(value)) hits.push(`${kind} …${value.slice(-4)}`);
    for (const value of derived) if (log.includes(value)) hits.push(`derived form …${value.slice(-4)}`);
    assert.deepEqual(hits, []);
  });

  it('no secret or token in any audit record', async () => {
    const { events, texts } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    assert.ok(events.length >= 8, `audit events: ${events.length}`);
    const text = texts.join('\n');
    const hits = [...server.secrets()].filter(([value]) => text.includes(value)).map(([v, kind]) => `${kind} …${v.slice(-4)}`);
    assert.deepEqual(hits, []);
  });

  it('no secret or token in any error body received', () => {
    assert.ok(errorBodies.length >= 10, `error bodies: ${errorBodies.length}`);
    const hits: string[] = [];
    for (const body of errorBodies) {
      for (const [value, kind] of server.secrets()) if (body.includes(value)) hits.push(`${kind} …${value.slice(-4)} in ${body.slice(0, 80)}`);
    }
    assert.deepEqual(hits, []);
  });

  it('no secret or token stored in plaintext (SQLite file and WAL, or the PostgreSQL rows)', async () => {
    const stored = await storedData();
    assert.ok(stored.reduce((n, s) => n + s.data.length, 0) > 0, 'there is stored data to scan');
    const hits: string[] = [];
    for (const { where, data } of stored) {
      for (const [value, kind] of server.secrets()) if (data.includes(value)) hits.push(`${kind} …${value.slice(-4)} in ${where}`);
      for (const value of derived) if (data.includes(value)) hits.push(`derived form …${value.slice(-4)} in ${where}`);
    }
    process.stdout.write(`hygiene: scanned ${server.secrets().size} secrets and tokens (+${derived.size} encoded forms) in ${server.logText().split('\n').length} log lines, `
      + `${errorBodies.length} error bodies and ${stored.map((s) => `${s.where} (${s.data.length} B)`).join(', ')}\n`);
    assert.deepEqual(hits, []);
  });
});
