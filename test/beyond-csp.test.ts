// docs/design.md §6.4, beyond CSP: Idempotency-Key on create, regenerate and owner rotation; `PUT …/secret?revokeTokens=true`;
// the audit log and GET /orgs/{orgId}/audit-events.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  addUser, appBody, assertCspError, bootstrapAdmin, createApp, exchangeApiToken, serviceAccountToken,
  type Admin, type CreatedApp, type HttpResult, type Json, type TestServer, type UserCred,
} from './helpers/index.js';
import {
  allAuditEvents, appPath, assertEmpty200, assertErrorCode, assertSecretRefused, assertSecretWorks, deleteOldSecret, introspect,
  listSecrets, regenerateSecret, rotateSecret, startRoomyServer, suppliedSecret,
} from './helpers/lifecycle.js';

let server: TestServer;
let admin: Admin;
/** A second owner of the same org: a different caller. */
let owner2: UserCred;
/** A confidential app whose credentials authenticate introspection requests. */
let introspector: CreatedApp;

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
  owner2 = await addUser(server, admin.orgId, 'org_owner');
  introspector = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'introspector' });
});

after(async () => {
  await server?.stop();
});

const key = (): string => `idem-${randomUUID()}`;
const REPLAYED = 'idempotent-replayed';

function create(body: Record<string, unknown>, idempotencyKey: string, token = admin.accessToken): Promise<HttpResult> {
  return server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token, json: body, headers: { 'idempotency-key': idempotencyKey } });
}

function searchCount(term: string): Promise<number> {
  return server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, query: { searchTerm: term } })
    .then((res) => { assert.equal(res.status, 200, res.text); return res.body.totalResults as number; });
}

describe('Idempotency-Key on create', () => {
  it('a retry with the same key and body replays the first response (idempotent-replayed: true); no second app', async () => {
    const body = appBody({ displayName: `idem create ${randomUUID()}` });
    const k = key();
    const first = await create(body, k);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get(REPLAYED), null, 'the first response is not a replay');
    const retry = await create(body, k);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get(REPLAYED), 'true');
    assert.deepEqual(retry.body, first.body, 'the same clientId and clientSecret');
    await assertSecretWorks(server, retry.body.clientId, retry.body.clientSecret, 'the replayed secret');
    assert.equal(await searchCount(body.displayName as string), 1, 'only one app was created');
    assert.equal((await listSecrets(server, admin.accessToken, admin.orgId, first.body.clientId)).length, 1, 'one secret');
  });

  it('with an explicit id, a retry replays instead of answering 409 "already exists"', async () => {
    const body = appBody({ id: `idem-app-${Date.now()}` });
    const k = key();
    const first = await create(body, k);
    assert.equal(first.status, 200, first.text);
    const retry = await create(body, k);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get(REPLAYED), 'true');
    assert.deepEqual(retry.body, first.body);
    // Without the key, the same create is the ordinary conflict.
    const plain = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: body });
    assertErrorCode(server, plain, 409, 'OAUTH_ORG_CLIENT_ALREADY_EXISTS_ERROR');
  });

  it('the same key with a different body → 409 IDEMPOTENCY_KEY_REUSED_ERROR, and nothing is created', async () => {
    const k = key();
    const first = await create(appBody({ displayName: `idem reuse a ${randomUUID()}` }), k);
    assert.equal(first.status, 200, first.text);
    const otherName = `idem reuse b ${randomUUID()}`;
    const res = await create(appBody({ displayName: otherName }), k);
    assertErrorCode(server, res, 409, 'IDEMPOTENCY_KEY_REUSED_ERROR');
    assert.equal(await searchCount(otherName), 0);
  });

  it('different callers with the same key and body do not collide: each gets its own app', async () => {
    const body = appBody({ displayName: `idem callers ${randomUUID()}` });
    const k = key();
    const a = await create(body, k, admin.accessToken);
    const b = await create(body, k, owner2.accessToken);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal(b.headers.get(REPLAYED), null, 'the other caller\'s request is not a replay');
    assert.notEqual(a.body.clientId, b.body.clientId);
    assert.notEqual(a.body.clientSecret, b.body.clientSecret);
    assert.equal(await searchCount(body.displayName as string), 2);
  });

  it('a refused request leaves no record: the same key then works with a valid body', async () => {
    const k = key();
    const bad = await create(appBody({ grantTypes: ['client_credentials', 'password'] }), k);
    assertCspError(bad, 400, {}, server);
    const good = await create(appBody(), k);
    assert.equal(good.status, 200, good.text);
    assert.equal(good.headers.get(REPLAYED), null);
  });
});

