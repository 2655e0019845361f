// Two nodes on one database (docs/design.md §5.2 "at once, on every node", §6.2 no stale caches, §8 stateless nodes).
// On the embedded default both nodes open the same SQLite file; with TEST_SERVER_ENV_JSON they share PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  assertCspError, bootstrapAdmin, clientCredentials, createApp, startServer, verifyAccessToken,
  type Admin, type TestServer,
} from './helpers/index.js';

let nodeA: TestServer;
let nodeB: TestServer;
let admin: Admin;

// Nodes behind one load balancer share one issuer (the default, http://HOST:PORT/…, differs per port).
const ISSUER = 'http://orgauth.test/csp/gateway/am/api';

before(async () => {
  nodeA = await startServer({ env: { ORGAUTH_ISSUER: ISSUER } });
  nodeB = await startServer({ shareWith: nodeA, env: { ORGAUTH_ISSUER: ISSUER } });
  admin = await bootstrapAdmin(nodeA);
});

after(async () => {
  // B first: A owns the shared data folder.
  try { await nodeB?.stop(); } finally { await nodeA?.stop(); }
});

describe('PUT …/secret on one node, token endpoint on another', () => {
  it('the old secret is refused on the other node at once, even right after it was used there', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    // Use the secret on B twice so any verified-secret cache on B is warm.
    for (let i = 0; i < 2; i++) assert.equal((await clientCredentials(nodeB, app.clientId, app.clientSecret, 'basic')).status, 200);
    const put = await nodeA.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
    assert.equal(put.status, 200, put.text);
    nodeB.rememberSecret(put.body.clientSecret, 'clientSecret');
    const old = await clientCredentials(nodeB, app.clientId, app.clientSecret, 'basic');
    assertCspError(old, 401, { oauthError: 'invalid_client' });
    const fresh = await clientCredentials(nodeB, app.clientId, put.body.clientSecret, 'basic');
    assert.equal(fresh.status, 200, fresh.text);
  });

  it('a caller-supplied secret (KDF-verified, then cached) is refused on the other node at once', async () => {
    const secret = 'Cached@Secret!9' + Date.now();
    const app = await createApp(nodeA, admin.accessToken, admin.orgId, { secret });
    nodeB.rememberSecret(secret, 'clientSecret');
    for (let i = 0; i < 2; i++) assert.equal((await clientCredentials(nodeB, app.clientId, secret, 'basic')).status, 200);
    const put = await nodeA.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
    assert.equal(put.status, 200, put.text);
    assertCspError(await clientCredentials(nodeB, app.clientId, secret, 'basic'), 401, { oauthError: 'invalid_client' });
  });

  it('a regeneration on B is in force on A as well', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    assert.equal((await clientCredentials(nodeA, app.clientId, app.clientSecret, 'basic')).status, 200);
    const put = await nodeB.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
    assert.equal(put.status, 200, put.text);
    nodeA.rememberSecret(put.body.clientSecret, 'clientSecret');
    assertCspError(await clientCredentials(nodeA, app.clientId, app.clientSecret, 'basic'), 401, { oauthError: 'invalid_client' });
    assert.equal((await clientCredentials(nodeA, app.clientId, put.body.clientSecret, 'basic')).status, 200);
  });
});

describe('tokens and keys across nodes', () => {
  it('a token minted on B is accepted by the management API on A', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    const tok = await clientCredentials(nodeB, app.clientId, app.clientSecret, 'basic');
    assert.equal(tok.status, 200, tok.text);
    nodeA.rememberSecret(tok.body.access_token, 'accessToken');
    const get = await nodeA.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: tok.body.access_token });
    assert.equal(get.status, 200, get.text);
  });

  it('`orgauth keys rotate` is published by both running nodes; tokens signed with the new key work on both', async () => {
    const out = await nodeA.cli(['keys', 'rotate']);
    for (const node of [nodeA, nodeB]) {
      const keys = await node.req('GET', '/auth/keys');
      assert.ok(keys.body.keys.some((k: { kid: string }) => k.kid === out.kid), `${node.baseUrl} publishes kid ${out.kid}`);
    }
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    for (const [minter, checker] of [[nodeA, nodeB], [nodeB, nodeA]] as const) {
      const tok = await clientCredentials(minter, app.clientId, app.clientSecret, 'basic');
      assert.equal(tok.status, 200, tok.text);
      checker.rememberSecret(tok.body.access_token, 'accessToken');
      await verifyAccessToken(checker, tok.body.access_token);
      const get = await checker.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: tok.body.access_token });
      assert.equal(get.status, 200, `token from ${minter.baseUrl} (kid ${decodeProtectedHeader(tok.body.access_token).kid}) on ${checker.baseUrl}: ${get.text}`);
    }
  });
});
