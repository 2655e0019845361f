// Steps shared by the tests of the app-management API, the secret lifecycle and docs/design.md §6.4
// additions: the secret operations (regenerate, owner rotation, delete-old and the listing), "does this secret work?", introspection,
// and the audit log read page by page.
import assert from 'node:assert/strict';
import {
  assertCspError, clientCredentials, startServer,
  type HttpResult, type Json, type RequestOptions, type StartOptions, type TestServer,
} from './index.js';

/**
 * A server whose rate limits (docs/design.md §7) cannot get in the way: these files make many management
 * calls and, on purpose, many failed client authentications against one client id.
 */
export function startRoomyServer(opts: StartOptions = {}): Promise<TestServer> {
  return startServer({
    ...opts,
    env: {
      RATE_LIMIT_MANAGEMENT: '100000/60',
      RATE_LIMIT_TOKEN: '100000/60',
      RATE_LIMIT_AUTH_FAILURES: '100000/60',
      ...(opts.env ?? {}),
    },
  });
}

export const appPath = (orgId: string, appId: string): string => `/orgs/${orgId}/oauth-apps/${encodeURIComponent(appId)}`;

/** Op 6: PUT …/secret with `{}`. */
export function regenerateSecret(server: TestServer, token: string, orgId: string, appId: string, opts: Omit<RequestOptions, 'token' | 'json'> = {}): Promise<HttpResult> {
  return server.req('PUT', `${appPath(orgId, appId)}/secret`, { ...opts, token, json: {} });
}

/** Op 7: POST …/secret. */
export function rotateSecret(
  server: TestServer, token: string, orgId: string, appId: string, newClientSecret: string, graceSeconds?: number,
  opts: Omit<RequestOptions, 'token' | 'json'> = {},
): Promise<HttpResult> {
  server.rememberSecret(newClientSecret, 'clientSecret');
  const json: Record<string, unknown> = { newClientSecret };
  if (graceSeconds !== undefined) json.secretRotationExpirationInSeconds = graceSeconds;
  return server.req('POST', `${appPath(orgId, appId)}/secret`, { ...opts, token, json });
}

/** Op 8: DELETE …/secret (no body). */
export function deleteOldSecret(server: TestServer, token: string, orgId: string, appId: string): Promise<HttpResult> {
  return server.req('DELETE', `${appPath(orgId, appId)}/secret`, { token });
}

/** docs/design.md §6.4: GET …/secrets; asserts 200 and an array. */
export async function listSecrets(server: TestServer, token: string, orgId: string, appId: string): Promise<Json[]> {
  const res = await server.req('GET', `${appPath(orgId, appId)}/secrets`, { token });
  assert.equal(res.status, 200, `GET …/secrets: ${res.status} ${res.text}`);
  assert.ok(Array.isArray(res.body), `GET …/secrets answers a JSON array: ${res.text}`);
  return res.body as Json[];
}

/** An op-7 or op-8 success: 200 with an empty body. */
export function assertEmpty200(res: HttpResult, what: string): void {
  assert.equal(res.status, 200, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.text, '', `${what} answers an empty body`);
}

/** True when the token endpoint (raw Basic, form body) accepts this id and secret. */
export async function secretWorks(server: TestServer, clientId: string, secret: string): Promise<boolean> {
  const res = await clientCredentials(server, clientId, secret, 'basic');
  if (res.status === 200) return true;
  assert.equal(res.status, 401, `token endpoint answered neither 200 nor 401: ${res.status} ${res.text}`);
  return false;
}

export async function assertSecretWorks(server: TestServer, clientId: string, secret: string, what: string): Promise<void> {
  const res = await clientCredentials(server, clientId, secret, 'basic');
  assert.equal(res.status, 200, `${what} should work at the token endpoint: ${res.status} ${res.text}`);
}

export async function assertSecretRefused(server: TestServer, clientId: string, secret: string, what: string): Promise<void> {
  const res = await clientCredentials(server, clientId, secret, 'basic');
  assert.equal(res.status, 401, `${what} should be refused with 401: ${res.status} ${res.text}`);
  assertCspError(res, 401, { oauthError: 'invalid_client' }, server);
}

/** A CSP error with this status and errorCode (and, optionally, cspErrorCode). */
export function assertErrorCode(server: TestServer, res: HttpResult, status: number, errorCode: string, cspErrorCode?: string): void {
  assertCspError(res, status, {}, server);
  assert.equal(res.body.errorCode, errorCode, `errorCode: ${res.text}`);
  if (cspErrorCode !== undefined) assert.equal(res.body.cspErrorCode, cspErrorCode, `cspErrorCode: ${res.text}`);
}

/** POST /auth/introspect with a client's credentials (raw Basic); asserts 200 and returns the body. */
export async function introspect(server: TestServer, client: { clientId: string; clientSecret: string }, token: string): Promise<Json> {
  const res = await server.req('POST', '/auth/introspect', { basic: [client.clientId, client.clientSecret], form: { token } });
  assert.equal(res.status, 200, `introspection: ${res.status} ${res.text}`);
  assert.equal(typeof res.body?.active, 'boolean', `introspection body has a boolean active: ${res.text}`);
  return res.body;
}

/** A caller-supplied secret that meets the complexity rule, without characters that need care anywhere. */
export function suppliedSecret(tag = ''): string {
  return `Sup9-${tag}-${Math.random().toString(36).slice(2, 12)}Q!`;
}

/** Every event of GET /orgs/{orgId}/audit-events, following nextLink; also the raw text of every page. */
export async function allAuditEvents(server: TestServer, token: string, orgId: string): Promise<{ events: Json[]; texts: string[] }> {
  const events: Json[] = [];
  const texts: string[] = [];
  let res = await server.req('GET', `/orgs/${orgId}/audit-events`, { token, query: { pageLimit: '200' } });
  for (let page = 0; ; page++) {
    assert.equal(res.status, 200, `audit events: ${res.status} ${res.text}`);
    texts.push(res.text);
    events.push(...(res.body.results as Json[]));
    if (!res.body.nextLink || page > 100) break;
    res = await server.req('GET', res.body.nextLink as string, { token, root: true });
  }
  return { events, texts };
}