describe('Idempotency-Key on regenerate', () => {
  it('a retry replays the same secret, which still works; no second secret was created', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const first = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(first.status, 200, first.text);
    const [afterFirst] = await listSecrets(server, admin.accessToken, admin.orgId, app.clientId);
    const retry = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get(REPLAYED), 'true');
    assert.deepEqual(retry.body, first.body);
    await assertSecretWorks(server, app.clientId, retry.body.clientSecret, 'the replayed secret');
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'the secret before the regeneration');
    const list = await listSecrets(server, admin.accessToken, admin.orgId, app.clientId);
    assert.equal(list.length, 1);
    assert.equal(list[0].secretId, afterFirst.secretId, 'the replay did not create another secret');
  });

  it('the same key with a different query (revokeTokens) → 409 IDEMPOTENCY_KEY_REUSED_ERROR; the secret is unchanged', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const first = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(first.status, 200, first.text);
    const res = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, {
      headers: { 'idempotency-key': k }, query: { revokeTokens: 'true' },
    });
    assertErrorCode(server, res, 409, 'IDEMPOTENCY_KEY_REUSED_ERROR');
    await assertSecretWorks(server, app.clientId, first.body.clientSecret, 'the first regenerated secret');
  });

  it('the same key on another app is another operation (keys are per path)', async () => {
    const a = await createApp(server, admin.accessToken, admin.orgId);
    const b = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const ra = await regenerateSecret(server, admin.accessToken, admin.orgId, a.clientId, { headers: { 'idempotency-key': k } });
    const rb = await regenerateSecret(server, admin.accessToken, admin.orgId, b.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(ra.status, 200, ra.text);
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.headers.get(REPLAYED), null);
    assert.equal(rb.body.clientId, b.clientId);
    await assertSecretWorks(server, b.clientId, rb.body.clientSecret, 'b\'s new secret');
    await assertSecretWorks(server, a.clientId, ra.body.clientSecret, 'a\'s new secret');
  });

  it('different callers with the same key do not collide: the second caller gets a fresh secret', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const a = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    const b = await regenerateSecret(server, owner2.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal(b.headers.get(REPLAYED), null);
    assert.notEqual(a.body.clientSecret, b.body.clientSecret);
    await assertSecretRefused(server, app.clientId, a.body.clientSecret, 'the first caller\'s secret');
    await assertSecretWorks(server, app.clientId, b.body.clientSecret, 'the second caller\'s secret');
  });

  it('concurrent requests with one key regenerate once: every 200 carries the same secret, the rest are 409 in flight', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } })));
    const ok = results.filter((r) => r.status === 200);
    assert.ok(ok.length >= 1, `at least one 200: ${results.map((r) => r.status).join(',')}`);
    for (const r of results) if (r.status !== 200) assertErrorCode(server, r, 409, 'IDEMPOTENCY_KEY_IN_FLIGHT_ERROR');
    assert.equal(new Set(ok.map((r) => r.body.clientSecret)).size, 1, 'one secret in every 200');
    assert.equal(ok.filter((r) => r.headers.get(REPLAYED) !== 'true').length, 1, 'exactly one original, the other 200s are replays');
    await assertSecretWorks(server, app.clientId, ok[0]!.body.clientSecret, 'the one regenerated secret');
    const { events } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    assert.equal(events.filter((e) => e.action === 'secret.regenerate' && e.appId === app.clientId).length, 1, 'one regeneration happened');
  });

  it('a retry with a fresh access token of the same user still replays', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const first = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(first.status, 200, first.text);
    const freshToken = await exchangeApiToken(server, admin.apiToken);
    const retry = await regenerateSecret(server, freshToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get(REPLAYED), 'true');
    assert.equal(retry.body.clientSecret, first.body.clientSecret);
  });

  it('the stored replay of regenerate does not hold the secret in plaintext (data folder scanned)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const res = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(res.status, 200, res.text);
    const again = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(again.headers.get(REPLAYED), 'true', 'a replay record exists');
    const secret = res.body.clientSecret as string;
    for (const file of filesUnder(server.dataDir)) {
      assert.ok(!fs.readFileSync(file).includes(secret), `the replayed secret is in plaintext in ${path.basename(file)}`);
    }
  });
});

