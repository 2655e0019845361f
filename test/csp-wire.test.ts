// CSP wire fidelity of the app API, written from CSP's published reference pages
// (developer.broadcom.com: OrgOAuthAppResponse, OrgOAuthAppRequest, ExpandedAuthClientDto,
// RoleBinding, SourceOrgDto, PagedResponseOrgOAuthAppResponse), not from orgauth's output:
// CSP's types in responses, tolerant requests, 404 for ids that cannot exist, CSP's display-name
// rule, a stable response shape, and paging limits stated where a client sees them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addUser, appBody, assertCspError, assertTokenResponse, bootstrapAdmin, clientCredentials, createApp, startServer, strongSecret,
  type Admin, type HttpResult, type Json, type TestServer, type UserCred,
} from './helpers/index.js';

let server: TestServer;
let admin: Admin;
let developer: UserCred;

before(async () => {
  // debug: the names of ignored request fields are logged at that level.
  server = await startServer({ env: { LOG_LEVEL: 'debug' } });
  admin = await bootstrapAdmin(server);
  developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
});

after(async () => {
  await server?.stop();
});

const appsPath = () => `/orgs/${admin.orgId}/oauth-apps`;
const appPath = (id: string) => `${appsPath()}/${encodeURIComponent(id)}`;
const create = (body: unknown, token = admin.accessToken) => server.req('POST', appsPath(), { token, json: body });
const createRaw = (text: string) => server.req('POST', appsPath(), { token: admin.accessToken, body: text, headers: { 'content-type': 'application/json' } });
const get = (id: string) => server.req('GET', appPath(id), { token: admin.accessToken });
const patch = (id: string, body: unknown, token = admin.accessToken) => server.req('PATCH', appPath(id), { token, json: body });
const search = (body: unknown, query: Record<string, string> = {}) =>
  server.req('POST', `${appsPath()}/search`, { token: admin.accessToken, json: body, query });

function assertErrorCode(res: HttpResult, status: number, errorCode: string): void {
  assertCspError(res, status, {}, server);
  assert.equal(res.body.errorCode, errorCode, res.text);
}

/** Every value of `app` except the secret's age, which grows by itself while the test runs. */
function withoutSecretAge(app: Json): Json {
  const { secretAge: _age, ...rest } = app;
  return rest;
}

/** Every value of `app` except what changes by itself: when it was last updated, by whom, and the secret's age. */
function unchangedPart(app: Json): Json {
  const { lastUpdatedAt: _a, lastUpdatedBy: _b, secretAge: _c, ...rest } = app;
  return rest;
}

type JsonType = 'string' | 'integer' | 'boolean' | 'array' | 'object';
const isType = (value: unknown, type: JsonType): boolean =>
  type === 'integer' ? Number.isInteger(value)
    : type === 'array' ? Array.isArray(value)
      : type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value)
        : typeof value === type;

/**
 * OrgOAuthAppResponse as CSP's reference page lists it: every member and its JSON type. CSP shows
 * every member in its example; `nullable` ones are null where the app has no value.
 */
