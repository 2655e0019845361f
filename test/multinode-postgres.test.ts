// Two nodes, one PostgreSQL database, one Redis (docs/design.md §7, §8 "several nodes"): a change made through
// one node is in force on the other at its next request, rate limits are one budget for both, and
// concurrent regenerations through both leave exactly one valid secret. Needs TEST_DATABASE_URL and
// TEST_REDIS_URL; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  addUser, assertCspError, bootstrapAdmin, clientCredentials, createApp, exchangeApiToken, sleep, startServer,
  type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';
import { freshBackend, postgresAndRedis, queryDatabase, type FreshBackend } from './helpers/postgres.js';

const ISSUER = 'http://orgauth.test/csp/gateway/am/api';
const TOKEN_BUDGET = 6;
const AUTH_FAILURE_BUDGET = 4;
const REGENERATIONS = 50;

const available = await postgresAndRedis();
// This file brings its own database and Redis prefix, so the suite's PostgreSQL pass need not repeat it.
const skip = available.skip
  ?? (process.env.ORGAUTH_TEST_BACKEND === 'postgres' ? 'it ran in the first pass (it brings its own PostgreSQL + Redis)' : undefined);
if (skip) process.stdout.write(`# skipping the two-node PostgreSQL + Redis tests: ${skip}\n`);

let backend: FreshBackend;
let node1: TestServer;
let node2: TestServer;
let admin: Admin;

