// Errors anywhere under the base path (docs/design.md §1, §4): CSP body, request ids, limits, media types, no stack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  appBody, assertCspError, bootstrapAdmin, createApp, startServer, type Admin, type TestServer,
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

describe('errors under the base path', () => {
  it('an unknown route → 404 with the CSP body (GET and POST, authenticated or not)', async () => {
    assertCspError(await server.req('GET', '/no/such/route'), 404, {}, server);
    assertCspError(await server.req('POST', '/no/such/route', { json: {}, token: admin.accessToken }), 404, {}, server);
    assertCspError(await server.req('GET', '/orgs'), [401, 404], {}, server);
  });

  it('a wrong method on a known path → 405 with Allow and the CSP body', async () => {
    const res = await server.req('DELETE', '/auth/keys');
    assertCspError(res, 405, {}, server);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });

  it('a body over 64 KiB → 413 with the CSP body; exactly-at-limit bodies are not refused as too large', async () => {
    const big = appBody({ description: 'x'.repeat(70 * 1024) });
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: big });
    assertCspError(res, 413, {}, server);
    const form = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: 'y'.repeat(70 * 1024) } });
    assertCspError(form, 413, {}, server);
    const small = appBody({ description: 'x'.repeat(60 * 1024) });
    const ok = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: small });
    assert.notEqual(ok.status, 413, 'a 60 KiB body is under the limit');
  });

  it('malformed JSON → 400 with the CSP body', async () => {
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken, body: '{"displayName": ', headers: { 'content-type': 'application/json' },
    });
    assertCspError(res, 400, {}, server);
  });

  it('a text/plain body on a JSON route → 415 with the CSP body', async () => {
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken, body: JSON.stringify(appBody()), headers: { 'content-type': 'text/plain' },
    });
    assertCspError(res, 415, {}, server);
  });

  it('a schema violation → 400 with the CSP body (wrong type)', async () => {
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken, json: appBody({ accessTokenTTL: 'ten minutes' }),
    });
    assertCspError(res, 400, { messageIncludes: ['accessTokenTTL'] }, server);
  });

  it('every response carries X-Request-Id, and each request gets its own', async () => {
    const a = await server.req('GET', '/auth/keys');
    const b = await server.req('GET', '/auth/keys');
    const c = await server.req('GET', '/.well-known/openid-configuration', { root: true });
    for (const r of [a, b, c]) assert.ok(r.headers.get('x-request-id'), 'X-Request-Id present');
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  });

  it('a sane caller X-Request-Id is echoed in the header and in the error body', async () => {
    const rid = 'test-req-0123456789abcdef';
    const res = await server.req('GET', '/no/such/route', { headers: { 'x-request-id': rid } });
    assert.equal(res.headers.get('x-request-id'), rid);
    assertCspError(res, 404, { requestId: rid }, server);
    const ok = await server.req('GET', '/auth/keys', { headers: { 'x-request-id': rid } });
    assert.equal(ok.headers.get('x-request-id'), rid, 'echoed on success too');
  });

  it('an insane caller X-Request-Id is replaced by a generated one', async () => {
    for (const rid of ['x'.repeat(2000), 'has spaces <and> "quotes"']) {
      const res = await server.req('GET', '/no/such/route', { headers: { 'x-request-id': rid } });
      const got = res.headers.get('x-request-id');
      assert.ok(got && got !== rid, `not echoed: ${String(got).slice(0, 40)}`);
      assertCspError(res, 404, {}, server);
    }
  });

  it('the 401 for a bad token says nothing about the token and carries no stack', async () => {
    const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA' });
    assertCspError(res, 401, {}, server);
    assert.ok(!res.text.includes('eyJhbGciOiJSUzI1NiJ9'), 'the token is not echoed');
  });

  it('no error body anywhere has a stack: a sweep of bad requests', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const sweep = [
      await server.req('GET', `/orgs/not-a-guid/oauth-apps`, { token: admin.accessToken }),
      await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, query: { pageLimit: '100000' } }),
      await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, query: { pageStart: '0' } }),
      await server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, body: '\u0000\u0001', headers: { 'content-type': 'application/json' } }),
      await server.req('POST', '/auth/authorize', { body: '%%%', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      await server.req('POST', '/auth/token', { body: '{"grant_type":', headers: { 'content-type': 'application/json' } }),
      await server.req('POST', '/auth/api-tokens/authorize', { body: '{', headers: { 'content-type': 'application/json' } }),
      await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { ...appBody(), allowedScopes: 'all' } }),
    ];
    for (const res of sweep) {
      assert.ok(res.status >= 400 && res.status < 500, `4xx expected, got ${res.status}: ${res.text}`);
      assertCspError(res, res.status, {}, server);
    }
  });

  it('the OpenAPI document is served and lists the Regenerate operation', async () => {
    const res = await server.req('GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.ok(res.body.openapi || res.body.swagger, 'an OpenAPI document');
    const paths = Object.keys(res.body.paths ?? {});
    assert.ok(paths.some((p) => /\/orgs\/\{orgId\}\/oauth-apps\/\{oauthAppId\}\/secret$/.test(p)), `paths: ${paths.join(', ')}`);
    const op = Object.entries(res.body.paths).find(([p]) => p.endsWith('/oauth-apps/{oauthAppId}/secret'))?.[1] as Record<string, unknown>;
    assert.ok(op && 'put' in op, 'PUT …/secret documented');
  });
});
