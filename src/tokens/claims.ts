// The access token (docs/design.md §3.3): claims, signing and verification. RS256 only.
import { randomUUID } from 'node:crypto';
import { jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { KeyRing } from '../keys/keyring.js';
import { SIGNING_ALGORITHM } from '../keys/generate.js';
import { signJwt } from '../keys/sign-jwt.js';
import { fail, OrgAuthError } from '../errors/errors.js';
import { createVerifiedTokenCache, type VerifiedTokenCache } from './verified-tokens.js';

/** Clock skew tolerated between nodes for `iat`: a token issued later than this ahead of us is not valid yet. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  azp: string;
  cid: string;
  context_name: string;
  context: string;
  perms: string[];
  username: string;
  domain: string;
  /** User tokens: the account. */
  acct?: string;
  /** Service-account tokens: the secret that minted the token (beyond CSP). */
  sid?: string;
  /** Service-account tokens: which creation of the app minted the token, should its id be reused (beyond CSP). */
  app_instance?: string;
  /** User tokens: the API token the access token was exchanged from (beyond CSP). */
  ati?: string;
}

export interface SignedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: number;
}

/**
 * Signed on the libuv pool (keys/sign-jwt.ts); `jti` is new for every token. `claims` is the
 * caller's own fresh object and is completed in place with iss, iat, exp and jti: a spread copy with
 * four more members takes V8's slow property path (alone in a loop, 5.9 µs per token against 1.2 µs
 * for building the claims this way and their JSON).
 */
export async function signAccessToken(keys: KeyRing, issuer: string, claims: AccessTokenClaims, ttlSeconds: number, now: number): Promise<SignedToken> {
  const jti = randomUUID();
  const expiresAt = now + ttlSeconds;
  claims.iss = issuer;
  claims.iat = now;
  claims.exp = expiresAt;
  claims.jti = jti;
  const token = await signJwt(keys.currentSigningKey(), claims);
  return { token, jti, expiresAt };
}

/** What verifying an access token needs: the keys, the issuer, and the signatures this node has checked. */
export interface AccessTokenVerifier {
  readonly keys: KeyRing;
  readonly issuer: string;
  readonly verified: VerifiedTokenCache<AccessTokenClaims>;
}

export function createAccessTokenVerifier(keys: KeyRing, issuer: string): AccessTokenVerifier {
  return { keys, issuer, verified: createVerifiedTokenCache<AccessTokenClaims>() };
}

/** Verifies signature, algorithm, issuer and lifetime; maps every failure to a 401 from the catalogue. */
export async function verifyAccessToken(verifier: AccessTokenVerifier, token: string): Promise<AccessTokenClaims> {
  const { keys, issuer, verified } = verifier;
  const known = verified.get(token);
  if (known && known.claims.iss === issuer && keys.signingKeys().some((key) => key.kid === known.kid)) {
    checkLifetime(known.claims);
    return known.claims;
  }
  let kid = '';
  try {
    const { payload } = await jwtVerify(token, async (header) => {
      const key = header.kid ? await keys.findVerificationKey(header.kid) : undefined;
      if (!key) throw fail('INVALID_JWT_SIGNATURE', 'The access token was not signed by a key of this issuer');
      kid = key.kid;
      return key.verifyKey;
    }, { issuer, algorithms: [SIGNING_ALGORITHM], requiredClaims: ['exp', 'iat', 'jti', 'sub'] });
    checkLifetime(payload);
    if (typeof payload.context_name !== 'string' || typeof payload.cid !== 'string' || !Array.isArray(payload.perms)) {
      throw fail('UNAUTHORIZED', 'The access token lacks the claims of this issuer');
    }
    // Shared by every request that presents this token from now on: nobody may change it.
    Object.freeze(payload.perms);
    const claims = Object.freeze(payload) as AccessTokenClaims;
    verified.remember(token, { claims, kid });
    return claims;
  } catch (error) {
    if (error instanceof OrgAuthError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw fail('EXPIRED_JWT');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw fail('INVALID_JWT_SIGNATURE');
    throw fail('UNAUTHORIZED', 'The access token is invalid');
  }
}

/**
 * The time checks, which a remembered signature does not settle: expired as jose counts it
 * (`exp` at or before now), and not valid yet. jose checks `iat` only against a maximum age; a
 * token from a node whose clock runs ahead (or signed with a date in the future) must not start
 * working before its time.
 */
function checkLifetime(claims: JWTPayload): void {
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw fail('EXPIRED_JWT');
  if (typeof claims.iat === 'number' && claims.iat > now + MAX_CLOCK_SKEW_SECONDS) {
    throw fail('UNAUTHORIZED', 'The access token is not valid yet');
  }
}
