// Malformed requests against every route (docs/design.md §1, §4): a seeded fast-check property sends
// FUZZ_RUNS (default 10 000) of them, 16 at a time over keep-alive connections. Pass: no 5xx; every
// error a CSP body whose requestId is the X-Request-Id header; no malformed change accepted; the
// server up with bounded memory; the stored state exactly as before. FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addUser, appBody, bootstrapAdmin, createApp, serviceAccountToken, type Admin, type TestServer } from './helpers/index.js';
import { rotateSecret, startRoomyServer, suppliedSecret } from './helpers/lifecycle.js';
import {
  cspBodyProblem, parseRawResponse, rawRequest, rssKiB, serverPid, socketRequest, stateSnapshot,
  type RawRequest, type RawResponse,
} from './helpers/hardening.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2_147_483_647;
const CONCURRENCY = 16;
const B = '/csp/gateway/am/api';
/** Generous: the heap may grow into its steady state, but not by a leak per request. */
const RSS_SLACK_KIB = 128 * 1024;

let server: TestServer;
let admin: Admin;
let other: Admin & { appId: string };
let saToken: string;
let appA: string;
let appB: string;

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
  const a = await createApp(server, admin.accessToken, admin.orgId, { id: 'fuzz-app-a' });
  appA = a.clientId;
  appB = (await createApp(server, admin.accessToken, admin.orgId, { id: 'fuzz-app-b' })).clientId;
  const rotation = await rotateSecret(server, admin.accessToken, admin.orgId, appB, suppliedSecret('fuzz'), 3600);
  assert.equal(rotation.status, 200, rotation.text);
  saToken = await serviceAccountToken(server, a.clientId, a.clientSecret);
  const org = await server.cli(['org', 'create', '--name', 'Other org']);
  const owner = await addUser(server, org.id, 'org_owner', { developer: true });
  const otherApp = await createApp(server, owner.accessToken, org.id, { id: 'fuzz-other-app' });
  other = { orgId: org.id, username: owner.username, apiToken: owner.apiToken, accessToken: owner.accessToken, appId: otherApp.clientId };
});

after(async () => {
  await server?.stop();
});

// ---------- generators ----------

/** Values of any JSON type, nested a little. */
const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** A JSON value of a type other than `type` and never null (null means "absent" for optional fields). */
function wrongType(type: 'string' | 'integer' | 'boolean' | 'array' | 'object'): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string({ maxLength: 20 }),
    integer: fc.oneof(fc.integer(), fc.constant(1.5), fc.constant(-0.25), fc.constant(1e300)),
    boolean: fc.boolean(),
    array: fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  };
  const choices = Object.entries(all).filter(([k]) => k !== type && !(type === 'integer' && k === 'integer')).map(([, v]) => v);
  if (type === 'integer') choices.push(fc.constant(2.5));
  return fc.oneof(...choices);
}

type FieldType = 'string' | 'integer' | 'boolean' | 'array' | 'object';
interface JsonOp {
  /** A valid body to corrupt. */
  valid: () => Record<string, unknown>;
  fields: Record<string, FieldType>;
  required: string[];
  /** Create and PATCH accept and ignore members they do not know (CSP documents no such refusal). */
  ignoresUnknownMembers?: boolean;
}

const createFields: Record<string, FieldType> = {
  displayName: 'string', description: 'string', grantTypes: 'array', allowedScopes: 'object', id: 'string', secret: 'string',
  redirectUris: 'array', accessTokenTTL: 'integer', refreshTokenTTL: 'integer', forcePkce: 'boolean', publicClient: 'boolean',
  isHidden: 'boolean', secretRotationExpirationInSeconds: 'integer', maxGroupsInIdToken: 'integer',
};
const JSON_OPS: Record<string, JsonOp> = {
  create: { valid: () => appBody({ id: 'fuzz-never-created' }), fields: createFields, required: ['displayName', 'description', 'grantTypes', 'allowedScopes'], ignoresUnknownMembers: true },
  update: { valid: () => ({ displayName: 'renamed by fuzz' }), fields: { ...createFields }, required: [], ignoresUnknownMembers: true },
  delete: { valid: () => ({ clientIdsToDelete: ['fuzz-app-a'] }), fields: { clientIdsToDelete: 'array' }, required: ['clientIdsToDelete'] },
  regenerate: { valid: () => ({}), fields: {}, required: [] },
  rotate: { valid: () => ({ newClientSecret: 'Fuzz-Never-1!' }), fields: { newClientSecret: 'string', secretRotationExpirationInSeconds: 'integer' }, required: ['newClientSecret'] },
  search: { valid: () => ({ rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }), fields: { rolesSearchTerm: 'object' }, required: [] },
};
delete JSON_OPS.update!.fields.id;

