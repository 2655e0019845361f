// Regenerate Organization Managed OAuth App Secret (docs/design.md §5.2): PUT /orgs/{orgId}/oauth-apps/{oauthAppId}/secret with body {}.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader, base64url } from 'jose';
import { createHmac, randomUUID } from 'node:crypto';
import {
  addUser, assertCspError, bootstrapAdmin, clientCredentials, createApp, deepHasKey, serviceAccountToken,
  sleep, startServer, strongSecret, type Admin, type HttpResult, type RequestOptions, type TestServer, type UserCred,
} from './helpers/index.js';

let server: TestServer;
let admin: Admin;
let otherOrgId: string;
let otherOwner: UserCred;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
  const org = await server.cli(['org', 'create', '--name', 'Other Org']);
  otherOrgId = org.id;
  otherOwner = await addUser(server, otherOrgId, 'org_owner');
});

after(async () => {
  await server?.stop();
});

/** PUT …/secret; by default with body {} and the org owner's token. */
function regenerate(orgId: string, appId: string, opts: RequestOptions = { json: {}, token: admin.accessToken }): Promise<HttpResult> {
  return server.req('PUT', `/orgs/${orgId}/oauth-apps/${encodeURIComponent(appId)}/secret`, opts);
}

/** 200 from the token endpoint with this secret? (raw Basic, form body, /auth/authorize) */
async function assertSecretWorks(clientId: string, secret: string, what = 'secret'): Promise<void> {
  const res = await clientCredentials(server, clientId, secret, 'basic');
  assert.equal(res.status, 200, `${what} should work at /auth/authorize: ${res.status} ${res.text}`);
}

async function assertSecretRefused(clientId: string, secret: string, what = 'secret'): Promise<void> {
  for (const path of ['/auth/authorize', '/auth/token'] as const) {
    const res = await clientCredentials(server, clientId, secret, 'basic', { path });
    assert.equal(res.status, 401, `${what} should be refused at ${path}: ${res.status} ${res.text}`);
    assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
  }
}

