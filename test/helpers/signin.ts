// Steps the sign-in tests share: an app that signs people in, a password set through the CLI, PKCE
// pairs, and a cookie-keeping "browser" that drives the authorization endpoint with plain requests.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { HttpResult, TestServer } from './server.js';
import { createApp, type CreatedApp } from './api.js';

export const AUTHORIZE_PATH = '/csp/gateway/discovery';
export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

/** An app with authorization_code and refresh_token (confidential unless `publicClient: true`). */
export async function createSignInApp(server: TestServer, token: string, orgId: string, overrides: Record<string, unknown> = {}): Promise<CreatedApp> {
  const app = await createApp(server, token, orgId, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    allowedScopes: { generalScopes: ['openid'], organizationScopes: { allRoles: true, roles: [] } },
    ...overrides,
  });
  if (app.clientSecret) server.rememberSecret(app.clientSecret, 'clientSecret');
  return app;
}

let passwordCounter = 0;
/** A fresh password that meets the rules. */
export function newPassword(): string {
  return `Correct horse ${++passwordCounter} battery ${randomBytes(6).toString('hex')}`;
}

/** `orgauth user set-password` with the password on standard input; asserts success. */
export async function setPassword(server: TestServer, username: string, password: string): Promise<void> {
  server.rememberSecret(password, 'clientSecret');
  const r = await server.cliRaw(['user', 'set-password', '--username', username, '--json'], `${password}\n`);
  assert.equal(r.code, 0, `set-password: ${r.stderr}`);
  assert.deepEqual(JSON.parse(r.stdout), { username });
}

export interface Pkce { verifier: string; challenge: string }

export function pkcePair(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A browser of plain requests: keeps cookies, never follows redirects. */
export class PlainBrowser {
  readonly cookies = new Map<string, string>();
  /** `headers` go with every request (e.g. X-Forwarded-For behind a trusted proxy). */
  constructor(private readonly server: TestServer, private readonly headers: Record<string, string> = {}) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: HttpResult): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(query: Record<string, string>): Promise<HttpResult> {
    const res = await this.server.req('GET', AUTHORIZE_PATH, { root: true, query, headers: { ...this.headers, cookie: this.cookieHeader() } });
    this.keep(res);
    return res;
  }

  async post(form: Record<string, string>): Promise<HttpResult> {
    const res = await this.server.req('POST', AUTHORIZE_PATH, { root: true, form, headers: { ...this.headers, cookie: this.cookieHeader() } });
    this.keep(res);
    return res;
  }

  /** Sign in at an authorization URL a client library built; returns the redirect's Location. */
  async signInAt(url: URL, username: string, password: string): Promise<URL> {
    assert.equal(url.origin + url.pathname, this.server.url(AUTHORIZE_PATH), 'the library uses the discovered authorization endpoint');
    const res = await this.signIn(Object.fromEntries(url.searchParams), username, password);
    assert.equal(res.status, 303, `sign-in: ${res.status} ${res.text.slice(0, 200)}`);
    const location = new URL(res.headers.get('location')!);
    const code = location.searchParams.get('code');
    if (code) this.server.rememberSecret(code, 'apiToken');
    return location;
  }

  /** GET the authorization endpoint, expect the sign-in page, submit it. Returns the POST's response. */
  async signIn(query: Record<string, string>, username: string, password: string): Promise<HttpResult> {
    const page = await this.get(query);
    assert.equal(page.status, 200, `sign-in page: ${page.status} ${page.text.slice(0, 300)}`);
    return this.post({ ...formFields(page.text), username, password });
  }
}

/** The hidden fields of the sign-in form (the carried request and csrf_token). */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescape(match[1]!)] = unescape(match[2]!);
  }
  return fields;
}

function unescape(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The query of a redirect's Location; asserts it goes to `redirectUri`. */
export function redirectParams(res: HttpResult, redirectUri = REDIRECT_URI): URLSearchParams {
  assert.ok(res.status === 302 || res.status === 303, `expected a redirect, got ${res.status} ${res.text.slice(0, 300)}`);
  const location = res.headers.get('location') ?? '';
  assert.ok(location.startsWith(`${redirectUri}?`), `redirect to ${redirectUri}, got ${location}`);
  return new URL(location).searchParams;
}

/** The code of a successful authorization response; remembered as a secret (never in a log). */
export function codeOf(server: TestServer, res: HttpResult, state?: string): string {
  const params = redirectParams(res);
  assert.equal(params.get('error'), null, `authorization error: ${params.get('error')} ${params.get('error_description')}`);
  if (state !== undefined) assert.equal(params.get('state'), state);
  const code = params.get('code');
  assert.ok(code, 'the redirect carries a code');
  server.rememberSecret(code, 'apiToken');
  return code;
}

export function authorizeQuery(clientId: string, pkce: Pkce | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: clientId, redirect_uri: REDIRECT_URI, state: randomBytes(8).toString('hex'), scope: 'openid',
    ...(pkce ? { code_challenge: pkce.challenge, code_challenge_method: 'S256' } : {}), ...extra,
  };
}

/** POST /auth/token with authorization_code. `secret` undefined: a public client (client_id only). */
export async function redeemCode(server: TestServer, clientId: string, secret: string | undefined, code: string, verifier: string | undefined, redirectUri = REDIRECT_URI): Promise<HttpResult> {
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...(verifier ? { code_verifier: verifier } : {}) };
  const res = secret === undefined
    ? await server.req('POST', '/auth/token', { form: { ...form, client_id: clientId } })
    : await server.req('POST', '/auth/token', { form, basic: [clientId, secret] });
  return res;
}

export async function refresh(server: TestServer, clientId: string, secret: string | undefined, refreshToken: string): Promise<HttpResult> {
  const form = { grant_type: 'refresh_token', refresh_token: refreshToken };
  return secret === undefined
    ? server.req('POST', '/auth/token', { form: { ...form, client_id: clientId } })
    : server.req('POST', '/auth/token', { form, basic: [clientId, secret] });
}
