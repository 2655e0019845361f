// Signing keys and discovery (docs/design.md §3.4, §8): JWKS, token-public-key, rotation, RFC 8414 / OIDC metadata.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  assertCspError, bootstrapAdmin, clientCredentials, createApp, discovery, startServer, verifyAccessToken,
  BASE_PATH, type Admin, type CreatedApp, type TestServer,
} from './helpers/index.js';

let server: TestServer;
let admin: Admin;
let app: CreatedApp;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
  app = await createApp(server, admin.accessToken, admin.orgId);
});

after(async () => {
  await server?.stop();
});

async function saToken(): Promise<string> {
  const res = await clientCredentials(server, app.clientId, app.clientSecret, 'basic');
  assert.equal(res.status, 200, res.text);
  return res.body.access_token;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('GET /auth/keys — JWKS', () => {
  it('returns {keys:[…]} of public RSA keys with kid, and no private members', async () => {
    const res = await server.req('GET', '/auth/keys');
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body.keys) && res.body.keys.length >= 1);
    for (const k of res.body.keys) {
      assert.equal(k.kty, 'RSA');
      assert.equal(typeof k.kid, 'string');
      assert.equal(typeof k.n, 'string');
      assert.equal(typeof k.e, 'string');
      if ('alg' in k) assert.equal(k.alg, 'RS256');
      if ('use' in k) assert.equal(k.use, 'sig');
      for (const m of PRIVATE_JWK_MEMBERS) assert.ok(!(m in k), `no private member ${m}`);
    }
    const kids = res.body.keys.map((k: { kid: string }) => k.kid);
    assert.equal(new Set(kids).size, kids.length, 'kids are unique');
  });

  it('verifies a freshly issued token (header kid is in the set)', async () => {
    const token = await saToken();
    const res = await server.req('GET', '/auth/keys');
    const { kid } = decodeProtectedHeader(token);
    assert.ok(res.body.keys.some((k: { kid: string }) => k.kid === kid), 'token kid is published');
    await jwtVerify(token, createLocalJWKSet(res.body), { algorithms: ['RS256'] });
  });
});

describe('GET /auth/token-public-key', () => {
  it('format=pem (default) → {alg, issuer, value: PEM}; importSPKI verifies a token', async () => {
    for (const query of [undefined, { format: 'pem' }]) {
      const res = await server.req('GET', '/auth/token-public-key', { query });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.alg, 'RS256');
      assert.equal(res.body.issuer, (await discovery(server)).issuer);
      assert.equal(typeof res.body.value, 'string');
      assert.match(res.body.value, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\s*$/);
      assert.doesNotMatch(res.body.value, /PRIVATE/);
      const key = await importSPKI(res.body.value, 'RS256');
      await jwtVerify(await saToken(), key, { issuer: res.body.issuer });
    }
  });

  it('format=jwks → {alg, issuer, keys:[…]} that verifies a token', async () => {
    const res = await server.req('GET', '/auth/token-public-key', { query: { format: 'jwks' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.alg, 'RS256');
    assert.equal(typeof res.body.issuer, 'string');
    assert.ok(Array.isArray(res.body.keys) && res.body.keys.length >= 1);
    for (const k of res.body.keys) for (const m of PRIVATE_JWK_MEMBERS) assert.ok(!(m in k), `no private member ${m}`);
    await jwtVerify(await saToken(), createLocalJWKSet({ keys: res.body.keys }));
  });

  it('format=xml → 400 with the CSP body', async () => {
    assertCspError(await server.req('GET', '/auth/token-public-key', { query: { format: 'xml' } }), 400, {}, server);
  });
});

describe('orgauth keys rotate', () => {
  it('adds a key: JWKS then has both kids, tokens issued before still verify, new tokens verify', async () => {
    const before = await saToken();
    const oldKid = decodeProtectedHeader(before).kid;
    const jwksBefore = (await server.req('GET', '/auth/keys')).body.keys.map((k: { kid: string }) => k.kid) as string[];
    const out = await server.cli(['keys', 'rotate']);
    assert.equal(typeof out.kid, 'string');
    assert.ok(!jwksBefore.includes(out.kid), 'rotation makes a new kid');
    const after = (await server.req('GET', '/auth/keys')).body.keys.map((k: { kid: string }) => k.kid) as string[];
    assert.ok(after.includes(out.kid), `JWKS ${JSON.stringify(after)} has the new kid`);
    assert.ok(after.includes(oldKid!), `JWKS ${JSON.stringify(after)} still has the old kid`);
    await verifyAccessToken(server, before);
    const afterToken = await saToken();
    await verifyAccessToken(server, afterToken);
    // The management API still accepts a token signed before the rotation.
    const get = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken });
    assert.equal(get.status, 200, get.text);
  });
});

