// The OpenAPI document stays true to the code and to docs/design.md: every
// operation of docs/design.md §3 and §5, the additions beyond CSP, the CSP error body and the catalogue.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrapAdmin, createApp, startServer, type Admin, type Json, type TestServer } from './helpers/index.js';

const BASE = '/csp/gateway/am/api';
let server: TestServer;
let doc: { paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, Json>; requestBody?: Json; parameters?: Json[] }>>; 'x-error-catalogue': { cspErrorCode: string; status: number }[]; info: { description: string }; components?: Json };

before(async () => {
  server = await startServer();
  const res = await server.req('GET', '/openapi.json');
  assert.equal(res.status, 200);
  doc = res.body;
});

after(async () => {
  await server?.stop();
});

const OPERATIONS: [string, string][] = [
  ['post', '/orgs/{orgId}/oauth-apps'],
  ['get', '/orgs/{orgId}/oauth-apps'],
  ['get', '/orgs/{orgId}/oauth-apps/{oauthAppId}'],
  ['patch', '/orgs/{orgId}/oauth-apps/{oauthAppId}'],
  ['delete', '/orgs/{orgId}/oauth-apps'],
  ['put', '/orgs/{orgId}/oauth-apps/{oauthAppId}/secret'],
  ['post', '/orgs/{orgId}/oauth-apps/{oauthAppId}/secret'],
  ['delete', '/orgs/{orgId}/oauth-apps/{oauthAppId}/secret'],
  ['post', '/orgs/{orgId}/oauth-apps/search'],
  ['get', '/orgs/{orgId}/oauth-apps/{oauthAppId}/secrets'],
  ['get', '/orgs/{orgId}/audit-events'],
  ['post', '/auth/token'],
  ['post', '/auth/authorize'],
  ['post', '/auth/api-tokens/authorize'],
  ['post', '/auth/introspect'],
  ['post', '/auth/revoke'],
  ['get', '/auth/keys'],
  ['get', '/auth/token-public-key'],
];

