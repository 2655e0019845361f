// ORGAUTH_TRUST_PROXY: behind a load balancer every request comes from the balancer's address, so
// per-address budgets (the API-token exchange, token requests without a client id) must key on the
// client address the trusted proxy reports in X-Forwarded-For — and only a trusted proxy's.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { assertCspError, bootstrapAdmin, clientCredentials, createApp, startServer, type Admin, type TestServer } from './helpers/index.js';

const BUDGET = 2;

let trusting: TestServer;
let plain: TestServer;
let admin: Admin;

const exchange = (server: TestServer, apiToken: string, forwardedFor: string) =>
  server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: apiToken }, headers: { 'x-forwarded-for': forwardedFor } });

before(async () => {
  [trusting, plain] = await Promise.all([
    startServer({ env: { RATE_LIMIT_TOKEN: `${BUDGET}/60`, ORGAUTH_TRUST_PROXY: '127.0.0.1,::1' } }),
    startServer({ env: { RATE_LIMIT_TOKEN: `${BUDGET}/60` } }),
  ]);
  admin = await bootstrapAdmin(trusting);
});

after(async () => {
  await Promise.all([trusting?.stop(), plain?.stop()]);
});

describe('ORGAUTH_TRUST_PROXY and per-address budgets', () => {
  it('behind a trusted proxy each client address has its own budget', async () => {
    // bootstrapAdmin's exchange came from 127.0.0.1 itself; these come "through" the proxy.
    for (const client of ['198.51.100.7', '203.0.113.9']) {
      for (let i = 0; i < BUDGET; i++) assert.equal((await exchange(trusting, admin.apiToken, client)).status, 200);
      assertCspError(await exchange(trusting, admin.apiToken, client), 429);
    }
  });

  it('without it, X-Forwarded-For is ignored: a client cannot pick a fresh address per request', async () => {
    const ignored = await plain.cli(['bootstrap']);
    const statuses: number[] = [];
    for (let i = 0; i <= BUDGET; i++) statuses.push((await exchange(plain, ignored.apiToken, `192.0.2.${i + 1}`)).status);
    assert.deepEqual(statuses, [...Array(BUDGET).fill(200), 429]);
  });
});

describe('failed client authentications count per client id and address', () => {
  it('wrong secrets sprayed from one address lock out that address only, not the real client elsewhere', async () => {
    const server = await startServer({ env: { RATE_LIMIT_AUTH_FAILURES: `${BUDGET}/60`, ORGAUTH_TRUST_PROXY: '127.0.0.1,::1' } });
    try {
      const owner = await bootstrapAdmin(server);
      const victim = await createApp(server, owner.accessToken, owner.orgId);
      const attempt = (address: string, secret: string) => server.req('POST', '/auth/token', {
        form: { grant_type: 'client_credentials' },
        headers: { authorization: 'Basic ' + Buffer.from(`${victim.clientId}:${secret}`).toString('base64'), 'x-forwarded-for': address },
      });
      for (let i = 0; i < BUDGET; i++) assertCspError(await attempt('198.51.100.66', `Wrong!${i}`), 401);
      const locked = await attempt('198.51.100.66', victim.clientSecret);
      assertCspError(locked, 429, {}, server);
      assert.match(locked.body.message, /failed client authentications/);
      const real = await attempt('203.0.113.10', victim.clientSecret);
      assert.equal(real.status, 200, `the real client, from its own address, still gets tokens: ${real.text}`);
      assert.equal((await clientCredentials(server, victim.clientId, victim.clientSecret)).status, 200);
    } finally {
      await server.stop();
    }
  });
});

describe('attempts that never get their answer', () => {
  it('a client that hangs up mid-request leaves no reservation behind: after a failure, aborted attempts do not lock it out', async () => {
    const server = await startServer({ env: { RATE_LIMIT_AUTH_FAILURES: `${BUDGET}/60` } });
    try {
      const owner = await bootstrapAdmin(server);
      const app = await createApp(server, owner.accessToken, owner.orgId);
      // One failure: from now on an attempt in flight counts against the budget until it settles.
      assertCspError(await clientCredentials(server, app.clientId, 'Wrong!once'), 401, { oauthError: 'invalid_client' }, server);
      const basic = 'Basic ' + Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64');
      const body = 'grant_type=client_credentials';
      const url = new URL(server.api('/auth/token'));
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const socket = net.connect(Number(url.port), url.hostname, () => {
            socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${basic}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
            socket.destroy(); // hang up before any answer
            resolve();
          });
          socket.on('error', reject);
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const res = await clientCredentials(server, app.clientId, app.clientSecret);
      assert.equal(res.status, 200, `the client is not locked out by its own aborted attempts: ${res.text}`);
    } finally {
      await server.stop();
    }
  });
});
