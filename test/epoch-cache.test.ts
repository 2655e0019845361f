// Several nodes at full speed (docs/reliability.md, "Several nodes: the epoch cache"): a node serves
// client authentication from its own copy of an app, yet a change made through another node is in
// force at the very next request — with Redis up, with Redis killed mid-run, and with the epoch bump
// lost after the database commit (ORGAUTH_TEST_FAULTS=lose-epoch-bumps, refused in production).
// Counted on a running node: N client_credentials requests cost N Redis commands and no database read.
// Two orgauth nodes (plus a third whose bumps are lost) on one PostgreSQL database and this file's
// own redis-server on a free port (it is killed and restarted here). Needs TEST_DATABASE_URL and
// TEST_REDIS_URL (the PostgreSQL it names is used; the shared Redis is not touched) and redis-server.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  addUser, assertCspError, bootstrapAdmin, clientCredentials, createApp, freePort, sleep, startServer,
  type Admin, type CreatedApp, type TestServer, type UserCred,
} from './helpers/index.js';
import { freshBackend, postgresAndRedis, queryDatabase, type FreshBackend } from './helpers/postgres.js';

/** Short, so the changes whose bump is lost (they wait this long before their 200) keep the file quick. */
const CACHE_SECONDS = 2;
const STEADY_REQUESTS = 40;

const available = await postgresAndRedis();
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = available.skip
  ?? (hasRedisServer ? undefined : 'redis-server is not installed')
  ?? (process.env.ORGAUTH_TEST_BACKEND === 'postgres' ? 'it ran in the first pass (it brings its own PostgreSQL database and Redis)' : undefined);
if (skip) process.stdout.write(`# skipping the epoch-cache tests: ${skip}\n`);

let backend: FreshBackend;
let redisPort: number;
let redisDir: string;
let redis: ChildProcess | undefined;
let nodeA: TestServer;
let nodeB: TestServer;
/** Its epoch bumps are lost after the commit. */
let nodeLosing: TestServer;
let admin: Admin;

function redisCli(...args: string[]): string {
  const result = spawnSync('redis-cli', ['-p', String(redisPort), ...args]);
  return result.stdout?.toString() ?? '';
}

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (redisCli('ping').trim() === 'PONG') return;
    await sleep(100);
  }
  throw new Error('redis-server did not start');
}

async function killRedis(): Promise<void> {
  if (!redis || redis.exitCode !== null) return;
  const gone = once(redis, 'exit');
  redis.kill('SIGKILL');
  await gone;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function metricsText(node: TestServer): Promise<string> {
  return (await node.req('GET', '/metrics', { root: true })).text;
}

/** orgauth_db_queries_total on a node, by statement (select, update, …). */
function databaseQueriesIn(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^orgauth_db_queries_total\{([^}]*)\} (\d+(?:\.\d+)?)/gm)) {
    const statement = /statement="(\w+)"/.exec(match[1] ?? '')?.[1] ?? 'other';
    counts[statement] = (counts[statement] ?? 0) + Number(match[2]);
  }
  return counts;
}

/**
 * orgauth_client_copies_total by event (served, read, renewed, dropped); orgauth_copy_renewals_total
 * as `management_apps.renewed`, `not_denied.dropped`, …; and every renewal pass's statements as `renewalReads`.
 */
function copyCountersIn(text: string): Record<string, number> {
  const counts: Record<string, number> = { served: 0, read: 0, renewed: 0, dropped: 0, 'management_apps.renewed': 0, 'memberships.renewed': 0, 'not_denied.renewed': 0 };
  for (const match of text.matchAll(/^orgauth_client_copies_total\{event="(\w+)"\} (\d+)/gm)) counts[match[1]!] = Number(match[2]);
  let managementStatements = 0;
  for (const match of text.matchAll(/^orgauth_copy_renewals_total\{copies="(\w+)",event="(\w+)"\} (\d+)/gm)) {
    if (match[2] === 'statement') managementStatements += Number(match[3]);
    else counts[`${match[1]}.${match[2]}`] = Number(match[3]);
  }
  counts.renewalReads = Number(/^orgauth_client_copy_renewal_reads_total (\d+)/m.exec(text)?.[1] ?? 0) + managementStatements;
  return counts;
}

async function copyCounters(node: TestServer): Promise<Record<string, number>> {
  return copyCountersIn(await metricsText(node));
}

