// HTTP as generic clients expect it: a wrong method on a known path is 405 with `Allow` (RFC 9110
// §15.5.6), and management 401s/403s carry an RFC 6750 `WWW-Authenticate: Bearer` challenge.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser, assertCspError, bootstrapAdmin, createApp, startServer, type Admin, type TestServer } from './helpers/index.js';

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
});
after(async () => {
  await server?.stop();
});

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

describe('a wrong method on a known path', () => {
  it('every path of the OpenAPI document answers the methods it does not declare with 405, Allow and the CSP body', async () => {
    const doc = (await server.req('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.entries(doc.paths);
    assert.ok(paths.length >= 10, 'the document lists the API');
    // A concrete path can match several templates (`…/oauth-apps/search` is also `…/oauth-apps/{oauthAppId}`).
    const templates = paths.map(([template, operations]) => ({
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      methods: Object.keys(operations).map((m) => m.toUpperCase()),
    }));
    for (const [template] of paths) {
      const path = template.replace(/\{orgId\}/g, admin.orgId).replace(/\{[^}]+\}/g, 'some-app-id');
      const declared = templates.filter((t) => t.pattern.test(path)).flatMap((t) => t.methods);
      for (const method of METHODS.filter((m) => !declared.includes(m))) {
        const res = await server.req(method, path, { root: true, token: admin.accessToken });
        assertCspError(res, 405, { messageIncludes: [method] }, server);
        assert.equal(res.body.errorCode, 'METHOD_NOT_ALLOWED_ERROR');
        const allow = (res.headers.get('allow') ?? '').split(/,\s*/);
        for (const m of declared) assert.ok(allow.includes(m), `${method} ${template}: Allow ${allow.join(', ')} names ${m}`);
        assert.ok(!allow.includes(method), `${method} ${template}: Allow does not name the refused method`);
      }
    }
  });

  it('the regenerate path, asked with GET, allows exactly PUT, POST and DELETE (and changes nothing)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken });
    assertCspError(res, 405, {}, server);
    assert.equal(res.headers.get('allow'), 'DELETE, POST, PUT');
  });

  it('an unknown path is still 404, whatever the method', async () => {
    for (const method of METHODS) {
      assertCspError(await server.req(method, '/no-such-thing', { token: admin.accessToken }), 404, {}, server);
    }
    assertCspError(await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/a/b/c/d`, { token: admin.accessToken }), 404, {}, server);
  });
});

describe('WWW-Authenticate on the management API (RFC 6750)', () => {
  const listPath = (): string => `/orgs/${admin.orgId}/oauth-apps`;

  it('no token → 401 with the bare Bearer challenge (no error code: the request had no credentials)', async () => {
    const res = await server.req('GET', listPath());
    assertCspError(res, 401, {}, server);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="orgauth"');
  });

  for (const [what, token] of [['a malformed token', 'not-a-jwt'], ['a token signed by someone else', 'eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vIn0.eyJzdWIiOiJ4In0.c2ln']] as const) {
    it(`${what} → 401 with error="invalid_token"`, async () => {
      const res = await server.req('GET', listPath(), { token });
      assertCspError(res, 401, {}, server);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="orgauth", error="invalid_token", error_description="[^"\\]+"$/);
    });
  }

  it('the legacy csp-auth-token header gets the same challenge', async () => {
    const res = await server.req('GET', listPath(), { headers: { 'csp-auth-token': 'garbage' } });
    assertCspError(res, 401, {}, server);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('a revoked API token\'s access token → 401 invalid_token', async () => {
    const user = await addUser(server, admin.orgId, 'org_admin');
    assert.equal((await server.req('GET', listPath(), { token: user.accessToken })).status, 200);
    await server.cli(['api-token', 'revoke', '--token', user.apiToken]);
    const res = await server.req('GET', listPath(), { token: user.accessToken });
    assertCspError(res, 401, {}, server);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('a valid token without an app-manager role → 403 with error="insufficient_scope"', async () => {
    const member = await addUser(server, admin.orgId, 'org_member');
    const res = await server.req('GET', listPath(), { token: member.accessToken });
    assertCspError(res, 403, {}, server);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="orgauth", error="insufficient_scope"/);
  });

  it('the token endpoint keeps its Basic challenge for invalid_client', async () => {
    const res = await server.req('POST', '/auth/token', { basic: ['no-such-client', 'Wrong-Secret-1!'], form: { grant_type: 'client_credentials' } });
    assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
  });
});