/** Text that is never valid JSON: any string followed by an unclosed `{`. */
const notJson = fc.string({ maxLength: 200, unit: 'binary' }).map((s) => `${s}{`);

function deepNesting(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"x-a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A JSON body (as bytes) that no schema of `op` accepts. */
function invalidJsonBody(op: JsonOp): fc.Arbitrary<{ body: Buffer; why: string }> {
  const fieldNames = Object.keys(op.fields);
  const strategies: Array<fc.Arbitrary<{ body: Buffer; why: string }>> = [
    notJson.map((s) => ({ body: Buffer.from(s, 'utf8'), why: 'not JSON' })),
    fc.nat().map((n) => {
      const text = JSON.stringify(op.valid());
      return { body: Buffer.from(text.slice(0, n % text.length), 'utf8'), why: 'truncated JSON' };
    }).filter((b) => b.body.length > 0),
    fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('array' as const, 'object' as const))
      .map(([d, k]) => {
        // Where unknown members are ignored, a known member of the wrong type keeps the body invalid.
        const text = k === 'object' && op.ignoresUnknownMembers ? `{"accessTokenTTL":"not a number",${deepNesting(d, k).slice(1)}` : deepNesting(d, k);
        return { body: Buffer.from(text, 'utf8'), why: `nested ${k} depth ${d}` };
      }),
    fc.oneof(fc.array(jsonValue, { maxLength: 4 }), fc.string(), fc.integer(), fc.boolean(), fc.constant(null))
      .map((v) => ({ body: Buffer.from(JSON.stringify(v), 'utf8'), why: 'not an object' })),
    // An extra member next to a known one of the wrong type: refused for the wrong type wherever
    // unknown members are ignored, and for the extra member everywhere else.
    fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), jsonValue).map(([k, v]) => {
      const body: Record<string, unknown> = { ...op.valid() };
      body[`x-${k}`] = v;
      if (op.ignoresUnknownMembers) body.accessTokenTTL = 'not a number';
      return { body: Buffer.from(JSON.stringify(body), 'utf8'), why: 'extra member' };
    }),
    // Deep nesting inside a member the schema knows.
    fc.integer({ min: 100, max: 10_000 }).map((d) => {
      const name = fieldNames[d % Math.max(1, fieldNames.length)] ?? 'x-deep';
      const body = { ...op.valid(), [name]: '__DEEP__' };
      return { body: Buffer.from(JSON.stringify(body).replace('"__DEEP__"', deepNesting(d, 'array')), 'utf8'), why: `deep member ${name}` };
    }),
    // Invalid UTF-8 bytes inside a body that is already invalid for another reason.
    fc.tuple(notJson, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([s, bytes]) => ({
      body: Buffer.concat([Buffer.from('{"displayName":"'), Buffer.from(bytes.map((b) => 0x80 | b)), Buffer.from(s, 'utf8')]), why: 'invalid UTF-8',
    })),
    // Invalid UTF-8 bytes inside an otherwise valid body (the parser must refuse, not replace them).
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((bytes) => {
      const text = Buffer.from(JSON.stringify(op.valid()), 'utf8');
      const at = Math.max(1, text.indexOf('"', 2) + 1);
      return { body: Buffer.concat([text.subarray(0, at), Buffer.from(bytes.map((b) => 0x80 | (b & 0x3f))), text.subarray(at)]), why: 'invalid UTF-8 in a valid body' };
    }),
    // Oversized (> 64 KiB).
    fc.integer({ min: 65 * 1024, max: 200 * 1024 }).map((n) => ({
      body: Buffer.from(JSON.stringify({ ...op.valid(), description: 'x'.repeat(n) }), 'utf8'), why: 'oversized',
    })),
  ];
  if (fieldNames.length > 0) {
    strategies.push(fc.constantFrom(...fieldNames).chain((name) => wrongType(op.fields[name]!).map((v) => {
      const body: Record<string, unknown> = { ...op.valid(), [name]: v };
      return { body: Buffer.from(JSON.stringify(body), 'utf8'), why: `wrong type ${name}` };
    })));
  }
  if (op.required.length > 0) {
    strategies.push(fc.constantFrom(...op.required).map((name) => {
      const body: Record<string, unknown> = { ...op.valid() };
      delete body[name];
      return { body: Buffer.from(JSON.stringify(body), 'utf8'), why: `missing ${name}` };
    }));
  }
  return fc.oneof(...strategies);
}

