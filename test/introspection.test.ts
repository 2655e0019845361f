// Token introspection (RFC 7662) and revocation (RFC 7009), docs/design.md §3.4: plain requests, then the
// real client libraries oauth4webapi and openid-client v6.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import {
  addUser, assertCspError, bootstrapAdmin, createApp, discovery, exchangeApiToken, serviceAccountToken, sleep, strongSecret,
  type Admin, type CreatedApp, type HttpResult, type TestServer, type UserCred,
} from './helpers/index.js';
import { introspect, startRoomyServer } from './helpers/lifecycle.js';

let server: TestServer;
let admin: Admin;
/**
 * Org A's security tooling, holding org_admin so it may revoke any token of the org: one with a
 * generated secret, one with a secret that needs percent-encoding.
 */
let introspector: CreatedApp;
let specialIntrospector: { clientId: string; clientSecret: string };
/** An ordinary app of org A (developer): it may revoke only the tokens issued to it. */
let developerApp: CreatedApp;
/** A service account of org A whose tokens are introspected. */
let service: CreatedApp;
/** Org B: its owner and its own introspecting client. */
let orgB: string;
let ownerB: UserCred;
let introspectorB: CreatedApp;

const ADMIN_SCOPES = { organizationScopes: { roles: [{ name: 'org_admin' }] } };

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
  introspector = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'introspector', allowedScopes: ADMIN_SCOPES });
  const secret = strongSecret('intro');
  specialIntrospector = { clientId: (await createApp(server, admin.accessToken, admin.orgId, { secret, allowedScopes: ADMIN_SCOPES })).clientId, clientSecret: secret };
  developerApp = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'developer app' });
  service = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'service' });
  orgB = (await server.cli(['org', 'create', '--name', 'Org B'])).id;
  ownerB = await addUser(server, orgB, 'org_owner');
  introspectorB = await createApp(server, ownerB.accessToken, orgB, { displayName: 'introspector B' });
});

after(async () => {
  await server?.stop();
});

const listApps = (token: string, orgId = admin.orgId): Promise<HttpResult> =>
  server.req('GET', `/orgs/${orgId}/oauth-apps`, { token, query: { pageLimit: '1' } });