const CSP_APP_RESPONSE: Record<string, { type: JsonType; nullable?: boolean }> = {
  accessTokenTTL: { type: 'integer' }, additionalAttributeMasks: { type: 'array' }, allowOpenRedirectUris: { type: 'boolean' },
  allowedActorsAudienceExchange: { type: 'array' }, allowedActorsClientDelegate: { type: 'array' }, allowedOrgs: { type: 'array' },
  allowedScopes: { type: 'object' }, createdAt: { type: 'integer' }, createdBy: { type: 'string' },
  crossOrgAccessClaimsSupported: { type: 'boolean' }, description: { type: 'string' }, displayName: { type: 'string' },
  forcePkce: { type: 'boolean' }, grantTypes: { type: 'array' }, groupDomainAppendedInIDToken: { type: 'boolean' },
  id: { type: 'string' }, immutable: { type: 'boolean' }, isHidden: { type: 'boolean' },
  lastUpdatedAt: { type: 'integer' }, lastUpdatedBy: { type: 'string' }, lastUsedAt: { type: 'integer', nullable: true },
  maxAdditionalAttributesInIdToken: { type: 'integer' }, maxCharactersInAccessToken: { type: 'integer' },
  maxGroupsInIdToken: { type: 'integer' }, organizationId: { type: 'string' }, ownerOnlySecretRotation: { type: 'boolean' },
  postLogoutRedirectUris: { type: 'array' }, publicClient: { type: 'boolean' }, redirectUris: { type: 'array' },
  refreshTokenTTL: { type: 'integer' }, secretAge: { type: 'integer', nullable: true },
  secretRotationExpirationInSeconds: { type: 'integer' }, serviceDefinitionId: { type: 'string', nullable: true },
  useCspIssuerUrl: { type: 'boolean' },
};
/** OrganizationScopesDto / ServiceScopesDto members (keptInToken: ROLES | PERMISSIONS, or null when unset). */
const CSP_SCOPES: Record<string, { type: JsonType; nullable?: boolean }> = {
  allPermissions: { type: 'boolean' }, allRoles: { type: 'boolean' }, keptInToken: { type: 'array', nullable: true },
  permissions: { type: 'array' }, roles: { type: 'array' },
};

function assertMembers(value: Json, spec: Record<string, { type: JsonType; nullable?: boolean }>, where: string): void {
  for (const [name, { type, nullable }] of Object.entries(spec)) {
    assert.ok(name in value, `${where}.${name} is present (CSP always shows it): ${JSON.stringify(value)}`);
    const v = value[name];
    assert.ok((nullable && v === null) || isType(v, type), `${where}.${name} is ${nullable ? `${type} or null` : type}: ${JSON.stringify(v)}`);
  }
}

/** The whole OrgOAuthAppResponse shape, nested members included. */
function assertCspAppShape(app: Json): void {
  assertMembers(app, CSP_APP_RESPONSE, 'app');
  assert.ok(Array.isArray(app.allowedScopes.generalScopes), 'allowedScopes.generalScopes is an array');
  assertMembers(app.allowedScopes.organizationScopes, CSP_SCOPES, 'organizationScopes');
  assert.ok(Array.isArray(app.allowedScopes.servicesScopes), 'allowedScopes.servicesScopes is an array');
  for (const service of app.allowedScopes.servicesScopes) {
    assertMembers(service, { ...CSP_SCOPES, serviceDefinitionId: { type: 'string' } }, 'servicesScopes[]');
  }
  for (const role of [...app.allowedScopes.organizationScopes.roles, ...app.allowedScopes.servicesScopes.flatMap((s: Json) => s.roles)]) {
    assertMembers(role, { name: { type: 'string' }, resource: { type: 'string', nullable: true } }, 'roles[]');
  }
}

