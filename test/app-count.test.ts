// The listing's totalResults on a full page comes from each org's stored count of active apps
// (docs/design.md §5.1): it must equal the apps there are at every moment — under concurrent
// creates, duplicate-id races and bulk deletes, for an app left being deleted, and right after the
// migration that introduced the count backfilled it from the apps already stored.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, appBody, bootstrapAdmin, createApp, startServer, type Admin, type HttpResult, type Json, type TestServer, type UserCred } from './helpers/index.js';
import { queryDatabase } from './helpers/postgres.js';
import { startRoomyServer } from './helpers/lifecycle.js';

const requireFromTest = createRequire(import.meta.url);

// One issuer for both nodes of the migration test, so each accepts the other's tokens.
const ISSUER = 'https://orgauth.count.test';
let server: TestServer;
let admin: Admin;

before(async () => {
  server = await startRoomyServer({ env: { ORGAUTH_ISSUER: ISSUER } });
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await server?.stop();
});

/** The test server's PostgreSQL database, or undefined on SQLite (helpers/server.ts, TEST_SERVER_ENV_JSON). */
function postgresUrl(of: TestServer): string | undefined {
  const json = process.env.TEST_SERVER_ENV_JSON;
  const url = json ? (JSON.parse(json) as Record<string, string>).DATABASE_URL?.replaceAll('{uniq}', of.uniq) : undefined;
  return url?.startsWith('postgres') ? url : undefined;
}