/** Reads by requests: every select but those of renewal passes (which read up to 500 apps each, in the background). */
async function readsOutsideRenewal(node: TestServer): Promise<number> {
  const text = await metricsText(node);
  return (databaseQueriesIn(text).select ?? 0) - copyCountersIn(text).renewalReads!;
}

/**
 * Commands sent to Redis by clients while `work` runs, from MONITOR: what runs inside a script is
 * listed there too but marked `lua`, so each entry counted here is one command on the wire.
 */
async function redisCommandsDuring(work: () => Promise<void>): Promise<string[]> {
  const monitor = spawn('redis-cli', ['-p', String(redisPort), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  monitor.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  try {
    await waitFor('MONITOR to start', async () => {
      redisCli('echo', 'monitor-start');
      return output.includes('"monitor-start"');
    });
    const startAt = output.length;
    await work();
    redisCli('echo', 'monitor-end');
    await waitFor('MONITOR to catch up', async () => output.includes('"monitor-end"'));
    return output.slice(startAt, output.indexOf('"monitor-end"')).split('\n')
      .filter((line) => /^\d+\.\d+ \[\d+ (?!lua\])/.test(line))
      .map((line) => /\] "([^"]+)"/.exec(line)?.[1]?.toLowerCase() ?? '?')
      .filter((command) => command !== 'echo');
  } finally {
    monitor.kill('SIGTERM');
  }
}

/** Until nodes A and B use Redis again (/readyz is 503 while it is unreachable or a node's circuit breaker is open). */
async function bothReady(): Promise<void> {
  await waitFor('both nodes ready with Redis again', async () =>
    (await nodeA.req('GET', '/readyz', { root: true })).status === 200 && (await nodeB.req('GET', '/readyz', { root: true })).status === 200);
}

async function tokenOk(node: TestServer, app: { clientId: string }, secret: string): Promise<void> {
  const res = await clientCredentials(node, app.clientId, secret);
  assert.equal(res.status, 200, res.text);
}

async function refused(node: TestServer, app: { clientId: string }, secret: string): Promise<void> {
  assertCspError(await clientCredentials(node, app.clientId, secret), 401, { oauthError: 'invalid_client' });
}

/** Requests through node B until it serves the app from its copy (a request read the database and cached it). */
async function warm(app: CreatedApp, secret = app.clientSecret): Promise<void> {
  for (let i = 0; i < 2; i++) await tokenOk(nodeB, app, secret);
}

function basicAuth(app: { clientId: string }, secret: string): string {
  return 'Basic ' + Buffer.from(`${app.clientId}:${secret}`).toString('base64');
}

/** Introspection by the app itself of a token: whether it is active. */
async function active(node: TestServer, app: { clientId: string }, secret: string, token: string): Promise<boolean> {
  const res = await node.req('POST', '/auth/introspect', { form: { token }, headers: { authorization: basicAuth(app, secret) } });
  assert.equal(res.status, 200, res.text);
  return res.body.active as boolean;
}

async function revokeToken(node: TestServer, app: { clientId: string }, secret: string, token: string): Promise<void> {
  const res = await node.req('POST', '/auth/revoke', { form: { token }, headers: { authorization: basicAuth(app, secret) } });
  assert.equal(res.status, 200, res.text);
}

/** An app whose own token node B has introspected as active twice (from its memory the second time). */
async function introspectedApp(): Promise<{ app: CreatedApp; token: string }> {
  const app = await createApp(nodeA, admin.accessToken, admin.orgId);
  const issued = await clientCredentials(nodeA, app.clientId, app.clientSecret);
  assert.equal(issued.status, 200, issued.text);
  const token = issued.body.access_token as string;
  for (let i = 0; i < 2; i++) assert.equal(await active(nodeB, app, app.clientSecret, token), true);
  return { app, token };
}