describe('search results carry CSP\'s ExpandedAuthClientDto types (search)', () => {
  let appId: string;
  let createdFrom: number;
  let createdTo: number;

  before(async () => {
    createdFrom = Math.floor(Date.now() / 1000) - 1;
    appId = (await createApp(server, admin.accessToken, admin.orgId, {
      displayName: 'search shape',
      allowedScopes: {
        organizationScopes: { roles: [{ name: 'developer' }, { name: 'billing_read_only' }] },
        servicesScopes: [{ serviceDefinitionId: 'svc-shape', roles: [{ name: 'viewer', resource: 'project-1' }] }],
      },
    })).clientId;
    createdTo = Math.floor(Date.now() / 1000) + 1;
  });

  /** RoleBinding: dates are strings (epoch seconds as text), expiresAt is an int64 (or null: never). */
  function assertRoleBinding(role: Json, where: string): void {
    for (const member of ['name', 'membershipType', 'createdBy', 'lastUpdatedBy']) assert.equal(typeof role[member], 'string', `${where}.${member}: ${JSON.stringify(role)}`);
    for (const member of ['createdDate', 'lastUpdatedDate']) {
      assert.equal(typeof role[member], 'string', `${where}.${member} is a string, as CSP types it: ${JSON.stringify(role[member])}`);
      assert.match(role[member], /^\d+$/, `${where}.${member} holds epoch seconds`);
      const at = Number(role[member]);
      assert.ok(at >= createdFrom && at <= createdTo, `${where}.${member} ${at} is the app's time of creation`);
    }
    assert.ok('expiresAt' in role, `${where}.expiresAt is present`);
    assert.ok(role.expiresAt === null || Number.isInteger(role.expiresAt), `${where}.expiresAt is an int64 or null`);
    assert.ok('resource' in role && (role.resource === null || typeof role.resource === 'string'), `${where}.resource is a string or null`);
  }

  it('organizationRoles, serviceRoles[].serviceRoles and customRoles have string dates, expiresAt, and org roles a displayName', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'billing_read_only' }] } });
    assert.equal(res.status, 200, res.text);
    const hit = res.body.results.find((r: Json) => r.id === appId);
    assert.ok(hit, `the app is a hit: ${res.text}`);
    assert.equal(hit.organizationRoles.length, 2);
    for (const role of hit.organizationRoles) {
      assertRoleBinding(role, 'organizationRoles[]');
      assert.equal(typeof role.displayName, 'string', 'an organization role has a displayName');
      assert.ok(role.displayName.length > 0 && role.displayName !== role.name, `displayName is a readable name, not the API name: ${role.displayName}`);
    }
    assert.equal(hit.serviceRoles.length, 1);
    assert.deepEqual(hit.serviceRoles[0].serviceRoleNames, ['viewer']);
    for (const role of hit.serviceRoles[0].serviceRoles) assertRoleBinding(role, 'serviceRoles[].serviceRoles[]');
    assert.equal(hit.serviceRoles[0].serviceRoles[0].resource, 'project-1');
    assert.ok(Array.isArray(hit.customRoles));
    for (const role of hit.customRoles) assertRoleBinding(role, 'customRoles[]');
  });

  it('sourceOrg is SourceOrgDto: orgId, shortId and displayName, all strings', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } });
    const hit = res.body.results.find((r: Json) => r.id === appId);
    assert.equal(hit.sourceOrg.orgId, admin.orgId);
    assert.equal(typeof hit.sourceOrg.shortId, 'string');
    assert.ok(hit.sourceOrg.shortId.length > 0 && hit.sourceOrg.shortId.length < admin.orgId.length, `a short form of the org id: ${hit.sourceOrg.shortId}`);
    assert.equal(typeof hit.sourceOrg.displayName, 'string');
    for (const member of ['id', 'displayName', 'description']) assert.equal(typeof hit[member], 'string');
    assert.equal(typeof hit.isHidden, 'boolean');
  });

  it('filterResults=true keeps the same types', async () => {
    const res = await search({ rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }, { filterResults: 'true' });
    const hit = res.body.results.find((r: Json) => r.id === appId);
    assert.deepEqual(hit.organizationRoles.map((r: Json) => r.name), ['developer']);
    assertRoleBinding(hit.organizationRoles[0], 'organizationRoles[]');
    assert.equal(typeof hit.organizationRoles[0].displayName, 'string');
  });
});