/** Runs SQL on the server's database: PostgreSQL ($1 parameters) or its SQLite file (? parameters). */
async function sqlOn(of: TestServer, pgText: string, values: unknown[] = []): Promise<Json[]> {
  const url = postgresUrl(of);
  if (url) return queryDatabase(url, pgText, values);
  const Database = requireFromTest('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(of.dataDir, 'orgauth.db'));
  try {
    db.pragma('busy_timeout = 10000');
    const stmt = db.prepare(pgText.replace(/\$\d+/g, '?'));
    return stmt.reader ? stmt.all(...values) as Json[] : (stmt.run(...values), []);
  } finally {
    db.close();
  }
}

async function freshOrg(on: TestServer, name: string): Promise<{ orgId: string; owner: UserCred }> {
  const orgId = (await on.cli(['org', 'create', '--name', name])).id as string;
  return { orgId, owner: await addUser(on, orgId, 'org_owner') };
}

function list(on: TestServer, orgId: string, token: string, query: Record<string, string> = {}): Promise<HttpResult> {
  return on.req('GET', `/orgs/${orgId}/oauth-apps`, { token, query });
}

/** The total a full one-app page reports (the stored count), and what paging through finds. */
async function totals(on: TestServer, orgId: string, token: string): Promise<{ stored: number; paged: number }> {
  const first = await list(on, orgId, token, { pageLimit: '1' });
  assert.equal(first.status, 200, first.text);
  let paged = 0;
  for (let start = 1; ; start += 200) {
    const page = await list(on, orgId, token, { pageStart: String(start), pageLimit: '200' });
    assert.equal(page.status, 200, page.text);
    paged += page.body.results.length;
    if (!page.body.nextLink) break;
  }
  return { stored: first.body.totalResults as number, paged };
}

async function countedActive(on: TestServer, orgId: string): Promise<number> {
  const rows = await sqlOn(on, "select count(*) as n from oauth_apps where org_id = $1 and state = 'active'", [orgId]);
  return Number(rows[0].n);
}

describe('totalResults of the unfiltered listing', () => {
  it('stays exact through concurrent creates, duplicate-id races and overlapping bulk deletes', async () => {
    const { orgId, owner } = await freshOrg(server, 'Counted Org');
    const initial: string[] = [];
    for (let i = 0; i < 24; i++) initial.push((await createApp(server, owner.accessToken, orgId, { displayName: `counted ${i}` })).clientId);
    assert.deepEqual(await totals(server, orgId, owner.accessToken), { stored: 24, paged: 24 });

    const create = (id: string) => server.req('POST', `/orgs/${orgId}/oauth-apps`, { token: owner.accessToken, json: appBody({ id, displayName: `counted ${id}` }) });
    const remove = (ids: string[]) => server.req('DELETE', `/orgs/${orgId}/oauth-apps`, { token: owner.accessToken, json: { clientIdsToDelete: ids } });
    const seen: number[] = [];
    const results = await Promise.all([
      ...Array.from({ length: 16 }, (_, i) => create(`counted-new-${i}`)),
      // Two creates for each of these ids: one wins, the other is a 409 that must not count.
      ...Array.from({ length: 8 }, (_, i) => create(`counted-raced-${i % 4}`)),
      // Each of the first 12 apps is named by two deletes at once: it goes once.
      remove(initial.slice(0, 6)), remove(initial.slice(0, 6)), remove(initial.slice(6, 12)), remove(initial.slice(3, 12)),
      remove(['counted-unknown']),
      ...Array.from({ length: 10 }, async () => {
        const res = await list(server, orgId, owner.accessToken, { pageLimit: '1' });
        seen.push(res.body.totalResults as number);
        return res;
      }),
    ]);
    for (const res of results) assert.ok(res.status === 200 || res.status === 409, `${res.status} ${res.text}`);
    assert.equal(results.slice(16, 24).filter((res) => res.status === 409).length, 4, 'one create per raced id lost');
    // Every total seen mid-way lies between the fewest and the most apps there ever were.
    for (const total of seen) assert.ok(total >= 12 && total <= 24 + 16 + 4, `a total seen meanwhile: ${total}`);

    const expected = 24 + 16 + 4 - 12;
    assert.deepEqual(await totals(server, orgId, owner.accessToken), { stored: expected, paged: expected });
    assert.equal(await countedActive(server, orgId), expected);
    // A filtered listing counts its own matches; every app here matches.
    const filtered = await list(server, orgId, owner.accessToken, { searchTerm: 'counted', pageLimit: '1' });
    assert.equal(filtered.body.totalResults, expected);
  });

  it('an org without apps reports 0, on its first page and past it', async () => {
    const { orgId, owner } = await freshOrg(server, 'Empty Org');
    for (const query of [{ pageStart: '1', pageLimit: '1' }, { pageStart: '5', pageLimit: '1' }]) {
      const res = await list(server, orgId, owner.accessToken, query);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual([res.body.results.length, res.body.totalResults], [0, 0]);
    }
  });

  it('a page past the end still reports the stored count', async () => {
    const { orgId, owner } = await freshOrg(server, 'Short Org');
    for (let i = 0; i < 3; i++) await createApp(server, owner.accessToken, orgId);
    const res = await list(server, orgId, owner.accessToken, { pageStart: '10', pageLimit: '2' });
    assert.deepEqual([res.status, res.body.results.length, res.body.totalResults], [200, 0, 3]);
  });
});

describe('the migration that introduced the stored count', () => {
  it('backfills every org from its active apps, and a second node on the same database agrees', async () => {
    const a = await freshOrg(server, 'Backfill A');
    const b = await freshOrg(server, 'Backfill B');
    const empty = await freshOrg(server, 'Backfill Empty');
    const appsOfA: string[] = [];
    for (let i = 0; i < 7; i++) appsOfA.push((await createApp(server, a.owner.accessToken, a.orgId)).clientId);
    for (let i = 0; i < 3; i++) await createApp(server, b.owner.accessToken, b.orgId);
    const removed = await server.req('DELETE', `/orgs/${a.orgId}/oauth-apps`, { token: a.owner.accessToken, json: { clientIdsToDelete: appsOfA.slice(0, 2) } });
    assert.deepEqual(removed.body.succeeded.length, 2, removed.text);
    // A bulk delete interrupted by a crash leaves an app being deleted: it is not counted, and the
    // next node to start finishes the deletion without counting it off a second time.
    await sqlOn(server, "update oauth_apps set state = 'deleting' where id = $1", [appsOfA[2]]);
    // The database as it was before the migration: no stored counts, the migration not yet run.
    await sqlOn(server, 'drop table org_app_counts');
    await sqlOn(server, "delete from kysely_migration where name = '006_org_app_counts'");

    const second = await startServer({ shareWith: server, env: { ORGAUTH_ISSUER: ISSUER, RATE_LIMIT_MANAGEMENT: '100000/60' } });
    try {
      for (const [org, expected] of [[a, 4], [b, 3], [empty, 0]] as const) {
        assert.equal(await countedActive(second, org.orgId), expected);
        assert.deepEqual(await totals(second, org.orgId, org.owner.accessToken), { stored: expected, paged: expected });
        assert.deepEqual(await totals(server, org.orgId, org.owner.accessToken), { stored: expected, paged: expected });
      }
      const bootstrapOrg = await countedActive(second, admin.orgId);
      assert.equal((await list(second, admin.orgId, admin.accessToken, { pageLimit: '1' })).body.totalResults, bootstrapOrg);

      // Changes through either node move the count both nodes read.
      const added = await createApp(second, a.owner.accessToken, a.orgId);
      const gone = await server.req('DELETE', `/orgs/${a.orgId}/oauth-apps`, { token: a.owner.accessToken, json: { clientIdsToDelete: [appsOfA[6], added.clientId] } });
      assert.equal(gone.body.succeeded.length, 2, gone.text);
      assert.deepEqual(await totals(second, a.orgId, a.owner.accessToken), { stored: 3, paged: 3 });
      assert.deepEqual(await totals(server, a.orgId, a.owner.accessToken), { stored: 3, paged: 3 });
    } finally {
      await second.stop();
    }
  });
});
