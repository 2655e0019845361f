// Changes to one app's secrets are serialized (docs/design.md §6.3): concurrent regenerations leave exactly one
// valid secret — the one returned by the change that committed last — and concurrent rotations
// start exactly one rotation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrapAdmin, createApp, type Admin, type HttpResult, type Json, type TestServer } from './helpers/index.js';
import {
  allAuditEvents, assertErrorCode, assertSecretRefused, assertSecretWorks, listSecrets, regenerateSecret, rotateSecret,
  secretWorks, startRoomyServer, suppliedSecret,
} from './helpers/lifecycle.js';

let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await server?.stop();
});

describe('regenerate — 50 concurrent PUT …/secret on one app', () => {
  const N = 50;
  let appId: string;
  let original: string;
  let responses: HttpResult[];
  let winner: number;

  before(async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    appId = app.clientId;
    original = app.clientSecret;
    responses = await Promise.all(Array.from({ length: N }, () => regenerateSecret(server, admin.accessToken, admin.orgId, appId)));
  });

  it('every one of the 50 answers 200 with its own new secret', () => {
    for (const res of responses) assert.equal(res.status, 200, `${res.status} ${res.text}`);
    const secrets = responses.map((r) => r.body.clientSecret as string);
    assert.equal(new Set(secrets).size, N, 'fifty distinct secrets');
    assert.ok(!secrets.includes(original));
    for (const res of responses) assert.equal(res.body.clientId, appId);
  });

  it('exactly one of the 50 secrets works afterwards; the other 49 and the original are refused', async () => {
    const works: number[] = [];
    for (let i = 0; i < N; i++) {
      if (await secretWorks(server, appId, responses[i]!.body.clientSecret)) works.push(i);
    }
    assert.equal(works.length, 1, `exactly one working secret, got ${works.length}`);
    winner = works[0]!;
    await assertSecretRefused(server, appId, original, 'the secret before the regenerations');
    // The outcome is stable: asking again gives the same answer.
    await assertSecretWorks(server, appId, responses[winner]!.body.clientSecret, 'the winning secret (again)');
  });

  it('GET …/secrets lists exactly one current secret, the winner\'s', async () => {
    assert.ok(winner !== undefined, 'needs the previous test');
    const list = await listSecrets(server, admin.accessToken, admin.orgId, appId);
    assert.equal(list.length, 1, `one valid secret: ${JSON.stringify(list)}`);
    assert.equal(list[0].status, 'current');
    assert.equal(list[0].hint, (responses[winner]!.body.clientSecret as string).slice(-4));
  });

  it('the working secret belongs to the change that committed last (the newest audit event of the 50)', async () => {
    assert.ok(winner !== undefined, 'needs the previous test');
    const { events } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    const mine = events.filter((e: Json) => e.action === 'secret.regenerate' && e.appId === appId);
    assert.equal(mine.length, N, 'one audit event per regeneration');
    const byRequestId = new Map(responses.map((r, i) => [r.headers.get('x-request-id'), i]));
    for (const e of mine) assert.ok(byRequestId.has(e.requestId), `audit event ${e.id} matches one of the 50 responses`);
    const last = mine.reduce((a: Json, b: Json) => (b.id > a.id ? b : a));
    assert.equal(byRequestId.get(last.requestId), winner, 'the last committed regeneration is the one whose secret works');
    const [current] = await listSecrets(server, admin.accessToken, admin.orgId, appId);
    assert.equal(last.secretId, current.secretId, 'the last audit event names the current secret');
  });
});

describe('owner rotation — concurrent POST …/secret (rotations) on one app', () => {
  const N = 12;
  let appId: string;
  let original: string;
  let candidates: string[];
  let responses: HttpResult[];

  before(async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    appId = app.clientId;
    original = app.clientSecret;
    candidates = Array.from({ length: N }, (_, i) => suppliedSecret(`c${i}`));
    responses = await Promise.all(candidates.map((s) => rotateSecret(server, admin.accessToken, admin.orgId, appId, s, 3600)));
  });

  it('exactly one answers 200; the rest 409 OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR', () => {
    const ok = responses.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `one 200, got statuses ${responses.map((r) => r.status).join(',')}`);
    for (const res of responses) {
      if (res.status !== 200) assertErrorCode(server, res, 409, 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR');
    }
  });

  it('the winner\'s secret and the original work; every refused candidate is refused', async () => {
    const winner = responses.findIndex((r) => r.status === 200);
    assert.ok(winner >= 0);
    await assertSecretWorks(server, appId, candidates[winner]!, 'the rotated-in secret');
    await assertSecretWorks(server, appId, original, 'the original secret during the grace');
    for (let i = 0; i < N; i++) if (i !== winner) await assertSecretRefused(server, appId, candidates[i]!, `refused candidate ${i}`);
    const list = await listSecrets(server, admin.accessToken, admin.orgId, appId);
    assert.deepEqual(list.map((s: Json) => s.status).sort(), ['current', 'previous']);
  });
});