describe('create and PATCH accept and ignore read-only and unknown fields', () => {
  const readOnly = {
    organizationId: '00000000-0000-4000-8000-000000000000', createdAt: 1, createdBy: 'mallory@example.com',
    lastUpdatedAt: 2, lastUpdatedBy: 'mallory@example.com', lastUsedAt: 3, secretAge: 4, immutable: true,
  };

  it('create: read-only members of the response and fields CSP may add later → 200, ignored, their names logged at debug', async () => {
    const before = Math.floor(Date.now() / 1000) - 1;
    const res = await create(appBody({
      ...readOnly,
      displayName: 'tolerant create',
      someFieldCspAddsLater: { nested: [1, 2] },
      allowedScopes: {
        futureScopeKind: ['x'],
        organizationScopes: { roles: [{ name: 'developer', futureRoleMember: 1 }], futureOrgScopeMember: true },
        servicesScopes: [{ serviceDefinitionId: 'svc-t', roles: [{ name: 'viewer' }], futureServiceMember: 'x' }],
      },
    }));
    assert.equal(res.status, 200, res.text);
    server.rememberSecret(res.body.clientSecret, 'clientSecret');
    const app = (await get(res.body.clientId)).body;
    assert.equal(app.organizationId, admin.orgId, 'organizationId is the path\'s org, not the one sent');
    assert.ok(app.createdAt >= before, 'createdAt is the server\'s time');
    assert.equal(app.createdBy, admin.username);
    assert.equal(app.lastUsedAt, null, 'a new app was never used');
    assert.equal(app.immutable, false);
    assert.ok(!('someFieldCspAddsLater' in app) && !('futureScopeKind' in app.allowedScopes));
    assert.ok(!('futureOrgScopeMember' in app.allowedScopes.organizationScopes));
    assert.deepEqual(app.allowedScopes.organizationScopes.roles, [{ name: 'developer', resource: null }]);
    assert.ok(!('futureServiceMember' in app.allowedScopes.servicesScopes[0]));
    const log = server.logText();
    for (const name of ['someFieldCspAddsLater', 'organizationId', 'lastUsedAt', 'allowedScopes.futureScopeKind', 'allowedScopes.servicesScopes[].futureServiceMember']) {
      assert.ok(log.includes(name), `the ignored field ${name} is named in the debug log`);
    }
    assert.ok(!log.includes('mallory@example.com'), 'values of ignored fields are not logged');
  });

  it('create still refuses wrong types and invalid values of known fields', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['accessTokenTTL as a string', { accessTokenTTL: '600' }, 'accessTokenTTL'],
      ['isHidden as a string', { isHidden: 'yes' }, 'isHidden'],
      ['grantTypes as a string', { grantTypes: 'client_credentials' }, 'grantTypes'],
      ['roles as a string', { allowedScopes: { organizationScopes: { roles: 'developer' } } }, 'roles'],
      ['a role without name', { allowedScopes: { organizationScopes: { roles: [{ resource: 'x' }] } } }, 'name'],
      ['accessTokenTTL 0', { accessTokenTTL: 0 }, 'accessTokenTTL'],
      ['an id that breaks the id rule', { id: 'bad id!' }, 'id'],
    ];
    for (const [why, fields, name] of cases) {
      const res = await create(appBody({ ...fields, unknownAlongside: 1 }));
      assertCspError(res, 400, { messageIncludes: [name] }, server);
      assert.ok(res.status === 400, why);
    }
  });

  it('PATCH: read-only and unknown members → 200; none of them changes anything', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'tolerant patch' });
    const before = (await get(app.clientId)).body;
    const res = await patch(app.clientId, { ...readOnly, id: 'someone-elses-id', publicClient: false, allowedOrgs: [], brandNewCspField: 'x', description: 'changed' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(unchangedPart(res.body), { ...unchangedPart(before), description: 'changed' });
    assert.equal((await get('someone-elses-id')).status, 404, 'no app appeared under the id sent in the body');
    const tok = await clientCredentials(server, app.clientId, app.clientSecret, 'basic');
    assert.equal(tok.status, 200, 'the secret is untouched');
  });

  it('PATCH still refuses a wrong type of a known field next to unknown ones, and changes nothing', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'tolerant patch refused' });
    const before = (await get(app.clientId)).body;
    assertCspError(await patch(app.clientId, { brandNewCspField: 1, description: 'x', refreshTokenTTL: 'long' }), 400, { messageIncludes: ['refreshTokenTTL'] }, server);
    assert.deepEqual(withoutSecretAge((await get(app.clientId)).body), withoutSecretAge(before));
  });

  it('__proto__ and constructor keys never reach an object: refused (400) or ignored, never applied', async () => {
    const valid = JSON.stringify(appBody({ displayName: 'proto check' })).slice(1, -1);
    const bodies = [
      `{"__proto__": {"isHidden": true, "ownerOnlySecretRotation": true}, ${valid}}`,
      `{${valid}, "allowedScopes": {"__proto__": {"generalScopes": ["openid"]}, "organizationScopes": {"roles": [{"name": "developer"}]}}}`,
      `{"constructor": {"prototype": {"isHidden": true}}, ${valid}}`,
      `{"constructor": "x", "toString": 1, "hasOwnProperty": 2, ${valid}}`,
      `{${valid}, "allowedScopes": {"organizationScopes": {"constructor": {"prototype": {"allRoles": true}}, "roles": [{"name": "developer"}]}}}`,
    ];
    for (const text of bodies) {
      const res = await createRaw(text);
      if (res.status !== 200) {
        assertCspError(res, 400, {}, server);
        continue;
      }
      server.rememberSecret(res.body.clientSecret, 'clientSecret');
      const app = (await get(res.body.clientId)).body;
      assert.equal(app.isHidden, false, `${text}: isHidden not set through a prototype`);
      assert.equal(app.ownerOnlySecretRotation, false);
      assert.equal(app.allowedScopes.organizationScopes.allRoles, false);
      assert.deepEqual(app.allowedScopes.generalScopes, []);
    }
    // Nothing leaked into the objects the server builds later.
    const fresh = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'after proto' });
    const app = (await get(fresh.clientId)).body;
    assert.equal(app.isHidden, false);
    assert.equal(app.allowedScopes.organizationScopes.allRoles, false);
    const patched = await patch(fresh.clientId, JSON.parse('{"constructor": {"name": "x"}, "valueOf": 1}'));
    assert.equal(patched.status, 200, patched.text);
  });
});

