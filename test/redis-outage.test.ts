// Redis going away or hanging at runtime (docs/design.md §7/§8, "several nodes"): the node keeps serving on
// per-node budgets with a logged warning, /readyz reports it, and budgets are shared again once
// Redis is back.
// Starts its own throw-away redis-server on a free port (skips without the binary).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertCspError, bootstrapAdmin, clientCredentials, createApp, freePort, sleep, startServer,
  type Admin, type CreatedApp, type TestServer,
} from './helpers/index.js';
import { suppliedSecret } from './helpers/lifecycle.js';
import { BREAKER_OPEN_MS } from '../src/redis/connection.js';

const TOKEN_BUDGET = 2;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = hasRedisServer ? undefined : 'redis-server is not installed';
if (skip) process.stdout.write(`# skipping the Redis outage tests: ${skip}\n`);

/** A throw-away redis-server of one describe block. */
function throwAwayRedis() {
  let port = 0;
  let dir = '';
  let child: ChildProcess | undefined;
  return {
    get port() { return port; },
    get child() { return child; },
    async start(): Promise<void> {
      if (!port) port = await freePort();
      if (!dir) dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-redis-'));
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      for (let i = 0; i < 50; i++) {
        if (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG') return;
        await sleep(100);
      }
      throw new Error('redis-server did not start');
    },
    async stop(): Promise<void> {
      if (!child || child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await gone;
    },
    remove(): void {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const redis = throwAwayRedis();
let server: TestServer;
let admin: Admin;
let app: CreatedApp;

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('Redis down at runtime', { skip }, () => {
  before(async () => {
    await redis.start();
    server = await startServer({ env: { REDIS_URL: `redis://127.0.0.1:${redis.port}`, RATE_LIMIT_TOKEN: `${TOKEN_BUDGET}/60` } });
    admin = await bootstrapAdmin(server);
    app = await createApp(server, admin.accessToken, admin.orgId);
  });

  after(async () => {
    try {
      await server?.stop();
    } finally {
      await redis.stop();
      redis.remove();
    }
  });

  it('with Redis up, the budget is enforced and /readyz is 200', async () => {
    for (let i = 0; i < TOKEN_BUDGET; i++) assert.equal((await clientCredentials(server, app.clientId, app.clientSecret)).status, 200);
    assertCspError(await clientCredentials(server, app.clientId, app.clientSecret), 429);
    assert.equal((await server.req('GET', '/readyz', { root: true })).status, 200);
  });

  it('Redis hung (SIGSTOP): requests are still answered within the per-node budget, /readyz is 503; SIGCONT restores it', async () => {
    const hung = await createApp(server, admin.accessToken, admin.orgId);
    const child = redis.child;
    assert.ok(child && child.exitCode === null);
    child.kill('SIGSTOP');
    try {
      // Without the short command timeout and the breaker each of these waited for ioredis' own timeout;
      // the test asserts behaviour, not time: every request is answered, the per-node budget holds.
      const statuses: number[] = [];
      for (let i = 0; i < TOKEN_BUDGET + 1; i++) statuses.push((await clientCredentials(server, hung.clientId, hung.clientSecret)).status);
      assert.deepEqual(statuses, [...Array(TOKEN_BUDGET).fill(200), 429]);
      const ready = await server.req('GET', '/readyz', { root: true });
      assertCspError(ready, 503, { messageIncludes: ['Redis'] });
    } finally {
      child.kill('SIGCONT');
    }
    await waitFor('/readyz 200 after SIGCONT', async () => (await server.req('GET', '/readyz', { root: true })).status === 200);
  });

  it('Redis gone: requests are still served within the per-node budget, /readyz is 503, a warning is logged', async () => {
    await redis.stop();
    const other = await createApp(server, admin.accessToken, admin.orgId);
    for (let i = 0; i < TOKEN_BUDGET; i++) {
      const res = await clientCredentials(server, other.clientId, other.clientSecret);
      assert.equal(res.status, 200, `request ${i + 1} while Redis is down: ${res.text}`);
    }
    assertCspError(await clientCredentials(server, other.clientId, other.clientSecret), 429);
    const ready = await server.req('GET', '/readyz', { root: true });
    assertCspError(ready, 503, { messageIncludes: ['Redis'] });
    assert.equal((await server.req('GET', '/healthz', { root: true })).status, 200, 'the process is up');
    assert.match(server.logText(), /Redis is unreachable/);
  });

  it('Redis back: the node reconnects by itself and enforces the budget again', async () => {
    await redis.start();
    await waitFor('/readyz 200 after Redis restarted', async () => (await server.req('GET', '/readyz', { root: true })).status === 200);
    const fresh = await createApp(server, admin.accessToken, admin.orgId);
    for (let i = 0; i < TOKEN_BUDGET; i++) assert.equal((await clientCredentials(server, fresh.clientId, fresh.clientSecret)).status, 200);
    assertCspError(await clientCredentials(server, fresh.clientId, fresh.clientSecret), 429);
  });
});

// The failed-authentication budget is exact per window across a Redis pause (docs/reliability.md,
// "The failure budget in one round trip"): what this node checked on its own while Redis did not
// answer still counts once Redis answers again, for both ways a secret is checked (HMAC at once,
// Argon2 under a reservation).
describe('failed client authentications checked while Redis was away', { skip }, () => {
  const FAILURES = 3;
  const shared = throwAwayRedis();
  let node: TestServer;
  let owner: Admin;
  let addresses = 0;
  const nextAddress = () => `198.51.100.${++addresses}`;
  const token = (from: string, clientId: string, secret: string) => {
    node.rememberSecret(secret, 'clientSecret');
    return node.req('POST', '/auth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'), 'x-forwarded-for': from },
    });
  };

  /** Wrong secrets sent one by one while this file's Redis is paused; back to the shared budget once the breaker closes. */
  const failWhileRedisAway = async (from: string, clientId: string, count: number): Promise<number[]> => {
    const child = shared.child;
    assert.ok(child && child.exitCode === null);
    child.kill('SIGSTOP');
    const during: number[] = [];
    try {
      for (let i = 0; i < count; i++) during.push((await token(from, clientId, `Wrong!during-${i}`)).status);
    } finally {
      child.kill('SIGCONT');
    }
    await waitFor('/readyz 200 after SIGCONT', async () => (await node.req('GET', '/readyz', { root: true })).status === 200);
    // Until the breaker closes, requests would still go to the per-node budget only.
    await sleep(BREAKER_OPEN_MS + 300);
    return during;
  };

  before(async () => {
    await shared.start();
    node = await startServer({
      env: {
        REDIS_URL: `redis://127.0.0.1:${shared.port}`, RATE_LIMIT_AUTH_FAILURES: `${FAILURES}/60`, RATE_LIMIT_TOKEN: '1000/60',
        ORGAUTH_TRUST_PROXY: '127.0.0.1,::1',
      },
    });
    owner = await bootstrapAdmin(node);
  });

  after(async () => {
    try {
      await node?.stop();
    } finally {
      await shared.stop();
      shared.remove();
    }
  });

  for (const kind of ['generated', 'caller-supplied'] as const) {
    it(`${kind} secret: the failures checked during the pause still count after it — no fresh budget of guesses`, async () => {
      const target = await createApp(node, owner.accessToken, owner.orgId, kind === 'generated' ? {} : { secret: suppliedSecret('away') });
      const from = nextAddress();
      const during = await failWhileRedisAway(from, target.clientId, FAILURES + 1);
      assert.deepEqual(during, [...Array(FAILURES).fill(401), 429], 'the per-node budget while Redis is hung');
      const afterwards: number[] = [];
      for (let i = 0; i < FAILURES + 2; i++) afterwards.push((await token(from, target.clientId, `Wrong!after-${i}`)).status);
      assert.deepEqual(afterwards, Array(FAILURES + 2).fill(429), 'Redis back: the window\'s failures are already spent');
      assertCspError(await token(from, target.clientId, target.clientSecret), 429, { oauthError: 'invalid_request' });
      assert.equal((await token(nextAddress(), target.clientId, target.clientSecret)).status, 200, 'the client itself, from its own address, is untouched');
    });

    it(`${kind} secret: a concurrent burst after the pause gets only what the pause left of the budget`, async () => {
      const target = await createApp(node, owner.accessToken, owner.orgId, kind === 'generated' ? {} : { secret: suppliedSecret('left') });
      const from = nextAddress();
      assert.deepEqual(await failWhileRedisAway(from, target.clientId, FAILURES - 1), Array(FAILURES - 1).fill(401));
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => token(from, target.clientId, `Wrong!burst-${i}`)));
      const statuses = burst.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 1, `one check left in the window: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 9);
    });
  }
});
