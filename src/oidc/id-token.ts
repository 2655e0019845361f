// The OpenID Connect ID token (OIDC Core §2): RS256 with the current signing key, so clients verify
// it with the same JWKS as access tokens. Signed like access tokens (keys/sign-jwt.ts).
import { compactVerify, decodeProtectedHeader } from 'jose';
import { signJwt } from '../keys/sign-jwt.js';
import type { OidcContext } from './context.js';
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

export async function signIdToken(ctx: OidcContext, claims: IdTokenClaims, now: number): Promise<string> {
  return signJwt(ctx.keys.currentSigningKey(), {
    azp: claims.clientId,
    auth_time: claims.authTime,
    context_name: claims.orgId,
    username: claims.username,
    acct: claims.username,
    // Absent members are undefined, which JSON leaves out: spreads here would send the object down
    // V8's slow path (tokens/claims.ts).
    email: claims.username.includes('@') ? claims.username : undefined,
    nonce: claims.nonce,
    iss: ctx.issuer,
    sub: claims.sub,
    aud: claims.clientId,
    iat: now,
    exp: now + claims.ttlSeconds,
  });
}

/**
 * The client an ID token was issued to, when it is one of ours (signature and issuer checked; an
 * expired token is still a fine hint, OIDC RP-Initiated Logout §2). Undefined otherwise.
 */
export async function idTokenHintAudience(ctx: OidcContext, token: string): Promise<{ clientId: string; sub: string } | undefined> {
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== SIGNING_ALGORITHM || typeof header.kid !== 'string') return undefined;
    const key = await ctx.keys.findVerificationKey(header.kid);
    if (!key) return undefined;
    const { payload } = await compactVerify(token, key.verifyKey, { algorithms: [SIGNING_ALGORITHM] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as { iss?: unknown; aud?: unknown; sub?: unknown };
    if (claims.iss !== ctx.issuer || typeof claims.aud !== 'string' || typeof claims.sub !== 'string') return undefined;
    return { clientId: claims.aud, sub: claims.sub };
  } catch {
    return undefined;
  }
}
