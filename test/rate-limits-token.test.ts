// Rate limits at the token endpoints (docs/design.md §7) with small budgets: per client id (Basic or
// client_id), failed client authentications per client id, the API-token exchange per address.
// Runs on the embedded default (in-process counters) and, in the suite's PostgreSQL pass, on Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertCspError, bootstrapAdmin, clientCredentials, createApp, startServer,
  type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';

const TOKEN_BUDGET = 3;
const AUTH_FAILURE_BUDGET = 2;

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startServer({
    // Each failure test sends from its own address (X-Forwarded-For through a trusted proxy): what
    // does not authenticate counts against its address, and the tests must not share one.
    env: { RATE_LIMIT_TOKEN: `${TOKEN_BUDGET}/60`, RATE_LIMIT_AUTH_FAILURES: `${AUTH_FAILURE_BUDGET}/60`, ORGAUTH_TRUST_PROXY: '127.0.0.1,::1' },
  });
  admin = await bootstrapAdmin(server); // one API-token exchange from this address
});

after(async () => {
  await server?.stop();
});

/** The 429 of docs/design.md §7 at a token endpoint: CSP body with the RFC 6749 fields, Retry-After and RateLimit-*. */
function assertTokenEndpoint429(res: HttpResult, limit: number): void {
  assertCspError(res, 429, { oauthError: 'invalid_request' }, server);
  assert.match(res.body.errorCode, /TOO_MANY_REQUESTS/);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After within the window: ${res.headers.get('retry-after')}`);
  assert.equal(res.headers.get('ratelimit-limit'), String(limit));
  assert.equal(res.headers.get('ratelimit-remaining'), '0');
  assert.equal(res.headers.get('ratelimit-reset'), String(retryAfter));
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
}

describe('POST /auth/token — budget per client id', () => {
  it(`${TOKEN_BUDGET} requests per window, each with RateLimit-Limit/Remaining/Reset; then 429`, async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    for (let i = 0; i < TOKEN_BUDGET; i++) {
      const res = await clientCredentials(server, app.clientId, app.clientSecret, 'basic', { path: '/auth/token' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('ratelimit-limit'), String(TOKEN_BUDGET));
      assert.equal(res.headers.get('ratelimit-remaining'), String(TOKEN_BUDGET - 1 - i));
      assert.match(res.headers.get('ratelimit-reset') ?? '', /^\d+$/);
    }
    assertTokenEndpoint429(await clientCredentials(server, app.clientId, app.clientSecret, 'basic', { path: '/auth/token' }), TOKEN_BUDGET);
  });

  it('Basic, client_secret_post and /auth/authorize count against the same client id', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    assert.equal((await clientCredentials(server, app.clientId, app.clientSecret, 'basic')).status, 200);
    assert.equal((await clientCredentials(server, app.clientId, app.clientSecret, 'post', { path: '/auth/token' })).status, 200);
    assert.equal((await clientCredentials(server, app.clientId, app.clientSecret, 'basic-urlencoded')).status, 200);
    assertTokenEndpoint429(await clientCredentials(server, app.clientId, app.clientSecret, 'basic-query'), TOKEN_BUDGET);
  });

  it("another client's budget is untouched", async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    assert.equal((await clientCredentials(server, app.clientId, app.clientSecret)).status, 200);
  });
});

let addressCounter = 0;
/** A fresh client address for one test. */
const freshAddress = () => `198.51.100.${++addressCounter}`;
/** Raw Basic client credentials from `address`. */
const fromAddress = (address: string, clientId: string, secret: string) => {
  server.rememberSecret(secret, 'clientSecret');
  return server.req('POST', '/auth/authorize', {
    form: { grant_type: 'client_credentials' },
    headers: { authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'), 'x-forwarded-for': address },
  });
};

describe('failed client authentications per client id', () => {
  it(`after ${AUTH_FAILURE_BUDGET} wrong secrets the client id gets 429, even with the right secret`, async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const address = freshAddress();
    for (let i = 0; i < AUTH_FAILURE_BUDGET; i++) {
      assertCspError(await fromAddress(address, app.clientId, `Wrong!secret-${i}`), 401, { oauthError: 'invalid_client' }, server);
    }
    const refused = await fromAddress(address, app.clientId, app.clientSecret);
    assertTokenEndpoint429(refused, AUTH_FAILURE_BUDGET);
    assert.match(refused.body.message, /failed client authentications/);
  });

  it(`after a first failure, concurrent wrong secrets get no extra guesses: ${AUTH_FAILURE_BUDGET} checked in all, the rest 429`, async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const address = freshAddress();
    assertCspError(await fromAddress(address, app.clientId, 'Wrong!first'), 401, { oauthError: 'invalid_client' }, server);
    // The per-client budget (3) lets 2 more through; once the client id has failed, attempts in
    // flight count as failures, so only one of them is checked.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => fromAddress(address, app.clientId, `Wrong!burst-${i}`)));
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 401).length, AUTH_FAILURE_BUDGET - 1, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 8 - (AUTH_FAILURE_BUDGET - 1));
  });

  it(`a client that never failed is not limited by its own concurrency: ${TOKEN_BUDGET} at once with the right secret all succeed`, async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const address = freshAddress();
    const results = await Promise.all(Array.from({ length: TOKEN_BUDGET }, () => fromAddress(address, app.clientId, app.clientSecret)));
    assert.deepEqual(results.map((r) => r.status), Array(TOKEN_BUDGET).fill(200), results.map((r) => r.text).join('\n'));
  });

  it('successes do not count: a client using its secret correctly is never refused for failures', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const address = freshAddress();
    for (let i = 0; i < TOKEN_BUDGET; i++) assert.equal((await fromAddress(address, app.clientId, app.clientSecret)).status, 200);
  });
});

describe('POST /auth/api-tokens/authorize — budget per address', () => {
  it(`${TOKEN_BUDGET} exchanges per window from one address (bootstrap used one), then 429`, async () => {
    for (let i = 1; i < TOKEN_BUDGET; i++) {
      const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: admin.apiToken } });
      assert.equal(res.status, 200, res.text);
    }
    const refused = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: admin.apiToken } });
    assertTokenEndpoint429(refused, TOKEN_BUDGET);
  });
});

describe('GET /metrics', () => {
  it('counts rejections by budget and tokens issued by grant', async () => {
    const res = await server.req('GET', '/metrics', { root: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    // token: 2 per-client refusals + 1 API-token exchange; auth_failures: 1 after two failures + 7 of
    // the burst (wrong secrets never reach the client's own budget).
    assert.match(res.text, /^orgauth_rate_limit_rejections_total\{budget="token"\} 3$/m);
    assert.match(res.text, /^orgauth_rate_limit_rejections_total\{budget="auth_failures"\} 8$/m);
    assert.match(res.text, /^orgauth_tokens_issued_total\{grant="client_credentials"\} \d+$/m);
    assert.match(res.text, /^orgauth_http_request_duration_seconds_bucket\{.*route="\/csp\/gateway\/am\/api\/auth\/token".*\} \d+$/m);
  });
});
