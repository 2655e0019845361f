// The rest of the app API (docs/design.md §5.1): list, PATCH, bulk delete, search by
// role names, and the no-escalation rule of docs/design.md §2 on create and PATCH.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, appBody, assertCspError, bootstrapAdmin, createApp, serviceAccountToken, verifyAccessToken,
  type Admin, type HttpResult, type Json, type TestServer, type UserCred,
} from './helpers/index.js';
import {
  appPath, assertErrorCode, assertSecretRefused, assertSecretWorks, listSecrets, rotateSecret, startRoomyServer, suppliedSecret,
} from './helpers/lifecycle.js';

let server: TestServer;
let admin: Admin;
/** A second organization with its own owner: its apps are "not found" for the first org. */
let otherOrgId: string;
let otherOwner: UserCred;

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
  otherOrgId = (await server.cli(['org', 'create', '--name', 'Other Org'])).id;
  otherOwner = await addUser(server, otherOrgId, 'org_owner');
});

after(async () => {
  await server?.stop();
});

/** A fresh organization with an owner, so that counts in it are exactly what the test created. */
async function freshOrg(name: string): Promise<{ orgId: string; owner: UserCred }> {
  const orgId = (await server.cli(['org', 'create', '--name', name])).id as string;
  return { orgId, owner: await addUser(server, orgId, 'org_owner') };
}

function list(orgId: string, token: string, query: Record<string, string> = {}): Promise<HttpResult> {
  return server.req('GET', `/orgs/${orgId}/oauth-apps`, { token, query });
}

/** Follows a relative nextLink/prevLink as a client would. */
function follow(link: string, token: string): Promise<HttpResult> {
  assert.ok(link.startsWith('/'), `links are relative URLs: ${link}`);
  return server.req('GET', link, { token, root: true });
}

function queryOf(link: string): URLSearchParams {
  return new URL(link, 'http://x').searchParams;
}

function getApp(orgId: string, appId: string, token = admin.accessToken): Promise<HttpResult> {
  return server.req('GET', appPath(orgId, appId), { token });
}

function patch(orgId: string, appId: string, json: unknown, token = admin.accessToken): Promise<HttpResult> {
  return server.req('PATCH', appPath(orgId, appId), { token, json });
}

/** The fields of an OrgOAuthAppResponse a PATCH of other fields must leave alone. */
function stable(app: Json): Json {
  const { lastUpdatedAt: _a, lastUpdatedBy: _b, secretAge: _c, lastUsedAt: _d, ...rest } = app;
  return rest;
}