/** Content types the management API does not parse (a body with one → 415). */
const oddContentType = fc.constantFrom(
  'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded',
  'application/octet-stream', 'text/json', 'application/jsonp', 'image/png', 'application/*', '*/*',
);

/** Ids for the path: real ones, another org's, made-up, enormous, and path tricks. */
function idLike(real: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...real) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/) },
    { weight: 1, arbitrary: fc.integer({ min: 257, max: 20_000 }).map((n) => 'i'.repeat(n)) },
    {
      weight: 2, arbitrary: fc.constantFrom(
        '..', '%2e%2e', '.%2E', '%2F', 'a%2Fb', '..%2F..%2Fhealthz', '%2e%2e%2f%2e%2e%2fauth%2fkeys', '%00', '%ff%fe', '%c3%28',
        '%E2%82', 'a%20b', '%25', '*', '~', '%7B%7D', 'null', 'undefined', '__proto__', 'constructor', '.', '%u0041',
        'ok%0d%0aX-Injected:%201', '%C0%AE%C0%AE', '\u00e9t\u00e9', '\u00ff\u00fe',
      ),
    },
  );
}

interface FuzzRequest extends RawRequest {
  route: string;
  /** A change (POST/PUT/PATCH/DELETE on the management API): must never answer 2xx here. */
  mutating: boolean;
  /** The HTTP parser reads it (standard method, headers under 16 KiB, path bytes it accepts): X-Request-Id is echoed. */
  parsable: boolean;
  sentRequestId?: string;
}