async function regenerate(node: TestServer, app: CreatedApp, query = ''): Promise<string> {
  const put = await node.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret${query}`, { token: admin.accessToken, json: {} });
  assert.equal(put.status, 200, put.text);
  for (const n of [nodeA, nodeB, nodeLosing]) n.rememberSecret(put.body.clientSecret, 'clientSecret');
  return put.body.clientSecret as string;
}

/** GET app through `node` with a bearer token. */
function getApp(node: TestServer, token: string, appId: string) {
  return node.req('GET', `/orgs/${admin.orgId}/oauth-apps/${appId}`, { token });
}

async function readsApp(node: TestServer, token: string, appId: string): Promise<Record<string, unknown>> {
  const res = await getApp(node, token, appId);
  assert.equal(res.status, 200, res.text);
  return res.body as Record<string, unknown>;
}

/** A new member whose GET of a new app node B has served twice (the second time from its copies). */
async function memberReading(role: 'org_owner' | 'org_admin' | 'org_member' = 'org_admin'): Promise<{ user: UserCred; app: CreatedApp }> {
  const user = await addUser(nodeA, admin.orgId, role, { developer: true });
  const app = await createApp(nodeA, admin.accessToken, admin.orgId);
  for (let i = 0; i < 2; i++) await readsApp(nodeB, user.accessToken, app.clientId);
  return { user, app };
}

/**
 * Runs a CLI command while node B keeps reading the app with the user's token, so that B's copies
 * are as fresh as the trust period allows when the command reports success (a command takes about
 * as long as the trust period: without this, B's copy could expire on its own and hide a missing bump).
 */
async function whileBReads(user: UserCred, appId: string, command: () => Promise<unknown>): Promise<void> {
  let done = false;
  const reading = (async () => {
    while (!done) await getApp(nodeB, user.accessToken, appId);
  })();
  try {
    await command();
  } finally {
    done = true;
    await reading;
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function setRole(node: TestServer, user: UserCred, appId: string, role: string, developer: boolean) {
  return whileBReads(user, appId, () => node.cli(['user', 'add', '--org', admin.orgId, '--username', user.username, '--role', role, ...(developer ? ['--developer'] : [])]));
}

function removeMember(node: TestServer, user: UserCred, appId: string) {
  return whileBReads(user, appId, () => node.cli(['user', 'remove', '--org', admin.orgId, '--username', user.username]));
}

/** Revokes the user's API token through the API of `node` (DELETE /loggedin/user/api-tokens/{id}). */
async function revokeOwnApiToken(node: TestServer, user: UserCred): Promise<void> {
  const list = await node.req('GET', '/loggedin/user/api-tokens', { token: user.accessToken });
  assert.equal(list.status, 200, list.text);
  const tokens = (Array.isArray(list.body) ? list.body : list.body.tokens ?? list.body.results) as Array<{ tokenId: string; status: string }>;
  const live = tokens.filter((t) => t.status === 'active');
  assert.equal(live.length, 1, list.text);
  const res = await node.req('DELETE', `/loggedin/user/api-tokens/${live[0]!.tokenId}`, { token: user.accessToken });
  assert.equal(res.status, 200, res.text);
}

async function renameApp(node: TestServer, app: CreatedApp, displayName: string): Promise<void> {
  const res = await node.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken, json: { displayName } });
  assert.equal(res.status, 200, res.text);
}

async function deleteApp(node: TestServer, app: CreatedApp): Promise<void> {
  const res = await node.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: [app.clientId] } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.succeeded, [app.clientId]);
}

async function notActive(node: TestServer, token: string, appId: string): Promise<void> {
  assertCspError(await getApp(node, token, appId), 401);
}

describe('several nodes: the epoch cache', { skip }, () => {
  before(async () => {
    backend = await freshBackend(available.backend!, 'epochs');
    redisPort = await freePort();
    redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-epochs-redis-'));
    await startRedis();
    const env = {
      ...backend.env,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      ORGAUTH_ISSUER: 'http://orgauth-epochs.test/csp/gateway/am/api',
      ORGAUTH_CLIENT_CACHE_SECONDS: String(CACHE_SECONDS),
      RATE_LIMIT_TOKEN: '100000/60',
      RATE_LIMIT_MANAGEMENT: '100000/60',
    };
    nodeA = await startServer({ env });
    [nodeB, nodeLosing] = await Promise.all([
      startServer({ env }),
      startServer({ env: { ...env, ORGAUTH_TEST_FAULTS: 'lose-epoch-bumps' } }),
    ]);
    admin = await bootstrapAdmin(nodeA);
  });

  after(async () => {
    try {
      await Promise.all([nodeA?.stop(), nodeB?.stop(), nodeLosing?.stop()]);
    } finally {
      await killRedis();
      if (redisDir) fs.rmSync(redisDir, { recursive: true, force: true });
      await backend?.dispose();
    }
  });

  it(`steady state: ${STEADY_REQUESTS} client_credentials requests cost ${STEADY_REQUESTS} Redis commands and no database read`, async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    const before = await readsOutsideRenewal(nodeB);
    const commands = await redisCommandsDuring(async () => {
      for (let i = 0; i < STEADY_REQUESTS; i++) await tokenOk(nodeB, app, app.clientSecret);
    });
    const after = await readsOutsideRenewal(nodeB);
    const tally: Record<string, number> = {};
    for (const command of commands) tally[command] = (tally[command] ?? 0) + 1;
    assert.deepEqual(tally, { evalsha: STEADY_REQUESTS }, 'one script call per token request and nothing else');
    assert.equal(after - before, 0, 'no database read per token');
  });

  it('copies in use are renewed: an app served every 300 ms for three trust periods reads the database only in renewal passes', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    const before = await copyCounters(nodeB);
    const readsBefore = await readsOutsideRenewal(nodeB);
    const until = performance.now() + 3 * CACHE_SECONDS * 1000;
    let tokens = 0;
    while (performance.now() < until) {
      await tokenOk(nodeB, app, app.clientSecret);
      tokens += 1;
      await sleep(300);
    }
    const after = await copyCounters(nodeB);
    assert.equal(after.read! - before.read!, 0, `no token read the database: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.equal(after.served! - before.served!, tokens);
    assert.ok(after.renewed! - before.renewed! >= 2, `renewed at least once per trust period: ${JSON.stringify(after)}`);
    assert.equal(await readsOutsideRenewal(nodeB) - readsBefore, 0);
  });

  it('a secret deleted directly in the database (no bump) is refused through node B within the trust period, though its copy is kept in use', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    await queryDatabase(backend.databaseUrl, 'DELETE FROM app_secrets WHERE app_id = $1', [app.clientId]);
    const deletedAt = performance.now();
    let refusedAt: number | undefined;
    // Kept in use every 200 ms: renewal reads the app again instead of letting the copy expire.
    while (performance.now() - deletedAt < 2 * CACHE_SECONDS * 1000 + 1000) {
      const res = await clientCredentials(nodeB, app.clientId, app.clientSecret);
      if (res.status === 200) assert.equal(refusedAt, undefined, 'once refused, refused at every later request');
      else {
        assertCspError(res, 401, { oauthError: 'invalid_client' });
        refusedAt ??= performance.now();
      }
      await sleep(200);
    }
    assert.ok(refusedAt !== undefined && refusedAt - deletedAt <= CACHE_SECONDS * 1000 + 300, `refused ${refusedAt === undefined ? 'never' : `${Math.round(refusedAt - deletedAt)} ms after the deletion`}`);
  });

  it(`steady state: ${STEADY_REQUESTS} introspections of a service account's token cost ${STEADY_REQUESTS} Redis commands and no database read`, async () => {
    const { app, token } = await introspectedApp();
    const before = await readsOutsideRenewal(nodeB);
    const commands = await redisCommandsDuring(async () => {
      for (let i = 0; i < STEADY_REQUESTS; i++) assert.equal(await active(nodeB, app, app.clientSecret, token), true);
    });
    const after = await readsOutsideRenewal(nodeB);
    const tally: Record<string, number> = {};
    for (const command of commands) tally[command] = (tally[command] ?? 0) + 1;
    assert.deepEqual(tally, { evalsha: STEADY_REQUESTS }, 'one script call per introspection and nothing else');
    assert.equal(after - before, 0, 'no database read per introspection');
  });

  describe('with Redis up: a change through node A is in force through node B at its next request', () => {
    it('a token revoked through node A introspects inactive through node B at the next request', async () => {
      const { app, token } = await introspectedApp();
      await revokeToken(nodeA, app, app.clientSecret, token);
      assert.equal(await active(nodeB, app, app.clientSecret, token), false);
      // A token of the same app that was not revoked is still active.
      const other = await clientCredentials(nodeA, app.clientId, app.clientSecret);
      assert.equal(await active(nodeB, app, app.clientSecret, other.body.access_token as string), true);
    });


    it('regenerate: the old secret is refused, the new one works', async () => {
      const app = await createApp(nodeA, admin.accessToken, admin.orgId);
      await warm(app);
      const fresh = await regenerate(nodeA, app);
      await refused(nodeB, app, app.clientSecret);
      await tokenOk(nodeB, app, fresh);
      // Served from the new copy again: the old secret stays refused.
      await refused(nodeB, app, app.clientSecret);
    });

    it('PATCH grantTypes without client_credentials: unauthorized_client at the next request', async () => {
      const app = await createApp(nodeA, admin.accessToken, admin.orgId, { grantTypes: ['client_credentials', 'refresh_token'] });
      await warm(app);
      const patch = await nodeA.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken, json: { grantTypes: ['refresh_token'] } });
      assert.equal(patch.status, 200, patch.text);
      assertCspError(await clientCredentials(nodeB, app.clientId, app.clientSecret), 400, { oauthError: 'unauthorized_client' });
    });

    it('PATCH secret: the old secret is refused at the next request', async () => {
      const app = await createApp(nodeA, admin.accessToken, admin.orgId);
      await warm(app);
      const secret = `Epoch@Patch!9${Date.now()}`;
      for (const n of [nodeA, nodeB, nodeLosing]) n.rememberSecret(secret, 'clientSecret');
      const patch = await nodeA.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken, json: { secret } });
      assert.equal(patch.status, 200, patch.text);
      await refused(nodeB, app, app.clientSecret);
      await tokenOk(nodeB, app, secret);
    });

    it('regenerate with revokeTokens=true: the old secret is refused and its token inactive at the next request', async () => {
      const app = await createApp(nodeA, admin.accessToken, admin.orgId);
      await warm(app);
      const old = await clientCredentials(nodeB, app.clientId, app.clientSecret);
      assert.equal(old.status, 200, old.text);
      for (let i = 0; i < 2; i++) assert.equal(await active(nodeB, app, app.clientSecret, old.body.access_token as string), true);
      const fresh = await regenerate(nodeA, app, '?revokeTokens=true');
      await refused(nodeB, app, app.clientSecret);
      const introspection = await nodeB.req('POST', '/auth/introspect', {
        form: { token: old.body.access_token },
        headers: { authorization: 'Basic ' + Buffer.from(`${app.clientId}:${fresh}`).toString('base64') },
      });
      assert.equal(introspection.status, 200, introspection.text);
      assert.equal(introspection.body.active, false);
    });

    it('secrets regenerated through node A without revokeTokens deny nothing: node B serves introspection and GET app from memory, one Redis command each', async () => {
      const { user, app: read } = await memberReading();
      const { app, token } = await introspectedApp();
      const changed = await createApp(nodeA, admin.accessToken, admin.orgId);
      await regenerate(nodeA, changed); // node A's copies of the admin, after memberReading's membership change
      const key = `${backend.redisPrefix}revocations-epoch`;
      const epochBefore = redisCli('get', key).trim();
      const tally: Record<string, number> = {};
      let reads = 0;
      for (let i = 0; i < 3; i++) {
        const before = await readsOutsideRenewal(nodeB);
        const commands = await redisCommandsDuring(async () => {
          await regenerate(nodeA, changed);
          assert.equal(await active(nodeB, app, app.clientSecret, token), true);
          await readsApp(nodeB, user.accessToken, read.clientId);
        });
        reads += (await readsOutsideRenewal(nodeB)) - before;
        for (const command of commands) tally[command] = (tally[command] ?? 0) + 1;
      }
      assert.equal(redisCli('get', key).trim(), epochBefore, 'the revocations epoch stayed');
      // Per round: the PUT's script call (its budget counted in it) and its bump of the app's epoch
      // alone; one script call each for the introspection and the GET.
      assert.deepEqual(tally, { evalsha: 9, multi: 3, set: 3, exec: 3 });
      assert.equal(reads, 0, 'no denylist, membership or app read through node B');
      await regenerate(nodeA, changed, '?revokeTokens=true');
      assert.notEqual(redisCli('get', key).trim(), epochBefore, 'a change that denies tokens moves it');
    });

    it('delete: the app is refused at the next request', async () => {
      const app = await createApp(nodeA, admin.accessToken, admin.orgId);
      await warm(app);
      const del = await nodeA.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: [app.clientId] } });
      assert.equal(del.status, 200, del.text);
      assert.deepEqual(del.body.succeeded, [app.clientId]);
      await refused(nodeB, app, app.clientSecret);
    });
  });

  it('the bump lost after the database commit: the change is acknowledged only once node B no longer trusts its copy', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    const epochKey = `${backend.redisPrefix}epoch:${app.clientId}`;
    const epochBefore = redisCli('get', epochKey).trim();
    assert.notEqual(epochBefore, '', 'node B cached the app under an epoch');
    const fresh = await regenerate(nodeLosing, app);
    assert.equal(redisCli('get', epochKey).trim(), epochBefore, 'the fault hook lost the bump');
    await refused(nodeB, app, app.clientSecret);
    await tokenOk(nodeB, app, fresh);
  });

  it('a revocation whose bump is lost: acknowledged only once node B no longer trusts its memory of the token', async () => {
    const { app, token } = await introspectedApp();
    const epochKey = `${backend.redisPrefix}revocations-epoch`;
    const epochBefore = redisCli('get', epochKey).trim();
    assert.notEqual(epochBefore, '', 'node B read a revocations epoch');
    await revokeToken(nodeLosing, app, app.clientSecret, token);
    assert.equal(redisCli('get', epochKey).trim(), epochBefore, 'the fault hook lost the bump');
    assert.equal(await active(nodeB, app, app.clientSecret, token), false);
  });

  it('Redis killed mid-run: a token revoked through node A introspects inactive through node B, before and after Redis is back', async () => {
    const { app, token } = await introspectedApp();
    await killRedis();
    try {
      await revokeToken(nodeA, app, app.clientSecret, token);
      assert.equal(await active(nodeB, app, app.clientSecret, token), false);
    } finally {
      await startRedis();
    }
    await bothReady();
    assert.equal(await active(nodeB, app, app.clientSecret, token), false);
    // Memory is rebuilt after the restart, and a revocation is again in force at once.
    const { app: next, token: nextToken } = await introspectedApp();
    await revokeToken(nodeA, next, next.clientSecret, nextToken);
    assert.equal(await active(nodeB, next, next.clientSecret, nextToken), false);
  });

  it('Redis killed mid-run, then restarted empty: the old secret is refused through node B at every step', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    await killRedis();
    const fresh = await regenerate(nodeA, app);
    await refused(nodeB, app, app.clientSecret);
    await tokenOk(nodeB, app, fresh);

    // Back, without any epoch: nothing cached before matches what Redis holds now.
    await startRedis();
    await bothReady();
    await refused(nodeB, app, app.clientSecret);
    await tokenOk(nodeB, app, fresh);
    const newer = await regenerate(nodeA, app);
    await refused(nodeB, app, fresh);
    await tokenOk(nodeB, app, newer);
  });

  it('Redis hung (SIGSTOP) mid-run: a secret regenerated through node A meanwhile is refused through node B during the hang and after it', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    redis!.kill('SIGSTOP');
    let fresh: string;
    try {
      // The bump cannot reach Redis: node A answers once no node can still trust a copy made before the change.
      const took = await timed(async () => { fresh = await regenerate(nodeA, app); });
      assert.ok(took >= CACHE_SECONDS * 1000, `the change waited out the trust period (${Math.round(took)} ms)`);
      await refused(nodeB, app, app.clientSecret);
    } finally {
      redis!.kill('SIGCONT');
    }
    // Node B's copy kept its link generation through the hang (a late answer is not lost data): only its age distrusts it.
    await refused(nodeB, app, app.clientSecret);
    await tokenOk(nodeB, app, fresh!);
    await bothReady();
  });

  it('a Redis that answers late does not cost node B its copies: once it answers again, B serves from them without a database read', async () => {
    const app = await createApp(nodeA, admin.accessToken, admin.orgId);
    await warm(app);
    redis!.kill('SIGSTOP');
    try {
      await tokenOk(nodeB, app, app.clientSecret); // no answer within 50 ms: read from the database
    } finally {
      redis!.kill('SIGCONT');
    }
    await bothReady();
    const before = await copyCounters(nodeB);
    for (let i = 0; i < 3; i++) await tokenOk(nodeB, app, app.clientSecret);
    const after = await copyCounters(nodeB);
    assert.equal(after.read! - before.read!, 0, `no database read: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.equal(after.served! - before.served!, 3);
  });

  describe('management reads: a change through one node is in force through node B at its next request', () => {
    it(`steady state: ${STEADY_REQUESTS} GET app with a person's token cost ${STEADY_REQUESTS} Redis commands and no database read`, async () => {
      const { user, app } = await memberReading();
      const before = await readsOutsideRenewal(nodeB);
      const commands = await redisCommandsDuring(async () => {
        for (let i = 0; i < STEADY_REQUESTS; i++) await readsApp(nodeB, user.accessToken, app.clientId);
      });
      const after = await readsOutsideRenewal(nodeB);
      const tally: Record<string, number> = {};
      for (const command of commands) tally[command] = (tally[command] ?? 0) + 1;
      assert.deepEqual(tally, { evalsha: STEADY_REQUESTS }, 'one script call per GET app and nothing else');
      assert.equal(after - before, 0, 'no database read per GET app');
    });

    it('copies in use are renewed: a person reading an app every 300 ms for three trust periods reads the database only in renewal passes', async () => {
      const { user, app } = await memberReading();
      const before = await copyCounters(nodeB);
      const readsBefore = await readsOutsideRenewal(nodeB);
      const until = performance.now() + 3 * CACHE_SECONDS * 1000;
      while (performance.now() < until) {
        await readsApp(nodeB, user.accessToken, app.clientId);
        await sleep(300);
      }
      const after = await copyCounters(nodeB);
      assert.equal(await readsOutsideRenewal(nodeB) - readsBefore, 0, `no GET read the database: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
      for (const family of ['management_apps', 'memberships', 'not_denied']) {
        assert.ok(after[`${family}.renewed`]! - before[`${family}.renewed`]! >= 2, `${family} renewed at least once per trust period: ${JSON.stringify(after)}`);
      }
    });

    it('a renewed copy holds what the database holds: an app renamed directly in the database (no bump) shows through node B within the trust period, though its copy is kept in use', async () => {
      const { user, app } = await memberReading();
      await queryDatabase(backend.databaseUrl, 'UPDATE oauth_apps SET display_name = $1 WHERE id = $2', ['renamed behind its back', app.clientId]);
      const changedAt = performance.now();
      let seenAt: number | undefined;
      while (performance.now() - changedAt < 2 * CACHE_SECONDS * 1000 + 1000) {
        const shown = (await readsApp(nodeB, user.accessToken, app.clientId)).displayName;
        if (shown === 'renamed behind its back') seenAt ??= performance.now();
        else assert.equal(seenAt, undefined, 'once shown, shown at every later request');
        await sleep(200);
      }
      assert.ok(seenAt !== undefined && seenAt - changedAt <= CACHE_SECONDS * 1000 + 300, `shown ${seenAt === undefined ? 'never' : `${Math.round(seenAt - changedAt)} ms after the change`}`);
    });

    it('a token denied directly in the database (no bump) is refused through node B within the trust period, though the memory of it is kept in use', async () => {
      const { user, app } = await memberReading();
      const jti = JSON.parse(Buffer.from(user.accessToken.split('.')[1]!, 'base64url').toString()).jti as string;
      await queryDatabase(backend.databaseUrl, 'INSERT INTO token_denylist (kind, value, expires_at) VALUES ($1, $2, $3)', ['jti', jti, Math.floor(Date.now() / 1000) + 3600]);
      const deniedAt = performance.now();
      let refusedAt: number | undefined;
      while (performance.now() - deniedAt < 2 * CACHE_SECONDS * 1000 + 1000) {
        const res = await getApp(nodeB, user.accessToken, app.clientId);
        if (res.status === 200) assert.equal(refusedAt, undefined, 'once refused, refused at every later request');
        else {
          assertCspError(res, 401);
          refusedAt ??= performance.now();
        }
        await sleep(200);
      }
      assert.ok(refusedAt !== undefined && refusedAt - deniedAt <= CACHE_SECONDS * 1000 + 300, `refused ${refusedAt === undefined ? 'never' : `${Math.round(refusedAt - deniedAt)} ms after the denial`}`);
    });

    for (const [how, node] of [['Redis up, through node A', () => nodeA], ['the bump lost, through node C', () => nodeLosing]] as const) {
      /**
       * A CLI command run with a node's environment either moved the epoch (Redis up) or, its bump lost,
       * reported success only after every node's copy had expired: checked directly, because B's copy
       * may also expire on its own while a command runs and hide a missing bump from the reads alone.
       */
      const cliBumpedOrWaited = (key: string, epochBefore: string, tookMs: number): void => {
        const epochAfter = redisCli('get', key).trim();
        if (node() === nodeLosing) {
          assert.equal(epochAfter, epochBefore, 'the fault hook lost the bump');
          assert.ok(tookMs >= CACHE_SECONDS * 1000, `the command waited out the trust period (${tookMs} ms)`);
        } else {
          assert.notEqual(epochAfter, epochBefore, 'the command moved the epoch');
        }
      };
      describe(how, () => {
        it('member removed (CLI user remove): their token is refused', async () => {
          const { user, app } = await memberReading();
          const key = `${backend.redisPrefix}members-epoch:${admin.orgId}`;
          const epochBefore = redisCli('get', key).trim();
          const took = await timed(() => removeMember(node(), user, app.clientId));
          cliBumpedOrWaited(key, epochBefore, took);
          await notActive(nodeB, user.accessToken, app.clientId);
        });

        it('role changed (CLI user add): the new roles decide at the next request', async () => {
          const { user, app } = await memberReading();
          const key = `${backend.redisPrefix}members-epoch:${admin.orgId}`;
          const epochBefore = redisCli('get', key).trim();
          const took = await timed(() => setRole(node(), user, app.clientId, 'org_member', false));
          cliBumpedOrWaited(key, epochBefore, took);
          assertCspError(await getApp(nodeB, user.accessToken, app.clientId), 403);
          await setRole(node(), user, app.clientId, 'org_admin', false);
          await readsApp(nodeB, user.accessToken, app.clientId);
        });

        it('API token revoked through the API: the access tokens exchanged from it are refused', async () => {
          const { user, app } = await memberReading();
          const key = `${backend.redisPrefix}revocations-epoch`;
          const epochBefore = redisCli('get', key).trim();
          await revokeOwnApiToken(node(), user);
          if (node() === nodeLosing) assert.equal(redisCli('get', key).trim(), epochBefore, 'the fault hook lost the bump');
          await notActive(nodeB, user.accessToken, app.clientId);
        });

        it('API token revoked with the CLI: the access tokens exchanged from it are refused', async () => {
          const { user, app } = await memberReading();
          const key = `${backend.redisPrefix}revocations-epoch`;
          const epochBefore = redisCli('get', key).trim();
          const took = await timed(() => whileBReads(user, app.clientId, () => node().cli(['api-token', 'revoke', '--token', user.apiToken])));
          cliBumpedOrWaited(key, epochBefore, took);
          await notActive(nodeB, user.accessToken, app.clientId);
        });

        it('app changed, then deleted: GET shows the change, then 404', async () => {
          const { user, app } = await memberReading();
          await renameApp(node(), app, 'renamed through another node');
          assert.equal((await readsApp(nodeB, user.accessToken, app.clientId)).displayName, 'renamed through another node');
          await deleteApp(node(), app);
          assertCspError(await getApp(nodeB, user.accessToken, app.clientId), 404);
        });
      });
    }

    it('Redis killed mid-run: removal, role change, API-token revocation and app changes through node A are in force through node B, before and after Redis is back', async () => {
      const removed = await memberReading();
      const demoted = await memberReading();
      const revoked = await memberReading();
      const changed = await memberReading();
      await killRedis();
      try {
        await removeMember(nodeA, removed.user, removed.app.clientId);
        await notActive(nodeB, removed.user.accessToken, removed.app.clientId);
        await setRole(nodeA, demoted.user, demoted.app.clientId, 'org_member', false);
        assertCspError(await getApp(nodeB, demoted.user.accessToken, demoted.app.clientId), 403);
        await revokeOwnApiToken(nodeA, revoked.user);
        await notActive(nodeB, revoked.user.accessToken, revoked.app.clientId);
        await renameApp(nodeA, changed.app, 'renamed without Redis');
        assert.equal((await readsApp(nodeB, changed.user.accessToken, changed.app.clientId)).displayName, 'renamed without Redis');
      } finally {
        await startRedis();
      }
      await bothReady();
      await notActive(nodeB, removed.user.accessToken, removed.app.clientId);
      assertCspError(await getApp(nodeB, demoted.user.accessToken, demoted.app.clientId), 403);
      await notActive(nodeB, revoked.user.accessToken, revoked.app.clientId);
      assert.equal((await readsApp(nodeB, changed.user.accessToken, changed.app.clientId)).displayName, 'renamed without Redis');
      // Copies are made again after the restart, and a change is again in force at once.
      const next = await memberReading();
      await removeMember(nodeA, next.user, next.app.clientId);
      await notActive(nodeB, next.user.accessToken, next.app.clientId);
      await renameApp(nodeA, changed.app, 'renamed with Redis back');
      assert.equal((await readsApp(nodeB, changed.user.accessToken, changed.app.clientId)).displayName, 'renamed with Redis back');
    });
  });
});