describe('discovery metadata', () => {
  it('GET /.well-known/openid-configuration: issuer, token, jwks, introspection, revocation, auth methods, grants', async () => {
    const d = await discovery(server);
    assert.equal(d.issuer, `${server.baseUrl}${BASE_PATH}`, 'default issuer http://HOST:PORT/csp/gateway/am/api');
    for (const k of ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint']) {
      assert.equal(typeof d[k], 'string', k);
      assert.ok(new URL(d[k]).href, `${k} is an absolute URL`);
    }
    assert.ok(Array.isArray(d.token_endpoint_auth_methods_supported) && d.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
    assert.ok(Array.isArray(d.grant_types_supported) && d.grant_types_supported.includes('client_credentials'));
    for (const [k, v] of Object.entries(d)) assert.notEqual(v, null, `${k} is not null`);
  });

  it('its token_endpoint issues tokens whose iss is the issuer, and its jwks_uri verifies them', async () => {
    const d = await discovery(server);
    const basic = 'Basic ' + Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64');
    const res = await server.req('POST', d.token_endpoint, { form: { grant_type: 'client_credentials' }, headers: { authorization: basic } });
    assert.equal(res.status, 200, res.text);
    const c = await verifyAccessToken(server, res.body.access_token);
    assert.equal(c.iss, d.issuer);
  });

  it('GET /.well-known/oauth-authorization-server and the path-inserted form agree on the issuer', async () => {
    const d = await discovery(server);
    for (const p of ['/.well-known/oauth-authorization-server', `/.well-known/oauth-authorization-server${BASE_PATH}`]) {
      const res = await server.req('GET', p, { root: true });
      assert.equal(res.status, 200, `${p}: ${res.status}`);
      assert.equal(res.body.issuer, d.issuer, p);
      assert.equal(res.body.token_endpoint, d.token_endpoint, p);
      assert.equal(res.body.jwks_uri, d.jwks_uri, p);
    }
  });

  it("oauth4webapi discovery (algorithm 'oauth2', path-inserted well-known) validates the issuer", async () => {
    const d = await discovery(server);
    const issuer = new URL(d.issuer);
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    assert.equal(new URL(res.url).pathname, `/.well-known/oauth-authorization-server${BASE_PATH}`);
    const as = await oauth.processDiscoveryResponse(issuer, res); // throws unless issuer matches
    assert.equal(as.issuer, d.issuer);
    assert.equal(typeof as.token_endpoint, 'string');
  });

  it('OIDC discovery under the issuer path ({issuer}/.well-known/openid-configuration), as openid-client does by default',
    { todo: 'not promised by docs/design.md §3.4, which promises only the root document' }, async () => {
      const d = await discovery(server);
      const res = await server.req('GET', `${d.issuer}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      assert.equal(res.body.issuer, d.issuer);
    });
});

describe('ORGAUTH_ISSUER', () => {
  it('sets iss of issued tokens and the issuer of every discovery document', async () => {
    const issuer = 'https://login.example.test/csp/gateway/am/api';
    const s2 = await startServer({ env: { ORGAUTH_ISSUER: issuer } });
    try {
      const a = await bootstrapAdmin(s2);
      const d = await s2.req('GET', '/.well-known/openid-configuration', { root: true });
      assert.equal(d.body.issuer, issuer);
      const rfc = await s2.req('GET', '/.well-known/oauth-authorization-server', { root: true });
      assert.equal(rfc.body.issuer, issuer);
      const pk = await s2.req('GET', '/auth/token-public-key');
      assert.equal(pk.body.issuer, issuer);
      const keys = await s2.req('GET', '/auth/keys');
      const { payload } = await jwtVerify(a.accessToken, createLocalJWKSet(keys.body), { issuer });
      assert.equal(payload.iss, issuer);
    } finally {
      await s2.stop();
    }
  });
});