function managementRequests(): fc.Arbitrary<FuzzRequest> {
  const orgs = idLike([admin.orgId, other.orgId, '5c0f2d3a-0000-4000-8000-000000000000']);
  const apps = idLike([appA, appB, other.appId, 'no-such-app']);
  const tokens = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(admin.accessToken, saToken, other.accessToken) },
    {
      weight: 3, arbitrary: fc.oneof(
        fc.constant(''), fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'x')),
        fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
        fc.constant(admin.accessToken.slice(0, -3) + 'abc'),
        fc.constant(`${admin.accessToken}.${admin.accessToken}`),
        fc.integer({ min: 1, max: 12_000 }).map((n) => 'e'.repeat(n)),
      ),
    },
  );
  const authHeader = fc.tuple(tokens, fc.constantFrom('bearer', 'legacy', 'basic', 'none', 'lower', 'double'))
    .map(([t, how]): Record<string, string> => {
      switch (how) {
        case 'bearer': return { authorization: `Bearer ${t}` };
        case 'legacy': return { 'csp-auth-token': t };
        case 'basic': return { authorization: `Basic ${Buffer.from(`${t}:x`).toString('base64')}` };
        case 'lower': return { authorization: `bearer ${t}` };
        case 'double': return { authorization: `Bearer ${t} Bearer ${t}` };
        default: return {};
      }
    });

  type Shape = { route: string; method: string; path: (o: string, a: string) => string; op?: keyof typeof JSON_OPS };
  const shapes: Shape[] = [
    { route: 'op1 create', method: 'POST', path: (o) => `/orgs/${o}/oauth-apps`, op: 'create' },
    { route: 'op2 list', method: 'GET', path: (o) => `/orgs/${o}/oauth-apps` },
    { route: 'op3 get', method: 'GET', path: (o, a) => `/orgs/${o}/oauth-apps/${a}` },
    { route: 'op4 patch', method: 'PATCH', path: (o, a) => `/orgs/${o}/oauth-apps/${a}`, op: 'update' },
    { route: 'op5 delete', method: 'DELETE', path: (o) => `/orgs/${o}/oauth-apps`, op: 'delete' },
    { route: 'op6 regenerate', method: 'PUT', path: (o, a) => `/orgs/${o}/oauth-apps/${a}/secret`, op: 'regenerate' },
    { route: 'op7 rotate', method: 'POST', path: (o, a) => `/orgs/${o}/oauth-apps/${a}/secret`, op: 'rotate' },
    { route: 'op8 delete old secret', method: 'DELETE', path: (o, a) => `/orgs/${o}/oauth-apps/${a}/secret` },
    { route: 'op9 search', method: 'POST', path: (o) => `/orgs/${o}/oauth-apps/search`, op: 'search' },
    { route: 'secrets listing', method: 'GET', path: (o, a) => `/orgs/${o}/oauth-apps/${a}/secrets` },
    { route: 'audit events', method: 'GET', path: (o) => `/orgs/${o}/audit-events` },
    { route: 'my orgs', method: 'GET', path: () => '/loggedin/user/orgs' },
    { route: 'my api tokens', method: 'GET', path: () => '/loggedin/user/api-tokens' },
    // An app id is never an API token's id: a revoke the fuzz sends always misses.
    { route: 'revoke my api token', method: 'DELETE', path: (_o, a) => `/loggedin/user/api-tokens/${a}` },
  ];
  const query = fc.oneof(
    fc.constant(''),
    fc.constantFrom(
      '?pageStart=1&pageStart=2', '?pageLimit=0', '?pageLimit=201', '?pageLimit=-1', '?pageStart=abc', '?pageStart=1e3',
      '?pageLimit[]=1', '?pageLimit[a]=1', '?searchTerm=%ff', '?searchTerm=' + 's'.repeat(300), '?revokeTokens=maybe',
      '?revokeTokens=true&revokeTokens=false', '?filterResults=yes', '?filterResults=true&filterResults=true', '?=&&&=',
      '?pageStart=99999999999999999999', '?pageStart=%00', '?__proto__[x]=1', '?constructor=1', '?a=' + 'q'.repeat(9000),
      '?from=1e9', '?from=-1', '?to=99999999999999', '?from=20&to=10', '?action=%00', '?action=app.create&action=app.delete', '?actor=' + 'x'.repeat(300),
    ),
    fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z_]{1,12}$/), fc.string({ maxLength: 12 })), { maxLength: 5 })
      .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : '')),
  );
  return fc.record({
    shape: fc.constantFrom(...shapes),
    org: orgs,
    app: apps,
    query,
    auth: authHeader,
    pathTrick: fc.constantFrom('', '', '', '', 'trailing-slash', 'double-slash', 'dot-segment', 'upper-case'),
    wrongMethod: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'POST', 'DELETE') }),
    bodyChoice: fc.nat(99),
    ct: oddContentType,
  }).chain((g) => (g.shape.op ? invalidJsonBody(JSON_OPS[g.shape.op]!) : fc.constant(undefined)).map((opBody) => ({ ...g, opBody })))
    .map((g): FuzzRequest => {
    let p = B + g.shape.path(g.org, g.app) + g.query;
    if (g.pathTrick === 'trailing-slash') p = p.replace(/(\?|$)/, '/$1');
    if (g.pathTrick === 'double-slash') p = p.replace('/oauth-apps', '//oauth-apps');
    if (g.pathTrick === 'dot-segment') p = p.replace('/orgs/', '/orgs/./');
    if (g.pathTrick === 'upper-case') p = p.replace('/oauth-apps', '/OAUTH-APPS');
    const method = g.wrongMethod ?? g.shape.method;
    const headers: Record<string, string> = { ...g.auth };
    let body: Buffer | undefined;
    // Every change must be refused: bodies on body routes are always invalid for their route; delete-old
    // (no body) and a wrong method (which may land on another real route) get a body no parser takes.
    if (g.wrongMethod !== undefined || g.shape.route.startsWith('op8')) {
      body = Buffer.from(g.bodyChoice < 50 ? '{"unexpected":' : 'not json at all', 'utf8');
      headers['content-type'] = g.bodyChoice < 75 ? 'application/json' : g.ct;
    } else if (g.opBody) {
      body = g.opBody.body;
      headers['content-type'] = g.bodyChoice < 80 ? 'application/json' : g.ct;
    } else if (g.bodyChoice < 30) {
      body = Buffer.from('not json at all', 'utf8');
      headers['content-type'] = g.bodyChoice < 15 ? 'application/json' : g.ct;
    }
    const mutating = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    return { route: g.shape.route, method, path: p, headers, body, mutating, parsable: !/[\u0080-\u00ff]/.test(p) && method !== 'PROPFIND' };
  });
}

