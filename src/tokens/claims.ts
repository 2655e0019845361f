// The access token (SPEC §3.3): claims, signing and verification. RS256 only.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { KeyRing } from '../keys/keyring.js';
import { SIGNING_ALGORITHM } from '../keys/generate.js';
import { fail, OrgAuthError } from '../errors/errors.js';

/** Tokens of users exchanged from API tokens live 1799 s, as CSP's do. */
export const USER_TOKEN_TTL_SECONDS = 1799;

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
  /** Service-account tokens: the secret that minted the token [ours]. */
  sid?: string;
  /** Service-account tokens: which creation of the app minted the token, should its id be reused [ours]. */
  app_instance?: string;
  /** User tokens: the API token the access token was exchanged from [ours]. */
  ati?: string;
}

export interface SignedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: number;
}

export async function signAccessToken(keys: KeyRing, issuer: string, claims: AccessTokenClaims, ttlSeconds: number, now: number): Promise<SignedToken> {
  const key = keys.currentSigningKey();
  const jti = randomUUID();
  const expiresAt = now + ttlSeconds;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setJti(jti)
    .sign(key.signingKey);
  return { token, jti, expiresAt };
}

/** Verifies signature, algorithm, issuer and lifetime; maps every failure to a 401 from the catalogue. */
export async function verifyAccessToken(keys: KeyRing, issuer: string, token: string): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, async (header) => {
      const key = header.kid ? await keys.findVerificationKey(header.kid) : undefined;
      if (!key) throw fail('INVALID_JWT_SIGNATURE', 'The access token was not signed by a key of this issuer');
      return key.verifyKey;
    }, { issuer, algorithms: [SIGNING_ALGORITHM], requiredClaims: ['exp', 'iat', 'jti', 'sub'] });
    // jose checks `iat` only against a maximum age; a token from a node whose clock runs ahead (or
    // signed with a date in the future) must not start working before its time.
    if (typeof payload.iat === 'number' && payload.iat > Math.floor(Date.now() / 1000) + MAX_CLOCK_SKEW_SECONDS) {
      throw fail('UNAUTHORIZED', 'The access token is not valid yet');
    }
    if (typeof payload.context_name !== 'string' || typeof payload.cid !== 'string' || !Array.isArray(payload.perms)) {
      throw fail('UNAUTHORIZED', 'The access token lacks the claims of this issuer');
    }
    return payload as AccessTokenClaims;
  } catch (error) {
    if (error instanceof OrgAuthError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw fail('EXPIRED_JWT');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw fail('INVALID_JWT_SIGNATURE');
    throw fail('UNAUTHORIZED', 'The access token is invalid');
  }
}
