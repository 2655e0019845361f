// The API behind the console's "your API tokens" and org switcher (CSP's loggedin-user group):
// POST/GET /loggedin/user/api-tokens, DELETE /loggedin/user/api-tokens/{tokenId}, GET /loggedin/user/orgs;
// and the filters of GET /orgs/{orgId}/audit-events. Attackers: another person, another org, a
// service account, a stranger, revoked and expired tokens, replays and a burst.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, assertCspError, bootstrapAdmin, createApp, exchangeApiToken, serviceAccountToken, sleep,
  type Admin, type HttpResult, type Json, type TestServer, type UserCred,
} from './helpers/index.js';
import { allAuditEvents, startRoomyServer } from './helpers/lifecycle.js';

let server: TestServer;
let admin: Admin;
let developer: UserCred;
let member: UserCred;

const TOKENS = '/loggedin/user/api-tokens';

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
  developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
  member = await addUser(server, admin.orgId, 'org_member');
});

after(async () => {
  await server?.stop();
});

function createToken(token: string, body: Record<string, unknown> = { tokenName: 'ci', refreshTokenTTL: 3600 }): Promise<HttpResult> {
  return server.req('POST', TOKENS, { token, json: body });
}

async function listTokens(token: string): Promise<Json[]> {
  const res = await server.req('GET', TOKENS, { token });
  assert.equal(res.status, 200, res.text);
  return res.body.results as Json[];
}

function exchange(apiToken: string): Promise<HttpResult> {
  return server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: apiToken } });
}

