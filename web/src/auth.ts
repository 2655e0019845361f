// Sign-in as a public OAuth client of orgauth: authorization_code with PKCE (S256) through the same
// login page as everyone. Tokens live only in this module's memory; a reload signs in again, which the
// session cookie makes silent. During the redirect itself, the PKCE verifier and state wait in
// sessionStorage and are removed the moment the callback arrives (they bind a single-use code).
export const CLIENT_ID = 'orgauth-console';
export const API = '/csp/gateway/am/api';
const AUTHORIZE = '/csp/gateway/discovery';
const PENDING_KEY = 'orgauth-console-pending';

export interface Session {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  expiresAt: number;
  orgId: string;
  username: string;
  perms: string[];
}

let session: Session | undefined;

export function current(): Session | undefined {
  return session;
}

export function redirectUri(): string {
  return `${location.origin}/console/callback`;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(decodeURIComponent(Array.from(json, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''))) as Record<string, unknown>;
}

/** Leaves for the authorization endpoint; comes back at /console/callback. */
export async function signIn(returnTo: string, orgId?: string): Promise<never> {
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo }));
  const params = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri(), state,
    code_challenge: challenge, code_challenge_method: 'S256', scope: 'openid',
  });
  if (orgId) params.set('orgId', orgId);
  location.assign(`${AUTHORIZE}?${params.toString()}`);
  return new Promise<never>(() => undefined);
}

export class SignInError extends Error {}

/** Completes the authorization at /console/callback; returns where the person was going. */
export async function completeSignIn(url: URL): Promise<string> {
  const pendingText = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = pendingText ? JSON.parse(pendingText) as { verifier: string; state: string; returnTo: string } : undefined;
  const error = url.searchParams.get('error');
  if (error) throw new SignInError(url.searchParams.get('error_description') ?? error);
  const code = url.searchParams.get('code');
  if (!pending || !code || url.searchParams.get('state') !== pending.state) {
    throw new SignInError('This sign-in response does not belong to a sign-in started here. Sign in again.');
  }
  await redeem({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), code_verifier: pending.verifier });
  return pending.returnTo;
}

async function redeem(form: Record<string, string>): Promise<void> {
  const response = await fetch(`${API}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ ...form, client_id: CLIENT_ID }).toString(),
    credentials: 'same-origin',
  });
  const body = await response.json().catch(() => ({})) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new SignInError(typeof body.message === 'string' ? body.message : 'The sign-in could not be completed');
  }
  const claims = claimsOf(body.access_token);
  session = {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
    expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000,
    orgId: String(claims.context_name ?? ''),
    username: String(claims.username ?? claims.sub ?? ''),
    perms: Array.isArray(claims.perms) ? claims.perms.map(String) : [],
  };
}

/** A new access token from the refresh token, when there is one; false when the person must sign in again. */
export async function refresh(): Promise<boolean> {
  const refreshToken = session?.refreshToken;
  if (!refreshToken) return false;
  try {
    await redeem({ grant_type: 'refresh_token', refresh_token: refreshToken });
    return true;
  } catch {
    return false;
  }
}

/** Ends the orgauth session (the cookie) and forgets the tokens. */
export async function signOut(): Promise<void> {
  const idToken = session?.idToken;
  session = undefined;
  await fetch(`${API}/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(idToken ? { idToken } : {}),
    credentials: 'same-origin',
  }).catch(() => undefined);
}

export function hasRole(role: string): boolean {
  return session?.perms.includes(`csp:${role}`) ?? false;
}