describe('list — GET /orgs/{orgId}/oauth-apps', () => {
  let orgId: string;
  let owner: UserCred;
  /** Every app of the org, in the order of the unpaged listing. */
  let all: Json[];

  before(async () => {
    ({ orgId, owner } = await freshOrg('List Org'));
    // 201 apps: one more than the default and maximum page size.
    for (let i = 0; i < 201; i++) {
      await createApp(server, owner.accessToken, orgId, { displayName: `listed app ${String(i).padStart(3, '0')}` });
    }
    all = [];
    let res = await list(orgId, owner.accessToken, { pageLimit: '200' });
    for (;;) {
      assert.equal(res.status, 200, res.text);
      all.push(...res.body.results);
      if (!res.body.nextLink) break;
      res = await follow(res.body.nextLink, owner.accessToken);
    }
    assert.equal(all.length, 201);
  });

  it('defaults to pageStart=1 and pageLimit=200: 200 results, totalResults counts all, nextLink but no prevLink', async () => {
    const res = await list(orgId, owner.accessToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.totalResults, 201);
    assert.equal(res.body.results.length, 200);
    assert.deepEqual(res.body.results.map((a: Json) => a.id), all.slice(0, 200).map((a) => a.id));
    assert.ok(!('prevLink' in res.body), `no prevLink on the first page: ${res.body.prevLink}`);
    assert.equal(typeof res.body.nextLink, 'string');
    const q = queryOf(res.body.nextLink);
    assert.equal(q.get('pageStart'), '201');
    assert.equal(q.get('pageLimit'), '200');
  });

  it('results are full app objects of this org and never hold a secret', async () => {
    const res = await list(orgId, owner.accessToken, { pageLimit: '5' });
    assert.equal(res.status, 200, res.text);
    for (const app of res.body.results) {
      assert.equal(app.organizationId, orgId);
      assert.equal(typeof app.displayName, 'string');
      assert.ok(Array.isArray(app.grantTypes));
      assert.ok(!('clientSecret' in app) && !('secret' in app), 'no secret in a listed app');
    }
    for (const [secret, kind] of server.secrets()) {
      if (kind === 'clientSecret') assert.ok(!res.text.includes(secret), 'no known secret in the listing');
    }
  });

  it('nextLink leads to the last page, which has a prevLink and no nextLink', async () => {
    const first = await list(orgId, owner.accessToken);
    const last = await follow(first.body.nextLink, owner.accessToken);
    assert.equal(last.status, 200, last.text);
    assert.equal(last.body.totalResults, 201);
    assert.deepEqual(last.body.results.map((a: Json) => a.id), [all[200].id]);
    assert.ok(!('nextLink' in last.body), 'no nextLink on the last page');
    assert.equal(typeof last.body.prevLink, 'string');
    const back = await follow(last.body.prevLink, owner.accessToken);
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(back.body.results.map((a: Json) => a.id), all.slice(0, 200).map((a) => a.id));
  });

  it('a middle page has both links, each with the same pageLimit, and both are followable', async () => {
    const res = await list(orgId, owner.accessToken, { pageStart: '11', pageLimit: '10' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results.map((a: Json) => a.id), all.slice(10, 20).map((a) => a.id));
    const next = queryOf(res.body.nextLink);
    const prev = queryOf(res.body.prevLink);
    assert.equal(next.get('pageStart'), '21');
    assert.equal(prev.get('pageStart'), '1');
    assert.equal(next.get('pageLimit'), '10');
    assert.equal(prev.get('pageLimit'), '10');
    const n = await follow(res.body.nextLink, owner.accessToken);
    assert.deepEqual(n.body.results.map((a: Json) => a.id), all.slice(20, 30).map((a) => a.id));
    const p = await follow(res.body.prevLink, owner.accessToken);
    assert.deepEqual(p.body.results.map((a: Json) => a.id), all.slice(0, 10).map((a) => a.id));
    assert.ok(!('prevLink' in p.body), 'back on the first page: no prevLink');
  });

  it('a pageStart beyond the end answers 200 with no results and no nextLink', async () => {
    const res = await list(orgId, owner.accessToken, { pageStart: '500', pageLimit: '10' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results, []);
    assert.equal(res.body.totalResults, 201);
    assert.ok(!('nextLink' in res.body));
    // Its prevLink leads back to the last page that has items, not to another empty one.
    assert.equal(queryOf(res.body.prevLink).get('pageStart'), '192');
    const back = await follow(res.body.prevLink, owner.accessToken);
    assert.deepEqual(back.body.results.map((a: Json) => a.id), all.slice(191, 201).map((a) => a.id));
  });

  it('a page that ends exactly at the last app counts all of them and has no nextLink', async () => {
    const res = await list(orgId, owner.accessToken, { pageStart: '192', pageLimit: '10' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results.map((a: Json) => a.id), all.slice(191, 201).map((a) => a.id));
    assert.equal(res.body.totalResults, 201);
    assert.ok(!('nextLink' in res.body), 'no nextLink on the last page');
    assert.equal(queryOf(res.body.prevLink).get('pageStart'), '182');
  });

  it('searchTerm matches a case-insensitive substring of displayName', async () => {
    const ids = [];
    for (const name of ['Zephyr Deploy Bot', 'the ZEPHYR poller', 'zephyrus']) {
      ids.push((await createApp(server, admin.accessToken, admin.orgId, { displayName: name })).clientId);
    }
    await createApp(server, admin.accessToken, admin.orgId, { displayName: 'zeph yr: no match' });
    const res = await list(admin.orgId, admin.accessToken, { searchTerm: 'zEpHyR' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.totalResults, 3);
    assert.deepEqual(res.body.results.map((a: Json) => a.id).sort(), ids.sort());
  });

  it('searchTerm matches a case-insensitive substring of the id', async () => {
    const a = await createApp(server, admin.accessToken, admin.orgId, { id: 'Quokka-Sync-01', displayName: 'first' });
    const b = await createApp(server, admin.accessToken, admin.orgId, { id: 'backup-quokka', displayName: 'second' });
    const res = await list(admin.orgId, admin.accessToken, { searchTerm: 'QUOKKA' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results.map((x: Json) => x.id).sort(), [a.clientId, b.clientId].sort());
    assert.equal(res.body.totalResults, 2);
  });

  it('searchTerm is kept in nextLink/prevLink, and the links page through the matches only', async () => {
    for (const name of ['Wombat one', 'wombat two', 'WOMBAT three']) await createApp(server, admin.accessToken, admin.orgId, { displayName: name });
    const first = await list(admin.orgId, admin.accessToken, { searchTerm: 'wombat', pageLimit: '2' });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.totalResults, 3);
    assert.equal(first.body.results.length, 2);
    assert.equal(queryOf(first.body.nextLink).get('searchTerm'), 'wombat');
    const second = await follow(first.body.nextLink, admin.accessToken);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.results.length, 1);
    assert.equal(second.body.totalResults, 3, 'the last, partial page still counts every match');
    assert.match(second.body.results[0].displayName, /wombat/i);
    assert.ok(!('nextLink' in second.body));
    assert.equal(queryOf(second.body.prevLink).get('searchTerm'), 'wombat');
  });

  it('searchTerm treats % and _ literally', async () => {
    // No display name or id may contain % (CSP's display-name rule), so % matches nothing.
    const res = await list(admin.orgId, admin.accessToken, { searchTerm: '%' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results.map((a: Json) => a.id), [], '% is not a wildcard');
    const literal = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'field_sync' });
    const lookalike = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'fieldXsync' });
    const under = await list(admin.orgId, admin.accessToken, { searchTerm: 'd_s' });
    assert.equal(under.status, 200, under.text);
    const ids = under.body.results.map((a: Json) => a.id);
    assert.ok(ids.includes(literal.clientId), 'field_sync matches d_s');
    assert.ok(!ids.includes(lookalike.clientId), '_ is not a wildcard: fieldXsync does not match d_s');
    for (const a of under.body.results) assert.ok(`${a.displayName} ${a.id}`.toLowerCase().includes('d_s'), `${a.displayName} / ${a.id} does not contain d_s`);
  });

  it('does not list another organization\'s apps', async () => {
    const foreign = await createApp(server, otherOwner.accessToken, otherOrgId, { displayName: 'foreign kiwi app' });
    const res = await list(admin.orgId, admin.accessToken, { searchTerm: 'kiwi' });
    assert.equal(res.status, 200, res.text);
    assert.ok(!res.body.results.some((a: Json) => a.id === foreign.clientId));
  });

  for (const [name, query] of [
    ['pageStart=0', { pageStart: '0' }],
    ['pageLimit=201', { pageLimit: '201' }],
    ['pageLimit=abc', { pageLimit: 'abc' }],
    ['pageLimit=0', { pageLimit: '0' }],
    ['pageStart=-1', { pageStart: '-1' }],
  ] as const) {
    it(`${name} → 400 PAGING_INVALID_PARAMETERS`, async () => {
      const res = await list(orgId, owner.accessToken, query);
      assertErrorCode(server, res, 400, 'PAGING_INVALID_PARAMETERS');
    });
  }
});

