// Issue 18's attacks from outside and inside an organization, each as its regression test: lockout
// without the secret, a concurrent burst of guesses, deep JSON, a replay of a superseded change,
// hints of caller-supplied secrets, caching of credentials, dangerous redirect URIs, log masking.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertCspError, bootstrapAdmin, createApp, startServer,
  type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';
import { allAuditEvents, appPath, listSecrets, rotateSecret, suppliedSecret } from './helpers/lifecycle.js';

const TOKEN_BUDGET = 250;
const FAILURE_BUDGET = 5;

let server: TestServer;
let admin: Admin;
let addressCounter = 0;
const freshAddress = () => `203.0.113.${++addressCounter}`;

before(async () => {
  server = await startServer({
    env: {
      RATE_LIMIT_TOKEN: `${TOKEN_BUDGET}/60`, RATE_LIMIT_AUTH_FAILURES: `${FAILURE_BUDGET}/60`,
      RATE_LIMIT_MANAGEMENT: '100000/60', ORGAUTH_TRUST_PROXY: '127.0.0.1,::1', LOG_LEVEL: 'trace',
    },
  });
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await server?.stop();
});

/** client_credentials with raw Basic from `address` (through the trusted proxy). */
function token(address: string, clientId: string, secret: string): Promise<HttpResult> {
  server.rememberSecret(secret, 'clientSecret');
  return server.req('POST', '/auth/token', {
    form: { grant_type: 'client_credentials' },
    headers: { authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'), 'x-forwarded-for': address },
  });
}

const burst = <T>(n: number, run: (i: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, (_, i) => run(i)));
const count = (results: HttpResult[], status: number) => results.filter((r) => r.status === status).length;

describe('no lockout without the secret', () => {
  it(`a stranger sending only client_id= ${TOKEN_BUDGET + 10} times spends its own address's budget, not the client's`, async () => {
    const victim = await createApp(server, admin.accessToken, admin.orgId);
    const stranger = freshAddress();
    const strangerResults: HttpResult[] = [];
    for (let round = 0; round < (TOKEN_BUDGET + 10) / 26; round++) {
      strangerResults.push(...await burst(26, () => server.req('POST', '/auth/token', {
        form: { grant_type: 'client_credentials', client_id: victim.clientId }, headers: { 'x-forwarded-for': stranger },
      })));
    }
    assert.equal(count(strangerResults, 200), 0);
    assert.ok(count(strangerResults, 429) > 0, 'the stranger is throttled');
    const real = await token(freshAddress(), victim.clientId, victim.clientSecret);
    assert.equal(real.status, 200, `the real client is not locked out: ${real.text}`);
    assertCspError(await server.req('POST', '/auth/token', {
      form: { grant_type: 'client_credentials', client_id: victim.clientId }, headers: { 'x-forwarded-for': stranger },
    }), 429, { oauthError: 'invalid_request' }, server);
  });
});

describe('an exact failure budget under concurrency', () => {
  for (const kind of ['generated', 'caller-supplied'] as const) {
    const newApp = () => createApp(server, admin.accessToken, admin.orgId, kind === 'generated' ? {} : { secret: suppliedSecret('fb') });

    it(`${kind} secret: 200 concurrent wrong secrets get exactly ${FAILURE_BUDGET} checks, the rest 429`, async () => {
      const app = await newApp();
      const from = freshAddress();
      const results = await burst(200, (i) => token(from, app.clientId, `Wrong!guess-${i}`));
      assert.equal(count(results, 401), FAILURE_BUDGET, `statuses: ${results.map((r) => r.status).join(',')}`);
      assert.equal(count(results, 429), 200 - FAILURE_BUDGET);
      for (const r of results.filter((x) => x.status === 429).slice(0, 3)) assertCspError(r, 429, { oauthError: 'invalid_request' }, server);
      // The real client at its own address is untouched.
      assert.equal((await token(freshAddress(), app.clientId, app.clientSecret)).status, 200);
    });

    it(`${kind} secret: 200 concurrent right secrets all succeed`, async () => {
      const app = await newApp();
      const from = freshAddress();
      const results = await burst(200, () => token(from, app.clientId, app.clientSecret));
      assert.equal(count(results, 200), 200, `statuses: ${[...new Set(results.map((r) => `${r.status} ${r.status === 200 ? '' : r.text}`))].join(' | ')}`);
    });
  }
});

describe('bounded JSON depth', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('deeply nested permissions at create and PATCH are a 400 with the CSP body, never a 500', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const body = (nested: string) => `{"displayName":"deep","description":"d","grantTypes":["client_credentials"],"allowedScopes":{"organizationScopes":{"roles":[{"name":"developer"}],"permissions":${nested}}}}`;
    for (const depth of [40, 5000]) {
      const created = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, body: body(deep(depth)), headers: { 'content-type': 'application/json' } });
      assertCspError(created, 400, { messageIncludes: ['deeper'] }, server);
      const patched = await server.req('PATCH', appPath(admin.orgId, app.clientId), {
        token: admin.accessToken, body: `{"allowedScopes":{"organizationScopes":{"permissions":${deep(depth)}}}}`, headers: { 'content-type': 'application/json' },
      });
      assertCspError(patched, 400, { messageIncludes: ['deeper'] }, server);
    }
    const tokenEndpoint = await server.req('POST', '/auth/api-tokens/authorize', { body: `{"refresh_token":${deep(5000)}}`, headers: { 'content-type': 'application/json' } });
    assertCspError(tokenEndpoint, 400, { oauthError: 'invalid_request' }, server);
  });

  it('ordinary nesting still works', async () => {
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken,
      json: { displayName: 'shallow', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }], permissions: [[[['x']]]] } } },
    });
    assert.equal(res.status, 200, res.text);
  });
});

