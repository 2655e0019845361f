// Small steps every test file repeats: bootstrap an org, mint tokens, create apps, check CSP error bodies.
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { HttpResult, Json, TestServer } from './server.js';

export interface Admin {
  orgId: string;
  username: string;
  apiToken: string;
  accessToken: string;
}

/** `orgauth bootstrap` on the fresh database, then the API token exchanged for an access token. */
export async function bootstrapAdmin(server: TestServer, args: string[] = []): Promise<Admin> {
  const out = await server.cli(['bootstrap', ...args]);
  assert.equal(typeof out.orgId, 'string', 'bootstrap prints orgId');
  assert.equal(typeof out.apiToken, 'string', 'bootstrap prints apiToken');
  const accessToken = await exchangeApiToken(server, out.apiToken);
  return { orgId: out.orgId, username: out.username, apiToken: out.apiToken, accessToken };
}

/** API token → access token, documented shape (form `api_token=`). Asserts success. */
export async function exchangeApiToken(server: TestServer, apiToken: string): Promise<string> {
  const res = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: apiToken } });
  assert.equal(res.status, 200, `api-token exchange: ${res.status} ${res.text}`);
  assert.equal(typeof res.body?.access_token, 'string');
  return res.body.access_token as string;
}

export type Role = 'org_owner' | 'org_admin' | 'org_member';

export interface UserCred {
  username: string;
  apiToken: string;
  accessToken: string;
}

let userCounter = 0;
/** A new user in `orgId` with `role` (and optionally the developer add-on), with a fresh access token. */
export async function addUser(server: TestServer, orgId: string, role: Role, opts: { developer?: boolean; username?: string } = {}): Promise<UserCred> {
  const username = opts.username ?? `user${++userCounter}-${role}${opts.developer ? '-dev' : ''}@example.com`;
  const args = ['user', 'add', '--org', orgId, '--username', username, '--role', role];
  if (opts.developer) args.push('--developer');
  await server.cli(args);
  const tok = await server.cli(['api-token', 'create', '--org', orgId, '--username', username]);
  const accessToken = await exchangeApiToken(server, tok.apiToken);
  return { username, apiToken: tok.apiToken, accessToken };
}

let appCounter = 0;
/** The minimal valid create body (docs/design.md §5.3), with a unique display name; `overrides` are merged on top. */
export function appBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    displayName: `ci bot ${++appCounter}`,
    description: 'd',
    grantTypes: ['client_credentials'],
    allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } },
    ...overrides,
  };
}

export interface CreatedApp {
  clientId: string;
  clientSecret: string;
  res: HttpResult;
}

/** POST /orgs/{orgId}/oauth-apps; asserts 200 and returns the id and secret. */
export async function createApp(server: TestServer, token: string, orgId: string, overrides: Record<string, unknown> = {}): Promise<CreatedApp> {
  const res = await server.req('POST', `/orgs/${orgId}/oauth-apps`, { token, json: appBody(overrides) });
  assert.equal(res.status, 200, `create app: ${res.status} ${res.text}`);
  assert.equal(typeof res.body.clientId, 'string');
  return { clientId: res.body.clientId, clientSecret: res.body.clientSecret, res };
}

/**
 * The client-credentials request shapes of docs/design.md §3.1:
 * - `basic`: raw HTTP Basic, `grant_type` in the form body (nsxt, wavefront, Carbon Black, authlib, curl)
 * - `basic-urlencoded`: id and secret form-urlencoded before base64 (RFC 6749 §2.3.1; oauth4webapi, openid-client)
 * - `basic-query`: raw Basic, `grant_type` (and params) in the query string, empty body (hcs-cli)
 * - `post`: client_secret_post, id and secret in the form body (openid-client default)
 */
export type CredShape = 'basic' | 'basic-urlencoded' | 'basic-query' | 'post';

export async function clientCredentials(
  server: TestServer, clientId: string, clientSecret: string, shape: CredShape = 'basic',
  opts: { path?: '/auth/authorize' | '/auth/token'; params?: Record<string, string>; grantType?: string } = {},
): Promise<HttpResult> {
  const p = opts.path ?? '/auth/authorize';
  const params: Record<string, string> = { grant_type: opts.grantType ?? 'client_credentials', ...(opts.params ?? {}) };
  server.rememberSecret(clientSecret, 'clientSecret');
  const basicRaw = 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64');
  const enc = (s: string) => new URLSearchParams({ x: s }).toString().slice(2);
  const basicEncoded = 'Basic ' + Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`, 'utf8').toString('base64');
  switch (shape) {
    case 'basic':
      return server.req('POST', p, { form: params, headers: { authorization: basicRaw } });
    case 'basic-urlencoded':
      return server.req('POST', p, { form: params, headers: { authorization: basicEncoded } });
    case 'basic-query':
      return server.req('POST', p, {
        query: params, body: '',
        headers: { authorization: basicRaw, 'content-type': 'application/x-www-form-urlencoded' },
      });
    case 'post':
      return server.req('POST', p, { form: { ...params, client_id: clientId, client_secret: clientSecret } });
  }
}

/** A service-account access token (raw Basic, form body). Asserts success. */
export async function serviceAccountToken(server: TestServer, clientId: string, clientSecret: string): Promise<string> {
  const res = await clientCredentials(server, clientId, clientSecret, 'basic');
  assert.equal(res.status, 200, `client_credentials for ${clientId}: ${res.status} ${res.text}`);
  return res.body.access_token as string;
}

/** 200 token response of docs/design.md §3.2: no-store, no nulls, string token, bearer, numeric expires_in, string scope. */
export function assertTokenResponse(res: HttpResult): void {
  assert.equal(res.status, 200, `token response: ${res.status} ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, 'Cache-Control: no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
  assert.ok(res.body && typeof res.body === 'object', 'JSON object body');
  for (const [k, v] of Object.entries(res.body)) assert.notEqual(v, null, `token response field ${k} is null`);
  assert.equal(typeof res.body.access_token, 'string');
  assert.ok(res.body.access_token.length > 0);
  assert.match(res.body.token_type, /^bearer$/i);
  assert.equal(typeof res.body.expires_in, 'number');
  assert.ok(Number.isFinite(res.body.expires_in) && res.body.expires_in > 0);
  assert.equal(typeof res.body.scope, 'string');
  for (const k of ['id_token', 'refresh_token']) if (k in res.body) assert.equal(typeof res.body[k], 'string');
}