describe('POST /loggedin/user/api-tokens', () => {
  it('creates a token for the caller in the caller\'s org, shown once, that exchanges for the caller\'s access', async () => {
    const res = await createToken(developer.accessToken, { tokenName: 'deploy job', refreshTokenTTL: 7200 });
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.apiToken, /^oat_/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.ok(res.body.expiresAt > Date.now() / 1000 + 7000 && res.body.expiresAt <= Date.now() / 1000 + 7201);
    const access = await exchangeApiToken(server, res.body.apiToken);
    const who = await server.req('GET', '/loggedin/user/orgs', { token: access });
    assert.equal(who.status, 200, who.text);
    assert.deepEqual(who.body.items.map((o: Json) => o.id), [admin.orgId]);

    const listed = (await listTokens(developer.accessToken)).find((t) => t.tokenId === res.body.tokenId);
    assert.ok(listed, 'the new token is listed');
    assert.equal(listed.tokenName, 'deploy job');
    assert.equal(listed.status, 'active');
    assert.equal(listed.username, developer.username);
    assert.equal(listed.orgId, admin.orgId);
    assert.equal(listed.hint, res.body.apiToken.slice(-4));
    assert.ok(Math.abs(listed.lastUsedAt - Date.now() / 1000) < 60, 'the exchange is the token\'s last use');
    assert.ok(!JSON.stringify(await listTokens(developer.accessToken)).includes(res.body.apiToken), 'the list never shows a token');
  });

  it('lets every member make their own tokens, and refuses service accounts and strangers', async () => {
    assert.equal((await createToken(member.accessToken)).status, 200);
    const app = await createApp(server, admin.accessToken, admin.orgId, { allowedScopes: { organizationScopes: { roles: [{ name: 'org_owner' }] } } });
    const service = await serviceAccountToken(server, app.clientId, app.clientSecret);
    assertCspError(await createToken(service), 403, {}, server);
    assertCspError(await server.req('GET', TOKENS, { token: service }), 403, {}, server);
    assertCspError(await server.req('POST', TOKENS, { json: { tokenName: 'x' } }), 401, {}, server);
    assertCspError(await server.req('GET', TOKENS, { token: 'not-a-token' }), 401, {}, server);
  });

  it('refuses bad input with the CSP body and creates nothing', async () => {
    const before = (await listTokens(admin.accessToken)).length;
    for (const body of [
      { tokenName: 'bad<name>' },
      { tokenName: 'x'.repeat(65) },
      { refreshTokenTTL: 60 },
      { refreshTokenTTL: '3600' },
      { unknownField: true },
      [],
    ]) {
      assertCspError(await server.req('POST', TOKENS, { token: admin.accessToken, json: body }), 400, {}, server);
    }
    assertCspError(await server.req('POST', TOKENS, { token: admin.accessToken, body: 'tokenName=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), [400, 415], {}, server);
    assert.equal((await listTokens(admin.accessToken)).length, before);
  });

  it('accepts CSP\'s request fields, and an orgId only when it is the token\'s own org', async () => {
    const ok = await createToken(admin.accessToken, {
      tokenName: "Ünïcode ok-_.`':@&", refreshTokenTTL: 1800, notifyBeforeExpiry: 7, orgId: admin.orgId,
      allowedScopes: { organizationScopes: { roles: [{ name: 'org_member' }] } },
    });
    assert.equal(ok.status, 200, ok.text);
    const other = await server.cli(['org', 'create', '--name', 'elsewhere']);
    assertCspError(await createToken(admin.accessToken, { tokenName: 'x', orgId: other.id }), 403, {}, server);
  });

  it('holds the limit of 50 live tokens per person under a concurrent burst', async () => {
    const burster = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => createToken(burster.accessToken, { tokenName: `burst ${i}` })));
    const created = results.filter((r) => r.status === 200);
    // One live token already exists: the one addUser made through the CLI.
    assert.equal(created.length, 49, results.map((r) => r.status).join(','));
    for (const refused of results.filter((r) => r.status !== 200)) {
      assertCspError(refused, 400, {}, server);
      assert.equal(refused.body.errorCode, 'API_TOKEN_LIMIT_REACHED_ERROR');
    }
    assert.equal((await listTokens(burster.accessToken)).filter((t) => t.status === 'active').length, 50);
    // Revoking one frees a place.
    await server.req('DELETE', `${TOKENS}/${created[0]!.body.tokenId}`, { token: burster.accessToken });
    assert.equal((await createToken(burster.accessToken)).status, 200);
  });
});

describe('DELETE /loggedin/user/api-tokens/{tokenId}', () => {
  it('revokes the caller\'s token: the token and the access tokens exchanged from it stop at once', async () => {
    const created = await createToken(developer.accessToken);
    const access = await exchangeApiToken(server, created.body.apiToken);
    assert.equal((await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: access })).status, 200);

    const revoked = await server.req('DELETE', `${TOKENS}/${created.body.tokenId}`, { token: developer.accessToken });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.text, '');
    const refused = await exchange(created.body.apiToken);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.error, 'invalid_grant');
    assertCspError(await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: access }), 401, {}, server);
    const listed = (await listTokens(developer.accessToken)).find((t) => t.tokenId === created.body.tokenId);
    assert.equal(listed.status, 'revoked');
    assert.equal(listed.deactivated, true);
  });

  it('a replayed revoke is a no-op: 200 and one audit record', async () => {
    const created = await createToken(admin.accessToken, { tokenName: 'replayed' });
    for (let i = 0; i < 3; i++) {
      assert.equal((await server.req('DELETE', `${TOKENS}/${created.body.tokenId}`, { token: admin.accessToken })).status, 200);
    }
    const { events } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    const revokes = events.filter((e) => e.action === 'api_token.revoke' && e.details.tokenId === created.body.tokenId);
    assert.equal(revokes.length, 1);
    assert.equal(revokes[0].actor, admin.username);
    const creates = events.filter((e) => e.action === 'api_token.create' && e.details.tokenId === created.body.tokenId);
    assert.equal(creates.length, 1);
    assert.equal(creates[0].details.tokenName, 'replayed');
  });

  it('another person\'s token is "not found" and keeps working', async () => {
    const mine = await createToken(developer.accessToken);
    assertCspError(await server.req('DELETE', `${TOKENS}/${mine.body.tokenId}`, { token: member.accessToken }), 404, {}, server);
    assertCspError(await server.req('DELETE', `${TOKENS}/${mine.body.tokenId}`, { token: admin.accessToken }), 404, {}, server);
    assert.ok(!(await listTokens(member.accessToken)).some((t) => t.tokenId === mine.body.tokenId));
    assert.equal((await exchange(mine.body.apiToken)).status, 200);
  });

  it('the same person\'s token of another org is "not found" from this org, and each org lists only its own', async () => {
    const org2 = await server.cli(['org', 'create', '--name', 'second org']);
    await server.cli(['user', 'add', '--org', org2.id, '--username', developer.username, '--role', 'org_owner']);
    const inOrg2 = await server.cli(['api-token', 'create', '--org', org2.id, '--username', developer.username]);
    const access2 = await exchangeApiToken(server, inOrg2.apiToken);
    const mine = await createToken(developer.accessToken, { tokenName: 'org one' });
    assertCspError(await server.req('DELETE', `${TOKENS}/${mine.body.tokenId}`, { token: access2 }), 404, {}, server);
    assert.ok(!(await listTokens(access2)).some((t) => t.tokenId === mine.body.tokenId));
    assert.ok((await listTokens(access2)).every((t) => t.orgId === org2.id));
    assert.equal((await exchange(mine.body.apiToken)).status, 200);

    const orgs = await server.req('GET', '/loggedin/user/orgs', { token: developer.accessToken });
    assert.equal(orgs.status, 200);
    const byId = new Map(orgs.body.items.map((o: Json) => [o.id, o]));
    assert.deepEqual([...byId.keys()].sort(), [admin.orgId, org2.id].sort());
    assert.deepEqual((byId.get(org2.id) as Json).roles, ['org_owner']);
    assert.deepEqual((byId.get(admin.orgId) as Json).roles, ['org_member', 'developer']);
    assert.equal((byId.get(org2.id) as Json).displayName, 'second org');
  });

  it('an unknown or malformed id is refused with the CSP body', async () => {
    assertCspError(await server.req('DELETE', `${TOKENS}/00000000-0000-0000-0000-000000000000`, { token: admin.accessToken }), 404, {}, server);
    assertCspError(await server.req('DELETE', `${TOKENS}/${'x'.repeat(80)}`, { token: admin.accessToken }), 400, {}, server);
    assertCspError(await server.req('DELETE', `${TOKENS}/a%20b`, { token: admin.accessToken }), 400, {}, server);
  });

  it('an expired token is listed as expired and cannot be exchanged', async () => {
    const shortLived = await server.cli(['api-token', 'create', '--org', admin.orgId, '--username', member.username, '--ttl', '1']);
    await sleep(1100);
    const refused = await exchange(shortLived.apiToken);
    assert.equal(refused.status, 400);
    const listed = (await listTokens(member.accessToken)).filter((t) => t.status === 'expired');
    assert.ok(listed.length >= 1, 'the expired token is listed as expired');
  });
});

