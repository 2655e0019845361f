// One SQLite node without Redis keeps copies of apps and its memory of tokens not denied under its own
// epochs (docs/reliability.md, "One node on SQLite: local epochs"): in the steady state a token or an
// introspection of a service account's token costs no database read, yet a change is in force at the
// very next request — made through this server, or committed to the file by another connection
// (the CLI, another process, an operator's sqlite3), which PRAGMA data_version reveals.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { addUser, bootstrapAdmin, createApp, serviceAccountToken, type Admin, type CreatedApp, type TestServer } from './helpers/index.js';
import { appPath, assertSecretRefused, assertSecretWorks, introspect, regenerateSecret, startRoomyServer } from './helpers/lifecycle.js';

const skip = process.env.ORGAUTH_TEST_BACKEND === 'postgres' ? 'SQLite only (it ran in the first pass)' : undefined;
if (skip) process.stdout.write(`# skipping the local-epoch tests: ${skip}\n`);

let server: TestServer;
let admin: Admin;

/** Statements the server sent to the database, by kind (select, update, …). */
async function databaseQueries(): Promise<Record<string, number>> {
  const text = (await server.req('GET', '/metrics', { root: true })).text;
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^orgauth_db_queries_total\{([^}]*)\} (\d+(?:\.\d+)?)/gm)) {
    const statement = /statement="(\w+)"/.exec(match[1] ?? '')?.[1] ?? 'other';
    counts[statement] = (counts[statement] ?? 0) + Number(match[2]);
  }
  return counts;
}

async function selectsDuring(work: () => Promise<void>): Promise<number> {
  const before = (await databaseQueries()).select ?? 0;
  await work();
  return ((await databaseQueries()).select ?? 0) - before;
}

/** Another connection to the server's file, as the CLI opens one. */
function otherConnection<T>(work: (file: SQLite.Database) => T): T {
  const file = new SQLite(path.join(server.dataDir, 'orgauth.db'));
  try {
    file.pragma('busy_timeout = 5000');
    return work(file);
  } finally {
    file.close();
  }
}

function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string };
  return payload.jti;
}