function tokenEndpointRequests(): fc.Arbitrary<FuzzRequest> {
  const routes = ['/auth/token', '/auth/authorize', '/auth/api-tokens/authorize', '/auth/introspect', '/auth/revoke'];
  const param = fc.constantFrom('grant_type', 'client_id', 'client_secret', 'orgId', 'api_token', 'refresh_token', 'token', 'token_type_hint', 'scope', '__proto__', 'x');
  const value = fc.oneof(
    fc.constantFrom('client_credentials', 'password', 'api_token', 'authorization_code', appA, appB, 'no-such-client', admin.orgId, '', '%ff', 'a'.repeat(5000)),
    fc.string({ maxLength: 30 }),
  );
  const pairs = fc.array(fc.tuple(param, value), { maxLength: 6 });
  const basic = fc.oneof(
    fc.constant(undefined),
    fc.tuple(fc.constantFrom(appA, appB, other.appId, 'nobody', '', 'a:b'), fc.string({ maxLength: 30 }))
      .map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`),
    fc.constantFrom('Basic', 'Basic !!!', 'Basic Og==', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Bearer x', `Basic ${'A'.repeat(9000)}`),
  );
  return fc.record({
    route: fc.constantFrom(...routes),
    method: fc.oneof({ weight: 9, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') }),
    query: pairs,
    bodyPairs: pairs,
    basic,
    encoding: fc.constantFrom('form', 'form', 'json', 'json-broken', 'json-array', 'none', 'odd', 'form-bad-utf8', 'dup', 'oversized'),
    ct: oddContentType,
  }).map((g): FuzzRequest => {
    const qs = g.query.length ? `?${g.query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : '';
    const headers: Record<string, string> = {};
    if (g.basic) headers.authorization = g.basic;
    let body: Buffer | undefined;
    const form = g.bodyPairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    switch (g.encoding) {
      case 'form': headers['content-type'] = 'application/x-www-form-urlencoded'; body = Buffer.from(form); break;
      case 'json': headers['content-type'] = 'application/json'; body = Buffer.from(JSON.stringify(Object.fromEntries(g.bodyPairs))); break;
      case 'json-broken': headers['content-type'] = 'application/json'; body = Buffer.from(`{"grant_type":${form}`); break;
      case 'json-array': headers['content-type'] = 'application/json'; body = Buffer.from(JSON.stringify(g.bodyPairs)); break;
      case 'odd': headers['content-type'] = g.ct; body = Buffer.from(form); break;
      case 'form-bad-utf8': headers['content-type'] = 'application/x-www-form-urlencoded'; body = Buffer.concat([Buffer.from('grant_type=client_credentials&client_id='), Buffer.from([0xff, 0xfe, 0xc3])]); break;
      case 'dup': headers['content-type'] = 'application/x-www-form-urlencoded'; body = Buffer.from(`grant_type=client_credentials&grant_type=client_credentials&${form}`); break;
      case 'oversized': headers['content-type'] = 'application/x-www-form-urlencoded'; body = Buffer.from(`grant_type=client_credentials&x=${'y'.repeat(70 * 1024)}`); break;
      default: break;
    }
    return { route: `token ${g.route}`, method: g.method, path: B + g.route + qs, headers, body, mutating: true, parsable: true };
  });
}