describe('the built-in console client', () => {
  it('its client id cannot be taken by an app of any org, nor reached through the management API', async () => {
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken,
      json: { id: 'orgauth-console', displayName: 'impostor', description: 'd', grantTypes: ['client_credentials'], allowedScopes: {} },
    });
    assertCspError(res, 409, { messageIncludes: ['reserved'] }, server);
    assert.equal(res.body.errorCode, 'OAUTH_ORG_CLIENT_ALREADY_EXISTS_ERROR');
    assertCspError(await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/orgauth-console`, { token: admin.accessToken }), 404, {}, server);
    assertCspError(await server.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/orgauth-console`, { token: admin.accessToken, json: { grantTypes: ['client_credentials'] } }), 404, {}, server);
    assertCspError(await server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/orgauth-console/secret`, { token: admin.accessToken, json: {} }), 404, {}, server);
    const deleted = await server.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: ['orgauth-console'] } });
    assert.deepEqual(deleted.body.succeeded, []);
  });
});

describe('GET /orgs/{orgId}/audit-events filters', () => {
  it('narrows by action, actor, app and time, keeps the filters in the paging links, and refuses bad times', async () => {
    const app = await createApp(server, developer.accessToken, admin.orgId, { displayName: 'filtered' });
    await server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
    const get = (query: Record<string, string>) => server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: admin.accessToken, query });

    const byApp = await get({ appId: app.clientId });
    assert.deepEqual(byApp.body.results.map((e: Json) => e.action), ['secret.regenerate', 'app.create']);
    const byAction = await get({ appId: app.clientId, action: 'app.create' });
    assert.deepEqual(byAction.body.results.map((e: Json) => e.actor), [developer.username]);
    assert.equal(byAction.body.totalResults, 1);
    const byActor = await get({ actor: developer.username, action: 'secret.regenerate' });
    assert.ok(byActor.body.results.every((e: Json) => e.actor === developer.username && e.action === 'secret.regenerate'));
    assert.ok(!byActor.body.results.some((e: Json) => e.appId === app.clientId), 'the admin\'s regenerate is not the developer\'s');

    const at = byApp.body.results[0].at as number;
    assert.equal((await get({ appId: app.clientId, from: String(at), to: String(at + 5) })).body.results[0].action, 'secret.regenerate');
    assert.equal((await get({ appId: app.clientId, to: String(at - 3600) })).body.totalResults, 0);
    assert.equal((await get({ appId: app.clientId, from: '', to: '', action: '', actor: '' })).body.totalResults, 2, 'empty filters mean absent');

    const paged = await get({ appId: app.clientId, pageLimit: '1' });
    assert.match(paged.body.nextLink, new RegExp(`appId=${app.clientId}`));

    assertCspError(await get({ from: 'yesterday' }), 400, {}, server);
    assertCspError(await get({ from: '200', to: '100' }), 400, {}, server);
    assertCspError(await get({ action: 'DROP TABLE' }), 400, {}, server);
    assertCspError(await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: developer.accessToken, query: { action: 'app.create' } }), 403, {}, server);
  });
});