describe('update — PATCH /orgs/{orgId}/oauth-apps/{oauthAppId} (merge update)', () => {
  it('changes only the fields sent; every absent field keeps its value (GET agrees)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, {
      description: 'before', accessTokenTTL: 900, redirectUris: ['https://a.example.com/cb'], isHidden: true,
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }, { name: 'billing_read_only' }] } },
    });
    const before = (await getApp(admin.orgId, app.clientId)).body;
    const res = await patch(admin.orgId, app.clientId, { displayName: 'renamed by patch' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.displayName, 'renamed by patch');
    assert.deepEqual(stable(res.body), { ...stable(before), displayName: 'renamed by patch' });
    const after = await getApp(admin.orgId, app.clientId);
    assert.deepEqual(stable(after.body), stable(res.body), 'GET shows what PATCH answered');

    const res2 = await patch(admin.orgId, app.clientId, { description: 'after', accessTokenTTL: 1200 });
    assert.equal(res2.status, 200, res2.text);
    assert.deepEqual(stable(res2.body), { ...stable(before), displayName: 'renamed by patch', description: 'after', accessTokenTTL: 1200 });
    assert.equal(res2.body.lastUpdatedBy, admin.username);
    assert.ok(!('clientSecret' in res2.body) && !('secret' in res2.body), 'no secret in the PATCH answer');
  });

  it('an empty PATCH {} answers 200 and changes nothing', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const before = (await getApp(admin.orgId, app.clientId)).body;
    const res = await patch(admin.orgId, app.clientId, {});
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(stable(res.body), stable(before));
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'the secret after an empty PATCH');
  });

  it('a changed role set changes what the service account\'s next token carries', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const res = await patch(admin.orgId, app.clientId, { allowedScopes: { organizationScopes: { roles: [{ name: 'org_admin' }] } } });
    assert.equal(res.status, 200, res.text);
    const claims = await verifyAccessToken(server, await serviceAccountToken(server, app.clientId, app.clientSecret));
    assert.deepEqual(claims.perms, ['csp:org_admin']);
  });

  for (const [what, body, errorCode] of [
    ['grantTypes with password', { grantTypes: ['client_credentials', 'password'] }, 'OAUTH_ORG_CLIENT_SUPPORT_PASSWORD_GRANT_TYPE_ERROR'],
    ['refreshTokenTTL not above accessTokenTTL', { accessTokenTTL: 5000, refreshTokenTTL: 5000 }, 'OAUTH_ORG_CLIENT_INVALID_ACCESS_TOKEN_TTL_ERROR'],
    ['an unknown grant type', { grantTypes: ['implicit'] }, 'OAUTH_ORG_CLIENT_INVALID_GRANT_TYPE_ERROR'],
    ['a redirect URI with a fragment', { redirectUris: ['https://a.example.com/cb#frag'] }, 'OAUTH_ORG_CLIENT_UPDATE_ERROR'],
    ['a weak secret', { secret: 'weakweak' }, 'OAUTH_ORG_CLIENT_SECRET_COMPLEXITY_ERROR'],
  ] as const) {
    it(`a rule violation (${what}) → 400 naming the problem, and the app is unchanged`, async () => {
      const app = await createApp(server, admin.accessToken, admin.orgId);
      const before = (await getApp(admin.orgId, app.clientId)).body;
      const res = await patch(admin.orgId, app.clientId, body);
      assertErrorCode(server, res, 400, errorCode);
      const after = (await getApp(admin.orgId, app.clientId)).body;
      assert.deepEqual(stable(after), stable(before), 'a refused PATCH changes nothing');
      assert.equal(after.lastUpdatedAt, before.lastUpdatedAt, 'a refused PATCH does not touch lastUpdatedAt');
      await assertSecretWorks(server, app.clientId, app.clientSecret, 'the secret after a refused PATCH');
    });
  }

  it('a schema violation (wrong type of a known field) → 400', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    assertCspError(await patch(admin.orgId, app.clientId, { noSuchField: 1, accessTokenTTL: 'long' }), 400, { messageIncludes: ['accessTokenTTL'] }, server);
  });

  it('allowOpenRedirectUris false → true → 400, and it stays false', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const res = await patch(admin.orgId, app.clientId, { allowOpenRedirectUris: true });
    assertErrorCode(server, res, 400, 'OAUTH_ORG_CLIENT_OPEN_REDIRECT_ERROR');
    assert.match(res.body.message, /allowOpenRedirectUris/);
    assert.equal((await getApp(admin.orgId, app.clientId)).body.allowOpenRedirectUris, false);
  });

  it('allowOpenRedirectUris true → true is accepted (not a change)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { allowOpenRedirectUris: true });
    const res = await patch(admin.orgId, app.clientId, { allowOpenRedirectUris: true, description: 'still open' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.allowOpenRedirectUris, true);
  });

  it('`secret` resets a rotation: the old and previous secrets die, the PATCH secret works', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const rotated = suppliedSecret('rot');
    const rot = await rotateSecret(server, admin.accessToken, admin.orgId, app.clientId, rotated, 3600);
    assert.equal(rot.status, 200, rot.text);
    await assertSecretWorks(server, app.clientId, app.clientSecret, 'previous secret during the rotation');
    await assertSecretWorks(server, app.clientId, rotated, 'current secret of the rotation');

    const patched = suppliedSecret('patch');
    const res = await patch(admin.orgId, app.clientId, { secret: patched, description: 'secret replaced' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.description, 'secret replaced', 'the other fields of the same PATCH apply too');
    assert.ok(!res.text.includes(patched), 'the PATCH answer never echoes the secret');
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'previous secret of the rotation');
    await assertSecretRefused(server, app.clientId, rotated, 'current secret of the rotation');
    await assertSecretWorks(server, app.clientId, patched, 'the PATCH secret');
    await assertSecretWorks(server, app.clientId, patched, 'the PATCH secret (again)');
    const secrets = await listSecrets(server, admin.accessToken, admin.orgId, app.clientId);
    assert.equal(secrets.length, 1, `one valid secret after the PATCH: ${JSON.stringify(secrets)}`);
    assert.equal(secrets[0].status, 'current');
    assert.ok(!('hint' in secrets[0]), 'no character of a caller-supplied secret is shown');
  });

  it('`secret` on an app without a rotation replaces the secret', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const patched = suppliedSecret('plain');
    const res = await patch(admin.orgId, app.clientId, { secret: patched });
    assert.equal(res.status, 200, res.text);
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'the secret before the PATCH');
    await assertSecretWorks(server, app.clientId, patched, 'the PATCH secret');
  });

  it('`secret` equal to the current secret → 400 330.222', async () => {
    const mine = suppliedSecret('same');
    const app = await createApp(server, admin.accessToken, admin.orgId, { secret: mine });
    const res = await patch(admin.orgId, app.clientId, { secret: mine });
    assertErrorCode(server, res, 400, 'NEW_CLIENT_SECRET_AND_CURRENT_SECRET_NOT_DIFFERENT', '330.222');
    await assertSecretWorks(server, app.clientId, mine, 'the unchanged secret');
  });

  it('publicClient cannot change, either way', async () => {
    const confidential = await createApp(server, admin.accessToken, admin.orgId);
    const res = await patch(admin.orgId, confidential.clientId, { publicClient: true });
    assertCspError(res, 400, { messageIncludes: ['publicClient'] }, server);
    assert.equal((await getApp(admin.orgId, confidential.clientId)).body.publicClient, false);
    await assertSecretWorks(server, confidential.clientId, confidential.clientSecret, 'the confidential app\'s secret');

    const pub = await createApp(server, admin.accessToken, admin.orgId, {
      publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://spa.example.com/cb'],
    });
    const res2 = await patch(admin.orgId, pub.clientId, { publicClient: false });
    assertCspError(res2, 400, { messageIncludes: ['publicClient'] }, server);
    assert.equal((await getApp(admin.orgId, pub.clientId)).body.publicClient, true);
    // Sending the value it already has is not a change.
    const same = await patch(admin.orgId, confidential.clientId, { publicClient: false, description: 'same kind' });
    assert.equal(same.status, 200, same.text);
  });

  it('an unknown app, or an app of another org → 404', async () => {
    assertErrorCode(server, await patch(admin.orgId, 'no-such-app-42', { description: 'x' }), 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    const foreign = await createApp(server, otherOwner.accessToken, otherOrgId);
    assertErrorCode(server, await patch(admin.orgId, foreign.clientId, { description: 'x' }), 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    const res = await getApp(otherOrgId, foreign.clientId, otherOwner.accessToken);
    assert.equal(res.body.description, 'd', 'the other org\'s app is untouched');
  });
});

