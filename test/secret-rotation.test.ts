// The secret lifecycle (docs/design.md §6.1, §6.3): owner rotation with a grace period, deleting
// the old secret, regenerate during a rotation, public clients, the secrets listing of §6.4, and the
// verified-secret cache of caller-supplied (Argon2id) secrets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import pg from 'pg';
import {
  assertCspError, bootstrapAdmin, clientCredentials, createApp, exchangeApiToken, sleep, type Admin, type CreatedApp, type HttpResult, type Json, type TestServer,
} from './helpers/index.js';
import {
  assertEmpty200, assertErrorCode, assertSecretRefused, assertSecretWorks, deleteOldSecret, listSecrets,
  regenerateSecret, rotateSecret, startRoomyServer, suppliedSecret,
} from './helpers/lifecycle.js';
import { serverPid, terminate } from './helpers/hardening.js';

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await server?.stop();
});

const rotate = (appId: string, secret: string, grace?: number): Promise<HttpResult> =>
  rotateSecret(server, admin.accessToken, admin.orgId, appId, secret, grace);
const deleteOld = (appId: string): Promise<HttpResult> => deleteOldSecret(server, admin.accessToken, admin.orgId, appId);
const regenerate = (appId: string): Promise<HttpResult> => regenerateSecret(server, admin.accessToken, admin.orgId, appId);
const secrets = (appId: string): Promise<Json[]> => listSecrets(server, admin.accessToken, admin.orgId, appId);
const newApp = (overrides: Record<string, unknown> = {}): Promise<CreatedApp> => createApp(server, admin.accessToken, admin.orgId, overrides);
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('POST …/secret (owner rotation)', () => {
  it('with a 2 s grace: both secrets work during the grace, the old one is refused after it', async () => {
    const app = await newApp();
    const next = suppliedSecret('grace');
    const started = nowSeconds();
    assertEmpty200(await rotate(app.clientId, next, 2), 'rotation');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'old secret during the grace');
    await assertSecretWorks(server, app.clientId, next, 'new secret during the grace');
    const during = await secrets(app.clientId);
    assert.equal(during.length, 2, `two valid secrets during the grace: ${JSON.stringify(during)}`);
    const previous = during.find((s) => s.status === 'previous');
    assert.ok(previous, 'a previous secret is listed');
    assert.ok(previous.expiresAt >= started + 2 && previous.expiresAt <= nowSeconds() + 2, `expiresAt ≈ now + 2: ${previous.expiresAt}`);

    await sleep(2500);
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'old secret after the grace');
    await assertSecretWorks(server, app.clientId, next, 'new secret after the grace');
    const later = await secrets(app.clientId);
    assert.deepEqual(later.map((s) => s.status), ['current'], 'only the current secret is listed after the grace');
    assert.ok(!('hint' in later[0]), 'a caller-supplied secret has no hint');
  });

  it('during the grace each secret mints tokens that name it (sid), in both credential shapes', async () => {
    // revokeTokens kills tokens by the secret that minted them: a token from the old secret must
    // name the old one even while the new one is current.
    const app = await newApp();
    const next = suppliedSecret('sid-grace');
    assertEmpty200(await rotate(app.clientId, next, 60), 'rotation');
    const listed = await secrets(app.clientId);
    const previousId = listed.find((s) => s.status === 'previous')?.secretId;
    const currentId = listed.find((s) => s.status === 'current')?.secretId;
    assert.ok(previousId && currentId && previousId !== currentId, `two distinct secrets listed: ${JSON.stringify(listed)}`);
    for (const shape of ['basic', 'post'] as const) {
      for (const [secret, expected] of [[app.clientSecret, previousId], [next, currentId]] as const) {
        const res = await clientCredentials(server, app.clientId, secret, shape);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(decodeJwt(res.body.access_token).sid, expected, `${shape}: the token names the secret that minted it`);
      }
    }
  });

  it('after the grace has ended, a new rotation is allowed again', async () => {
    const app = await newApp();
    const first = suppliedSecret('r1');
    assertEmpty200(await rotate(app.clientId, first, 1), 'first rotation');
    await sleep(2100);
    const second = suppliedSecret('r2');
    assertEmpty200(await rotate(app.clientId, second, 3600), 'second rotation after the grace');
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'the original secret');
    await assertSecretWorks(server, app.clientId, first, 'the first rotated secret (now previous)');
    await assertSecretWorks(server, app.clientId, second, 'the second rotated secret (now current)');
  });

  it('without secretRotationExpirationInSeconds the app\'s own setting is the grace', async () => {
    const app = await newApp({ secretRotationExpirationInSeconds: 600 });
    const started = nowSeconds();
    assertEmpty200(await rotate(app.clientId, suppliedSecret('dflt')), 'rotation');
    const previous = (await secrets(app.clientId)).find((s) => s.status === 'previous');
    assert.ok(previous, 'a previous secret is listed');
    assert.ok(previous.expiresAt >= started + 600 && previous.expiresAt <= nowSeconds() + 600, `expiresAt ≈ now + 600: ${previous.expiresAt}`);
  });

  it('a second rotation during the grace → 409 OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR; nothing changes', async () => {
    const app = await newApp();
    const next = suppliedSecret('first');
    assertEmpty200(await rotate(app.clientId, next, 3600), 'first rotation');
    const before = await secrets(app.clientId);
    const third = suppliedSecret('third');
    const res = await rotate(app.clientId, third, 3600);
    assertErrorCode(server, res, 409, 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR');
    assert.deepEqual(await secrets(app.clientId), before, 'the refused rotation left the secrets alone');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'old secret');
    await assertSecretWorks(server, app.clientId, next, 'current secret');
    await assertSecretRefused(server, app.clientId, third, 'the refused rotation\'s secret');
  });

  for (const [why, weak] of [
    ['shorter than 8', 'Ab1!xyz'],
    ['no upper-case letter', 'abcdef12!!'],
    ['no lower-case letter', 'ABCDEF12!!'],
    ['no digit', 'Abcdefgh!!'],
    ['no special character', 'Abcdefgh12'],
    ['longer than 256', `Aa1!${'x'.repeat(253)}`],
  ] as const) {
    it(`a weak newClientSecret (${why}) → 400 and no rotation starts`, async () => {
      const app = await newApp();
      const res = await rotate(app.clientId, weak, 3600);
      assertErrorCode(server, res, 400, 'OAUTH_ORG_CLIENT_SECRET_COMPLEXITY_ERROR');
      assert.equal((await secrets(app.clientId)).length, 1, 'still one secret');
      await assertSecretWorks(server, app.clientId, app.clientSecret, 'the secret after a refused rotation');
      // A strong secret may still start the rotation: the refused one left no state behind.
      assertEmpty200(await rotate(app.clientId, suppliedSecret('ok'), 3600), 'rotation after the refused one');
    });
  }

  it('newClientSecret equal to the current (caller-supplied) secret → 400 330.222', async () => {
    const mine = suppliedSecret('mine');
    const app = await newApp({ secret: mine });
    const res = await rotate(app.clientId, mine, 3600);
    assertErrorCode(server, res, 400, 'NEW_CLIENT_SECRET_AND_CURRENT_SECRET_NOT_DIFFERENT', '330.222');
    assert.equal((await secrets(app.clientId)).length, 1, 'no rotation started');
    await assertSecretWorks(server, app.clientId, mine, 'the unchanged secret');
  });

  it('newClientSecret equal to the current (generated) secret → 400 330.222', async () => {
    const app = await newApp();
    // A generated secret meets the complexity rule unless it happens to lack a digit or a letter case.
    let current = app.clientSecret;
    while (!(/[a-z]/.test(current) && /[A-Z]/.test(current) && /[0-9]/.test(current))) {
      current = (await regenerate(app.clientId)).body.clientSecret as string;
    }
    const res = await rotate(app.clientId, current, 3600);
    assertErrorCode(server, res, 400, 'NEW_CLIENT_SECRET_AND_CURRENT_SECRET_NOT_DIFFERENT', '330.222');
    await assertSecretWorks(server, app.clientId, current, 'the unchanged secret');
  });

  it('an unknown app → 404; a body with an unknown member → 400', async () => {
    assertErrorCode(server, await rotate('no-such-app-99', suppliedSecret()), 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    const app = await newApp();
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, {
      token: admin.accessToken, json: { newClientSecret: suppliedSecret(), extra: true },
    });
    assertCspError(res, 400, {}, server);
  });
});