describe('a GET → PATCH round trip of every field returns 200 and changes nothing', () => {
  async function roundTrip(id: string, token = admin.accessToken): Promise<void> {
    const read = await get(id);
    assert.equal(read.status, 200, read.text);
    const res = await patch(id, read.body, token);
    assert.equal(res.status, 200, `PATCH of the GET response: ${res.text}`);
    assert.deepEqual(unchangedPart(res.body), unchangedPart(read.body), 'the PATCH response equals the GET response');
    assert.deepEqual(unchangedPart((await get(id)).body), unchangedPart(read.body), 'a later GET equals the first');
  }

  it('a minimal app', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'round trip minimal' });
    await roundTrip(app.clientId);
    assert.equal((await clientCredentials(server, app.clientId, app.clientSecret, 'basic')).status, 200, 'the secret still works');
  });

  it('an app with every field set (scopes with resources and keptInToken, redirect URIs, TTLs, flags)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, {
      id: 'round-trip-full',
      displayName: 'Round-trip: full & O’Brien',
      grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirectUris: ['https://app.example/cb'], postLogoutRedirectUris: ['https://app.example/bye'],
      accessTokenTTL: 900, refreshTokenTTL: 86_400, forcePkce: true, isHidden: true, ownerOnlySecretRotation: true,
      maxGroupsInIdToken: 5, maxCharactersInAccessToken: 4096, maxAdditionalAttributesInIdToken: 2, additionalAttributeMasks: ['dept'],
      groupDomainAppendedInIDToken: true, allowedActorsClientDelegate: ['actor-a'], allowedActorsAudienceExchange: ['actor-b'],
      crossOrgAccessClaimsSupported: true, secretRotationExpirationInSeconds: 3600, useCspIssuerUrl: true, serviceDefinitionId: 'svc-own',
      allowedScopes: {
        generalScopes: ['openid'],
        organizationScopes: { roles: [{ name: 'developer' }, { name: 'support_user', resource: 'r1' }], keptInToken: ['ROLES'] },
        servicesScopes: [
          { serviceDefinitionId: 'svc-a', roles: [{ name: 'viewer', resource: 'proj' }], keptInToken: ['ROLES', 'PERMISSIONS'] },
          { serviceDefinitionId: 'svc-b', allRoles: true },
        ],
      },
    });
    await roundTrip(app.clientId);
    // Read-only values that differ from the stored ones are ignored too.
    const read = (await get(app.clientId)).body;
    const res = await patch(app.clientId, {
      ...read, id: 'another-id-x', organizationId: '11111111-1111-4111-8111-111111111111', createdAt: 5, createdBy: 'x',
      lastUpdatedAt: 6, lastUpdatedBy: 'y', lastUsedAt: 7, secretAge: 8, immutable: true,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(unchangedPart(res.body), unchangedPart(read));
  });

  it('a public client', async () => {
    const res = await create(appBody({
      displayName: 'round trip public', publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://p.example/cb'],
    }));
    assert.equal(res.status, 200, res.text);
    await roundTrip(res.body.clientId);
  });

  it('as a developer, on the developer\'s own app, and from a list result', async () => {
    const app = await createApp(server, developer.accessToken, admin.orgId, { displayName: 'round trip developer' });
    await roundTrip(app.clientId, developer.accessToken);
    const listed = await server.req('GET', appsPath(), { token: admin.accessToken, query: { searchTerm: 'round trip developer' } });
    assert.equal(listed.body.results.length, 1);
    const res = await patch(app.clientId, listed.body.results[0]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(unchangedPart(res.body), unchangedPart(listed.body.results[0]));
  });

  it('a GET with its displayName changed renames the app and changes nothing else', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'round trip rename' });
    const read = (await get(app.clientId)).body;
    const res = await patch(app.clientId, { ...read, displayName: 'renamed after round trip' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(unchangedPart(res.body), { ...unchangedPart(read), displayName: 'renamed after round trip' });
  });
});