function revoke(token: string, by: { clientId: string; clientSecret: string } = introspector): Promise<HttpResult> {
  return server.req('POST', '/auth/revoke', { basic: [by.clientId, by.clientSecret], form: { token } });
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('POST /auth/introspect (RFC 7662), plain requests', () => {
  it('an access token of a service account: active, client_id, username, exp, orgId; no-store', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const res = await server.req('POST', '/auth/introspect', { basic: [introspector.clientId, introspector.clientSecret], form: { token } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    const info = res.body;
    assert.equal(info.active, true);
    assert.equal(info.client_id, service.clientId);
    assert.equal(info.username, service.clientId);
    assert.equal(info.orgId, admin.orgId);
    assert.ok(Number.isInteger(info.exp) && info.exp > nowSeconds() && info.exp <= nowSeconds() + 601, `exp: ${info.exp}`);
    assert.equal(typeof info.scope, 'string');
    assert.ok(info.scope.split(' ').includes('csp:developer'), `scope: ${info.scope}`);
  });

  it('an access token of a user: active, username, orgId', async () => {
    const info = await introspect(server, introspector, admin.accessToken);
    assert.equal(info.active, true);
    assert.equal(info.username, admin.username);
    assert.equal(info.orgId, admin.orgId);
    assert.ok(info.exp > nowSeconds());
  });

  it('an API token: active, token_type api_token, username, orgId', async () => {
    const info = await introspect(server, introspector, admin.apiToken);
    assert.equal(info.active, true);
    assert.equal(info.token_type, 'api_token');
    assert.equal(info.username, admin.username);
    assert.equal(info.orgId, admin.orgId);
    assert.ok(Number.isInteger(info.exp) && info.exp > nowSeconds(), `exp: ${info.exp}`);
  });

  it('garbage → 200 {active:false} and nothing else', async () => {
    for (const junk of ['garbage', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', `oat_${'A'.repeat(49)}`]) {
      assert.deepEqual(await introspect(server, introspector, junk), { active: false }, junk.slice(0, 12));
    }
  });

  it('an expired access token → active:false', async () => {
    // Two seconds: `exp` is whole seconds, so a token of one second issued late in a second can be
    // expired by the next request.
    const shortLived = await createApp(server, admin.accessToken, admin.orgId, { accessTokenTTL: 2 });
    const token = await serviceAccountToken(server, shortLived.clientId, shortLived.clientSecret);
    assert.equal((await introspect(server, introspector, token)).active, true, 'active while fresh');
    await sleep(3100);
    assert.deepEqual(await introspect(server, introspector, token), { active: false });
  });

  it('another organization\'s tokens → active:false (while that org\'s own client sees them active)', async () => {
    const b = await createApp(server, ownerB.accessToken, orgB);
    const saB = await serviceAccountToken(server, b.clientId, b.clientSecret);
    for (const [what, token] of [['service-account token', saB], ['user access token', ownerB.accessToken], ['API token', ownerB.apiToken]] as const) {
      assert.deepEqual(await introspect(server, introspector, token), { active: false }, `org B's ${what} seen by org A`);
      assert.equal((await introspect(server, introspectorB, token)).active, true, `org B's ${what} seen by org B`);
    }
    assert.deepEqual(await introspect(server, introspectorB, admin.accessToken), { active: false }, 'org A\'s token seen by org B');
  });

  it('client_secret_post authenticates too', async () => {
    const res = await server.req('POST', '/auth/introspect', {
      form: { token: admin.accessToken, client_id: introspector.clientId, client_secret: introspector.clientSecret },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.active, true);
  });

  it('without client authentication → 401 invalid_client (WWW-Authenticate: Basic)', async () => {
    const res = await server.req('POST', '/auth/introspect', { form: { token: admin.accessToken } });
    assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
    assert.ok(!res.text.includes('"active"'), 'no introspection result without authentication');
  });

  it('a wrong secret, or a public client (no secret) → 401 invalid_client', async () => {
    const wrong = await server.req('POST', '/auth/introspect', { basic: [introspector.clientId, 'Wrong-Secret-1!'], form: { token: admin.accessToken } });
    assertCspError(wrong, 401, { oauthError: 'invalid_client' }, server);
    const pub = await createApp(server, admin.accessToken, admin.orgId, {
      publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://spa.example.com/cb'],
    });
    const res = await server.req('POST', '/auth/introspect', { form: { token: admin.accessToken, client_id: pub.clientId } });
    assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
  });

  it('a missing token parameter → 400 invalid_request', async () => {
    const res = await server.req('POST', '/auth/introspect', { basic: [introspector.clientId, introspector.clientSecret], form: {} });
    assertCspError(res, 400, { oauthError: 'invalid_request' }, server);
  });
});

describe('POST /auth/revoke (RFC 7009), plain requests', () => {
  it('an access token → 200; then it introspects active:false and the management API refuses it (401)', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    assert.equal((await listApps(token)).status, 200, 'works before');
    const res = await revoke(token);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '', 'empty body');
    assert.deepEqual(await introspect(server, introspector, token), { active: false });
    assertCspError(await listApps(token), 401, {}, server);
    // Other tokens of the same client are untouched.
    const other = await serviceAccountToken(server, service.clientId, service.clientSecret);
    assert.equal((await listApps(other)).status, 200, 'a newer token of the same client still works');
  });

  it('a user\'s access token → refused afterwards, while the user\'s API token still works', async () => {
    const user = await addUser(server, admin.orgId, 'org_admin');
    assert.equal((await listApps(user.accessToken)).status, 200);
    assert.equal((await revoke(user.accessToken)).status, 200);
    assertCspError(await listApps(user.accessToken), 401, {}, server);
    const fresh = await exchangeApiToken(server, user.apiToken);
    assert.equal((await listApps(fresh)).status, 200, 'a new exchange still works');
  });

  it('an API token → its exchange fails (400 invalid_grant) and access tokens already exchanged from it are refused (401)', async () => {
    const user = await addUser(server, admin.orgId, 'org_admin');
    const second = await exchangeApiToken(server, user.apiToken);
    assert.equal((await listApps(user.accessToken)).status, 200);
    const res = await revoke(user.apiToken);
    assert.equal(res.status, 200, res.text);
    const exchange = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: user.apiToken } });
    assertCspError(exchange, 400, { oauthError: 'invalid_grant' }, server);
    for (const token of [user.accessToken, second]) {
      assertCspError(await listApps(token), 401, {}, server);
      assert.deepEqual(await introspect(server, introspector, token), { active: false });
    }
    assert.deepEqual(await introspect(server, introspector, user.apiToken), { active: false });
  });

  it('an unknown token → 200 (no-op)', async () => {
    const res = await revoke('not-a-token-at-all');
    assert.equal(res.status, 200, res.text);
  });

  it('another organization\'s tokens → 200 but nothing is revoked', async () => {
    const user = await addUser(server, orgB, 'org_owner');
    const b = await createApp(server, ownerB.accessToken, orgB);
    const saB = await serviceAccountToken(server, b.clientId, b.clientSecret);
    for (const token of [saB, user.accessToken, user.apiToken]) assert.equal((await revoke(token)).status, 200);
    assert.equal((await listApps(saB, orgB)).status, 200, 'org B\'s service-account token still works');
    assert.equal((await listApps(user.accessToken, orgB)).status, 200, 'org B\'s user token still works');
    await exchangeApiToken(server, user.apiToken);
    assert.equal((await introspect(server, introspectorB, saB)).active, true);
  });

  it('an app without org_owner or org_admin revokes its own token, but another app\'s, a user\'s or an API token → 400 unauthorized_client and nothing is revoked', async () => {
    const own = await serviceAccountToken(server, developerApp.clientId, developerApp.clientSecret);
    const res = await revoke(own, developerApp);
    assert.equal(res.status, 200, res.text);
    assertCspError(await listApps(own), 401, {}, server);

    const user = await addUser(server, admin.orgId, 'org_owner');
    const others = {
      'another app\'s access token': await serviceAccountToken(server, service.clientId, service.clientSecret),
      'a user\'s access token': user.accessToken,
      'a user\'s API token': user.apiToken,
    };
    for (const [what, token] of Object.entries(others)) {
      const refused = await revoke(token, developerApp);
      assertCspError(refused, 400, { oauthError: 'unauthorized_client' }, server);
      assert.match(refused.body.message, /org_owner or org_admin/, what);
      assert.equal((await introspect(server, introspector, token)).active, true, `${what} is still active`);
    }
    assert.equal((await listApps(others['another app\'s access token'])).status, 200);
    assert.equal((await listApps(user.accessToken)).status, 200);
    await exchangeApiToken(server, user.apiToken);
  });

  it('every revocation is in the audit log: the revoking client, the kind of token, its id and subject, never the token', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const user = await addUser(server, admin.orgId, 'org_member', { developer: true });
    assert.equal((await revoke(token)).status, 200);
    assert.equal((await revoke(user.apiToken)).status, 200);
    assert.equal((await revoke('not-a-token-at-all')).status, 200);
    // Revoking again is a 200 no-op, not a second record.
    assert.equal((await revoke(token)).status, 200);
    assert.equal((await revoke(user.apiToken)).status, 200);
    const res = await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: admin.accessToken, query: { pageLimit: '5' } });
    assert.equal(res.status, 200, res.text);
    const revocations = (res.body.results as Array<Record<string, any>>).filter((e) => e.action === 'token.revoke').slice(0, 3);
    assert.equal(new Set(revocations.map((e) => e.details.tokenId)).size, revocations.length, 'no token revoked twice in the log');
    assert.ok(revocations.length >= 2, 'two revocations; the unknown token is not one');
    revocations.length = 2;
    const [apiTokenEvent, accessTokenEvent] = revocations;
    assert.equal(apiTokenEvent!.actor, introspector.clientId);
    assert.equal(apiTokenEvent!.details.tokenType, 'api_token');
    assert.equal(apiTokenEvent!.details.subject, user.username);
    assert.equal(accessTokenEvent!.actor, introspector.clientId);
    assert.equal(accessTokenEvent!.appId, service.clientId);
    assert.equal(accessTokenEvent!.details.tokenType, 'access_token');
    assert.equal(accessTokenEvent!.details.tokenId, JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti);
    assert.ok(typeof accessTokenEvent!.requestId === 'string' && typeof accessTokenEvent!.sourceAddress === 'string');
    for (const secretText of [token, user.apiToken, introspector.clientSecret]) assert.ok(!res.text.includes(secretText), 'no token or secret in the audit log');
  });

  it('without client authentication → 401 invalid_client, and the token is not revoked', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const res = await server.req('POST', '/auth/revoke', { form: { token } });
    assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
    assert.equal((await listApps(token)).status, 200);
  });
});