describe('bulk delete — DELETE /orgs/{orgId}/oauth-apps', () => {
  function bulkDelete(ids: string[], token = admin.accessToken, orgId = admin.orgId): Promise<HttpResult> {
    return server.req('DELETE', `/orgs/${orgId}/oauth-apps`, { token, json: { clientIdsToDelete: ids } });
  }

  it('more than 15 ids → 400 and nothing is deleted', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const ids = [app.clientId, ...Array.from({ length: 15 }, (_, i) => `filler-app-${i}`)];
    const res = await bulkDelete(ids);
    assertCspError(res, 400, {}, server);
    assert.equal((await getApp(admin.orgId, app.clientId)).status, 200, 'the real app still exists');
  });

  it('exactly 15 ids is allowed', async () => {
    const apps = [];
    for (let i = 0; i < 15; i++) apps.push((await createApp(server, admin.accessToken, admin.orgId)).clientId);
    const res = await bulkDelete(apps);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([...res.body.succeeded].sort(), [...apps].sort());
    assert.deepEqual(res.body.failed, []);
  });

  it('an empty list → 400', async () => {
    assertCspError(await bulkDelete([]), 400, {}, server);
  });

  it('partial success → 200 with succeeded and failed; another org\'s app lands in failed and survives', async () => {
    const a = await createApp(server, admin.accessToken, admin.orgId);
    const b = await createApp(server, admin.accessToken, admin.orgId);
    const foreign = await createApp(server, otherOwner.accessToken, otherOrgId);
    const res = await bulkDelete([a.clientId, 'no-such-app-77', b.clientId, foreign.clientId]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([...res.body.succeeded].sort(), [a.clientId, b.clientId].sort());
    assert.deepEqual([...res.body.failed].sort(), ['no-such-app-77', foreign.clientId].sort());
    assertErrorCode(server, await getApp(admin.orgId, a.clientId), 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    assertErrorCode(server, await getApp(admin.orgId, b.clientId), 404, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR');
    const still = await getApp(otherOrgId, foreign.clientId, otherOwner.accessToken);
    assert.equal(still.status, 200, 'the other org\'s app was not deleted');
    await assertSecretWorks(server, foreign.clientId, foreign.clientSecret, 'the other org\'s app secret');
    const listed = await list(admin.orgId, admin.accessToken, { searchTerm: a.clientId });
    assert.equal(listed.body.totalResults, 0, 'a deleted app is no longer listed');
  });

  it('deleting the same app twice: the second time it is in failed', async () => {
    const a = await createApp(server, admin.accessToken, admin.orgId);
    assert.deepEqual((await bulkDelete([a.clientId])).body, { succeeded: [a.clientId], failed: [] });
    const again = await bulkDelete([a.clientId]);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, { succeeded: [], failed: [a.clientId] });
  });

  it('a deleted app\'s secret is refused at the token endpoint and its service-account token by the management API (401)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const saToken = await serviceAccountToken(server, app.clientId, app.clientSecret);
    const before = await list(admin.orgId, saToken, { pageLimit: '1' });
    assert.equal(before.status, 200, `the service account (developer) may list before the delete: ${before.text}`);
    const res = await bulkDelete([app.clientId]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.succeeded, [app.clientId]);
    await assertSecretRefused(server, app.clientId, app.clientSecret, 'a deleted app\'s secret');
    const after = await list(admin.orgId, saToken, { pageLimit: '1' });
    assertCspError(after, 401, {}, server);
  });

  it('a recreated app with the deleted id does not revive the old app\'s service-account tokens', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { id: 'reborn-app-2' });
    const oldToken = await serviceAccountToken(server, app.clientId, app.clientSecret);
    assert.equal((await list(admin.orgId, oldToken, { pageLimit: '1' })).status, 200, 'the token works before the delete');
    assert.equal((await bulkDelete([app.clientId])).status, 200);
    assertCspError(await list(admin.orgId, oldToken, { pageLimit: '1' }), 401, {}, server);
    await createApp(server, admin.accessToken, admin.orgId, { id: 'reborn-app-2' });
    const res = await list(admin.orgId, oldToken, { pageLimit: '1' });
    assertCspError(res, 401, {}, server);
  });

  it('a recreated app with the deleted id does not revive the old secret', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { id: 'reborn-app-1' });
    assert.equal((await bulkDelete([app.clientId])).status, 200);
    const again = await createApp(server, admin.accessToken, admin.orgId, { id: 'reborn-app-1' });
    await assertSecretRefused(server, again.clientId, app.clientSecret, 'the first incarnation\'s secret');
    await assertSecretWorks(server, again.clientId, again.clientSecret, 'the new incarnation\'s secret');
  });
});