describe('a malformed oauthAppId is 404 with CSP\'s body on every app operation, never 400', () => {
  const malformed = ['nope', 'abcd', 'has space', 'dot.ted.name', '<b>x</b>', 'ünïcode-id', 'x'.repeat(257), 'x'.repeat(600), 'a%00bcdef'];
  const operations: Array<[string, string, (id: string) => string, unknown]> = [
    ['GET', 'get', (id) => appPath(id), undefined],
    ['PATCH', 'update', (id) => appPath(id), { description: 'x' }],
    ['PATCH', 'update with a bad body', (id) => appPath(id), { accessTokenTTL: 'bad' }],
    ['PUT', 'regenerate', (id) => `${appPath(id)}/secret`, {}],
    ['PUT', 'regenerate with a bad body', (id) => `${appPath(id)}/secret`, { a: 1 }],
    ['POST', 'rotate', (id) => `${appPath(id)}/secret`, { newClientSecret: 'Rotate-Me-123!' }],
    ['DELETE', 'delete old secret', (id) => `${appPath(id)}/secret`, undefined],
    ['GET', 'list secrets', (id) => `${appPath(id)}/secrets`, undefined],
  ];
  for (const [method, name, path, body] of operations) {
    it(`${method} ${name}`, async () => {
      for (const id of malformed) {
        const raw = id === 'a%00bcdef' ? `${appsPath()}/a%00bcdef${path('X').slice(appPath('X').length)}` : path(id);
        const res = await server.req(method, raw, { token: admin.accessToken, ...(body !== undefined ? { json: body } : {}) });
        assertCspError(res, 404, {}, server);
        if (id.length <= 512) assert.equal(res.body.errorCode, 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR', `${id}: ${res.text}`);
      }
    });
  }

  it('still 401 without a token and 403 for another org\'s caller: the id is judged after the caller', async () => {
    assertCspError(await server.req('GET', appPath('nope')), 401, {}, server);
    const other = await server.cli(['org', 'create', '--name', 'Wire Other Org']);
    assertCspError(await server.req('GET', `/orgs/${other.id}/oauth-apps/nope`, { token: admin.accessToken }), 403, {}, server);
  });

  it('bulk delete with malformed ids → 200, they are in failed', async () => {
    const ids = ['nope', 'has space', 'nul\u0000inside', 'ünïcode-id'];
    const res = await server.req('DELETE', appsPath(), { token: admin.accessToken, json: { clientIdsToDelete: ids } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.succeeded, []);
    assert.deepEqual([...res.body.failed].sort(), [...ids].sort());
  });
});

describe('displayName follows CSP\'s rule at create and PATCH', () => {
  const accepted = ['Zürich-Bot_1.0', 'Équipe d\'intégration', 'O’Brien: CI @ Build & Deploy', '東京 アプリ', 'हिन्दी ऐप', 'Приложение 2', 'x'];
  const refused = ['<b>x</b>;{}', 'a/b', 'line\nbreak', 'tab\there', 'rocket 🚀', 'say "hi"', '100%', '(paren)', 'semi;colon', 'back\\slash', '#hash'];

  for (const name of accepted) {
    it(`accepts ${JSON.stringify(name)} and shows it unchanged`, async () => {
      const res = await create(appBody({ displayName: name }));
      assert.equal(res.status, 200, res.text);
      server.rememberSecret(res.body.clientSecret, 'clientSecret');
      assert.equal((await get(res.body.clientId)).body.displayName, name);
    });
  }

  it('refuses anything else at create → 400 naming displayName and the characters allowed', async () => {
    for (const name of refused) {
      const res = await create(appBody({ displayName: name }));
      assertCspError(res, 400, { messageIncludes: ['displayName', 'letters', 'digits'] }, server);
    }
  });

  it('refuses anything else at PATCH → 400, the name unchanged', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'patched name' });
    for (const name of refused) {
      const res = await patch(app.clientId, { displayName: name });
      assertCspError(res, 400, { messageIncludes: ['displayName'] }, server);
    }
    assert.equal((await get(app.clientId)).body.displayName, 'patched name');
  });
});