describe('DELETE …/secret (delete the old secret)', () => {
  it('ends the grace at once: the old secret is refused on the very next request', async () => {
    const app = await newApp();
    const next = suppliedSecret('next');
    assertEmpty200(await rotate(app.clientId, next, 3600), 'rotation');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'old secret during the grace');
    assertEmpty200(await deleteOld(app.clientId), 'delete old');
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'old secret right after delete-old');
    await assertSecretWorks(server, app.clientId, next, 'current secret after delete-old');
    const after = await secrets(app.clientId);
    assert.deepEqual(after.map((s) => s.status), ['current']);
    assert.ok(!('hint' in after[0]), 'a caller-supplied secret has no hint');
    // With the rotation over, a new one may start.
    assertEmpty200(await rotate(app.clientId, suppliedSecret('again'), 3600), 'rotation after delete-old');
  });

  it('without a rotation it is a 200 no-op: same secret, same secret id', async () => {
    const app = await newApp();
    const before = await secrets(app.clientId);
    assertEmpty200(await deleteOld(app.clientId), 'delete old without rotation');
    assertEmpty200(await deleteOld(app.clientId), 'delete old twice');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'the only secret');
    const after = await secrets(app.clientId);
    assert.deepEqual(after.map((s) => s.secretId), before.map((s) => s.secretId));
  });

  it('an unknown app → 404', async () => {
    assertErrorCode(server, await deleteOld('no-such-app-98'), 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
  });
});