/** Finds `key` anywhere in a JSON value. */
export function deepHasKey(v: unknown, key: string): boolean {
  if (Array.isArray(v)) return v.some((x) => deepHasKey(x, key));
  if (v === null || typeof v !== 'object') return false;
  return Object.entries(v).some(([k, x]) => k === key || deepHasKey(x, key));
}

export interface CspErrorExpect {
  /** RFC 6749 `error` expected in the same body (token endpoints). */
  oauthError?: string;
  /** Substrings the message must contain (e.g. the field name). */
  messageIncludes?: string[];
  /** The caller-sent X-Request-Id to expect back. */
  requestId?: string;
}

/**
 * The CSP error body of docs/design.md §4, field by field: statusCode == HTTP status, moduleCode integer,
 * cspErrorCode "<module>.<code>", errorCode and message non-empty strings, requestId == X-Request-Id;
 * no stack, no known secret in the message.
 */
export function assertCspError(res: HttpResult, status: number | number[], expect: CspErrorExpect = {}, server?: TestServer): void {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `expected HTTP ${statuses.join('/')}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, 'error body is JSON');
  const b = res.body;
  assert.ok(b && typeof b === 'object' && !Array.isArray(b), `error body is a JSON object: ${res.text}`);
  for (const f of ['statusCode', 'moduleCode', 'cspErrorCode', 'errorCode', 'message', 'requestId']) {
    assert.ok(f in b, `error body has ${f}: ${res.text}`);
  }
  assert.equal(b.statusCode, res.status, 'statusCode equals the HTTP status');
  assert.ok(Number.isInteger(b.moduleCode), `moduleCode is an integer: ${JSON.stringify(b.moduleCode)}`);
  assert.equal(typeof b.cspErrorCode, 'string');
  assert.match(b.cspErrorCode, /^\d+\.\d+$/, 'cspErrorCode is "<module>.<code>"');
  assert.equal(b.cspErrorCode.split('.')[0], String(b.moduleCode), 'cspErrorCode starts with moduleCode');
  assert.equal(typeof b.errorCode, 'string');
  assert.ok(b.errorCode.length > 0, 'errorCode non-empty');
  assert.equal(typeof b.message, 'string');
  assert.ok(b.message.length > 0, 'message non-empty');
  assert.equal(typeof b.requestId, 'string');
  assert.ok(b.requestId.length > 0, 'requestId non-empty');
  assert.equal(b.requestId, res.headers.get('x-request-id'), 'requestId equals the X-Request-Id header');
  if (expect.requestId !== undefined) assert.equal(b.requestId, expect.requestId, 'caller X-Request-Id echoed');
  assert.ok(!deepHasKey(b, 'stack'), 'no stack in an error body');
  assert.doesNotMatch(b.message, /\n\s+at |node_modules|\/src\/|\/dist\//, 'no stack trace or path in message');
  for (const s of expect.messageIncludes ?? []) assert.ok(b.message.includes(s), `message ${JSON.stringify(b.message)} mentions ${s}`);
  if (expect.oauthError !== undefined) {
    assert.equal(b.error, expect.oauthError, `RFC 6749 error: ${res.text}`);
    assert.equal(typeof b.error_description, 'string', 'error_description is a string');
  }
  if (server) {
    for (const [secret] of server.secrets()) assert.ok(!res.text.includes(secret), 'no secret in an error body');
  }
  if (res.status === 401 && b.error === 'invalid_client') {
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/i, 'invalid_client carries WWW-Authenticate: Basic');
  }
}

const discoveryCache = new WeakMap<TestServer, Json>();
/** GET /.well-known/openid-configuration (root), cached per server. */
export async function discovery(server: TestServer): Promise<Json> {
  let d = discoveryCache.get(server);
  if (!d) {
    const res = await server.req('GET', '/.well-known/openid-configuration', { root: true });
    assert.equal(res.status, 200, `discovery: ${res.status} ${res.text}`);
    d = res.body;
    discoveryCache.set(server, d);
  }
  return d;
}

/** Verifies an access token against the server's /auth/keys (fresh fetch) and its discovery issuer. */
export async function verifyAccessToken(server: TestServer, token: string): Promise<JWTPayload> {
  const d = await discovery(server);
  const jwks = createRemoteJWKSet(new URL(server.api('/auth/keys')));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: d.issuer, algorithms: ['RS256'] });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(typeof protectedHeader.kid, 'string', 'JWT header has kid');
  return payload;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A caller-supplied secret that meets the complexity rule and needs percent-encoding in Basic (`@`, `!`, `#`). */
export function strongSecret(tag = ''): string {
  return `Str0ng@Secret!#${tag}${Math.random().toString(36).slice(2, 10)}`;
}
