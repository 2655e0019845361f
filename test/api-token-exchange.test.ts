// API-token exchange (docs/design.md §3.1 last row, §3.3): POST /auth/api-tokens/authorize in the five shapes real clients send.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertCspError, assertTokenResponse, bootstrapAdmin, discovery, sleep, startServer, verifyAccessToken,
  type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await server?.stop();
});

const EXCHANGE = '/auth/api-tokens/authorize';

type Shape = (token: string) => Promise<HttpResult>;
const shapes: Array<[string, Shape]> = [
  ['1. form api_token=…', (t) => server.req('POST', EXCHANGE, { form: { api_token: t } })],
  ['2. form grant_type=api_token&api_token=…', (t) => server.req('POST', EXCHANGE, { form: { grant_type: 'api_token', api_token: t } })],
  ['3. form refresh_token=… (deprecated name)', (t) => server.req('POST', EXCHANGE, { form: { refresh_token: t } })],
  ['4. query ?refresh_token=…, empty body, Content-Type: application/json', (t) =>
    server.req('POST', EXCHANGE, { query: { refresh_token: t }, body: '', headers: { 'content-type': 'application/json' } })],
  ['4b. query ?refresh_token=…, empty body, no Content-Type', (t) => server.req('POST', EXCHANGE, { query: { refresh_token: t } })],
  ['5. query ?refresh_token=… plus JSON body {"refresh_token"}', (t) =>
    server.req('POST', EXCHANGE, { query: { refresh_token: t }, json: { refresh_token: t } })],
  ['5b. JSON body {"refresh_token"} alone', (t) => server.req('POST', EXCHANGE, { json: { refresh_token: t } })],
];

describe('POST /auth/api-tokens/authorize — API token → access token', () => {
  for (const [name, send] of shapes) {
    it(`${name} → 200 token response, user token of 1799 s`, async () => {
      const res = await send(admin.apiToken);
      assertTokenResponse(res);
      assert.equal(res.body.expires_in, 1799);
      const c = await verifyAccessToken(server, res.body.access_token);
      assert.equal(c.context_name, admin.orgId);
    });
  }

  it('the user token carries the claims of docs/design.md §3.3', async () => {
    const res = await shapes[0]![1](admin.apiToken);
    const d = await discovery(server);
    const c = await verifyAccessToken(server, res.body.access_token) as Record<string, unknown>;
    assert.equal(c.iss, d.issuer);
    for (const k of ['sub', 'jti', 'context_name', 'context', 'username', 'acct', 'domain']) {
      assert.equal(typeof c[k], 'string', `claim ${k} is a string: ${JSON.stringify(c[k])}`);
      assert.ok((c[k] as string).length > 0, `claim ${k} non-empty`);
    }
    assert.equal(c.context_name, admin.orgId);
    assert.equal(c.username, admin.username);
    assert.ok(Array.isArray(c.perms) && (c.perms as string[]).includes('csp:org_owner'), `perms ${JSON.stringify(c.perms)} include csp:org_owner`);
    assert.equal((c.exp as number) - (c.iat as number), 1799);
    assert.ok(Math.abs((c.iat as number) - Date.now() / 1000) <= 5, 'iat is now');
  });

  it('a member with the developer add-on gets csp:org_member and csp:developer, not more', async () => {
    const username = 'dev-claims@example.com';
    await server.cli(['user', 'add', '--org', admin.orgId, '--username', username, '--role', 'org_member', '--developer']);
    const tok = await server.cli(['api-token', 'create', '--org', admin.orgId, '--username', username]);
    const res = await shapes[0]![1](tok.apiToken);
    const c = await verifyAccessToken(server, res.body.access_token);
    const perms = c.perms as string[];
    assert.ok(perms.includes('csp:org_member') && perms.includes('csp:developer'), JSON.stringify(perms));
    assert.ok(!perms.includes('csp:org_owner') && !perms.includes('csp:org_admin'), JSON.stringify(perms));
    assert.equal(c.username, username);
  });

  it('the access token works on the management API', async () => {
    const res = await shapes[2]![1](admin.apiToken);
    const list = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: res.body.access_token });
    assert.equal(list.status, 200, list.text);
  });

  it('an API token revoked with the CLI → 400 invalid_grant, in every shape', async () => {
    const tok = await server.cli(['api-token', 'create', '--org', admin.orgId, '--username', admin.username]);
    assertTokenResponse(await shapes[0]![1](tok.apiToken));
    const r = await server.cliRaw(['api-token', 'revoke', '--token', tok.apiToken, '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const [name, send] of shapes) {
      const res = await send(tok.apiToken);
      assert.equal(res.status, 400, `${name}: ${res.status} ${res.text}`);
      assertCspError(res, 400, { oauthError: 'invalid_grant' }, server);
    }
  });

  it('an expired API token (--ttl 1, used after 2.5 s) → 400 invalid_grant', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const tok = await server.cli(['api-token', 'create', '--org', admin.orgId, '--username', admin.username, '--ttl', '1']);
    const t1 = Math.ceil(Date.now() / 1000);
    assert.ok(Number.isInteger(tok.expiresAt), `expiresAt is epoch seconds: ${tok.expiresAt}`);
    assert.ok(tok.expiresAt >= t0 + 1 - 1 && tok.expiresAt <= t1 + 1 + 1, `expiresAt is creation time + ttl: ${tok.expiresAt} vs [${t0}, ${t1}] + 1`);
    await sleep(2500);
    assertCspError(await shapes[0]![1](tok.apiToken), 400, { oauthError: 'invalid_grant' }, server);
  });

  it('an unknown API token → 400 invalid_grant', async () => {
    assertCspError(await shapes[0]![1]('this-is-not-an-api-token-0123456789'), 400, { oauthError: 'invalid_grant' }, server);
  });

  it('no token at all → 400 invalid_request', async () => {
    const res = await server.req('POST', EXCHANGE, { form: {} });
    assertCspError(res, 400, { oauthError: 'invalid_request' }, server);
  });

  it('a user in two orgs gets a token for the org its API token is bound to', async () => {
    const org = await server.cli(['org', 'create', '--name', 'Second']);
    const username = 'two-orgs@example.com';
    await Promise.all([
      server.cli(['user', 'add', '--org', org.id, '--username', username, '--role', 'org_admin']),
      server.cli(['user', 'add', '--org', admin.orgId, '--username', username, '--role', 'org_member']),
    ]);
    const t2 = await server.cli(['api-token', 'create', '--org', org.id, '--username', username]);
    const c = await verifyAccessToken(server, (await shapes[0]![1](t2.apiToken)).body.access_token);
    assert.equal(c.context_name, org.id);
    assert.ok((c.perms as string[]).includes('csp:org_admin'));
  });
});