describe('Idempotency-Key on owner rotation', () => {
  it('a retry replays the 200 instead of answering 409 rotation in progress; still one rotation', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const next = suppliedSecret('idem');
    const k = key();
    assertEmpty200(await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, next, 3600, { headers: { 'idempotency-key': k } }), 'rotation');
    const before = await listSecrets(server, admin.accessToken, admin.orgId, app.clientId);
    const retry = await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, next, 3600, { headers: { 'idempotency-key': k } });
    assertEmpty200(retry, 'replayed rotation');
    assert.equal(retry.headers.get(REPLAYED), 'true');
    const after = await listSecrets(server, admin.accessToken, admin.orgId, app.clientId);
    assert.equal(after.length, 2, 'current + previous, no third secret');
    assert.deepEqual(after, before, 'the replay changed nothing');
    await assertSecretWorks(server, app.clientId, next, 'the rotated-in secret');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'the previous secret during the grace');
    // Without the key, a second rotation is the ordinary conflict.
    const plain = await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, next, 3600);
    assertErrorCode(server, plain, 409, 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR');
  });

  it('the same key with a different newClientSecret → 409 IDEMPOTENCY_KEY_REUSED_ERROR', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const next = suppliedSecret('one');
    assertEmpty200(await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, next, 3600, { headers: { 'idempotency-key': k } }), 'rotation');
    const other = suppliedSecret('two');
    const res = await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, other, 3600, { headers: { 'idempotency-key': k } });
    assertErrorCode(server, res, 409, 'IDEMPOTENCY_KEY_REUSED_ERROR');
    await assertSecretRefused(server, app.clientId, other, 'the second body\'s secret');
    await assertSecretWorks(server, app.clientId, next, 'the first body\'s secret');
  });

});