describe('oauth4webapi: introspectionRequest / revocationRequest', () => {
  let as: oauth.AuthorizationServer;
  const opts = { [oauth.allowInsecureRequests]: true } as const;

  before(async () => {
    const issuer = new URL((await discovery(server)).issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...opts }));
    assert.ok(as.introspection_endpoint && as.revocation_endpoint, 'discovery names both endpoints');
  });

  async function libIntrospect(token: string, who = specialIntrospector): Promise<oauth.IntrospectionResponse> {
    const c: oauth.Client = { client_id: who.clientId };
    const res = await oauth.introspectionRequest(as, c, oauth.ClientSecretBasic(who.clientSecret), token, opts);
    return oauth.processIntrospectionResponse(as, c, res);
  }

  it('introspects an access token and an API token (percent-encoded Basic)', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const info = await libIntrospect(token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, service.clientId);
    assert.equal(info.username, service.clientId);
    assert.equal(info.orgId, admin.orgId);
    const api = await libIntrospect(admin.apiToken);
    assert.equal(api.active, true);
    assert.equal(api.token_type, 'api_token');
    assert.equal((await libIntrospect('garbage')).active, false);
  });

  it('revokes an access token: processRevocationResponse succeeds, then active:false and 401 on the management API', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const c: oauth.Client = { client_id: specialIntrospector.clientId };
    const res = await oauth.revocationRequest(as, c, oauth.ClientSecretBasic(specialIntrospector.clientSecret), token, opts);
    assert.equal(await oauth.processRevocationResponse(res), undefined);
    assert.equal((await libIntrospect(token)).active, false);
    assertCspError(await listApps(token), 401, {}, server);
  });

  it('revokes an API token: the exchange then fails with invalid_grant', async () => {
    const user = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const c: oauth.Client = { client_id: specialIntrospector.clientId };
    const res = await oauth.revocationRequest(as, c, oauth.ClientSecretPost(specialIntrospector.clientSecret), user.apiToken, opts);
    await oauth.processRevocationResponse(res);
    assert.equal((await libIntrospect(user.apiToken)).active, false);
    const exchange = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: user.apiToken } });
    assertCspError(exchange, 400, { oauthError: 'invalid_grant' }, server);
    assertCspError(await listApps(user.accessToken), 401, {}, server);
  });

  it('a client revoking another client\'s token without a management role gets an error the library understands (unauthorized_client)', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const c: oauth.Client = { client_id: developerApp.clientId };
    const res = await oauth.revocationRequest(as, c, oauth.ClientSecretBasic(developerApp.clientSecret), token, opts);
    await assert.rejects(oauth.processRevocationResponse(res), (err: unknown) => {
      assert.ok(err instanceof oauth.ResponseBodyError, `unexpected error ${String(err)}`);
      assert.equal(err.status, 400);
      assert.equal(err.error, 'unauthorized_client');
      return true;
    });
    assert.equal((await libIntrospect(token)).active, true);
  });

  it('a wrong client secret surfaces as an error the library understands (401 invalid_client)', async () => {
    const c: oauth.Client = { client_id: introspector.clientId };
    const res = await oauth.introspectionRequest(as, c, oauth.ClientSecretBasic('Wrong-Secret-1!'), admin.accessToken, opts);
    await assert.rejects(oauth.processIntrospectionResponse(as, c, res), (err: unknown) => {
      if (err instanceof oauth.WWWAuthenticateChallengeError) {
        assert.equal(err.status, 401);
        return true;
      }
      assert.ok(err instanceof oauth.ResponseBodyError, `unexpected error ${String(err)}`);
      assert.equal(err.error, 'invalid_client');
      return true;
    });
  });
});

