// Create and get an org-managed OAuth app (docs/design.md §5.1 create and get, §5.3 fields and rules).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, appBody, assertCspError, bootstrapAdmin, clientCredentials, createApp, deepHasKey, startServer,
  strongSecret, type Admin, type TestServer,
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

const create = (body: unknown, token = admin.accessToken) =>
  server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token, json: body });
const get = (id: string, token = admin.accessToken) =>
  server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${encodeURIComponent(id)}`, { token });

describe('POST /orgs/{orgId}/oauth-apps — create', () => {
  it('the minimal body → 200 {clientId, clientSecret}; the secret works at the token endpoint', async () => {
    const res = await create(appBody());
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['clientId', 'clientSecret']);
    assert.match(res.body.clientId, /^[A-Za-z0-9_-]{5,256}$/, 'generated id follows the id rule');
    assert.match(res.body.clientSecret, /^[A-Za-z0-9._~-]{43,}$/, 'generated secret: URL-unreserved, ≥ 256 bits');
    const tok = await clientCredentials(server, res.body.clientId, res.body.clientSecret, 'basic');
    assert.equal(tok.status, 200, tok.text);
  });

  it('a caller-chosen id becomes the clientId', async () => {
    const res = await create(appBody({ id: 'my-app-1' }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.clientId, 'my-app-1');
  });

  for (const field of ['displayName', 'description', 'grantTypes', 'allowedScopes']) {
    it(`missing required ${field} → 400 naming the field`, async () => {
      const body = appBody();
      delete body[field];
      assertCspError(await create(body), 400, { messageIncludes: [field] }, server);
    });
  }

  it('grantTypes with password → 400', async () => {
    assertCspError(await create(appBody({ grantTypes: ['client_credentials', 'password'] })), 400, {}, server);
  });

  it('an unknown grant type → 400', async () => {
    assertCspError(await create(appBody({ grantTypes: ['implicit'] })), 400, {}, server);
  });

  it('refreshTokenTTL not above accessTokenTTL → 400 (equal and below)', async () => {
    for (const refreshTokenTTL of [600, 599]) {
      assertCspError(await create(appBody({ accessTokenTTL: 600, refreshTokenTTL })), 400, {}, server);
    }
    const ok = await create(appBody({ accessTokenTTL: 600, refreshTokenTTL: 601 }));
    assert.equal(ok.status, 200, ok.text);
  });

  it('an id that exists → 409; the first app keeps its secret', async () => {
    const first = await createApp(server, admin.accessToken, admin.orgId, { id: 'dup-app-1' });
    assertCspError(await create(appBody({ id: 'dup-app-1' })), 409, {}, server);
    const tok = await clientCredentials(server, 'dup-app-1', first.clientSecret, 'basic');
    assert.equal(tok.status, 200, 'first secret still valid');
  });

  it('an id outside 5–256 chars of [A-Za-z0-9_-] → 400', async () => {
    for (const id of ['abcd', 'has space', 'dot.ted', 'x'.repeat(257)]) {
      assertCspError(await create(appBody({ id })), 400, {}, server);
    }
  });

  for (const [why, secret] of [
    ['shorter than 8', 'Ab1!xyz'],
    ['no upper-case letter', 'abcdef1!x'],
    ['no lower-case letter', 'ABCDEF1!X'],
    ['no digit', 'Abcdefg!x'],
    ['no special character', 'Abcdefg1x'],
    ['longer than 256', 'Ab1!' + 'x'.repeat(253)],
  ] as const) {
    it(`a caller-supplied secret with ${why} → 400`, async () => {
      const res = await create(appBody({ secret }));
      assertCspError(res, 400, {}, server);
      assert.ok(!res.text.includes(secret), 'the refused secret is not echoed');
    });
  }

  it('a strong caller-supplied secret → 200, and it works at the token endpoint (raw and percent-encoded Basic)', async () => {
    const secret = strongSecret('create');
    const res = await create(appBody({ secret }));
    assert.equal(res.status, 200, res.text);
    for (const shape of ['basic', 'basic-urlencoded', 'post'] as const) {
      const tok = await clientCredentials(server, res.body.clientId, secret, shape);
      assert.equal(tok.status, 200, `${shape}: ${tok.text}`);
    }
  });

  it('a public client → 200 without clientSecret; it cannot have client_credentials', async () => {
    const pub = { publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://x.example/cb'] };
    const res = await create(appBody(pub));
    assert.equal(res.status, 200, res.text);
    assert.equal(typeof res.body.clientId, 'string');
    assert.ok(!('clientSecret' in res.body), 'no clientSecret key for a public client');
    assertCspError(await create(appBody({ ...pub, grantTypes: ['client_credentials'] })), 400, {}, server);
  });

  it('an org_member without developer → 403; with developer → 200', async () => {
    const member = await addUser(server, admin.orgId, 'org_member');
    assertCspError(await create(appBody(), member.accessToken), 403, {}, server);
    const dev = await addUser(server, admin.orgId, 'org_member', { developer: true });
    assert.equal((await create(appBody(), dev.accessToken)).status, 200);
  });

  it('no escalation: an org_admin cannot create an app with org_owner → 403', async () => {
    const orgAdmin = await addUser(server, admin.orgId, 'org_admin');
    const body = appBody({ allowedScopes: { organizationScopes: { roles: [{ name: 'org_owner' }] } } });
    assertCspError(await create(body, orgAdmin.accessToken), 403, {}, server);
    assert.equal((await create(body)).status, 200, 'the owner may');
  });

  it('Beyond CSP: Idempotency-Key: the same key and body replays the first response; a different body → 409', async () => {
    const key = `create-${Date.now()}`;
    const body = appBody({ displayName: `idempotent ${key}` });
    const send = (b: unknown) => server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: b, headers: { 'idempotency-key': key } });
    const first = await send(body);
    const retry = await send(body);
    assert.equal(first.status, 200, first.text);
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(retry.body, first.body, 'same clientId and secret');
    assertCspError(await send(appBody()), 409, {}, server);
    const list = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, query: { searchTerm: String(body.displayName) } });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.totalResults, 1, 'one app created');
  });

  it('no token → 401', async () => {
    assertCspError(await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { json: appBody() }), 401, {}, server);
  });

  it('generalScopes that look like permissions (csp:…, external/…) or hold spaces → 400; plain words reach the token scope', async () => {
    const scopes = (generalScopes: string[]) => appBody({ allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] }, generalScopes } });
    for (const bad of ['csp:org_owner', 'CSP:org_admin', 'external/svc-1/admin', 'openid csp:org_owner']) {
      assertCspError(await create(scopes(['openid', bad])), 400, { messageIncludes: ['generalScopes'] }, server);
    }
    const ok = await create(scopes(['openid', 'profile']));
    assert.equal(ok.status, 200, ok.text);
    const tok = await clientCredentials(server, ok.body.clientId, ok.body.clientSecret);
    assert.equal(tok.status, 200, tok.text);
    assert.deepEqual(tok.body.scope.split(' ').sort(), ['csp:developer', 'openid', 'profile']);
  });
});

describe('GET /orgs/{orgId}/oauth-apps/{oauthAppId} — get', () => {
  it('returns the stored fields plus organizationId, createdAt, createdBy, secretAge — and no secret', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const body = appBody({
      id: 'get-app-1',
      description: 'the app to read back',
      grantTypes: ['client_credentials'],
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }, { name: 'org_member' }] } },
      accessTokenTTL: 900,
      refreshTokenTTL: 86400,
    });
    const created = await create(body);
    assert.equal(created.status, 200, created.text);
    const res = await get('get-app-1');
    const t1 = Math.ceil(Date.now() / 1000);
    assert.equal(res.status, 200, res.text);
    const a = res.body;
    assert.equal(a.id, 'get-app-1');
    assert.equal(a.displayName, body.displayName);
    assert.equal(a.description, 'the app to read back');
    assert.deepEqual(a.grantTypes, ['client_credentials']);
    assert.deepEqual(
      a.allowedScopes.organizationScopes.roles.map((r: { name: string }) => r.name).sort(),
      ['developer', 'org_member'],
    );
    assert.equal(a.accessTokenTTL, 900);
    assert.equal(a.refreshTokenTTL, 86400);
    assert.equal(a.organizationId, admin.orgId);
    assert.ok(Number.isInteger(a.createdAt), `createdAt is an integer: ${a.createdAt}`);
    assert.ok(a.createdAt >= t0 - 5 && a.createdAt <= t1 + 5, `createdAt is epoch seconds of now: ${a.createdAt}`);
    assert.equal(typeof a.createdBy, 'string');
    assert.ok(a.createdBy.length > 0);
    assert.ok(Number.isInteger(a.secretAge) && a.secretAge >= 0 && a.secretAge <= 10, `secretAge: ${a.secretAge}`);
    assert.ok(!deepHasKey(a, 'clientSecret') && !deepHasKey(a, 'secret'), 'no secret field');
    assert.ok(!res.text.includes(created.body.clientSecret), 'the secret value is nowhere in the response');
  });

  it('defaults: accessTokenTTL 600, refreshTokenTTL 7776000, secretRotationExpirationInSeconds 172800', async () => {
    const { clientId } = await createApp(server, admin.accessToken, admin.orgId);
    const a = (await get(clientId)).body;
    assert.equal(a.accessTokenTTL, 600);
    assert.equal(a.refreshTokenTTL, 7776000);
    assert.equal(a.secretRotationExpirationInSeconds, 172800);
  });

  it('a caller-supplied secret is never returned either', async () => {
    const secret = strongSecret('get');
    const { clientId } = await createApp(server, admin.accessToken, admin.orgId, { secret });
    const res = await get(clientId);
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes(secret));
  });

  it('unknown app → 404 with the CSP body', async () => {
    assertCspError(await get('no-such-app-42'), 404, {}, server);
  });

  it("another org's app → 404 under this org, 403 under that org", async () => {
    const org = await server.cli(['org', 'create', '--name', 'Elsewhere']);
    const owner = await addUser(server, org.id, 'org_owner');
    const theirs = await createApp(server, owner.accessToken, org.id);
    assertCspError(await get(theirs.clientId), 404, {}, server);
    const res = await server.req('GET', `/orgs/${org.id}/oauth-apps/${theirs.clientId}`, { token: admin.accessToken });
    assertCspError(res, 403, {}, server);
  });
});
