// The access policy of docs/design.md §2, cell by cell, from this file's own table (it does not read
// the server's): every management operation × caller (owner, admin, developer) × the app's org
// roles and ownerOnlySecretRotation. Then the take-over of an owner's app and the scope-word attack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, assertCspError, bootstrapAdmin, clientCredentials, createApp, verifyAccessToken,
  type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';
import { appPath, startRoomyServer, suppliedSecret } from './helpers/lifecycle.js';

type CallerName = 'owner' | 'admin' | 'developer';
type AppKind = 'developerApp' | 'adminApp' | 'ownerApp' | 'ownerOnlyApp';
type Expect = 'ok' | 'rank' | 'ownerOnly';

const APP_KINDS: Record<AppKind, Record<string, unknown>> = {
  developerApp: { allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } },
  adminApp: { allowedScopes: { organizationScopes: { roles: [{ name: 'org_admin' }] } } },
  ownerApp: { allowedScopes: { organizationScopes: { roles: [{ name: 'org_owner' }] } } },
  ownerOnlyApp: { allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } }, ownerOnlySecretRotation: true },
};

// Who may change an app: nobody ranked below any role the app holds; nobody but an owner when
// ownerOnlySecretRotation is on (for secret changes and deletion).
const CHANGE: Record<AppKind, Record<CallerName, Expect>> = {
  developerApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
  adminApp: { owner: 'ok', admin: 'ok', developer: 'rank' },
  ownerApp: { owner: 'ok', admin: 'rank', developer: 'rank' },
  ownerOnlyApp: { owner: 'ok', admin: 'ownerOnly', developer: 'ownerOnly' },
};
// Changes that leave the secrets alone: owner-only rotation does not apply.
const EDIT: Record<AppKind, Record<CallerName, Expect>> = {
  developerApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
  adminApp: { owner: 'ok', admin: 'ok', developer: 'rank' },
  ownerApp: { owner: 'ok', admin: 'rank', developer: 'rank' },
  ownerOnlyApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
};
// Raising an app to org_owner: only an owner.
const RAISE_TO_OWNER: Record<AppKind, Record<CallerName, Expect>> = {
  developerApp: { owner: 'ok', admin: 'rank', developer: 'rank' },
  adminApp: { owner: 'ok', admin: 'rank', developer: 'rank' },
  ownerApp: { owner: 'ok', admin: 'rank', developer: 'rank' },
  ownerOnlyApp: { owner: 'ok', admin: 'rank', developer: 'rank' },
};
const READ: Record<AppKind, Record<CallerName, Expect>> = {
  developerApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
  adminApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
  ownerApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
  ownerOnlyApp: { owner: 'ok', admin: 'ok', developer: 'ok' },
};

const ERROR_CODE: Record<Exclude<Expect, 'ok'>, string> = { rank: '330.106', ownerOnly: '330.108' };

interface Operation {
  readonly table: Record<AppKind, Record<CallerName, Expect>>;
  /** Runs the operation; answers the status family and, when refused, the response to check. */
  run(token: string, appId: string): Promise<{ ok: boolean; refused?: HttpResult; failedReason?: string }>;
}

let server: TestServer;
let owner: Admin;
const tokens = {} as Record<CallerName, string>;

const plain = (res: HttpResult) => ({ ok: res.status === 200, refused: res.status === 200 ? undefined : res });
const patch = (token: string, id: string, json: unknown) => server.req('PATCH', appPath(owner.orgId, id), { token, json });