describe('GET /csp/gateway/am/api/openapi.json', () => {
  for (const [method, path] of OPERATIONS) {
    it(`documents ${method.toUpperCase()} ${path} with an operationId and its error responses`, () => {
      const op = doc.paths[`${BASE}${path}`]?.[method];
      assert.ok(op, `${method} ${path} is missing`);
      assert.ok(op.operationId, 'an operationId');
      const statuses = Object.keys(op.responses ?? {});
      assert.ok(statuses.includes('200'), `200 documented: ${statuses}`);
      assert.ok(statuses.some((s) => /^[45]/.test(s)), `error responses documented: ${statuses}`);
    });
  }

  it('the Regenerate operation documents exactly its error statuses and its {} body', () => {
    const op = doc.paths[`${BASE}/orgs/{orgId}/oauth-apps/{oauthAppId}/secret`]?.put;
    for (const status of ['401', '403', '404', '409', '429', '500']) assert.ok(op?.responses?.[status], `status ${status}`);
    // The body schema is the named EmptyObject: an object that admits no members.
    const ref = (op?.requestBody as { content: Record<string, { schema: { $ref: string } }> }).content['application/json']?.schema.$ref ?? '';
    const schema = (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas[ref.replace('#/components/schemas/', '')];
    assert.match(JSON.stringify(schema), /"additionalProperties":false/);
  });

  it('lists the error catalogue, every code once, each with its HTTP status', () => {
    const codes = doc['x-error-catalogue'].map((e) => e.cspErrorCode);
    assert.equal(new Set(codes).size, codes.length, 'no duplicate cspErrorCode');
    assert.ok(codes.includes('330.133') && codes.includes('330.140') && codes.includes('330.222'));
    for (const e of doc['x-error-catalogue']) assert.ok(e.status >= 400 && e.status < 600);
    assert.match(doc.info.description, /330\.133/);
  });
});

/** A schema of the document, with a local `$ref` followed. */
function resolved(schema: Json): Json {
  let node = schema;
  while (node && typeof node.$ref === 'string') {
    node = node.$ref.replace(/^#\//, '').split('/').reduce((at: Json, part: string) => at?.[part], doc);
    assert.ok(node, `$ref ${schema.$ref} resolves`);
  }
  return node;
}

/**
 * Where `value` differs from what `schema` says: a member the document does not declare, a
 * declared type that does not match (null only where the document says nullable), a required
 * member missing. An empty list means the document describes the response exactly.
 */
function mismatches(schema: Json, value: unknown, path = '$'): string[] {
  const node = resolved(schema);
  if (!node || Object.keys(node).length === 0) return [];
  const branches = node.anyOf ?? node.oneOf;
  if (branches) return branches.some((b: Json) => mismatches(b, value, path).length === 0) ? [] : [`${path}: no branch of anyOf/oneOf fits ${JSON.stringify(value)}`];
  if (value === null) return node.nullable === true || node.type === 'null' ? [] : [`${path}: null, but the document does not say nullable`];
  const type = node.type as string | undefined;
  const fits = type === undefined ? true
    : type === 'integer' ? Number.isInteger(value)
      : type === 'array' ? Array.isArray(value)
        : type === 'object' ? typeof value === 'object' && !Array.isArray(value)
          : typeof value === type;
  if (!fits) return [`${path}: ${JSON.stringify(value)} is not ${type}`];
  const found: string[] = [];
  if (Array.isArray(value) && node.items) value.forEach((item, i) => found.push(...mismatches(node.items, item, `${path}[${i}]`)));
  if (type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const properties: Record<string, Json> = node.properties ?? {};
    for (const name of node.required ?? []) if (!(name in value)) found.push(`${path}.${name}: required by the document, missing`);
    for (const [name, member] of Object.entries(value)) {
      if (Object.hasOwn(properties, name)) found.push(...mismatches(properties[name], member, `${path}.${name}`));
      else if (node.additionalProperties === undefined || node.additionalProperties === false) found.push(`${path}.${name}: not in the document`);
    }
  }
  return found;
}

function responseSchema(method: string, path: string): Json {
  const op = doc.paths[`${BASE}${path}`]?.[method];
  assert.ok(op, `${method} ${path} documented`);
  return op.responses?.['200']?.content?.['application/json']?.schema;
}

function requestSchema(method: string, path: string): Json {
  return resolved(doc.paths[`${BASE}${path}`]?.[method]?.requestBody?.content?.['application/json']?.schema);
}

describe('the document shows the types the responses have', () => {
  let admin: Admin;
  let appId: string;
  let publicAppId: string;

  before(async () => {
    admin = await bootstrapAdmin(server);
    appId = (await createApp(server, admin.accessToken, admin.orgId, {
      displayName: 'typed app', serviceDefinitionId: 'svc-own',
      allowedScopes: {
        organizationScopes: { roles: [{ name: 'developer' }], keptInToken: ['ROLES'] },
        servicesScopes: [{ serviceDefinitionId: 'svc', roles: [{ name: 'viewer', resource: 'p1' }] }],
      },
    })).clientId;
    const pub = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, {
      token: admin.accessToken,
      json: { displayName: 'typed public', description: 'd', grantTypes: ['authorization_code'], redirectUris: ['https://p.example/cb'], publicClient: true, allowedScopes: {} },
    });
    assert.equal(pub.status, 200, pub.text);
    publicAppId = pub.body.clientId;
  });

  it('GET an app (confidential and public, nulls included) and PATCH answer exactly OrgOAuthAppResponse as documented', async () => {
    for (const id of [appId, publicAppId]) {
      const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${id}`, { token: admin.accessToken });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(mismatches(responseSchema('get', '/orgs/{orgId}/oauth-apps/{oauthAppId}'), res.body), []);
    }
    const patched = await server.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${appId}`, { token: admin.accessToken, json: { description: 'x' } });
    assert.deepEqual(mismatches(responseSchema('patch', '/orgs/{orgId}/oauth-apps/{oauthAppId}'), patched.body), []);
  });

  it('the list and the search answer exactly their documented shapes (search dates are strings)', async () => {
    const list = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken });
    assert.deepEqual(mismatches(responseSchema('get', '/orgs/{orgId}/oauth-apps'), list.body), []);
    const found = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps/search`, {
      token: admin.accessToken, json: { rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }], serviceRoles: [{ serviceDefinitionId: 'svc', serviceRoles: [{ roleName: 'viewer' }] }] } },
    });
    assert.equal(found.status, 200, found.text);
    assert.ok(found.body.results.length > 0);
    const schema = responseSchema('post', '/orgs/{orgId}/oauth-apps/search');
    assert.deepEqual(mismatches(schema, found.body), []);
    const role = resolved(resolved(resolved(resolved(schema).properties.results).items).properties.organizationRoles).items;
    assert.equal(resolved(role).properties.createdDate.type, 'string', 'createdDate is documented as a string, as CSP types it');
  });

  it('pageStart and pageLimit are integer query parameters with their limits (list and audit log)', () => {
    for (const path of ['/orgs/{orgId}/oauth-apps', '/orgs/{orgId}/audit-events']) {
      const params = doc.paths[`${BASE}${path}`]?.get?.parameters ?? [];
      const byName = (name: string) => resolved(params.find((p: Json) => p.name === name && p.in === 'query')?.schema);
      assert.equal(byName('pageStart')?.type, 'integer', `${path} pageStart`);
      assert.equal(byName('pageStart')?.minimum, 1);
      assert.equal(byName('pageLimit')?.type, 'integer', `${path} pageLimit`);
      assert.equal(byName('pageLimit')?.minimum, 1);
      assert.equal(byName('pageLimit')?.maximum, 200);
    }
    const search = requestSchema('post', '/orgs/{orgId}/oauth-apps/search');
    const limit = resolved(search.properties.pageLimit);
    assert.ok(JSON.stringify(limit).includes('"maximum":15'), `search pageLimit maximum 15: ${JSON.stringify(limit)}`);
  });

  it('secretRotationExpirationInSeconds states its limits at create, PATCH and rotation', () => {
    for (const [method, path] of [['post', '/orgs/{orgId}/oauth-apps'], ['patch', '/orgs/{orgId}/oauth-apps/{oauthAppId}'], ['post', '/orgs/{orgId}/oauth-apps/{oauthAppId}/secret']] as const) {
      const field = JSON.stringify(requestSchema(method, path)?.properties?.secretRotationExpirationInSeconds);
      assert.ok(field.includes('"minimum":1') && field.includes('"maximum":31536000'), `${method} ${path}: ${field}`);
    }
  });

  it('create and PATCH bodies do not forbid members the server ignores', () => {
    for (const [method, path] of [['post', '/orgs/{orgId}/oauth-apps'], ['patch', '/orgs/{orgId}/oauth-apps/{oauthAppId}']] as const) {
      const body = requestSchema(method, path);
      assert.notEqual(body.additionalProperties, false, `${method} ${path} accepts unknown members`);
      assert.match(String(body.description), /ignored/);
    }
  });
});