function publicRequests(): fc.Arbitrary<FuzzRequest> {
  const paths = [
    `${B}/auth/keys`, `${B}/auth/token-public-key`, `${B}/auth/token-public-key?format=jwks`, `${B}/auth/token-public-key?format=%ff`,
    `${B}/auth/token-public-key?format=pem&format=jwks`, `${B}/auth/token-public-key?format=${'x'.repeat(3000)}`,
    '/.well-known/openid-configuration', `/.well-known/oauth-authorization-server${B}`, `${B}/.well-known/openid-configuration`,
    '/healthz', '/readyz', `${B}/openapi.json`,
  ];
  const unknown = fc.oneof(
    fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/), { minLength: 1, maxLength: 6 }).map((segs) => `${B}/${segs.join('/')}`),
    fc.constantFrom(`${B}`, `${B}/`, `${B}/..`, `${B}/../../etc/passwd`, `${B}/%2e%2e/%2e%2e/healthz`, `${B}%2Fauth%2Fkeys`, `${B}/auth/keys/..`,
      `${B}/orgs`, `${B}/orgs/`, `${B}//orgs//x`, `${B}/auth/%6beys`, `${B}/\u00ff`, '/csp/gateway/am/api;x=1/auth/keys', `${B}/orgs/x/oauth-apps/y/secret/z`),
  );
  return fc.record({
    path: fc.oneof(fc.constantFrom(...paths), unknown),
    method: fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 4, arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND') }),
    body: fc.oneof(fc.constant(undefined), notJson.map((s) => Buffer.from(s))),
    ct: fc.oneof(oddContentType, fc.constant('application/json')),
  }).map((g): FuzzRequest => ({
    route: 'public or unknown', method: g.method, path: g.path,
    headers: g.body ? { 'content-type': g.ct } : {}, body: g.body,
    mutating: g.method !== 'GET' && g.method !== 'HEAD' && g.method !== 'OPTIONS',
    parsable: !/[\u0080-\u00ff]/.test(g.path) && g.method !== 'PROPFIND',
  }));
}

/** Adds header abuse to any request: request ids sane and not, oversized headers, many headers, odd bytes. */
function withHeaderAbuse(base: fc.Arbitrary<FuzzRequest>): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    r: base,
    rid: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/) },
      { weight: 1, arbitrary: fc.constantFrom('has space', 'x'.repeat(300), '<script>', '\u00ff\u00fe', 'a,b', '') },
    ),
    abuse: fc.oneof(
      { weight: 12, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: fc.constantFrom('huge-header', 'many-headers', 'latin1-header', 'idempotency-key', 'expect', 'expect-other', 'content-encoding', 'te-and-cl') },
    ),
  }).map(({ r, rid, abuse }) => {
    const headers = { ...(r.headers ?? {}) };
    let parsable = r.parsable;
    let sentRequestId: string | undefined;
    if (rid !== undefined) {
      headers['x-request-id'] = rid;
      if (/^[A-Za-z0-9._:-]{1,128}$/.test(rid)) sentRequestId = rid;
    }
    switch (abuse) {
      case 'huge-header': headers['x-filler'] = 'f'.repeat(20_000); parsable = false; break;
      case 'many-headers': for (let i = 0; i < 150; i++) headers[`x-h${i}`] = String(i); break;
      case 'latin1-header': headers['x-odd'] = '\u00ff\u00fe\u00e9'; break;
      case 'idempotency-key': headers['idempotency-key'] = 'k'.repeat(300); break;
      case 'expect': headers.expect = '100-continue-please'; break;
      case 'expect-other': headers.expect = 'something-else'; break;
      case 'content-encoding': headers['content-encoding'] = 'gzip'; break;
      case 'te-and-cl': if (r.body) { headers['transfer-encoding'] = 'chunked'; headers['content-length'] = String(r.body.length); parsable = false; } break;
      default: break;
    }
    return { ...r, headers, parsable, ...(sentRequestId !== undefined ? { sentRequestId } : {}) };
  });
}

// ---------- the run ----------

interface Tally {
  sent: number;
  byStatus: Map<number, number>;
  byRoute: Map<string, number>;
  resets: number;
  failures: string[];
}

function describeRequest(r: FuzzRequest): string {
  const body = r.body ? ` body(${r.body.length} B): ${JSON.stringify(Buffer.from(r.body).subarray(0, 120).toString('latin1'))}` : '';
  return `${r.method} ${r.path.slice(0, 200)}${r.path.length > 200 ? '…' : ''} [${r.route}]${body}`;
}

/** Request line and headers over Node's 16 KiB limit are refused by the parser (431) before a request id exists. */
function headerBytes(r: FuzzRequest): number {
  return r.method.length + r.path.length + Object.entries(r.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length + 4, 64);
}