describe('regenerate and owner rotation racing on one app', () => {
  it('regenerations and rotations interleaved leave one consistent state whose every listed secret works', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const supplied = Array.from({ length: 6 }, (_, i) => suppliedSecret(`mix${i}`));
    const ops: Array<Promise<{ secret: string; res: HttpResult }>> = [];
    for (let i = 0; i < 6; i++) {
      ops.push(regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId).then((res) => ({ secret: res.body?.clientSecret as string, res })));
      ops.push(rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, supplied[i]!, 3600).then((res) => ({ secret: supplied[i]!, res })));
    }
    const results = await Promise.all(ops);
    for (const { res } of results) {
      assert.ok(res.status === 200 || res.status === 409, `200 or 409: ${res.status} ${res.text}`);
      if (res.status === 409) assert.equal(res.body.errorCode, 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR');
    }
    const list = await listSecrets(server, admin.accessToken, admin.orgId, app.clientId);
    assert.ok(list.length === 1 || list.length === 2, `one or two valid secrets: ${JSON.stringify(list)}`);
    assert.equal(list.filter((s: Json) => s.status === 'current').length, 1, 'exactly one current secret');
    const candidates = [app.clientSecret, ...results.filter((r) => r.res.status === 200).map((r) => r.secret)];
    let working = 0;
    for (const s of candidates) if (await secretWorks(server, app.clientId, s)) working++;
    assert.equal(working, list.length, 'as many secrets work as are listed');
  });
});

// On SQLite, changes that arrive together share one commit (src/db/group-commit.ts), each in its own
// savepoint. A refused change must undo only itself, and an accepted one must not depend on its neighbours.
describe('changes to many apps at once, some refused', () => {
  const N = 8;
  let rotating: Array<{ clientId: string; original: string; rotatedIn: string }>;
  let publicIds: string[];
  let regenerating: Array<{ clientId: string; original: string }>;
  let lateRotations: HttpResult[];
  let publicRegenerations: HttpResult[];
  let regenerated: HttpResult[];
  let auditBefore: number;

  before(async () => {
    rotating = [];
    publicIds = [];
    regenerating = [];
    for (let i = 0; i < N; i++) {
      const a = await createApp(server, admin.accessToken, admin.orgId);
      const rotatedIn = suppliedSecret(`batch-rot${i}`);
      const first = await rotateSecret(server, admin.accessToken, admin.orgId, a.clientId, rotatedIn, 3600);
      assert.equal(first.status, 200, first.text);
      rotating.push({ clientId: a.clientId, original: a.clientSecret, rotatedIn });
      const p = await createApp(server, admin.accessToken, admin.orgId, { publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://spa.example.com/cb'] });
      publicIds.push(p.clientId);
      const b = await createApp(server, admin.accessToken, admin.orgId);
      regenerating.push({ clientId: b.clientId, original: b.clientSecret });
    }
    auditBefore = (await allAuditEvents(server, admin.accessToken, admin.orgId)).events.length;
    // All in flight together. A regenerate of a public client is refused inside its transaction
    // (after the app's lock is taken), so it lands in the same commits as the accepted regenerates;
    // a second rotation is refused too, but only after its Argon2id, so usually in other commits.
    const ops: Array<Promise<HttpResult>> = [];
    for (let i = 0; i < N; i++) {
      ops.push(rotateSecret(server, admin.accessToken, admin.orgId, rotating[i]!.clientId, suppliedSecret(`batch-late${i}`), 3600));
      ops.push(regenerateSecret(server, admin.accessToken, admin.orgId, publicIds[i]!));
      ops.push(regenerateSecret(server, admin.accessToken, admin.orgId, regenerating[i]!.clientId));
    }
    const results = await Promise.all(ops);
    lateRotations = results.filter((_, k) => k % 3 === 0);
    publicRegenerations = results.filter((_, k) => k % 3 === 1);
    regenerated = results.filter((_, k) => k % 3 === 2);
  });

  it('the refused changes answer 409 with their own errors; every regenerate answers 200', () => {
    for (const res of lateRotations) assertErrorCode(server, res, 409, 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR');
    for (const res of publicRegenerations) assertErrorCode(server, res, 409, 'OAUTH_ORG_PUBLIC_CLIENT_HAS_NO_SECRET_ERROR');
    for (const res of regenerated) {
      assert.equal(res.status, 200, res.text);
      assert.equal(typeof res.body.clientSecret, 'string');
    }
  });
  it('each regenerate is in force: its new secret works, the app\'s old one is refused', async () => {
    for (let i = 0; i < N; i++) {
      await assertSecretWorks(server, regenerating[i]!.clientId, regenerated[i]!.body.clientSecret as string, `regenerated secret of app ${i}`);
      await assertSecretRefused(server, regenerating[i]!.clientId, regenerating[i]!.original, `replaced secret of app ${i}`);
    }
  });

  it('each refused rotation changed nothing: both secrets of the rotation in progress still work, the late candidate does not', async () => {
    for (let i = 0; i < N; i++) {
      const { clientId, original, rotatedIn } = rotating[i]!;
      await assertSecretWorks(server, clientId, original, `previous secret of app ${i}`);
      await assertSecretWorks(server, clientId, rotatedIn, `current secret of app ${i}`);
      await assertSecretRefused(server, clientId, suppliedSecret(`batch-late${i}`), `refused candidate of app ${i}`);
      const list = await listSecrets(server, admin.accessToken, admin.orgId, clientId);
      assert.deepEqual(list.map((s: Json) => s.status).sort(), ['current', 'previous'], `app ${i}: ${JSON.stringify(list)}`);
    }
  });

  it('the audit log has one record per accepted change and none for the refused ones', async () => {
    const { events } = await allAuditEvents(server, admin.accessToken, admin.orgId);
    const added = events.length - auditBefore;
    assert.equal(added, N, `${N} regenerate records and none for the refused changes: ${added} new events`);
    const regenerateRecords = events.filter((e: Json) => e.action === 'secret.regenerate' && regenerating.some((r) => r.clientId === e.appId));
    assert.equal(regenerateRecords.length, N);
  });
});