describe('Idempotency-Key replays are authorized again', () => {
  it('regenerate: after the app is switched to ownerOnlySecretRotation, a developer\'s replay → 403, not the secret again', async () => {
    const developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const first = await regenerateSecret(server, developer.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(first.status, 200, first.text);
    const patched = await server.req('PATCH', appPath(admin.orgId, app.clientId), { token: admin.accessToken, json: { ownerOnlySecretRotation: true } });
    assert.equal(patched.status, 200, patched.text);
    const replay = await regenerateSecret(server, developer.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assertErrorCode(server, replay, 403, 'OAUTH_ORG_CLIENT_OWNER_ONLY_SECRET_ROTATION_ERROR', '330.108');
    assert.ok(!replay.text.includes(first.body.clientSecret), 'the refused replay does not carry the secret');
  });

  it('regenerate: after the app is deleted, a replay → 404, not the dead secret', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const first = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assert.equal(first.status, 200, first.text);
    const deleted = await server.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: [app.clientId] } });
    assert.equal(deleted.status, 200, deleted.text);
    const replay = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { headers: { 'idempotency-key': k } });
    assertErrorCode(server, replay, 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    assert.ok(!replay.text.includes(first.body.clientSecret));
  });

  it('owner rotation: a replay after the app was given a role above the caller\'s → 403 escalation', async () => {
    const orgAdmin = await addUser(server, admin.orgId, 'org_admin');
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const k = key();
    const next = suppliedSecret('esc');
    assertEmpty200(await rotateSecret(server, orgAdmin.accessToken, admin.orgId, app.clientId, next, 3600, { headers: { 'idempotency-key': k } }), 'rotation');
    const patched = await server.req('PATCH', appPath(admin.orgId, app.clientId), {
      token: admin.accessToken, json: { allowedScopes: { organizationScopes: { roles: [{ name: 'org_owner' }] } } },
    });
    assert.equal(patched.status, 200, patched.text);
    const replay = await rotateSecret(server, orgAdmin.accessToken, admin.orgId, app.clientId, next, 3600, { headers: { 'idempotency-key': k } });
    assertErrorCode(server, replay, 403, 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR');
  });

  it('create: a replay by a caller who was since demoted below the app\'s role → 403 escalation', async () => {
    const username = `demoted-${randomUUID()}@example.com`;
    const orgAdmin = await addUser(server, admin.orgId, 'org_admin', { username });
    const body = appBody({ allowedScopes: { organizationScopes: { roles: [{ name: 'org_admin' }] } } });
    const k = key();
    const first = await create(body, k, orgAdmin.accessToken);
    assert.equal(first.status, 200, first.text);
    await server.cli(['user', 'add', '--org', admin.orgId, '--username', username, '--role', 'org_member', '--developer']);
    const demotedToken = await exchangeApiToken(server, orgAdmin.apiToken);
    const replay = await create(body, k, demotedToken);
    assertErrorCode(server, replay, 403, 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR');
    assert.ok(!replay.text.includes(first.body.clientSecret));
  });
});

describe('Idempotency-Key replays of create show the secret only while the caller may still change it', () => {
  it('after the app is deleted, a replayed create → 404, not the secret', async () => {
    const body = appBody();
    const k = key();
    const first = await create(body, k);
    assert.equal(first.status, 200, first.text);
    const deleted = await server.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: [first.body.clientId] } });
    assert.equal(deleted.status, 200, deleted.text);
    const replay = await create(body, k);
    assertErrorCode(server, replay, 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    assert.ok(!replay.text.includes(first.body.clientSecret));
  });

  it('after an owner switches on ownerOnlySecretRotation, a developer\'s replayed create → 403', async () => {
    const developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const body = appBody();
    const k = key();
    const first = await create(body, k, developer.accessToken);
    assert.equal(first.status, 200, first.text);
    const patched = await server.req('PATCH', appPath(admin.orgId, first.body.clientId), { token: admin.accessToken, json: { ownerOnlySecretRotation: true } });
    assert.equal(patched.status, 200, patched.text);
    const replay = await create(body, k, developer.accessToken);
    assertErrorCode(server, replay, 403, 'OAUTH_ORG_CLIENT_OWNER_ONLY_SECRET_ROTATION_ERROR');
    assert.ok(!replay.text.includes(first.body.clientSecret));
  });
});