describe('openid-client v6: tokenIntrospection / tokenRevocation (default client_secret_post)', () => {
  let config: client.Configuration;
  /** What the library sent, to prove it used client_secret_post. */
  const sent: Array<{ url: string; authorization: string | null; body: URLSearchParams }> = [];

  before(async () => {
    const issuer = new URL((await discovery(server)).issuer);
    config = await client.discovery(issuer, introspector.clientId, introspector.clientSecret, undefined,
      { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
    config[client.customFetch] = async (url, options) => {
      const headers = new Headers(options.headers);
      sent.push({ url: String(url), authorization: headers.get('authorization'), body: new URLSearchParams(String(options.body ?? '')) });
      return fetch(url, options as RequestInit);
    };
  });

  it('introspects an access token, sending client_id and client_secret in the body and no Basic header', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    const info = await client.tokenIntrospection(config, token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, service.clientId);
    assert.equal(info.username, service.clientId);
    assert.equal(typeof info.exp, 'number');
    const last = sent.at(-1)!;
    assert.match(last.url, /\/auth\/introspect$/);
    assert.equal(last.authorization, null, 'client_secret_post: no Authorization header');
    assert.equal(last.body.get('client_id'), introspector.clientId);
    assert.ok(last.body.has('client_secret'), 'client_secret in the form body');
  });

  it('introspects an API token and garbage', async () => {
    const api = await client.tokenIntrospection(config, admin.apiToken);
    assert.equal(api.active, true);
    assert.equal(api.token_type, 'api_token');
    assert.equal((await client.tokenIntrospection(config, 'garbage')).active, false);
  });

  it('revokes an access token: then active:false and 401 on the management API', async () => {
    const token = await serviceAccountToken(server, service.clientId, service.clientSecret);
    assert.equal((await listApps(token)).status, 200);
    await client.tokenRevocation(config, token);
    assert.match(sent.at(-1)!.url, /\/auth\/revoke$/);
    assert.equal((await client.tokenIntrospection(config, token)).active, false);
    assertCspError(await listApps(token), 401, {}, server);
  });

  it('revokes an API token: exchange → 400 invalid_grant, its access tokens → 401', async () => {
    const user = await addUser(server, admin.orgId, 'org_admin');
    await client.tokenRevocation(config, user.apiToken);
    assert.equal((await client.tokenIntrospection(config, user.apiToken)).active, false);
    const exchange = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: user.apiToken } });
    assertCspError(exchange, 400, { oauthError: 'invalid_grant' }, server);
    assertCspError(await listApps(user.accessToken), 401, {}, server);
    assert.equal((await client.tokenIntrospection(config, user.accessToken)).active, false);
  });
});