const OPERATIONS: Record<string, Operation> = {
  'GET app': { table: READ, run: async (t, id) => plain(await server.req('GET', appPath(owner.orgId, id), { token: t })) },
  'GET list': {
    table: READ,
    run: async (t, id) => {
      const res = await server.req('GET', `/orgs/${owner.orgId}/oauth-apps`, { token: t, query: { searchTerm: id } });
      return { ok: res.status === 200 && res.body.results.some((a: { id: string }) => a.id === id), refused: res.status === 200 ? undefined : res };
    },
  },
  'POST search': {
    table: READ,
    run: async (t, id) => {
      const res = await server.req('POST', `/orgs/${owner.orgId}/oauth-apps/search`, { token: t, json: { rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } } });
      return plain(res);
    },
  },
  'GET secrets': { table: EDIT, run: async (t, id) => plain(await server.req('GET', `${appPath(owner.orgId, id)}/secrets`, { token: t })) },
  'PATCH description': { table: EDIT, run: async (t, id) => plain(await patch(t, id, { description: 'edited' })) },
  'PATCH roles down to developer': {
    table: EDIT,
    run: async (t, id) => plain(await patch(t, id, { allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } })),
  },
  'PATCH roles up to org_owner': {
    table: RAISE_TO_OWNER,
    run: async (t, id) => plain(await patch(t, id, { allowedScopes: { organizationScopes: { roles: [{ name: 'org_owner' }] } } })),
  },
  'PATCH secret': {
    table: CHANGE,
    run: async (t, id) => {
      const secret = suppliedSecret('p');
      server.rememberSecret(secret, 'clientSecret');
      return plain(await patch(t, id, { secret }));
    },
  },
  'PUT secret (regenerate)': { table: CHANGE, run: async (t, id) => plain(await server.req('PUT', `${appPath(owner.orgId, id)}/secret`, { token: t, json: {} })) },
  'POST secret (rotate)': {
    table: CHANGE,
    run: async (t, id) => {
      const secret = suppliedSecret('r');
      server.rememberSecret(secret, 'clientSecret');
      return plain(await server.req('POST', `${appPath(owner.orgId, id)}/secret`, { token: t, json: { newClientSecret: secret } }));
    },
  },
  'DELETE secret (old)': { table: CHANGE, run: async (t, id) => plain(await server.req('DELETE', `${appPath(owner.orgId, id)}/secret`, { token: t })) },
  'DELETE apps (bulk)': {
    table: CHANGE,
    run: async (t, id) => {
      const res = await server.req('DELETE', `/orgs/${owner.orgId}/oauth-apps`, { token: t, json: { clientIdsToDelete: [id] } });
      assert.equal(res.status, 200, `bulk delete answers 200 even when refused: ${res.text}`);
      if (res.body.succeeded.includes(id)) return { ok: true };
      assert.deepEqual(res.body.failed, [id]);
      return { ok: false, failedReason: res.body.failures?.[0]?.reason };
    },
  },
};

before(async () => {
  server = await startRoomyServer();
  owner = await bootstrapAdmin(server);
  tokens.owner = owner.accessToken;
  tokens.admin = (await addUser(server, owner.orgId, 'org_admin')).accessToken;
  tokens.developer = (await addUser(server, owner.orgId, 'org_member', { developer: true })).accessToken;
});

after(async () => {
  await server?.stop();
});

describe('access policy matrix: operation × caller × app', () => {
  for (const [name, operation] of Object.entries(OPERATIONS)) {
    it(`${name}: every cell`, async () => {
      for (const kind of Object.keys(APP_KINDS) as AppKind[]) {
        for (const caller of ['owner', 'admin', 'developer'] as CallerName[]) {
          const expected = operation.table[kind][caller];
          const app = await createApp(server, tokens.owner, owner.orgId, APP_KINDS[kind]);
          const outcome = await operation.run(tokens[caller], app.clientId);
          const cell = `${name} by ${caller} on ${kind}`;
          if (expected === 'ok') {
            assert.equal(outcome.ok, true, `${cell}: allowed, got ${outcome.refused?.status} ${outcome.refused?.text ?? outcome.failedReason}`);
            continue;
          }
          assert.equal(outcome.ok, false, `${cell}: refused`);
          if (outcome.refused) {
            assertCspError(outcome.refused, 403, {}, server);
            assert.equal(outcome.refused.body.cspErrorCode, ERROR_CODE[expected], `${cell}: ${outcome.refused.text}`);
          } else {
            assert.ok(outcome.failedReason && outcome.failedReason.length > 0, `${cell}: a reason in failures`);
          }
          // A refusal changes nothing: the app is still there as the owner made it.
          const still = await server.req('GET', appPath(owner.orgId, app.clientId), { token: tokens.owner });
          assert.equal(still.status, 200, `${cell}: the app survives`);
          assert.deepEqual(still.body.allowedScopes.organizationScopes.roles.map((r: { name: string }) => r.name),
            (APP_KINDS[kind].allowedScopes as { organizationScopes: { roles: { name: string }[] } }).organizationScopes.roles.map((r) => r.name), `${cell}: roles unchanged`);
          assert.equal((await clientCredentials(server, app.clientId, app.clientSecret)).status, 200, `${cell}: the owner's secret still works`);
        }
      }
    });
  }

  it('create: a developer cannot create an admin or owner app, nor one with allRoles above its own', async () => {
    for (const roles of ['org_admin', 'org_owner', 'billing_read_only']) {
      const res = await server.req('POST', `/orgs/${owner.orgId}/oauth-apps`, {
        token: tokens.developer, json: { displayName: 'x', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: roles }] } } },
      });
      assertCspError(res, 403, {}, server);
      assert.equal(res.body.cspErrorCode, '330.106', roles);
    }
  });
});

