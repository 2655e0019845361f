// The access policy of docs/design.md §2 as a matrix: every management operation × every kind of caller →
// the status docs/design.md implies, one assertion per cell, each on a fresh target app; then the other
// org's owner through their own org's paths; and finally: no caller of another org ever succeeded.
//
// Policy: the token must be for the path's org and hold csp:org_owner, csp:org_admin or
// csp:developer (users and service accounts alike); search refuses service accounts; the audit
// log is for owners and admins only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, appBody, assertCspError, bootstrapAdmin, createApp, serviceAccountToken, type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';
import { appPath, startRoomyServer, suppliedSecret } from './helpers/lifecycle.js';

type CallerName = 'owner' | 'admin' | 'developer' | 'member' | 'sa-developer' | 'sa-no-role' | 'other-org-owner';
type OpName = 'op1 create' | 'op2 list' | 'op3 get' | 'op4 update' | 'op5 delete' | 'op6 regenerate' | 'op7 rotate'
  | 'op8 delete old secret' | 'op9 search' | 'secrets listing' | 'audit events';

const CALLERS: CallerName[] = ['owner', 'admin', 'developer', 'member', 'sa-developer', 'sa-no-role', 'other-org-owner'];

/** docs/design.md §2, cell by cell. */
function expected(op: OpName, caller: CallerName): number {
  if (caller === 'other-org-owner') return 403;
  if (caller === 'member' || caller === 'sa-no-role') return 403;
  if (op === 'op9 search' && caller === 'sa-developer') return 403;
  if (op === 'audit events') return caller === 'owner' || caller === 'admin' ? 200 : 403;
  return 200;
}

let server: TestServer;
let admin: Admin;
let otherOrgId: string;
const tokens = {} as Record<CallerName, string>;
const crossOrgSuccesses: string[] = [];

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
  tokens.owner = admin.accessToken;
  tokens.admin = (await addUser(server, admin.orgId, 'org_admin')).accessToken;
  tokens.developer = (await addUser(server, admin.orgId, 'org_member', { developer: true })).accessToken;
  tokens.member = (await addUser(server, admin.orgId, 'org_member')).accessToken;
  const saDev = await createApp(server, admin.accessToken, admin.orgId, { id: 'sa-developer' });
  tokens['sa-developer'] = await serviceAccountToken(server, saDev.clientId, saDev.clientSecret);
  const saNone = await createApp(server, admin.accessToken, admin.orgId, {
    id: 'sa-no-role', allowedScopes: { organizationScopes: { roles: [{ name: 'org_member' }] } },
  });
  tokens['sa-no-role'] = await serviceAccountToken(server, saNone.clientId, saNone.clientSecret);
  const org = await server.cli(['org', 'create', '--name', 'Another org']);
  otherOrgId = org.id;
  tokens['other-org-owner'] = (await addUser(server, otherOrgId, 'org_owner', { developer: true })).accessToken;
});

after(async () => {
  await server?.stop();
});

/** Runs `op` as `token` against `orgId` on a fresh app of our org; returns the response and the target. */
async function perform(op: OpName, token: string, orgId: string): Promise<{ res: HttpResult; target: string }> {
  const target = (await createApp(server, admin.accessToken, admin.orgId)).clientId;
  const p = appPath(orgId, target);
  let res: HttpResult;
  switch (op) {
    case 'op1 create': res = await server.req('POST', `/orgs/${orgId}/oauth-apps`, { token, json: appBody() }); break;
    case 'op2 list': res = await server.req('GET', `/orgs/${orgId}/oauth-apps`, { token }); break;
    case 'op3 get': res = await server.req('GET', p, { token }); break;
    case 'op4 update': res = await server.req('PATCH', p, { token, json: { description: 'changed by the matrix' } }); break;
    case 'op5 delete': res = await server.req('DELETE', `/orgs/${orgId}/oauth-apps`, { token, json: { clientIdsToDelete: [target] } }); break;
    case 'op6 regenerate': res = await server.req('PUT', `${p}/secret`, { token, json: {} }); break;
    case 'op7 rotate': {
      const secret = suppliedSecret('matrix');
      server.rememberSecret(secret, 'clientSecret');
      res = await server.req('POST', `${p}/secret`, { token, json: { newClientSecret: secret } });
      break;
    }
    case 'op8 delete old secret': res = await server.req('DELETE', `${p}/secret`, { token }); break;
    case 'op9 search': res = await server.req('POST', `/orgs/${orgId}/oauth-apps/search`, { token, json: { rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } } }); break;
    case 'secrets listing': res = await server.req('GET', `${p}/secrets`, { token }); break;
    case 'audit events': res = await server.req('GET', `/orgs/${orgId}/audit-events`, { token }); break;
  }
  return { res, target };
}

const OPS: OpName[] = ['op1 create', 'op2 list', 'op3 get', 'op4 update', 'op5 delete', 'op6 regenerate', 'op7 rotate',
  'op8 delete old secret', 'op9 search', 'secrets listing', 'audit events'];