describe('ownerOnlySecretRotation', () => {
  let ownerOnly: CreatedApp;
  let orgAdmin: UserCred;
  let developer: UserCred;
  before(async () => {
    ownerOnly = await createApp(server, admin.accessToken, admin.orgId, { ownerOnlySecretRotation: true });
    orgAdmin = await addUser(server, admin.orgId, 'org_admin');
    developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
  });

  for (const who of ['org_admin', 'developer'] as const) {
    it(`${who}: regenerate, rotate, delete-old and PATCH secret → 403 330.108; the secret still works`, async () => {
      const token = who === 'org_admin' ? orgAdmin.accessToken : developer.accessToken;
      const owner403 = (res: HttpResult) => assertErrorCode(server, res, 403, 'OAUTH_ORG_CLIENT_OWNER_ONLY_SECRET_ROTATION_ERROR', '330.108');
      owner403(await regenerateSecret(server, token, admin.orgId, ownerOnly.clientId));
      owner403(await rotateSecret(server, token, admin.orgId, ownerOnly.clientId, suppliedSecret('own'), 3600));
      owner403(await deleteOldSecret(server, token, admin.orgId, ownerOnly.clientId));
      owner403(await server.req('PATCH', appPath(admin.orgId, ownerOnly.clientId), { token, json: { secret: suppliedSecret('own') } }));
      await assertSecretWorks(server, ownerOnly.clientId, ownerOnly.clientSecret, 'the untouched secret');
    });
  }

  it('offering the current secret as the new one is no oracle: a non-owner gets 403, not 400 "not different"', async () => {
    const supplied = suppliedSecret('oracle');
    const app = await createApp(server, admin.accessToken, admin.orgId, { secret: supplied, ownerOnlySecretRotation: true });
    const res = await rotateSecret(server, developer.accessToken, admin.orgId, app.clientId, supplied, 3600);
    assertErrorCode(server, res, 403, 'OAUTH_ORG_CLIENT_OWNER_ONLY_SECRET_ROTATION_ERROR');
    const asOwner = await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, supplied, 3600);
    assertErrorCode(server, asOwner, 400, 'NEW_CLIENT_SECRET_AND_CURRENT_SECRET_NOT_DIFFERENT');
  });

  it('a non-owner cannot switch it off (403) but may switch it on; an owner may switch it off', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const patch = (token: string, value: boolean) => server.req('PATCH', appPath(admin.orgId, app.clientId), { token, json: { ownerOnlySecretRotation: value } });
    const on = await patch(orgAdmin.accessToken, true);
    assert.equal(on.status, 200, on.text);
    assert.equal(on.body.ownerOnlySecretRotation, true);
    assertErrorCode(server, await patch(orgAdmin.accessToken, false), 403, 'OAUTH_ORG_CLIENT_OWNER_ONLY_SECRET_ROTATION_ERROR');
    const still = await server.req('GET', appPath(admin.orgId, app.clientId), { token: admin.accessToken });
    assert.equal(still.body.ownerOnlySecretRotation, true, 'the refused PATCH changed nothing');
    const off = await patch(admin.accessToken, false);
    assert.equal(off.status, 200, off.text);
    assert.equal(off.body.ownerOnlySecretRotation, false);
    assert.equal((await regenerateSecret(server, orgAdmin.accessToken, admin.orgId, app.clientId)).status, 200, 'now an admin may regenerate');
  });

  it('an owner regenerates: 200, the new secret is the only one', async () => {
    const res = await regenerateSecret(server, admin.accessToken, admin.orgId, ownerOnly.clientId);
    assert.equal(res.status, 200, res.text);
    await assertSecretWorks(server, ownerOnly.clientId, res.body.clientSecret, 'the owner\'s new secret');
    await assertSecretRefused(server, ownerOnly.clientId, ownerOnly.clientSecret, 'the replaced secret');
  });
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