describe('PUT …/secret (regenerate) during a rotation', () => {
  it('kills both secrets of the rotation; only the regenerated one works', async () => {
    const app = await newApp();
    const next = suppliedSecret('rot');
    assertEmpty200(await rotate(app.clientId, next, 3600), 'rotation');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'previous secret');
    await assertSecretWorks(server, app.clientId, next, 'current secret');
    const res = await regenerate(app.clientId);
    assert.equal(res.status, 200, res.text);
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'previous secret after regenerate');
    await assertSecretRefused(server, app.clientId, next, 'current secret after regenerate');
    await assertSecretWorks(server, app.clientId, res.body.clientSecret, 'regenerated secret');
    const after = await secrets(app.clientId);
    assert.deepEqual(after.map((s) => s.status), ['current']);
    assert.equal(after[0].hint, (res.body.clientSecret as string).slice(-4));
    // The rotation is over: a new one may start.
    assertEmpty200(await rotate(app.clientId, suppliedSecret('after'), 3600), 'rotation after regenerate');
  });
});

describe('public clients have no secret (regenerate, rotation and delete-old → 409)', () => {
  let pub: CreatedApp;
  before(async () => {
    pub = await newApp({ publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://spa.example.com/cb'] });
    assert.equal(pub.clientSecret, undefined, 'a public client gets no secret');
  });

  it('PUT, POST and DELETE …/secret → 409 OAUTH_ORG_PUBLIC_CLIENT_HAS_NO_SECRET_ERROR, distinct from the rotation conflict', async () => {
    const results = [await regenerate(pub.clientId), await rotate(pub.clientId, suppliedSecret('pub'), 60), await deleteOld(pub.clientId)];
    for (const res of results) {
      assertErrorCode(server, res, 409, 'OAUTH_ORG_PUBLIC_CLIENT_HAS_NO_SECRET_ERROR');
      assert.notEqual(res.body.errorCode, 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR');
      assert.ok(!('clientSecret' in res.body));
    }
    assert.deepEqual(await secrets(pub.clientId), [], 'a public client lists no secrets');
  });
});

describe('GET …/secrets (docs/design.md §6.4 listing)', () => {
  it('lists secretId, hint (last 4, generated secrets only), status, createdAt, createdBy, expiresAt only on previous — never a value', async () => {
    const app = await newApp();
    const next = suppliedSecret('list');
    const t0 = nowSeconds();
    assertEmpty200(await rotate(app.clientId, next, 3600), 'rotation');
    const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secrets`, { token: admin.accessToken });
    assert.equal(res.status, 200, res.text);
    const list = res.body as Json[];
    assert.equal(list.length, 2);
    const allowed = new Set(['secretId', 'hint', 'status', 'createdAt', 'createdBy', 'expiresAt', 'lastUsedAt']);
    for (const s of list) {
      for (const k of Object.keys(s)) assert.ok(allowed.has(k), `unexpected field ${k} in a secret entry`);
      assert.equal(typeof s.secretId, 'string');
      assert.ok(s.secretId.length > 0);
      assert.ok(Number.isInteger(s.createdAt) && s.createdAt <= nowSeconds() && s.createdAt >= t0 - 60, `createdAt in epoch seconds: ${s.createdAt}`);
      assert.equal(s.createdBy, admin.username);
    }
    const current = list.find((s) => s.status === 'current');
    const previous = list.find((s) => s.status === 'previous');
    assert.ok(current && previous, `one current and one previous: ${res.text}`);
    assert.ok(!('hint' in current), 'no character of the caller-supplied secret is shown');
    assert.equal(previous.hint, app.clientSecret.slice(-4), 'the generated secret keeps its hint');
    assert.ok(!('expiresAt' in current), 'no expiresAt on the current secret');
    assert.ok(Number.isInteger(previous.expiresAt) && previous.expiresAt >= t0 + 3600, `previous.expiresAt: ${previous.expiresAt}`);
    assert.notEqual(current.secretId, previous.secretId);
    for (const value of [app.clientSecret, next]) assert.ok(!res.text.includes(value), 'no secret value in the listing');
    for (const [value, kind] of server.secrets()) if (kind === 'clientSecret') assert.ok(!res.text.includes(value), 'no known secret in the listing');
  });

  it('a new secret gets a new secretId; a regenerate lists the new one only', async () => {
    const app = await newApp();
    const [first] = await secrets(app.clientId);
    const res = await regenerate(app.clientId);
    const after = await secrets(app.clientId);
    assert.equal(after.length, 1);
    assert.notEqual(after[0].secretId, first.secretId);
    assert.equal(after[0].hint, (res.body.clientSecret as string).slice(-4));
  });

  it('an unknown app → 404', async () => {
    const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/no-such-app-97/secrets`, { token: admin.accessToken });
    assertErrorCode(server, res, 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
  });
});

describe('caller-supplied secrets (Argon2id) and the verified-secret cache', () => {
  it('a caller-supplied secret works on repeated requests, and a wrong one never does', async () => {
    const mine = suppliedSecret('cache');
    const app = await newApp({ secret: mine });
    for (let i = 0; i < 5; i++) await assertSecretWorks(server, app.clientId, mine, `caller-supplied secret, use ${i + 1}`);
    await assertSecretRefused(server, app.clientId, `${mine}x`, 'the secret with a character appended');
    await assertSecretRefused(server, app.clientId, mine.slice(0, -1), 'the secret with its last character removed');
    await assertSecretWorks(server, app.clientId, mine, 'caller-supplied secret after wrong attempts');
  });

  it('stops working on the very next request after a regenerate', async () => {
    const mine = suppliedSecret('regen');
    const app = await newApp({ secret: mine });
    for (let i = 0; i < 3; i++) await assertSecretWorks(server, app.clientId, mine, `caller-supplied secret, use ${i + 1}`);
    const res = await regenerate(app.clientId);
    assert.equal(res.status, 200, res.text);
    await assertSecretRefused(server, app.clientId, mine, 'caller-supplied secret right after regenerate');
    await assertSecretRefused(server, app.clientId, mine, 'caller-supplied secret (again)');
  });

  it('stops working on the very next request after delete-old', async () => {
    const mine = suppliedSecret('old');
    const app = await newApp({ secret: mine });
    for (let i = 0; i < 3; i++) await assertSecretWorks(server, app.clientId, mine, `caller-supplied secret, use ${i + 1}`);
    const next = suppliedSecret('new');
    assertEmpty200(await rotate(app.clientId, next, 3600), 'rotation');
    for (let i = 0; i < 3; i++) await assertSecretWorks(server, app.clientId, mine, `previous caller-supplied secret during the grace, use ${i + 1}`);
    await assertSecretWorks(server, app.clientId, next, 'new caller-supplied secret');
    assertEmpty200(await deleteOld(app.clientId), 'delete old');
    await assertSecretRefused(server, app.clientId, mine, 'previous caller-supplied secret right after delete-old');
    await assertSecretWorks(server, app.clientId, next, 'current secret after delete-old');
  });

  it('stops working on the very next request after its grace ends', async () => {
    const mine = suppliedSecret('expire');
    const app = await newApp({ secret: mine });
    await assertSecretWorks(server, app.clientId, mine, 'caller-supplied secret');
    assertEmpty200(await rotate(app.clientId, suppliedSecret('succ'), 1), 'rotation with a 1 s grace');
    await sleep(2100);
    await assertSecretRefused(server, app.clientId, mine, 'caller-supplied secret after its grace');
  });

  it('a PATCH secret replacing a cached caller-supplied secret kills it at once', async () => {
    const mine = suppliedSecret('p1');
    const app = await newApp({ secret: mine });
    await assertSecretWorks(server, app.clientId, mine, 'caller-supplied secret');
    await assertSecretWorks(server, app.clientId, mine, 'caller-supplied secret (cached)');
    const next = suppliedSecret('p2');
    const res = await server.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken, json: { secret: next } });
    assert.equal(res.status, 200, res.text);
    await assertSecretRefused(server, app.clientId, mine, 'replaced secret right after the PATCH');
    await assertSecretWorks(server, app.clientId, next, 'the PATCH secret');
  });
});

describe('lastUsedAt (docs/design.md §6.4): recorded coarsely, in memory first, and kept across a graceful restart', () => {
  it('a secret used for a token, and its app, get lastUsedAt at the time of use; an unused secret and app have none', async () => {
    const node = await startRoomyServer();
    let restarted: TestServer | undefined;
    try {
      const owner = await bootstrapAdmin(node);
      const used = await createApp(node, owner.accessToken, owner.orgId);
      const unused = await createApp(node, owner.accessToken, owner.orgId);
      const usedFrom = nowSeconds();
      await assertSecretWorks(node, used.clientId, used.clientSecret, 'a token with the secret');
      const usedUntil = nowSeconds();
      // Uses are written at most once a minute per secret; a graceful stop (SIGTERM) writes the
      // ones still held in memory, so a restart or a deploy loses none.
      await terminate(serverPid(node));
      restarted = await startRoomyServer({ shareWith: node });
      // Another port is another issuer here: a token of the restarted node.
      const token = await exchangeApiToken(restarted, owner.apiToken);
      const [secret, ...more] = await listSecrets(restarted, token, owner.orgId, used.clientId);
      assert.equal(more.length, 0);
      assert.ok(Number.isInteger(secret.lastUsedAt) && secret.lastUsedAt >= usedFrom && secret.lastUsedAt <= usedUntil,
        `secret lastUsedAt ${secret.lastUsedAt} within [${usedFrom}, ${usedUntil}]`);
      const app = await restarted.req('GET', `/orgs/${owner.orgId}/oauth-apps/${used.clientId}`, { token });
      assert.equal(app.status, 200, app.text);
      assert.equal(app.body.lastUsedAt, secret.lastUsedAt, 'the app\'s lastUsedAt is its secret\'s');
      const [idle] = await listSecrets(restarted, token, owner.orgId, unused.clientId);
      assert.equal(idle.lastUsedAt, undefined, 'never used: no lastUsedAt');
      const idleApp = await restarted.req('GET', `/orgs/${owner.orgId}/oauth-apps/${unused.clientId}`, { token });
      assert.equal(idleApp.body.lastUsedAt, null, 'never used: the app shows lastUsedAt null, as CSP does');
    } finally {
      await restarted?.stop();
      await node.stop();
    }
  });

  /** The per-server PostgreSQL database of a test server, when the suite runs on PostgreSQL. */
  const postgresUrlOf = (node: TestServer): string | undefined => {
    const json = process.env.TEST_SERVER_ENV_JSON;
    const url = json ? (JSON.parse(json) as Record<string, string>).DATABASE_URL?.replaceAll('{uniq}', node.uniq) : undefined;
    return url?.startsWith('postgres') ? url : undefined;
  };

  it('PostgreSQL: uses are written in batches that never wait on a change\'s lock while holding other rows, and a use under a lock is written once it is free', {
    skip: !process.env.TEST_SERVER_ENV_JSON?.includes('postgres') && 'row locks exist on PostgreSQL only',
  }, async () => {
    const node = await startRoomyServer();
    const url = postgresUrlOf(node);
    assert.ok(url, 'the per-server database');
    const change = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    let restarted: TestServer | undefined;
    try {
      await change.connect();
      await watcher.connect();
      const owner = await bootstrapAdmin(node);
      const free = await createApp(node, owner.accessToken, owner.orgId);
      const held = await createApp(node, owner.accessToken, owner.orgId);
      await assertSecretWorks(node, free.clientId, free.clientSecret, 'a token for the app whose rows stay free');
      await assertSecretWorks(node, held.clientId, held.clientSecret, 'a token for the app whose rows a change holds');
      // A change of `held` in progress: its rows locked as a secret change locks them.
      await change.query('begin');
      await change.query('select 1 from oauth_apps where id = $1 for update', [held.clientId]);
      await change.query('select 1 from app_secrets where app_id = $1 for update', [held.clientId]);
      // A graceful stop writes the uses held in memory; it fails if they wait on the lock too long.
      const stopping = terminate(serverPid(node)).then(() => undefined, (error: unknown) => error);
      const usedAt = async (appId: string): Promise<unknown> =>
        (await watcher.query('select last_used_at from app_secrets where app_id = $1', [appId])).rows[0]?.last_used_at ?? null;
      for (let i = 0; i < 200 && await usedAt(free.clientId) === null; i++) await sleep(50);
      assert.notEqual(await usedAt(free.clientId), null, 'the free app\'s use is written while another app\'s rows are locked');
      // The change goes on to another app's secret row: the writer of uses holds none while it waits.
      await change.query('set local lock_timeout = \'5s\'');
      await change.query('update app_secrets set hint = hint where app_id = $1', [free.clientId]);
      assert.equal(await usedAt(held.clientId), null, 'not written under the change\'s lock');
      await change.query('commit');
      assert.equal(await stopping, undefined, 'the node stops once the change is done');
      restarted = await startRoomyServer({ shareWith: node });
      const token = await exchangeApiToken(restarted, owner.apiToken);
      for (const app of [free, held]) {
        const [secret] = await listSecrets(restarted, token, owner.orgId, app.clientId);
        assert.ok(Number.isInteger(secret.lastUsedAt), `${app.clientId}: lastUsedAt ${secret.lastUsedAt}`);
        const got = await restarted.req('GET', `/orgs/${owner.orgId}/oauth-apps/${app.clientId}`, { token });
        assert.equal(got.body.lastUsedAt, secret.lastUsedAt, 'the app\'s lastUsedAt is its secret\'s');
      }
    } finally {
      await change.end().catch(() => {});
      await watcher.end().catch(() => {});
      await restarted?.stop();
      await node.stop();
    }
  });
});