describe('a replay of a superseded change', () => {
  it('regenerate with key K, regenerate again, retry K → 409 with its own error, never the dead secret', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const regen = (headers: Record<string, string> = {}) => server.req('PUT', `${appPath(admin.orgId, app.clientId)}/secret`, { token: admin.accessToken, json: {}, headers });
    const first = await regen({ 'idempotency-key': 'k-superseded' });
    assert.equal(first.status, 200, first.text);
    const replay = await regen({ 'idempotency-key': 'k-superseded' });
    assert.equal(replay.status, 200, 'a replay of the current change still answers');
    assert.equal(replay.body.clientSecret, first.body.clientSecret);
    assert.equal((await regen()).status, 200);
    const stale = await regen({ 'idempotency-key': 'k-superseded' });
    assertCspError(stale, 409, {}, server);
    assert.equal(stale.body.errorCode, 'IDEMPOTENT_CHANGE_SUPERSEDED_ERROR');
    assert.ok(!stale.text.includes(first.body.clientSecret), 'the dead secret is not shown again');
  });

  it('the same for a create whose secret was regenerated since', async () => {
    const body = { displayName: 'replayed create', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } };
    const create = () => server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: body, headers: { 'idempotency-key': 'k-create' } });
    const first = await create();
    assert.equal(first.status, 200, first.text);
    assert.equal((await server.req('PUT', `${appPath(admin.orgId, first.body.clientId)}/secret`, { token: admin.accessToken, json: {} })).status, 200);
    const stale = await create();
    assertCspError(stale, 409, {}, server);
    assert.equal(stale.body.errorCode, 'IDEMPOTENT_CHANGE_SUPERSEDED_ERROR');
  });
});

