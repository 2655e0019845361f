// The OpenAPI document (issue: "keep the code and the OpenAPI document true to SPEC"): every
// operation of SPEC §3 and §5, the [ours] additions, the CSP error body and the catalogue.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from './helpers/index.js';

const BASE = '/csp/gateway/am/api';
let server: TestServer;
let doc: { paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown>; requestBody?: unknown }>>; 'x-error-catalogue': { cspErrorCode: string; status: number }[]; info: { description: string } };

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

  it('the seed operation documents exactly the seed\'s error statuses and its {} body', () => {
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