describe('PUT …/secret?revokeTokens=true', () => {
  it('a service-account token minted with the old secret stops working (401) and introspects active:false', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const oldToken = await serviceAccountToken(server, app.clientId, app.clientSecret);
    const list = () => server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: oldToken, query: { pageLimit: '1' } });
    assert.equal((await list()).status, 200, 'the token works before');
    assert.equal((await introspect(server, introspector, oldToken)).active, true);

    const res = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { query: { revokeTokens: 'true' } });
    assert.equal(res.status, 200, res.text);
    assertCspError(await list(), 401, {}, server);
    assert.deepEqual(await introspect(server, introspector, oldToken), { active: false });

    const fresh = await serviceAccountToken(server, app.clientId, res.body.clientSecret);
    const ok = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: fresh, query: { pageLimit: '1' } });
    assert.equal(ok.status, 200, 'a token of the new secret works');
    assert.equal((await introspect(server, introspector, fresh)).active, true);
  });

  it('during a rotation it refuses the tokens of both killed secrets, but not other apps\' tokens', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const bystander = await createApp(server, admin.accessToken, admin.orgId);
    const next = suppliedSecret('rt');
    assertEmpty200(await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, next, 3600), 'rotation');
    const tokenOld = await serviceAccountToken(server, app.clientId, app.clientSecret);
    const tokenNew = await serviceAccountToken(server, app.clientId, next);
    const tokenOther = await serviceAccountToken(server, bystander.clientId, bystander.clientSecret);
    const res = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, { query: { revokeTokens: 'true' } });
    assert.equal(res.status, 200, res.text);
    for (const [what, t] of [['previous secret', tokenOld], ['current secret', tokenNew]] as const) {
      assertCspError(await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: t }), 401, {}, server);
      assert.equal((await introspect(server, introspector, t)).active, false, `token of the ${what}`);
    }
    const other = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: tokenOther, query: { pageLimit: '1' } });
    assert.equal(other.status, 200, 'another app\'s token is untouched');
  });

  it('without revokeTokens, a token minted with the old secret keeps working until it expires', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const oldToken = await serviceAccountToken(server, app.clientId, app.clientSecret);
    for (const query of [undefined, { revokeTokens: 'false' }]) {
      const res = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId, query ? { query } : {});
      assert.equal(res.status, 200, res.text);
      const again = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: oldToken, query: { pageLimit: '1' } });
      assert.equal(again.status, 200, `the old secret's token still works: ${again.text}`);
      const info = await introspect(server, introspector, oldToken);
      assert.equal(info.active, true);
      assert.equal(info.client_id, app.clientId);
    }
  });
});