describe('responses always carry the fields CSP always shows, with CSP\'s defaults', () => {
  it('a new confidential app: keptInToken null, serviceDefinitionId null, lastUsedAt null before first use', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, {
      displayName: 'stable shape',
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] }, servicesScopes: [{ serviceDefinitionId: 'svc-s', roles: [{ name: 'r' }] }] },
    });
    const res = await get(app.clientId);
    assertCspAppShape(res.body);
    assert.equal(res.body.allowedScopes.organizationScopes.keptInToken, null);
    assert.equal(res.body.allowedScopes.servicesScopes[0].keptInToken, null);
    assert.equal(res.body.serviceDefinitionId, null);
    assert.equal(res.body.lastUsedAt, null);
    assert.equal(res.body.immutable, false);
    assert.ok(Number.isInteger(res.body.secretAge));
    assert.deepEqual(res.body.allowedScopes.organizationScopes.roles, [{ name: 'developer', resource: null }]);
  });

  it('a public client: secretAge null; every other member still present', async () => {
    const res = await create(appBody({ displayName: 'stable public', publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://p.example/cb'] }));
    assert.equal(res.status, 200, res.text);
    const app = (await get(res.body.clientId)).body;
    assertCspAppShape(app);
    assert.equal(app.secretAge, null);
  });

  it('values that are set are shown with their type (keptInToken, serviceDefinitionId)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, {
      displayName: 'set values', serviceDefinitionId: 'svc-owner',
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }], keptInToken: ['ROLES'] } },
    });
    const got = (await get(app.clientId)).body;
    assertCspAppShape(got);
    assert.deepEqual(got.allowedScopes.organizationScopes.keptInToken, ['ROLES']);
    assert.equal(got.serviceDefinitionId, 'svc-owner');
  });

  it('list results and PATCH responses have the same shape', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'shape in list' });
    const listed = await server.req('GET', appsPath(), { token: admin.accessToken, query: { searchTerm: 'shape in list' } });
    assert.equal(listed.body.results.length, 1);
    assertCspAppShape(listed.body.results[0]);
    assertCspAppShape((await patch(app.clientId, { description: 'x' })).body);
  });

  it('token responses still omit absent fields (never null)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'token shape' });
    const res = await clientCredentials(server, app.clientId, app.clientSecret, 'basic');
    assertTokenResponse(res);
    assert.ok(!('refresh_token' in res.body) && !('id_token' in res.body), `no refresh_token or id_token for client_credentials: ${Object.keys(res.body)}`);
  });
});