describe('PUT /orgs/{orgId}/oauth-apps/{oauthAppId}/secret — regenerate the secret', () => {
  describe('success', () => {
    it('answers 200 with exactly {clientId, clientSecret}, clientId being the path id', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId, { id: 'regen-shape-1' });
      const res = await regenerate(admin.orgId, app.clientId);
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(Object.keys(res.body).sort(), ['clientId', 'clientSecret']);
      assert.equal(res.body.clientId, 'regen-shape-1');
      assert.equal(typeof res.body.clientSecret, 'string');
      assert.notEqual(res.body.clientSecret, app.clientSecret);
      assert.ok(res.headers.get('x-request-id'), 'X-Request-Id on success too');
    });

    it('generates a secret of URL-unreserved characters with at least 256 bits and a recognisable prefix', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const a = (await regenerate(admin.orgId, app.clientId)).body.clientSecret as string;
      const b = (await regenerate(admin.orgId, app.clientId)).body.clientSecret as string;
      for (const s of [a, b]) {
        assert.match(s, /^[A-Za-z0-9._~-]+$/, 'only URL-unreserved characters');
        assert.ok(s.length >= 43, `at least 256 bits of base64url (43 chars); got ${s.length}`);
      }
      assert.notEqual(a, b);
      let common = 0;
      while (common < a.length && a[common] === b[common]) common++;
      assert.ok(common >= 3, `generated secrets share a fixed prefix (common prefix ${common} chars)`);
    });

    it('makes the new secret work and refuses the old one with 401 invalid_client', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      await assertSecretWorks(app.clientId, app.clientSecret, 'original secret before regeneration');
      const res = await regenerate(admin.orgId, app.clientId);
      assert.equal(res.status, 200, res.text);
      await assertSecretRefused(app.clientId, app.clientSecret, 'old secret');
      await assertSecretWorks(app.clientId, res.body.clientSecret, 'new secret');
      const tok = await clientCredentials(server, app.clientId, res.body.clientSecret, 'basic', { path: '/auth/token' });
      assert.equal(tok.status, 200, 'new secret also works at /auth/token');
    });

    it('regenerating twice leaves only the last secret valid', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const first = await regenerate(admin.orgId, app.clientId);
      const second = await regenerate(admin.orgId, app.clientId);
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.notEqual(first.body.clientSecret, second.body.clientSecret);
      await assertSecretRefused(app.clientId, app.clientSecret, 'original secret');
      await assertSecretRefused(app.clientId, first.body.clientSecret, 'first regenerated secret');
      await assertSecretWorks(app.clientId, second.body.clientSecret, 'last secret');
    });

    it('replaces a caller-supplied secret too', async () => {
      const mine = strongSecret('regen');
      const app = await createApp(server, admin.accessToken, admin.orgId, { secret: mine });
      await assertSecretWorks(app.clientId, mine, 'caller-supplied secret');
      const res = await regenerate(admin.orgId, app.clientId);
      assert.equal(res.status, 200, res.text);
      await assertSecretRefused(app.clientId, mine, 'caller-supplied secret after regeneration');
      await assertSecretWorks(app.clientId, res.body.clientSecret, 'new secret');
    });

    it('ends a rotation in progress: both secrets of the rotation stop working at once', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const rotated = strongSecret('rot');
      const rot = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, {
        token: admin.accessToken, json: { newClientSecret: rotated },
      });
      assert.equal(rot.status, 200, `start rotation: ${rot.status} ${rot.text}`);
      await assertSecretWorks(app.clientId, app.clientSecret, 'previous secret during rotation');
      await assertSecretWorks(app.clientId, rotated, 'rotated-in secret');
      const res = await regenerate(admin.orgId, app.clientId);
      assert.equal(res.status, 200, res.text);
      await assertSecretRefused(app.clientId, app.clientSecret, 'previous secret of the rotation');
      await assertSecretRefused(app.clientId, rotated, 'current secret of the rotation');
      await assertSecretWorks(app.clientId, res.body.clientSecret, 'regenerated secret');
    });

    it('two concurrent regenerations leave exactly one of the two returned secrets valid', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const [a, b] = await Promise.all([regenerate(admin.orgId, app.clientId), regenerate(admin.orgId, app.clientId)]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      const results = await Promise.all([a, b].map((r) => clientCredentials(server, app.clientId, r.body.clientSecret, 'basic')));
      const ok = results.filter((r) => r.status === 200).length;
      assert.equal(ok, 1, `exactly one secret valid; statuses ${results.map((r) => r.status).join(',')}`);
      await assertSecretRefused(app.clientId, app.clientSecret, 'original secret');
    });

    it('never shows the secret again: not in GET app, not in the list; secretAge restarts', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const res = await regenerate(admin.orgId, app.clientId);
      const secret = res.body.clientSecret as string;
      const get = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken });
      assert.equal(get.status, 200, get.text);
      assert.ok(!get.text.includes(secret), 'GET app does not contain the new secret');
      assert.ok(!get.text.includes(app.clientSecret), 'GET app does not contain the old secret');
      assert.ok(!deepHasKey(get.body, 'clientSecret') && !deepHasKey(get.body, 'secret'), 'no secret field in GET app');
      assert.ok(Number.isInteger(get.body.secretAge) && get.body.secretAge >= 0 && get.body.secretAge <= 10,
        `secretAge counts from the regeneration: ${get.body.secretAge}`);
      const list = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken });
      assert.equal(list.status, 200, list.text);
      assert.ok(!list.text.includes(secret), 'list does not contain the secret');
    });
  });

  describe('request body must be exactly {}', () => {
    let app: { clientId: string; clientSecret: string };
    before(async () => { app = await createApp(server, admin.accessToken, admin.orgId); });

    const cases: Array<[string, RequestOptions, number[]]> = [
      ['missing body', {}, [400]],
      ['empty body with Content-Type: application/json', { body: '', headers: { 'content-type': 'application/json' } }, [400]],
      ['non-JSON with Content-Type: application/json', { body: 'not json', headers: { 'content-type': 'application/json' } }, [400]],
      ['text/plain body', { body: '{}', headers: { 'content-type': 'text/plain' } }, [400, 415]],
      ['{"a":1}', { json: { a: 1 } }, [400]],
      ['[]', { json: [] }, [400]],
      ['null', { body: 'null', headers: { 'content-type': 'application/json' } }, [400]],
      ['the JSON string "{}"', { json: '{}' }, [400]],
      ['{"clientSecret":"…"} (a caller cannot choose the secret here)', { json: { clientSecret: 'Abcdef1!xyz' } }, [400]],
    ];
    for (const [name, opts, statuses] of cases) {
      it(`${name} → ${statuses.join('/')} with the CSP body`, async () => {
        const res = await regenerate(admin.orgId, app.clientId, { ...opts, token: admin.accessToken });
        assertCspError(res, statuses, {}, server);
      });
    }

    it('a body with members names the rule in the message', async () => {
      const res = await regenerate(admin.orgId, app.clientId, { token: admin.accessToken, json: { a: 1 } });
      assertCspError(res, 400, { messageIncludes: ['{}'] }, server);
    });

    it('a refused body leaves the secret unchanged', async () => {
      await assertSecretWorks(app.clientId, app.clientSecret, 'secret after refused bodies');
    });
  });

  describe('401 — caller not authenticated', () => {
    let app: { clientId: string; clientSecret: string };
    let realToken: string;
    before(async () => {
      app = await createApp(server, admin.accessToken, admin.orgId);
      realToken = admin.accessToken;
    });

    it('no token', async () => {
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {} }), 401, {}, server);
    });

    it('a garbage bearer token', async () => {
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token: 'not-a-jwt' }), 401, {}, server);
    });

    it('HTTP Basic credentials instead of a bearer token', async () => {
      const res = await regenerate(admin.orgId, app.clientId, { json: {}, basic: [app.clientId, app.clientSecret] });
      assertCspError(res, 401, {}, server);
    });

    it('a token with valid claims signed by a foreign RSA key (same kid)', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const header = decodeProtectedHeader(realToken);
      const forged = await new SignJWT(decodeJwt(realToken)).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: header.typ }).sign(privateKey);
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token: forged }), 401, {}, server);
    });

    it('a token with alg "none"', async () => {
      const h = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const p = base64url.encode(JSON.stringify(decodeJwt(realToken)));
      for (const token of [`${h}.${p}.`, `${h}.${p}`]) {
        assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token }), 401, {}, server);
      }
    });

    it('a token HMAC-signed with the public key (alg confusion, HS256)', async () => {
      const pk = await server.req('GET', '/auth/token-public-key', { query: { format: 'pem' } });
      const pem = String(pk.body?.value ?? 'x');
      const header = decodeProtectedHeader(realToken);
      const h = base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: header.kid }));
      const p = base64url.encode(JSON.stringify(decodeJwt(realToken)));
      const sig = base64url.encode(createHmac('sha256', pem).update(`${h}.${p}`).digest());
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token: `${h}.${p}.${sig}` }), 401, {}, server);
    });

    it('a token whose payload was altered after signing', async () => {
      const [h, , s] = realToken.split('.');
      const claims = { ...decodeJwt(realToken), context_name: otherOrgId };
      const token = `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token }), 401, {}, server);
    });

    it('an expired token (app accessTokenTTL 1 s, used after 2.5 s)', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId, { accessTokenTTL: 1 });
      const token = await serviceAccountToken(server, sa.clientId, sa.clientSecret);
      const claims = decodeJwt(token);
      assert.ok(claims.exp! - claims.iat! <= 1, `token lives accessTokenTTL seconds: exp-iat=${claims.exp! - claims.iat!}`);
      await sleep(2500);
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token }), 401, {}, server);
    });

    it('none of the refused calls changed the secret', async () => {
      await assertSecretWorks(app.clientId, app.clientSecret, 'secret after 401s');
    });

    it('the legacy csp-auth-token header is accepted', async () => {
      const res = await regenerate(admin.orgId, app.clientId, { json: {}, headers: { 'csp-auth-token': admin.accessToken } });
      assert.equal(res.status, 200, res.text);
      await assertSecretWorks(app.clientId, res.body.clientSecret, 'secret regenerated via csp-auth-token');
    });
  });

  describe('access policy: org_owner, org_admin, developer — users and service accounts alike', () => {
    let orgAdmin: UserCred;
    let devMember: UserCred;
    let member: UserCred;
    before(async () => {
      // Independent CLI runs in parallel: each costs a Node start-up.
      [orgAdmin, devMember, member] = await Promise.all([
        addUser(server, admin.orgId, 'org_admin'),
        addUser(server, admin.orgId, 'org_member', { developer: true }),
        addUser(server, admin.orgId, 'org_member'),
      ]);
    });
    const allowed = async (token: string): Promise<void> => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const res = await regenerate(admin.orgId, app.clientId, { json: {}, token });
      assert.equal(res.status, 200, res.text);
      await assertSecretRefused(app.clientId, app.clientSecret, 'old secret');
      await assertSecretWorks(app.clientId, res.body.clientSecret, 'new secret');
    };
    const forbidden = async (token: string): Promise<void> => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      assertCspError(await regenerate(admin.orgId, app.clientId, { json: {}, token }), 403, {}, server);
      await assertSecretWorks(app.clientId, app.clientSecret, 'secret after a 403');
    };

    it('200 for an org_owner user', async () => { await allowed(admin.accessToken); });
    it('200 for an org_admin user', async () => { await allowed(orgAdmin.accessToken); });
    it('200 for an org_member user with the developer role', async () => { await allowed(devMember.accessToken); });
    it('403 for an org_member user without the developer role', async () => { await forbidden(member.accessToken); });
    it('200 for a service account whose app has the developer role', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId, { allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } });
      await allowed(await serviceAccountToken(server, sa.clientId, sa.clientSecret));
    });
    it('200 for a service account whose app has the org_admin role', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId, { allowedScopes: { organizationScopes: { roles: [{ name: 'org_admin' }] } } });
      await allowed(await serviceAccountToken(server, sa.clientId, sa.clientSecret));
    });
    it('403 for a service account whose app has only org_member', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId, { allowedScopes: { organizationScopes: { roles: [{ name: 'org_member' }] } } });
      await forbidden(await serviceAccountToken(server, sa.clientId, sa.clientSecret));
    });
    it('403 for an org_owner token of another org', async () => { await forbidden(otherOwner.accessToken); });
    it('a service account can regenerate its own secret; its old secret then stops working', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId);
      const token = await serviceAccountToken(server, sa.clientId, sa.clientSecret);
      const res = await regenerate(admin.orgId, sa.clientId, { json: {}, token });
      assert.equal(res.status, 200, res.text);
      await assertSecretRefused(sa.clientId, sa.clientSecret, 'own old secret');
      await assertSecretWorks(sa.clientId, res.body.clientSecret, 'own new secret');
    });
  });

  describe('404 — not found', () => {
    it('an unknown app id', async () => {
      const res = await regenerate(admin.orgId, 'no-such-app-' + Date.now(), { json: {}, token: admin.accessToken });
      assertCspError(res, 404, {}, server);
    });

    it("another org's app asked for under the caller's own org", async () => {
      const theirs = await createApp(server, otherOwner.accessToken, otherOrgId);
      const res = await regenerate(admin.orgId, theirs.clientId, { json: {}, token: admin.accessToken });
      assertCspError(res, 404, {}, server);
      await assertSecretWorks(theirs.clientId, theirs.clientSecret, "the other org's secret is untouched");
    });

    it('an org that does not exist (caller token is for another org) → 403 or 404', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const res = await regenerate(randomUUID(), app.clientId, { json: {}, token: admin.accessToken });
      assertCspError(res, [403, 404], {}, server);
    });
  });

  describe('409 — conflict', () => {
    it('a public client has no secret to regenerate', async () => {
      const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
        token: admin.accessToken,
        json: {
          displayName: 'spa', description: 'public', publicClient: true, grantTypes: ['authorization_code'],
          redirectUris: ['https://x.example/cb'], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } },
        },
      });
      assert.equal(res.status, 200, `create public client: ${res.text}`);
      assert.ok(!('clientSecret' in res.body) || res.body.clientSecret === undefined, 'no clientSecret for a public client');
      const put = await regenerate(admin.orgId, res.body.clientId, { json: {}, token: admin.accessToken });
      assertCspError(put, 409, {}, server);
    });
  });

  describe("the Regenerate page's note: changing the secret via the management API resets a rotation", () => {
    it('PATCH {secret} during a rotation: the provided secret becomes the only valid one', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const rotated = strongSecret('rotp');
      const post = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: { newClientSecret: rotated } });
      assert.equal(post.status, 200, post.text);
      const provided = strongSecret('patch');
      const patch = await server.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken, json: { secret: provided } });
      assert.equal(patch.status, 200, patch.text);
      assert.ok(!patch.text.includes(provided), 'PATCH response has no secret');
      await assertSecretRefused(app.clientId, app.clientSecret, 'previous secret of the rotation');
      await assertSecretRefused(app.clientId, rotated, 'current secret of the rotation');
      await assertSecretWorks(app.clientId, provided, 'PATCHed secret');
    });

    it('a second rotation while one is in progress → 409; after PUT a new rotation can start', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const rotate = (s: string) => server.req('POST', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: { newClientSecret: s } });
      assert.equal((await rotate(strongSecret('r1'))).status, 200);
      assertCspError(await rotate(strongSecret('r2')), 409, {}, server);
      assert.equal((await regenerate(admin.orgId, app.clientId)).status, 200);
      const again = await rotate(strongSecret('r3'));
      assert.equal(again.status, 200, `rotation after regeneration (state is single again): ${again.text}`);
    });
  });

  describe('additions beyond CSP around regenerate (docs/design.md §6.4), invisible unless asked for', () => {
    const secretsOf = (appId: string) => server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${appId}/secrets`, { token: admin.accessToken });

    it('GET …/secrets after a regeneration: exactly one current secret, hint = last 4 chars, no value', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const rot = strongSecret('list');
      const post = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: { newClientSecret: rot } });
      assert.equal(post.status, 200, post.text);
      const during = await secretsOf(app.clientId);
      assert.equal(during.status, 200, during.text);
      assert.deepEqual(during.body.map((x: { status: string }) => x.status).sort(), ['current', 'previous']);
      const put = await regenerate(admin.orgId, app.clientId);
      const secret = put.body.clientSecret as string;
      const res = await secretsOf(app.clientId);
      assert.equal(res.status, 200, res.text);
      assert.ok(Array.isArray(res.body));
      assert.equal(res.body.length, 1, `one valid secret after regeneration: ${res.text}`);
      const [only] = res.body;
      assert.equal(only.status, 'current');
      assert.equal(only.hint, secret.slice(-4));
      assert.equal(typeof only.secretId, 'string');
      assert.ok(Number.isInteger(only.createdAt));
      for (const v of [secret, app.clientSecret, rot]) assert.ok(!res.text.includes(v), 'no secret value listed');
    });

    it('Idempotency-Key: a retried PUT replays the first response; only one regeneration happened', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const key = `regen-${randomUUID()}`;
      const first = await regenerate(admin.orgId, app.clientId, { json: {}, token: admin.accessToken, headers: { 'idempotency-key': key } });
      const retry = await regenerate(admin.orgId, app.clientId, { json: {}, token: admin.accessToken, headers: { 'idempotency-key': key } });
      assert.equal(first.status, 200, first.text);
      assert.equal(retry.status, 200, retry.text);
      assert.deepEqual(retry.body, first.body, 'the retry answers the same secret');
      await assertSecretWorks(app.clientId, first.body.clientSecret, 'the one regenerated secret');
      assert.equal((await secretsOf(app.clientId)).body.length, 1);
      const other = await regenerate(admin.orgId, app.clientId, { json: {}, token: admin.accessToken, headers: { 'idempotency-key': `${key}-2` } });
      assert.notEqual(other.body.clientSecret, first.body.clientSecret, 'a new key regenerates again');
      await assertSecretRefused(app.clientId, first.body.clientSecret, 'secret of the replayed request after a later regeneration');
    });

    it('without revokeTokens, access tokens minted with the old secret keep working (CSP behaviour)', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId);
      const token = await serviceAccountToken(server, sa.clientId, sa.clientSecret);
      assert.equal((await regenerate(admin.orgId, sa.clientId)).status, 200);
      const get = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${sa.clientId}`, { token });
      assert.equal(get.status, 200, get.text);
    });

    it('revokeTokens=true: access tokens minted with the killed secret are refused (401) and introspect inactive', async () => {
      const sa = await createApp(server, admin.accessToken, admin.orgId);
      const introspector = await createApp(server, admin.accessToken, admin.orgId);
      const token = await serviceAccountToken(server, sa.clientId, sa.clientSecret);
      const introspect = () => server.req('POST', '/auth/introspect', { form: { token }, basic: [introspector.clientId, introspector.clientSecret] });
      const before = await introspect();
      assert.equal(before.status, 200, before.text);
      assert.equal(before.body.active, true);
      const put = await regenerate(admin.orgId, sa.clientId, { json: {}, token: admin.accessToken, query: { revokeTokens: 'true' } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(Object.keys(put.body).sort(), ['clientId', 'clientSecret']);
      assertCspError(await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${sa.clientId}`, { token }), 401, {}, server);
      const after = await introspect();
      assert.equal(after.status, 200, after.text);
      assert.equal(after.body.active, false);
      const fresh = await serviceAccountToken(server, sa.clientId, put.body.clientSecret);
      assert.equal((await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${sa.clientId}`, { token: fresh })).status, 200, 'tokens of the new secret work');
    });

    it('the audit log records the regeneration with actor, app, secret id and request id, never the secret', async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const rid = `audit-${Date.now()}`;
      const put = await regenerate(admin.orgId, app.clientId, { json: {}, token: admin.accessToken, headers: { 'x-request-id': rid } });
      assert.equal(put.status, 200, put.text);
      const res = await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: admin.accessToken });
      assert.equal(res.status, 200, res.text);
      const events = JSON.stringify(res.body);
      assert.ok(events.includes(rid), 'an event carries the request id');
      const ev = (res.body.results ?? []).find((e: { requestId?: string }) => e.requestId === rid);
      assert.ok(ev, 'the event is in results');
      assert.equal(ev.appId ?? ev.app, app.clientId);
      assert.ok(ev.secretId, 'secret id recorded');
      assert.ok(String(ev.actor ?? '').includes(admin.username) || JSON.stringify(ev).includes(admin.username), 'actor recorded');
      for (const [secret, kind] of server.secrets()) if (kind !== 'accessToken') assert.ok(!events.includes(secret), 'no secret in the audit log');
      const dev = await addUser(server, admin.orgId, 'org_member', { developer: true });
      assertCspError(await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: dev.accessToken }), 403, {}, server);
    });
  });
});