describe('no character of a caller-supplied secret is stored or shown', () => {
  it('create and rotation with a supplied secret: no hint in the listing or the audit log; generated secrets keep theirs', async () => {
    const supplied = suppliedSecret('hint');
    const app = await createApp(server, admin.accessToken, admin.orgId, { secret: supplied });
    const rotated = suppliedSecret('rot');
    assert.equal((await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, rotated, 3600)).status, 200);
    for (const s of await listSecrets(server, admin.accessToken, admin.orgId, app.clientId)) assert.ok(!('hint' in s), JSON.stringify(s));
    const { texts } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    for (const t of texts) {
      assert.ok(!t.includes(`"${supplied.slice(-4)}"`) && !t.includes(`"${rotated.slice(-4)}"`), 'no hint of a supplied secret in the audit log');
      assert.doesNotMatch(t, /newSecretHint":"[^"]*"[^}]*secret\.rotate|secret\.rotate[^}]*newSecretHint/);
    }
    const generated = await createApp(server, admin.accessToken, admin.orgId);
    const [only] = await listSecrets(server, admin.accessToken, admin.orgId, generated.clientId);
    assert.equal(only.hint, generated.clientSecret.slice(-4));
  });
});

describe('Cache-Control: no-store on every response carrying a credential', () => {
  it('create, regenerate and their replays', async () => {
    const created = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken, headers: { 'idempotency-key': 'k-cache' },
      json: { displayName: 'cache', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } },
    });
    const replayed = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken, headers: { 'idempotency-key': 'k-cache' },
      json: { displayName: 'cache', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } },
    });
    const regenerated = await server.req('PUT', `${appPath(admin.orgId, created.body.clientId)}/secret`, { token: admin.accessToken, json: {} });
    for (const [what, res] of [['create', created], ['replayed create', replayed], ['regenerate', regenerated]] as const) {
      assert.equal(res.status, 200, `${what}: ${res.text}`);
      assert.equal(typeof res.body.clientSecret, 'string', what);
      assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control no-store`);
    }
  });
});

describe('redirect URIs', () => {
  const withRedirect = (uri: string) => server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
    token: admin.accessToken,
    json: { displayName: 'web', description: 'd', grantTypes: ['authorization_code'], redirectUris: [uri], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } },
  });

  it('javascript:, data:, file: and plain http to a host are refused', async () => {
    for (const uri of ['javascript:alert(1)//', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'http://app.example.com/cb', 'JavaScript:alert(1)']) {
      assertCspError(await withRedirect(uri), 400, {}, server);
    }
  });

  it('https, http on loopback and private-use schemes of native apps (RFC 8252) are accepted', async () => {
    for (const uri of ['https://app.example.com/cb', 'http://127.0.0.1:8400/cb', 'http://[::1]:8400/cb', 'http://localhost/cb', 'com.example.app:/oauth2redirect']) {
      const res = await withRedirect(uri);
      assert.equal(res.status, 200, `${uri}: ${res.text}`);
    }
  });
});

describe('log masking by normalised parameter name', () => {
  it('refresh_token[], client_secret%, Refresh-Token and friends never reach the log', async () => {
    const values: string[] = [];
    const requestIds: string[] = [];
    for (const name of ['refresh_token[]', 'client_secret%', 'Refresh_Token', 'refresh-token', 'api_token[0]', 'client%5Fsecret']) {
      const value = `oat_masking${Math.random().toString(36).slice(2)}${values.length}`;
      values.push(value);
      server.rememberSecret(value, 'accessToken');
      const res = await server.req('POST', `/auth/api-tokens/authorize?${name}=${value}`, { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      requestIds.push(res.headers.get('x-request-id') ?? '');
    }
    // Request lines are written in blocks: wait until every one of these requests has its line.
    const logged = (log: string) => requestIds.every((id) => log.includes(`"requestId":"${id}"`));
    for (const deadline = Date.now() + 5_000; !logged(server.logText()) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    const log = server.logText();
    assert.ok(logged(log), 'each request has its line, with the parameter masked');
    for (const value of values) assert.ok(!log.includes(value), `${value} is in the log`);
  });
});