describe('paging and grace-period limits are stated where a client sees them', () => {
  it('empty ?pageStart=&pageLimit= mean "absent" on the list and the audit log', async () => {
    for (const path of [appsPath(), `/orgs/${admin.orgId}/audit-events`]) {
      const res = await server.req('GET', path, { token: admin.accessToken, query: { pageStart: '', pageLimit: '' } });
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.ok(res.body.results.length > 0 && res.body.results.length <= 200);
      const only = await server.req('GET', path, { token: admin.accessToken, query: { pageStart: '', pageLimit: '1' } });
      assert.equal(only.status, 200, only.text);
      assert.equal(only.body.results.length, 1);
    }
  });

  it('a searchTerm no name or id can contain (a NUL) lists nothing, on either database', async () => {
    const res = await server.req('GET', appsPath(), { token: admin.accessToken, query: { searchTerm: 'a\u0000b' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results, []);
    assert.equal(res.body.totalResults, 0);
  });

  it('a pageLimit over the limit → 400 PAGING_INVALID_PARAMETERS whose message states the limits', async () => {
    const res = await server.req('GET', appsPath(), { token: admin.accessToken, query: { pageLimit: '201' } });
    assertErrorCode(res, 400, 'PAGING_INVALID_PARAMETERS');
    assert.match(res.body.message, /pageLimit/);
    assert.match(res.body.message, /\b1\b.*\b200\b/);
    const start = await server.req('GET', appsPath(), { token: admin.accessToken, query: { pageStart: '0' } });
    assertErrorCode(start, 400, 'PAGING_INVALID_PARAMETERS');
    assert.match(start.body.message, /pageStart/);
  });

  it('search: pageLimit over 15 → 400 PAGING_INVALID_PARAMETERS stating 15; null paging means the defaults', async () => {
    const res = await search({ pageLimit: 16, rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } });
    assertErrorCode(res, 400, 'PAGING_INVALID_PARAMETERS');
    assert.match(res.body.message, /\b15\b/);
    const ok = await search({ pageStart: null, pageLimit: null, rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.startIndex, 1);
    assert.equal(ok.body.itemsPerPage, 15);
  });

  it('secretRotationExpirationInSeconds over 365 days → 400 naming the field and the limit, at create, PATCH and rotation', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { displayName: 'grace limits' });
    const over = 31_536_001;
    const attempts = [
      await create(appBody({ secretRotationExpirationInSeconds: over })),
      await patch(app.clientId, { secretRotationExpirationInSeconds: over }),
      await server.req('POST', `${appPath(app.clientId)}/secret`, { token: admin.accessToken, json: { newClientSecret: strongSecret('g'), secretRotationExpirationInSeconds: over } }),
    ];
    for (const res of attempts) assertCspError(res, 400, { messageIncludes: ['secretRotationExpirationInSeconds', '31536000'] }, server);
    const ok = await patch(app.clientId, { secretRotationExpirationInSeconds: 31_536_000 });
    assert.equal(ok.status, 200, ok.text);
  });
});
