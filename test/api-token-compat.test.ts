// What real CSP clients expect of the API-token endpoints: the exchange returns a refresh_token
// (tanzu-cli stores it for its next exchange) and, when openid is asked, an id_token; an invalid
// token's message starts with CSP's "invalid_grant: Invalid refresh token"; POST
// /auth/api-tokens/details describes a token without ever returning it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { assertCspError, assertTokenResponse, bootstrapAdmin, discovery, startServer, type Admin, type TestServer } from './helpers/index.js';

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await server?.stop();
});

describe('POST /auth/api-tokens/authorize', () => {
  it('returns a refresh_token that works for the next exchange, as tanzu-cli uses it; no id_token unless openid is asked', async () => {
    const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: admin.apiToken } });
    assertTokenResponse(res);
    assert.equal(typeof res.body.refresh_token, 'string');
    assert.equal('id_token' in res.body, false);
    const next = await server.req('POST', '/auth/api-tokens/authorize', { query: { refresh_token: res.body.refresh_token } });
    assertTokenResponse(next);
  });

  it('with scope=openid also returns an RS256 id_token for the token\'s user', async () => {
    const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: admin.apiToken, scope: 'openid' } });
    assertTokenResponse(res);
    const { issuer } = await discovery(server);
    const { payload } = await jwtVerify(res.body.id_token, createRemoteJWKSet(new URL(server.api('/auth/keys'))), { issuer, algorithms: ['RS256'] });
    assert.equal(payload.sub, admin.username);
    assert.equal(payload.context_name, admin.orgId);
    assert.equal(typeof payload.aud, 'string');
  });

  it('an invalid API token is 400 invalid_grant with CSP\'s message, which never echoes the token', async () => {
    const bogus = `oat_${'x'.repeat(49)}`;
    const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: bogus } });
    assertCspError(res, 400);
    assert.equal(res.body.error, 'invalid_grant');
    assert.ok(res.body.message.startsWith('invalid_grant: Invalid refresh token'), res.body.message);
    assert.equal(res.text.includes(bogus), false);
  });
});

describe('POST /auth/api-tokens/details', () => {
  it('describes a live token: user, org, times; never the token', async () => {
    const res = await server.req('POST', '/auth/api-tokens/details', { json: { tokenValue: admin.apiToken } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.username, admin.username);
    assert.equal(res.body.userId, admin.username);
    assert.equal(res.body.orgId, admin.orgId);
    assert.equal(typeof res.body.tokenId, 'string');
    assert.ok(res.body.expiresAt > res.body.createdAt);
    assert.ok(res.body.scope.includes('csp:org_owner'));
    assert.equal(res.text.includes(admin.apiToken), false);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('an unknown or revoked token, or a bad body, is a 400 CSP error', async () => {
    assertCspError(await server.req('POST', '/auth/api-tokens/details', { json: { tokenValue: 'nope' } }), 400);
    assertCspError(await server.req('POST', '/auth/api-tokens/details', { json: {} }), 400);
    assertCspError(await server.req('POST', '/auth/api-tokens/details', { json: { tokenValue: 7 } }), 400);
    const made = await server.cli(['api-token', 'create', '--org', admin.orgId, '--username', admin.username]);
    await server.cli(['api-token', 'revoke', '--token', made.apiToken]);
    assertCspError(await server.req('POST', '/auth/api-tokens/details', { json: { tokenValue: made.apiToken } }), 400);
  });
});