async function check(agent: http.Agent, r: FuzzRequest, tally: Tally): Promise<void> {
  tally.sent++;
  if (headerBytes(r) > 15_000) r = { ...r, parsable: false };
  tally.byRoute.set(r.route, (tally.byRoute.get(r.route) ?? 0) + 1);
  let res: RawResponse;
  try {
    res = await rawRequest(server, agent, r);
  } catch (error) {
    // A server that refuses a request mid-upload (413, 431) may close before the client finishes writing.
    const code = (error as NodeJS.ErrnoException).code;
    const closed = (code === 'ECONNRESET' || code === 'EPIPE') && ((r.body?.length ?? 0) > 64 * 1024 || !r.parsable);
    // The parser's refusal carries a CSP body, which a HEAD client does not expect.
    const headRefused = r.method === 'HEAD' && !r.parsable && String(code).startsWith('HPE_');
    const expected = closed || headRefused;
    if (expected) { tally.resets++; return; }
    tally.failures.push(`${describeRequest(r)} → no response: ${String(code)} ${(error as Error).message}`);
    return;
  }
  tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
  const fail = (why: string): void => { tally.failures.push(`${describeRequest(r)} → ${res.status}: ${why} ${res.text.slice(0, 300)}`); };
  // /readyz answers 503 by design while Redis is slow (its budgets fall back per node): not a fault.
  const notReady = res.status === 503 && r.path.split('?')[0] === '/readyz';
  if (res.status >= 500 && !notReady) return fail('5xx');
  if (typeof res.headers['x-request-id'] !== 'string') return fail('no X-Request-Id');
  if (res.status >= 400 && r.method !== 'HEAD') {
    const problem = cspBodyProblem(res);
    if (problem) return fail(`not a CSP error body: ${problem}`);
  }
  if (r.sentRequestId !== undefined && r.parsable && res.headers['x-request-id'] !== r.sentRequestId) return fail('sane X-Request-Id not echoed');
  if (r.mutating && r.route !== 'public or unknown' && res.status < 300) return fail('a malformed change was accepted');
  if (r.route === 'public or unknown' && r.mutating && res.status < 300) return fail('a change on a read-only path was accepted');
}

