// Changes to one app's secrets are serialized (SPEC §6.3): concurrent regenerations leave exactly one
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

describe('op 6 — 50 concurrent PUT …/secret on one app', () => {
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

describe('op 7 — concurrent POST …/secret (rotations) on one app', () => {
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

describe('ops 6 and 7 racing on one app', () => {
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
