// Browser sessions and the sign-in form's CSRF token. Ids are 256-bit random; the database keeps
// their SHA-256. Before sign-in the browser holds only a random login nonce (no database row), and
// the form's CSRF token is an HMAC of whichever cookie the browser holds, so a token never works
// with another browser's cookie. Signing in always starts a new session id (no fixation).
import { hkdfSync, randomBytes } from 'node:crypto';
import { sha256Base64url, hmacSha256 } from '../crypto/hash.js';
import { constantTimeEqual } from '../crypto/compare.js';

export const SESSION_COOKIE = 'orgauth_session';
export const LOGIN_COOKIE = 'orgauth_login';
/** Where the cookies are sent: the authorization endpoint and the logout endpoint. */
export const COOKIE_PATH = '/csp/gateway';
/** How long a person stays signed in without being asked again. */
export const SESSION_TTL_SECONDS = 8 * 3600;
/** How long a sign-in form may stay open. */
export const LOGIN_NONCE_TTL_SECONDS = 3600;

export function newRandomId(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionIdHash(sessionId: string): string {
  return sha256Base64url(sessionId);
}

export interface CookieOptions {
  readonly secure: boolean;
}

export function setCookie(name: string, value: string, maxAgeSeconds: number, options: CookieOptions): string {
  return [`${name}=${value}`, `Path=${COOKIE_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', ...(options.secure ? ['Secure'] : [])].join('; ');
}

export function clearCookie(name: string, options: CookieOptions): string {
  return setCookie(name, '', 0, options);
}

/** One cookie from a Cookie header; only values that look like our ids. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}

/** The key of CSRF tokens, derived from the master key so every node computes the same tokens. */
export function csrfKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'orgauth sign-in csrf', 32));
}

export function csrfToken(key: Buffer, cookieValue: string): string {
  return hmacSha256(key, cookieValue).toString('base64url');
}

export function csrfTokenMatches(key: Buffer, cookieValue: string | undefined, presented: string | undefined): boolean {
  if (!cookieValue || !presented) return false;
  return constantTimeEqual(Buffer.from(csrfToken(key, cookieValue)), Buffer.from(presented));
}
