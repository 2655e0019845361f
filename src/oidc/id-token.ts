// The OpenID Connect ID token (OIDC Core §2): RS256 with the current signing key, so clients verify
// it with the same JWKS as access tokens.
import { SignJWT } from 'jose';
import type { KeyRing } from '../keys/keyring.js';
import { SIGNING_ALGORITHM } from '../keys/generate.js';

/** ID tokens are read once, at sign-in: they live as long as the access token issued with them. */
export interface IdTokenClaims {
  readonly sub: string;
  readonly clientId: string;
  readonly authTime: number;
  readonly nonce?: string | undefined;
  readonly orgId: string;
  readonly username: string;
  readonly ttlSeconds: number;
}

export async function signIdToken(keys: KeyRing, issuer: string, claims: IdTokenClaims, now: number): Promise<string> {
  const key = keys.currentSigningKey();
  const payload: Record<string, unknown> = {
    azp: claims.clientId,
    auth_time: claims.authTime,
    context_name: claims.orgId,
    username: claims.username,
    acct: claims.username,
    ...(claims.username.includes('@') ? { email: claims.username } : {}),
  };
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(claims.sub)
    .setAudience(claims.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + claims.ttlSeconds)
    .sign(key.privateKey);
}