describe('audit log — GET /orgs/{orgId}/audit-events', () => {
  /** The change responses of one app's whole life, by action. */
  const changes = new Map<string, HttpResult>();
  let appId: string;
  /** The secret id GET …/secrets showed right after the regenerate. */
  let regeneratedSecretId: string;
  let events: Json[];
  let texts: string[];

  before(async () => {
    const created = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: appBody({ displayName: 'audited app' }) });
    assert.equal(created.status, 200, created.text);
    appId = created.body.clientId;
    changes.set('app.create', created);
    const appUrl = appPath(admin.orgId, appId);
    changes.set('app.update', await server.req('PATCH', appUrl, { token: admin.accessToken, json: { description: 'audited' } }));
    changes.set('secret.replace', await server.req('PATCH', appUrl, { token: admin.accessToken, json: { secret: suppliedSecret('aud') } }));
    changes.set('secret.regenerate', await server.req('PUT', `${appUrl}/secret`, {
      token: admin.accessToken, json: {}, headers: { 'x-request-id': `audit-regen-${Date.now()}` },
    }));
    regeneratedSecretId = (await listSecrets(server, admin.accessToken, admin.orgId, appId))[0].secretId;
    changes.set('secret.rotate', await rotateSecret(server, admin.accessToken, admin.orgId, appId, suppliedSecret('aud2'), 3600));
    changes.set('secret.delete_old', await deleteOldSecret(server, admin.accessToken, admin.orgId, appId));
    changes.set('app.delete', await server.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: [appId] } }));
    for (const [action, res] of changes) assert.equal(res.status, 200, `${action}: ${res.status} ${res.text}`);
    ({ events, texts } = await allAuditEvents(server, admin.accessToken, admin.orgId));
  });

  for (const action of ['app.create', 'app.update', 'secret.replace', 'secret.regenerate', 'secret.rotate', 'secret.delete_old', 'app.delete']) {
    it(`${action}: one entry with actor, action, appId and the change's X-Request-Id`, () => {
      const res = changes.get(action)!;
      const requestId = res.headers.get('x-request-id');
      assert.ok(requestId, 'the change answered an X-Request-Id');
      const found = events.filter((e) => e.action === action && e.appId === appId && e.requestId === requestId);
      assert.equal(found.length, 1, `one ${action} entry for request ${requestId}: ${JSON.stringify(events.filter((e) => e.appId === appId))}`);
      const e = found[0];
      assert.equal(e.actor, admin.username);
      assert.equal(e.organizationId, admin.orgId);
      assert.ok(Number.isInteger(e.at) && Math.abs(e.at - Date.now() / 1000) < 300, `at in epoch seconds: ${e.at}`);
      assert.equal(typeof e.sourceAddress, 'string', 'source address recorded');
    });
  }

  it('the caller\'s X-Request-Id is the one recorded', () => {
    const res = changes.get('secret.regenerate')!;
    assert.match(res.headers.get('x-request-id') ?? '', /^audit-regen-/);
    assert.ok(events.some((e) => e.action === 'secret.regenerate' && e.requestId === res.headers.get('x-request-id')));
  });

  it('secret changes name the secret by id: the regenerate entry carries the id the listing showed', () => {
    const e = events.find((x) => x.action === 'secret.regenerate' && x.appId === appId);
    assert.equal(e.secretId, regeneratedSecretId);
    const create = events.find((x) => x.action === 'app.create' && x.appId === appId);
    assert.equal(typeof create.secretId, 'string', 'create names its first secret');
    assert.notEqual(e.secretId, create.secretId);
  });

  it('entries are newest first', () => {
    const ids = events.map((e) => e.id as number);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  });

  it('no secret, API token or access token appears anywhere in the audit JSON', () => {
    assert.ok(server.secrets().size > 0);
    for (const text of texts) {
      for (const [value, kind] of server.secrets()) assert.ok(!text.includes(value), `a ${kind} (…${value.slice(-4)}) is in the audit log`);
    }
  });

  it('a refused change (409) leaves no entry', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    assertEmpty200(await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, suppliedSecret('x1'), 3600), 'rotation');
    const refused = await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, suppliedSecret('x2'), 3600);
    assert.equal(refused.status, 409, refused.text);
    const { events: now } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    assert.ok(!now.some((e) => e.requestId === refused.headers.get('x-request-id')), 'no entry for the refused rotation');
    assert.equal(now.filter((e) => e.action === 'secret.rotate' && e.appId === app.clientId).length, 1);
  });

  it('a developer-only user → 403; an org_admin → 200; a service account → 403; another org → 403', async () => {
    const dev = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const orgAdmin = await addUser(server, admin.orgId, 'org_admin');
    const auditUrl = `/orgs/${admin.orgId}/audit-events`;
    assertCspError(await server.req('GET', auditUrl, { token: dev.accessToken }), 403, {}, server);
    const ok = await server.req('GET', auditUrl, { token: orgAdmin.accessToken });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.body.results.length > 0);
    const sa = await createApp(server, admin.accessToken, admin.orgId);
    const saToken = await serviceAccountToken(server, sa.clientId, sa.clientSecret);
    assertCspError(await server.req('GET', auditUrl, { token: saToken }), 403, {}, server);
    const otherOrg = (await server.cli(['org', 'create', '--name', 'Audit Other'])).id as string;
    const otherOwner = await addUser(server, otherOrg, 'org_owner');
    assertCspError(await server.req('GET', auditUrl, { token: otherOwner.accessToken }), 403, {}, server);
    assertCspError(await server.req('GET', auditUrl), 401, {}, server);
  });

  it('is paged: pageLimit and nextLink, 400 PAGING_INVALID_PARAMETERS on a bad page', async () => {
    const page = await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: admin.accessToken, query: { pageLimit: '2' } });
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.results.length, 2);
    assert.ok(page.body.totalResults > 2);
    assert.equal(typeof page.body.nextLink, 'string');
    assert.ok(!('prevLink' in page.body));
    const next = await server.req('GET', page.body.nextLink, { token: admin.accessToken, root: true });
    assert.equal(next.status, 200, next.text);
    assert.ok(next.body.results[0].id < page.body.results[1].id, 'the next page continues, older');
    const bad = await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: admin.accessToken, query: { pageLimit: '201' } });
    assertErrorCode(server, bad, 400, 'PAGING_INVALID_PARAMETERS');
  });
});