describe('the take-over of an owner app (issue 18, hole 2)', () => {
  it('a developer cannot PATCH an org_owner app down to developer and then regenerate its secret', async () => {
    const victim = await createApp(server, tokens.owner, owner.orgId, APP_KINDS.ownerApp);
    const down = await patch(tokens.developer, victim.clientId, { allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } });
    assertCspError(down, 403, {}, server);
    const regen = await server.req('PUT', `${appPath(owner.orgId, victim.clientId)}/secret`, { token: tokens.developer, json: {} });
    assertCspError(regen, 403, {}, server);
    assert.equal((await clientCredentials(server, victim.clientId, victim.clientSecret)).status, 200, "the owner's secret still works");
  });

  it('bulk delete by a developer: the owner apps go to failed with a reason, its own app is deleted', async () => {
    const ownerApp = await createApp(server, tokens.owner, owner.orgId, APP_KINDS.ownerApp);
    const ownerOnly = await createApp(server, tokens.owner, owner.orgId, { ...APP_KINDS.ownerApp, ownerOnlySecretRotation: true });
    const mine = await createApp(server, tokens.developer, owner.orgId);
    const res = await server.req('DELETE', `/orgs/${owner.orgId}/oauth-apps`, {
      token: tokens.developer, json: { clientIdsToDelete: [ownerApp.clientId, mine.clientId, ownerOnly.clientId] },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.succeeded, [mine.clientId]);
    assert.deepEqual(res.body.failed, [ownerApp.clientId, ownerOnly.clientId]);
    for (const failure of res.body.failures) assert.match(failure.reason, /org_owner/);
    // The id is not free to be re-created with the developer's own secret.
    const again = await server.req('POST', `/orgs/${owner.orgId}/oauth-apps`, {
      token: tokens.developer, json: { id: ownerApp.clientId, displayName: 'x', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } } },
    });
    assertCspError(again, 409, {}, server);
    assert.equal((await clientCredentials(server, ownerApp.clientId, ownerApp.clientSecret)).status, 200);
  });
});

describe('scope words are unforgeable (issue 18, hole 1)', () => {
  it('the service role names and serviceDefinitionId of the attack are refused, at create and at PATCH', async () => {
    const attack = {
      displayName: 'x', description: 'd', grantTypes: ['client_credentials'],
      allowedScopes: { servicesScopes: [{ serviceDefinitionId: 'svc', roles: [{ name: 'x csp:org_owner' }] }, { serviceDefinitionId: 'a csp:org_admin', roles: [{ name: 'r' }] }] },
    };
    const created = await server.req('POST', `/orgs/${owner.orgId}/oauth-apps`, { token: tokens.developer, json: attack });
    assertCspError(created, 400, { messageIncludes: ['servicesScopes'] }, server);
    const mine = await createApp(server, tokens.developer, owner.orgId);
    for (const servicesScopes of [
      [{ serviceDefinitionId: 'svc', roles: [{ name: 'x csp:org_owner' }] }],
      [{ serviceDefinitionId: 'a csp:org_admin', roles: [{ name: 'r' }] }],
      [{ serviceDefinitionId: 'svc', roles: [{ name: 'csp:org_owner' }] }],
      [{ serviceDefinitionId: 'a/b', roles: [{ name: 'r' }] }],
      [{ serviceDefinitionId: 'svc', roles: [{ name: 'r\tcsp:org_owner' }] }],
    ]) {
      const res = await patch(tokens.developer, mine.clientId, { allowedScopes: { servicesScopes } });
      assertCspError(res, 400, {}, server);
    }
    const token = await clientCredentials(server, mine.clientId, mine.clientSecret);
    assert.equal(token.status, 200);
    const claims = await verifyAccessToken(server, token.body.access_token);
    for (const word of String(token.body.scope).split(/\s+/)) assert.ok(!/^csp:org_(owner|admin)$/.test(word), token.body.scope);
    assert.ok(!(claims.perms as string[]).some((p) => /org_(owner|admin)/.test(p)));
  });

  it('ordinary service roles still work: external/<id>/<role> is one scope word', async () => {
    const app = await createApp(server, tokens.developer, owner.orgId, {
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] }, servicesScopes: [{ serviceDefinitionId: 'vmc-7d2e', roles: [{ name: 'vmc-user:full' }] }] },
    });
    const token = await clientCredentials(server, app.clientId, app.clientSecret);
    assert.equal(token.status, 200, token.text);
    assert.deepEqual(String(token.body.scope).split(' ').sort(), ['csp:developer', 'external/vmc-7d2e/vmc-user:full']);
  });
});