describe('one SQLite node: copies under local epochs', { skip }, () => {
  before(async () => {
    server = await startRoomyServer();
    admin = await bootstrapAdmin(server);
  });
  after(async () => server?.stop());

  it('serves tokens from its copy of the app: no database read per token in the steady state', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'first use');
    const selects = await selectsDuring(async () => {
      for (let i = 0; i < 5; i++) await assertSecretWorks(server, app.clientId, app.clientSecret, `use ${i}`);
    });
    assert.equal(selects, 0, 'five tokens from the copy read nothing');
  });

  it('a secret regenerated through the server is refused at the next request', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'before');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'from the copy');
    const res = await regenerateSecret(server, admin.accessToken, admin.orgId, app.clientId);
    assert.equal(res.status, 200, res.text);
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'right after the regeneration');
    await assertSecretWorks(server, app.clientId, res.body.clientSecret as string, 'the new secret');
  });

  it('a secret deleted by another connection to the file is refused at the next request', async () => {
    const app: CreatedApp = await createApp(server, admin.accessToken, admin.orgId);
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'before');
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'from the copy');
    const deleted = otherConnection((file) => file.prepare('DELETE FROM app_secrets WHERE app_id = ?').run(app.clientId).changes);
    assert.ok(deleted >= 1);
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'right after the other connection committed');
  });

  it('introspection answers from memory, and a token revoked through the server is inactive at the next request', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    assert.equal((await introspect(server, app, token)).active, true);
    const selects = await selectsDuring(async () => {
      for (let i = 0; i < 5; i++) assert.equal((await introspect(server, app, token)).active, true);
    });
    assert.equal(selects, 0, 'five introspections of the caller\'s own token read nothing');
    const revoked = await server.req('POST', '/auth/revoke', { basic: [app.clientId, app.clientSecret], form: { token } });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal((await introspect(server, app, token)).active, false, 'inactive right after the revocation');
  });

  it('a secret regenerated without revokeTokens denies nothing: tokens still introspect from memory; with revokeTokens=true the killed secret\'s token is inactive at the next request', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    assert.equal((await introspect(server, app, token)).active, true);
    const changed = await createApp(server, admin.accessToken, admin.orgId);
    const plain = await regenerateSecret(server, admin.accessToken, admin.orgId, changed.clientId);
    assert.equal(plain.status, 200, plain.text);
    const selects = await selectsDuring(async () => assert.equal((await introspect(server, app, token)).active, true));
    assert.equal(selects, 0, 'a change that denied no token leaves the memory of tokens not denied');
    const current = { clientId: changed.clientId, clientSecret: plain.body.clientSecret as string };
    const doomed = await serviceAccountToken(server, current.clientId, current.clientSecret);
    assert.equal((await introspect(server, current, doomed)).active, true);
    assert.equal((await introspect(server, current, doomed)).active, true, 'from memory');
    const revoking = await regenerateSecret(server, admin.accessToken, admin.orgId, changed.clientId, { query: { revokeTokens: 'true' } });
    assert.equal(revoking.status, 200, revoking.text);
    const fresh = { clientId: changed.clientId, clientSecret: revoking.body.clientSecret as string };
    assert.equal((await introspect(server, fresh, doomed)).active, false, 'the killed secret\'s token, right after the change');
  });

  it('a token denied by another connection to the file is inactive at the next request', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    assert.equal((await introspect(server, app, token)).active, true);
    assert.equal((await introspect(server, app, token)).active, true, 'from memory');
    otherConnection((file) => file.prepare("INSERT INTO token_denylist (kind, value, expires_at) VALUES ('jti', ?, ?)").run(jtiOf(token), Math.floor(Date.now() / 1000) + 3600));
    assert.equal((await introspect(server, app, token)).active, false, 'inactive right after the other connection committed');
  });
  it('management reads come from copies: no database read per GET of an app or listing in the steady state', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const get = () => server.req('GET', appPath(admin.orgId, app.clientId), { token: admin.accessToken });
    assert.equal((await get()).status, 200);
    const selects = await selectsDuring(async () => {
      for (let i = 0; i < 5; i++) assert.equal((await get()).status, 200);
    });
    assert.equal(selects, 0, 'five GETs of the app read nothing: caller, denylist and app from copies');
    const listSelects = await selectsDuring(async () => {
      const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps?pageLimit=5`, { token: admin.accessToken });
      assert.equal(res.status, 200, res.text);
    });
    assert.equal(listSelects, 1, 'a listing reads its page only');
  });

  it('an app changed through the server or by another connection is served changed at the next GET', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const get = () => server.req('GET', appPath(admin.orgId, app.clientId), { token: admin.accessToken });
    assert.equal((await get()).status, 200);
    assert.equal((await get()).status, 200, 'from the copy');
    const patched = await server.req('PATCH', appPath(admin.orgId, app.clientId), { token: admin.accessToken, json: { description: 'changed through the server' } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await get()).body.description, 'changed through the server');
    otherConnection((file) => file.prepare("UPDATE oauth_apps SET display_name = 'renamed elsewhere' WHERE id = ?").run(app.clientId));
    assert.equal((await get()).body.displayName, 'renamed elsewhere', 'the other connection\'s commit, at the next request');
    otherConnection((file) => file.prepare("UPDATE oauth_apps SET state = 'deleting' WHERE id = ?").run(app.clientId));
    assert.equal((await get()).status, 404, 'an app being deleted is gone at the next request');
  });

  it('a member removed by another connection (the CLI) is refused at the next request, though served from copies before', async () => {
    const developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const get = () => server.req('GET', appPath(admin.orgId, app.clientId), { token: developer.accessToken });
    assert.equal((await get()).status, 200);
    assert.equal(await selectsDuring(async () => { assert.equal((await get()).status, 200); }), 0, 'the membership from its copy');
    otherConnection((file) => file.prepare('UPDATE memberships SET developer = 0 WHERE org_id = ? AND username = ?').run(admin.orgId, developer.username));
    assert.equal((await get()).status, 403, 'the developer role taken away: refused at the next request');
    otherConnection((file) => file.prepare('DELETE FROM memberships WHERE org_id = ? AND username = ?').run(admin.orgId, developer.username));
    assert.equal((await get()).status, 401, 'no longer a member: refused at the next request');
  });

  it('a management token denied by another connection, or a service account whose app is deleted, is refused at the next request', async () => {
    const owner = await addUser(server, admin.orgId, 'org_owner');
    const app = await createApp(server, admin.accessToken, admin.orgId, { allowedScopes: { organizationScopes: { allRoles: true, allPermissions: false, roles: [], permissions: [] }, servicesScopes: [], generalScopes: [] } });
    const get = (token: string) => server.req('GET', appPath(admin.orgId, app.clientId), { token });
    assert.equal((await get(owner.accessToken)).status, 200);
    assert.equal((await get(owner.accessToken)).status, 200, 'from copies');
    otherConnection((file) => file.prepare("INSERT INTO token_denylist (kind, value, expires_at) VALUES ('jti', ?, ?)").run(jtiOf(owner.accessToken), Math.floor(Date.now() / 1000) + 3600));
    assert.equal((await get(owner.accessToken)).status, 401, 'denied: refused at the next request');

    const serviceToken = await serviceAccountToken(server, app.clientId, app.clientSecret);
    assert.equal((await get(serviceToken)).status, 200, 'the app\'s own token');
    assert.equal((await get(serviceToken)).status, 200, 'from copies');
    otherConnection((file) => file.prepare("UPDATE oauth_apps SET state = 'deleting' WHERE id = ?").run(app.clientId));
    assert.equal((await get(serviceToken)).status, 401, 'its app being deleted: refused at the next request');
  });
});