describe('two nodes on one PostgreSQL database and one Redis', { skip }, () => {
  before(async () => {
    backend = await freshBackend(available.backend!, 'twonode');
    const env = {
      ...backend.env,
      ORGAUTH_ISSUER: ISSUER,
      RATE_LIMIT_TOKEN: `${TOKEN_BUDGET}/60`,
      RATE_LIMIT_AUTH_FAILURES: `${AUTH_FAILURE_BUDGET}/60`,
      // Failed authentications count against their address: the failure test sends from its own.
      ORGAUTH_TRUST_PROXY: '127.0.0.1,::1',
    };
    // Both start at once on the empty database: migrations and first keys race on purpose.
    [node1, node2] = await Promise.all([startServer({ env }), startServer({ env })]);
    admin = await bootstrapAdmin(node1);
  });

  after(async () => {
    try {
      await Promise.all([node1?.stop(), node2?.stop()]);
    } finally {
      await backend?.dispose();
    }
  });

  it('nodes that start together on an empty database agree on one signing key', async () => {
    const [a, b] = await Promise.all([node1.req('GET', '/auth/keys'), node2.req('GET', '/auth/keys')]);
    assert.equal(a.status, 200);
    const kids = (res: HttpResult) => res.body.keys.map((k: { kid: string }) => k.kid).sort();
    assert.deepEqual(kids(a), kids(b));
    assert.equal(kids(a).length, 1, `one signing key, not one per node: ${kids(a).join(', ')}`);
  });

  describe('regenerate through node 1 → the old secret is refused through node 2 at its next request', () => {
    it('generated secret', async () => {
      const app = await createApp(node1, admin.accessToken, admin.orgId);
      assert.equal((await clientCredentials(node2, app.clientId, app.clientSecret)).status, 200);
      const put = await node1.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
      assert.equal(put.status, 200, put.text);
      node2.rememberSecret(put.body.clientSecret, 'clientSecret');
      assertCspError(await clientCredentials(node2, app.clientId, app.clientSecret), 401, { oauthError: 'invalid_client' });
      assert.equal((await clientCredentials(node2, app.clientId, put.body.clientSecret)).status, 200);
    });

    it('caller-supplied secret, already verified (and cached) on node 2', async () => {
      const secret = `Multi@Node!7${Date.now()}`;
      const app = await createApp(node1, admin.accessToken, admin.orgId, { secret });
      node2.rememberSecret(secret, 'clientSecret');
      for (let i = 0; i < 2; i++) assert.equal((await clientCredentials(node2, app.clientId, secret)).status, 200);
      const put = await node1.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
      assert.equal(put.status, 200, put.text);
      assertCspError(await clientCredentials(node2, app.clientId, secret), 401, { oauthError: 'invalid_client' });
    });
  });

  describe('revoke through node 1 → refused through node 2', () => {
    it('`orgauth api-token revoke`: the API token and the access tokens exchanged from it', async () => {
      const user = await addUser(node1, admin.orgId, 'org_admin');
      const accessToken = await exchangeApiToken(node2, user.apiToken);
      const appPath = `/orgs/${admin.orgId}/oauth-apps`;
      const app = await createApp(node2, accessToken, admin.orgId);
      assert.equal((await node2.req('GET', `${appPath}/${app.clientId}`, { token: accessToken })).status, 200);
      await node1.cli(['api-token', 'revoke', '--token', user.apiToken]);
      const exchange = await node2.req('POST', '/auth/api-tokens/authorize', { form: { api_token: user.apiToken } });
      assertCspError(exchange, 400, { oauthError: 'invalid_grant' });
      assertCspError(await node2.req('GET', `${appPath}/${app.clientId}`, { token: accessToken }), 401);
    });

    it('RFC 7009 revocation of an access token', async () => {
      const app = await createApp(node1, admin.accessToken, admin.orgId);
      const tok = await clientCredentials(node2, app.clientId, app.clientSecret);
      assert.equal(tok.status, 200, tok.text);
      const target = `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`;
      assert.equal((await node2.req('GET', target, { token: tok.body.access_token })).status, 200);
      const revoked = await node1.req('POST', '/auth/revoke', { basic: [app.clientId, app.clientSecret], form: { token: tok.body.access_token } });
      assert.equal(revoked.status, 200, revoked.text);
      assertCspError(await node2.req('GET', target, { token: tok.body.access_token }), 401);
    });

    it('PUT …/secret?revokeTokens=true: tokens minted with the killed secret', async () => {
      const app = await createApp(node1, admin.accessToken, admin.orgId);
      const tok = await clientCredentials(node2, app.clientId, app.clientSecret);
      assert.equal(tok.status, 200, tok.text);
      const target = `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`;
      const put = await node1.req('PUT', `${target}/secret`, { token: admin.accessToken, json: {}, query: { revokeTokens: 'true' } });
      assert.equal(put.status, 200, put.text);
      node2.rememberSecret(put.body.clientSecret, 'clientSecret');
      assertCspError(await node2.req('GET', target, { token: tok.body.access_token }), 401);
    });
  });

  describe('rate limits are one budget for both nodes', () => {
    it(`token endpoint: ${TOKEN_BUDGET} per client id per window across both nodes together, not ${2 * TOKEN_BUDGET}`, async () => {
      const app = await createApp(node1, admin.accessToken, admin.orgId);
      const statuses: number[] = [];
      let refused: HttpResult | undefined;
      for (let i = 0; i < 2 * TOKEN_BUDGET; i++) {
        const res = await clientCredentials(i % 2 === 0 ? node1 : node2, app.clientId, app.clientSecret);
        statuses.push(res.status);
        if (res.status === 200) assert.equal(res.headers.get('ratelimit-remaining'), String(TOKEN_BUDGET - 1 - i), 'remaining counts both nodes');
        else refused ??= res;
      }
      assert.deepEqual(statuses, [...Array(TOKEN_BUDGET).fill(200), ...Array(TOKEN_BUDGET).fill(429)]);
      assert.ok(refused);
      assertCspError(refused, 429, { oauthError: 'invalid_request' });
      assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(refused.headers.get('ratelimit-limit'), String(TOKEN_BUDGET));
      assert.equal(refused.headers.get('ratelimit-remaining'), '0');
    });

    it(`failed client authentications: ${AUTH_FAILURE_BUDGET} per client id across both nodes, then 429 even for the right secret`, async () => {
      const app = await createApp(node1, admin.accessToken, admin.orgId);
      const fromOneAddress = (node: TestServer, secret: string) => {
        node.rememberSecret(secret, 'clientSecret');
        return node.req('POST', '/auth/authorize', {
          form: { grant_type: 'client_credentials' },
          headers: { authorization: 'Basic ' + Buffer.from(`${app.clientId}:${secret}`).toString('base64'), 'x-forwarded-for': '198.51.100.77' },
        });
      };
      for (let i = 0; i < AUTH_FAILURE_BUDGET; i++) {
        assertCspError(await fromOneAddress(i % 2 === 0 ? node1 : node2, `Wrong!secret-${i}`), 401, { oauthError: 'invalid_client' });
      }
      for (const node of [node1, node2]) {
        const res = await fromOneAddress(node, app.clientSecret);
        assertCspError(res, 429);
        assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      }
    });
  });

  it(`${REGENERATIONS} concurrent regenerations split across both nodes leave exactly one valid secret: the last committer's`, async () => {
    const app = await createApp(node1, admin.accessToken, admin.orgId);
    const path = `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`;
    const responses = await Promise.all(Array.from({ length: REGENERATIONS }, (_, i) =>
      (i % 2 === 0 ? node1 : node2).req('PUT', path, { token: admin.accessToken, json: {} })));
    for (const res of responses) assert.equal(res.status, 200, res.text);
    const secrets = responses.map((res) => res.body.clientSecret as string);
    for (const node of [node1, node2]) for (const s of secrets) node.rememberSecret(s, 'clientSecret');
    assert.equal(new Set(secrets).size, REGENERATIONS, 'every regeneration returned its own secret');

    const rows = await queryDatabase<{ id: string; hint: string }>(backend.databaseUrl, 'select id, hint from app_secrets where app_id = $1', [app.clientId]);
    assert.equal(rows.length, 1, `exactly one secret row, got ${rows.length}`);
    // Audit events are written under the app's row lock, so their order is the commit order.
    const events = await queryDatabase<{ secret_id: string }>(backend.databaseUrl,
      "select secret_id from audit_events where app_id = $1 and action = 'secret.regenerate' order by id", [app.clientId]);
    assert.equal(events.length, REGENERATIONS, 'no lost update: every regeneration committed');
    assert.equal(events.at(-1)?.secret_id, rows[0]!.id, 'the surviving secret is the one of the last commit');

    const winners = secrets.filter((s) => s.endsWith(rows[0]!.hint));
    assert.equal(winners.length, 1, 'exactly one response holds the surviving secret');
    const winner = winners[0]!;
    for (const node of [node1, node2]) assert.equal((await clientCredentials(node, app.clientId, winner)).status, 200);
    const losers = secrets.filter((s) => s !== winner).slice(-3);
    for (const [i, loser] of losers.entries()) {
      assertCspError(await clientCredentials(i % 2 === 0 ? node1 : node2, app.clientId, loser), 401, { oauthError: 'invalid_client' });
    }
  });

  it('`orgauth keys rotate`: both nodes sign with the new key at once (Redis pub/sub), and verify each other', async () => {
    const out = await node1.cli(['keys', 'rotate']);
    for (const node of [node1, node2]) {
      const app = await createApp(node1, admin.accessToken, admin.orgId); // its own token budget
      // Pub/sub delivery is asynchronous but takes milliseconds; the fallback refresh would take 30 s.
      let kid: string | undefined;
      for (let attempt = 0; attempt < TOKEN_BUDGET - 1 && kid !== out.kid; attempt++) {
        if (attempt > 0) await sleep(200);
        const tok = await clientCredentials(node, app.clientId, app.clientSecret);
        assert.equal(tok.status, 200, tok.text);
        kid = decodeProtectedHeader(tok.body.access_token).kid;
        const other = node === node1 ? node2 : node1;
        other.rememberSecret(tok.body.access_token, 'accessToken');
        assert.equal((await other.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: tok.body.access_token })).status, 200);
      }
      assert.equal(kid, out.kid, `${node.baseUrl} signs with the rotated key within a second`);
    }
  });

  it('/readyz checks the database and Redis; /metrics counts the rate-limit rejections', async () => {
    for (const node of [node1, node2]) {
      const ready = await node.req('GET', '/readyz', { root: true });
      assert.equal(ready.status, 200, ready.text);
    }
    const texts = await Promise.all([node1, node2].map(async (node) => (await node.req('GET', '/metrics', { root: true })).text));
    const rejected = (text: string, budget: string) => Number(new RegExp(`^orgauth_rate_limit_rejections_total\\{budget="${budget}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    assert.equal(texts.reduce((n, t) => n + rejected(t, 'token'), 0), TOKEN_BUDGET, 'token-budget rejections on both nodes together');
    assert.ok(texts.reduce((n, t) => n + rejected(t, 'auth_failures'), 0) >= 2);
    assert.match(texts[0]!, /^orgauth_secret_changes_total\{kind="regenerate"\} \d+/m);
    assert.match(texts[0]!, /^orgauth_tokens_issued_total\{grant="client_credentials"\} \d+/m);
  });
});