describe('search — POST /orgs/{orgId}/oauth-apps/search (by role names)', () => {
  let orgId: string;
  let owner: UserCred;
  let both: string;
  let supportOnly: string;
  let developerOnly: string;
  let saToken: string;

  function search(body: unknown, opts: { token?: string; filterResults?: string } = {}): Promise<HttpResult> {
    return server.req('POST', `/orgs/${orgId}/oauth-apps/search`, {
      token: opts.token ?? owner.accessToken, json: body,
      ...(opts.filterResults !== undefined ? { query: { filterResults: opts.filterResults } } : {}),
    });
  }
  const names = (roles: Json[]): string[] => roles.map((r) => r.name).sort();

  before(async () => {
    ({ orgId, owner } = await freshOrg('Search Org'));
    const scopes = (...roles: string[]) => ({ organizationScopes: { roles: roles.map((name) => ({ name })) } });
    both = (await createApp(server, owner.accessToken, orgId, { displayName: 'both', allowedScopes: scopes('billing_read_only', 'support_user', 'developer') })).clientId;
    supportOnly = (await createApp(server, owner.accessToken, orgId, { displayName: 'support', allowedScopes: scopes('support_user') })).clientId;
    const dev = await createApp(server, owner.accessToken, orgId, { displayName: 'dev', allowedScopes: scopes('developer') });
    developerOnly = dev.clientId;
    saToken = await serviceAccountToken(server, dev.clientId, dev.clientSecret);
  });

  it('a service-account token → 403, though the same token may list apps', async () => {
    const listed = await list(orgId, saToken);
    assert.equal(listed.status, 200, `the service account may list apps: ${listed.text}`);
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'support_user' }] } }, { token: saToken });
    assertCspError(res, 403, {}, server);
  });

  it('orgRoles finds exactly the apps holding one of the roles, each with all its roles', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'support_user' }] } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.totalResults, 2);
    assert.equal(res.body.startIndex, 1);
    assert.equal(res.body.itemsPerPage, 15);
    const byId = new Map(res.body.results.map((r: Json) => [r.id, r]));
    assert.deepEqual([...byId.keys()].sort(), [both, supportOnly].sort());
    const hit = byId.get(both) as Json;
    assert.deepEqual(names(hit.organizationRoles), ['billing_read_only', 'developer', 'support_user']);
    assert.equal(hit.displayName, 'both');
    assert.equal(hit.sourceOrg.orgId, orgId);
    for (const r of res.body.results) assert.ok(!('clientSecret' in r), 'no secret in a search hit');
  });

  it('several role names: an app matching any of them is a hit', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'billing_read_only' }, { roleName: 'developer' }] } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results.map((r: Json) => r.id).sort(), [both, developerOnly].sort());
  });

  it('filterResults=true reduces each hit\'s roles to those that matched', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'support_user' }] } }, { filterResults: 'true' });
    assert.equal(res.status, 200, res.text);
    const hit = res.body.results.find((r: Json) => r.id === both);
    assert.ok(hit, res.text);
    assert.deepEqual(names(hit.organizationRoles), ['support_user']);
    const unfiltered = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'support_user' }] } }, { filterResults: 'false' });
    assert.deepEqual(names(unfiltered.body.results.find((r: Json) => r.id === both).organizationRoles), ['billing_read_only', 'developer', 'support_user']);
  });

  it('a role nobody holds → 200 with no results', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'software_installer' }] } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results, []);
    assert.equal(res.body.totalResults, 0);
  });

  it('pageLimit pages the hits; totalResults counts them all', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'support_user' }] }, pageLimit: 1, pageStart: 2 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.results.length, 1);
    assert.equal(res.body.totalResults, 2);
    assert.equal(res.body.startIndex, 2);
    assert.equal(res.body.itemsPerPage, 1);
  });

  it('a developer (not owner or admin) may search', async () => {
    const dev = await addUser(server, orgId, 'org_member', { developer: true });
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }, { token: dev.accessToken });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.totalResults, 2);
  });

  it('resource and resourceStartsWith together → 400', async () => {
    const res = await search({ resource: 'a', resourceStartsWith: 'b', rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } });
    assertCspError(res, 400, {}, server);
  });

  it('pageLimit over 15 → 400; pageStart 0 → 400', async () => {
    assertCspError(await search({ pageLimit: 16, rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }), 400, {}, server);
    assertCspError(await search({ pageStart: 0, rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }), 400, {}, server);
  });

  it('a token of another org → 403', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }, { token: admin.accessToken });
    assertCspError(res, 403, {}, server);
  });
});