describe('tenant isolation matrix: operation × caller on our org\'s paths', () => {
  for (const op of OPS) {
    describe(op, () => {
      for (const caller of CALLERS) {
        const status = expected(op, caller);
        it(`${caller} → ${status}`, async () => {
          const { res, target } = await perform(op, tokens[caller], admin.orgId);
          if (caller === 'other-org-owner' && res.status < 300) crossOrgSuccesses.push(`${op} by ${caller}: ${res.status}`);
          if (status === 200) {
            assert.equal(res.status, 200, `${op} as ${caller}: ${res.status} ${res.text}`);
            if (op === 'op5 delete') assert.deepEqual(res.body.succeeded, [target], res.text);
          } else {
            assertCspError(res, status, {}, server);
            // A refused change changed nothing: the target is there, with its one secret.
            const still = await server.req('GET', `${appPath(admin.orgId, target)}/secrets`, { token: admin.accessToken });
            assert.equal(still.status, 200, still.text);
            assert.equal(still.body.length, 1, `refused ${op} left the target's secrets alone: ${still.text}`);
          }
        });
      }
    });
  }
});

describe('the other org\'s owner through their own org\'s paths, aiming at our apps', () => {
  const notFoundOps: OpName[] = ['op3 get', 'op4 update', 'op6 regenerate', 'op7 rotate', 'op8 delete old secret', 'secrets listing'];
  for (const op of notFoundOps) {
    it(`${op} on our app → 404 (an app of another org is "not found")`, async () => {
      const { res } = await perform(op, tokens['other-org-owner'], otherOrgId);
      if (res.status < 300) crossOrgSuccesses.push(`${op} via own org path: ${res.status}`);
      assertCspError(res, 404, {}, server);
    });
  }

  it('op5 delete of our app → 200 with the id under failed, never succeeded', async () => {
    const { res, target } = await perform('op5 delete', tokens['other-org-owner'], otherOrgId);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.succeeded, [], res.text);
    if (res.body.succeeded.length > 0) crossOrgSuccesses.push('op5 delete via own org path');
    assert.ok(JSON.stringify(res.body.failed).includes(target), res.text);
    assert.equal((await server.req('GET', appPath(admin.orgId, target), { token: admin.accessToken })).status, 200, 'our app is still there');
  });

  it('op2 list, op9 search and the audit log of their org show none of our apps', async () => {
    const ours = new Set(((await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, query: { pageLimit: '200' } })).body.results as Array<{ id: string }>).map((a) => a.id));
    assert.ok(ours.size > 0);
    const token = tokens['other-org-owner'];
    for (const res of [
      await server.req('GET', `/orgs/${otherOrgId}/oauth-apps`, { token, query: { pageLimit: '200' } }),
      await server.req('POST', `/orgs/${otherOrgId}/oauth-apps/search`, { token, json: {} }),
      await server.req('GET', `/orgs/${otherOrgId}/audit-events`, { token, query: { pageLimit: '200' } }),
    ]) {
      assert.equal(res.status, 200, res.text);
      for (const id of ours) if (res.text.includes(`"${id}"`)) crossOrgSuccesses.push(`their listing shows our app ${id}`);
    }
  });
});

describe('introspection and revocation (RFC 7662, RFC 7009) by a client of another org', () => {
  it('sees our tokens as inactive, and cannot revoke them', async () => {
    const theirs = await createApp(server, tokens['other-org-owner'], otherOrgId);
    const ourTokens = { 'owner access token': tokens.owner, 'service-account token': tokens['sa-developer'], 'owner API token': admin.apiToken };
    for (const [what, token] of Object.entries(ourTokens)) {
      const seen = await server.req('POST', '/auth/introspect', { basic: [theirs.clientId, theirs.clientSecret], form: { token } });
      assert.equal(seen.status, 200, seen.text);
      if (seen.body.active !== false) crossOrgSuccesses.push(`introspection of our ${what}`);
      assert.deepEqual(seen.body, { active: false }, `${what}: nothing about it is revealed`);
      const revoked = await server.req('POST', '/auth/revoke', { basic: [theirs.clientId, theirs.clientSecret], form: { token } });
      assert.equal(revoked.status, 200, `RFC 7009: a foreign token is a silent no-op: ${revoked.text}`);
    }
    for (const token of [tokens.owner, tokens['sa-developer']]) {
      const still = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token });
      if (still.status !== 200) crossOrgSuccesses.push('revocation of our token by another org');
      assert.equal(still.status, 200, still.text);
    }
    const exchange = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: admin.apiToken } });
    assert.equal(exchange.status, 200, `our API token still exchanges: ${exchange.text}`);
  });
});

describe('zero cross-org successes', () => {
  it('no operation by another org\'s caller succeeded on our org', () => {
    assert.deepEqual(crossOrgSuccesses, []);
  });
});