describe('fuzzing every route with malformed requests', () => {
  it('raw requests the HTTP parser or Node refuse still get the CSP body (regression: Fastify\'s or Node\'s own answer before)', async () => {
    const cases: Array<[string, string | Buffer, number]> = [
      ['unknown method', `FOO ${B}/auth/keys HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
      ['headers over 16 KiB', `GET ${B}/auth/keys HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['raw invalid UTF-8 in the path', Buffer.concat([Buffer.from(`GET ${B}/orgs/`), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]), 400],
      ['an Expect other than 100-continue', `GET ${B}/auth/keys HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n`, 417],
      ['broken chunked body', `POST ${B}/auth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 400],
    ];
    for (const [what, bytes, status] of cases) {
      const res = parseRawResponse(await socketRequest(server, bytes));
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.equal(cspBodyProblem(res), undefined, `${what}: ${res.text}`);
    }
  });

  it('a percent-encoded path that does not decode, and an id over the router\'s length limit → CSP body with X-Request-Id (regression)', async () => {
    const agent = new http.Agent({ keepAlive: false });
    const bad = await rawRequest(server, agent, { method: 'GET', path: `${B}/orgs/%ff%fe/oauth-apps`, headers: { authorization: `Bearer ${admin.accessToken}`, 'x-request-id': 'bad-url-1' } });
    assert.ok(bad.status >= 400 && bad.status < 500, bad.text);
    assert.equal(cspBodyProblem(bad), undefined, bad.text);
    assert.equal(bad.headers['x-request-id'], 'bad-url-1');
    const long = await rawRequest(server, agent, { method: 'GET', path: `${B}/orgs/${admin.orgId}/oauth-apps/${'a'.repeat(600)}`, headers: { authorization: `Bearer ${admin.accessToken}` } });
    assert.equal(long.status, 404, `an id no app can have is not found: ${long.text}`);
    assert.equal(cspBodyProblem(long), undefined, long.text);
  });

  it('a JSON body with bytes that are not UTF-8 → 400, nothing stored (regression: they became U+FFFD in the stored app)', async () => {
    const agent = new http.Agent({ keepAlive: false });
    const json = Buffer.from(JSON.stringify(appBody({ id: 'fuzz-invalid-utf8', displayName: 'XX' })));
    json[json.indexOf('XX')] = 0xff;
    const res = await rawRequest(server, agent, {
      method: 'POST', path: `${B}/orgs/${admin.orgId}/oauth-apps`, body: json,
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(cspBodyProblem(res), undefined, res.text);
    assert.equal(res.body.errorCode, 'MALFORMED_JSON_ERROR');
    assert.equal((await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/fuzz-invalid-utf8`, { token: admin.accessToken })).status, 404, 'nothing was created');
    const token = await rawRequest(server, agent, {
      method: 'POST', path: `${B}/auth/api-tokens/authorize`, headers: { 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"refresh_token":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    });
    assert.equal(token.status, 400, token.text);
    assert.equal(token.body.error, 'invalid_request', token.text);
  });

  it(`${RUNS} seeded malformed requests: no 5xx, CSP errors, no change accepted, memory bounded, state unchanged`, { timeout: 600_000 }, async () => {
    const pid = serverPid(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const before = await stateSnapshot(server, admin.accessToken, admin.orgId);
    const beforeOther = await stateSnapshot(server, other.accessToken, other.orgId);

    const request = withHeaderAbuse(fc.oneof(
      { weight: 6, arbitrary: managementRequests() },
      { weight: 3, arbitrary: tokenEndpointRequests() },
      { weight: 1, arbitrary: publicRequests() },
    ));
    const tally: Tally = { sent: 0, byStatus: new Map(), byRoute: new Map(), resets: 0, failures: [] };
    const started = Date.now();
    let rssWarm: number | undefined;
    const batches = Math.ceil(RUNS / CONCURRENCY);
    process.stdout.write(`fuzz: seed ${SEED}, ${RUNS} requests in ${batches} batches of ${CONCURRENCY} (FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} replays)\n`);
    await fc.assert(fc.asyncProperty(fc.array(request, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (batch) => {
      const failuresBefore = tally.failures.length;
      await Promise.all(batch.map((r) => check(agent, r, tally)));
      // Memory after the first 5 % warms caches, JIT and connection pools.
      if (rssWarm === undefined && tally.sent >= RUNS / 20) rssWarm = rssKiB(pid);
      return tally.failures.length === failuresBefore;
    }), { seed: SEED, numRuns: batches, endOnFailure: true, verbose: 0 }).catch((error: unknown) => {
      throw new assert.AssertionError({ message: `fuzz failed (seed ${SEED}):\n  ${tally.failures.slice(0, 10).join('\n  ')}\n${String((error as Error).message).slice(0, 500)}` });
    });
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;
    const rssEnd = rssKiB(pid);
    const statuses = [...tally.byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    const routes = [...tally.byRoute].sort().map(([r, n]) => `${r}: ${n}`).join(', ');
    process.stdout.write(`fuzz: ${tally.sent} requests in ${seconds.toFixed(1)} s (${Math.round(tally.sent / seconds)}/s); statuses ${statuses}; connection closed by the server ${tally.resets}\n`);
    process.stdout.write(`fuzz: per route ${routes}\n`);
    process.stdout.write(`fuzz: server RSS ${Math.round((rssWarm ?? rssEnd) / 1024)} MiB after warm-up, ${Math.round(rssEnd / 1024)} MiB at the end\n`);

    assert.deepEqual(tally.failures, []);
    assert.ok(tally.sent >= RUNS, `sent ${tally.sent} of ${RUNS}`);
    const health = await server.req('GET', '/healthz', { root: true });
    assert.equal(health.status, 200, 'the server is still up');
    assert.ok(rssEnd - (rssWarm ?? rssEnd) < RSS_SLACK_KIB, `RSS grew from ${rssWarm} KiB to ${rssEnd} KiB`);
    assert.deepEqual(await stateSnapshot(server, admin.accessToken, admin.orgId), before, 'stored state of the org unchanged');
    assert.deepEqual(await stateSnapshot(server, other.accessToken, other.orgId), beforeOther, 'stored state of the other org unchanged');
  });
});