describe('no escalation (docs/design.md §2) on create and PATCH', () => {
  let developer: UserCred;
  let orgAdmin: UserCred;

  before(async () => {
    developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
    orgAdmin = await addUser(server, admin.orgId, 'org_admin');
  });

  const withRole = (name: string) => ({ allowedScopes: { organizationScopes: { roles: [{ name }] } } });

  for (const role of ['org_owner', 'org_admin']) {
    it(`a developer-only user cannot create an app with ${role} → 403 330.106, and nothing is created`, async () => {
      const body = appBody({ ...withRole(role), displayName: `escalate-${role}-${Date.now()}` });
      const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: developer.accessToken, json: body });
      assertErrorCode(server, res, 403, 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR', '330.106');
      const listed = await list(admin.orgId, admin.accessToken, { searchTerm: body.displayName as string });
      assert.equal(listed.body.totalResults, 0, 'no app was created');
    });
  }

  it('a developer-only user can create an app with developer (its own level)', async () => {
    const app = await createApp(server, developer.accessToken, admin.orgId, withRole('developer'));
    assert.equal(typeof app.clientSecret, 'string');
  });

  it('an org_admin cannot grant org_owner but can grant org_admin', async () => {
    const res = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: orgAdmin.accessToken, json: appBody(withRole('org_owner')) });
    assertErrorCode(server, res, 403, 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR', '330.106');
    await createApp(server, orgAdmin.accessToken, admin.orgId, withRole('org_admin'));
  });

  it('an owner can create an app with org_owner, and its token carries csp:org_owner', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, withRole('org_owner'));
    const claims = await verifyAccessToken(server, await serviceAccountToken(server, app.clientId, app.clientSecret));
    assert.ok((claims.perms as string[]).includes('csp:org_owner'), `perms: ${JSON.stringify(claims.perms)}`);
  });

  it('a developer-only user cannot PATCH an app up to org_owner or org_admin → 403 330.106, and the app is unchanged', async () => {
    const app = await createApp(server, developer.accessToken, admin.orgId, withRole('developer'));
    for (const role of ['org_owner', 'org_admin']) {
      const res = await patch(admin.orgId, app.clientId, withRole(role), developer.accessToken);
      assertErrorCode(server, res, 403, 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR', '330.106');
    }
    const got = await getApp(admin.orgId, app.clientId);
    assert.deepEqual(got.body.allowedScopes.organizationScopes.roles, [{ name: 'developer', resource: null }]);
    const claims = await verifyAccessToken(server, await serviceAccountToken(server, app.clientId, app.clientSecret));
    assert.deepEqual(claims.perms, ['csp:developer'], 'the service account gained nothing');
  });

  it('a developer-only user cannot PATCH an owner\'s app to allRoles (it would inherit the owner\'s roles) → 403', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, withRole('developer'));
    const res = await patch(admin.orgId, app.clientId, { allowedScopes: { organizationScopes: { allRoles: true } } }, developer.accessToken);
    // What the developer could do next with its own rights: take the secret and call an owner/admin-only route.
    const regen = await server.req('PUT', `${appPath(admin.orgId, app.clientId)}/secret`, { token: developer.accessToken, json: {} });
    assert.equal(regen.status, 200, regen.text);
    const saToken = await serviceAccountToken(server, app.clientId, regen.body.clientSecret);
    const claims = await verifyAccessToken(server, saToken);
    const audit = await server.req('GET', `/orgs/${admin.orgId}/audit-events`, { token: saToken });
    assert.ok(!(claims.perms as string[]).includes('csp:org_owner'),
      `the developer's PATCH answered ${res.status}; the app's token now has ${JSON.stringify(claims.perms)} and GET audit-events (owner/admin only) answers ${audit.status}`);
    assertCspError(res, 403, {}, server);
    assert.match(res.body.cspErrorCode, /^330\.10[67]$/);
  });

  it('an org_admin cannot PATCH an owner\'s app to allRoles → 403', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, withRole('developer'));
    const res = await patch(admin.orgId, app.clientId, { allowedScopes: { organizationScopes: { allRoles: true } } }, orgAdmin.accessToken);
    const claims = await verifyAccessToken(server, await serviceAccountToken(server, app.clientId, app.clientSecret));
    assert.ok(!(claims.perms as string[]).includes('csp:org_owner'), `the org_admin's PATCH (${res.status}) gave the app perms ${JSON.stringify(claims.perms)}`);
    assertCspError(res, 403, {}, server);
  });

  it('allRoles created by a developer grants nothing above the developer\'s own roles', async () => {
    const app = await createApp(server, developer.accessToken, admin.orgId, { allowedScopes: { organizationScopes: { allRoles: true } } });
    const claims = await verifyAccessToken(server, await serviceAccountToken(server, app.clientId, app.clientSecret));
    for (const perm of claims.perms as string[]) assert.ok(['csp:org_member', 'csp:developer'].includes(perm), `perm ${perm}`);
  });

  it('a developer-only user cannot take the credentials of an app holding org_owner: regenerate, rotate and PATCH secret → 403, the secret unchanged', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, withRole('org_owner'));
    const path = `${appPath(admin.orgId, app.clientId)}/secret`;
    const attempts = [
      await server.req('PUT', path, { token: developer.accessToken, json: {} }),
      await server.req('POST', path, { token: developer.accessToken, json: { newClientSecret: 'Taken-Over-123!' } }),
      await patch(admin.orgId, app.clientId, { secret: 'Taken-Over-456!' }, developer.accessToken),
    ];
    for (const res of attempts) assertErrorCode(server, res, 403, 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR', '330.106');
    const claims = await verifyAccessToken(server, await serviceAccountToken(server, app.clientId, app.clientSecret));
    assert.ok((claims.perms as string[]).includes('csp:org_owner'), 'the original secret still works');
    const owner = await server.req('PUT', path, { token: admin.accessToken, json: {} });
    assert.equal(owner.status, 200, 'the owner still can');
  });

  it('an owner can PATCH an app up to org_owner', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const res = await patch(admin.orgId, app.clientId, withRole('org_owner'));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.allowedScopes.organizationScopes.roles, [{ name: 'org_owner', resource: null }]);
  });
});
