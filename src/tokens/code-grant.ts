// The authorization_code grant (RFC 6749 §4.1.3): a code is bound to its client, redirect URI and
// PKCE challenge, lives at most a minute and works once. A second use revokes what the first issued
// (RFC 6749 §4.1.2): its refresh-token family and its access token.
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { fail } from '../errors/errors.js';
import { sha256Base64url } from '../crypto/hash.js';
import { claimCode, findCode, findCodeInRedemption } from '../authorization/store.js';
import { verifierMatches } from '../authorization/pkce.js';
import { deny } from '../revocation/denylist.js';
import type { TokenParams } from './client-auth.js';
import {
  livePerms, newFamilyId, newRefreshTokenValue, personTokenResponse, revokeFamily, signPersonAccessToken, storeRefreshToken,
  type GrantClient, type PersonGrant,
} from './person-tokens.js';
import type { TokenResponse } from './service.js';
import type { TokensContext } from './context.js';

const INVALID_CODE = 'The authorization code is invalid, expired or already used';

export async function authorizationCodeGrant(ctx: TokensContext, grant: GrantClient, params: TokenParams): Promise<TokenResponse> {
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = params;
  if (!code) throw fail('OAUTH_INVALID_REQUEST', 'code is required');
  if (!redirectUri) throw fail('OAUTH_INVALID_REQUEST', 'redirect_uri is required');
  const codeHash = sha256Base64url(code);
  // The code and the person's membership now, in one statement.
  const row = await findCodeInRedemption(ctx.db, codeHash);
  const now = nowSeconds();
  const { client } = grant;
  // Bindings are checked before the code is claimed: a thief without the verifier cannot burn it.
  if (!row || row.client_id !== client.clientId || row.app_instance !== client.appInstance) throw fail('OAUTH_INVALID_GRANT', INVALID_CODE);
  if (row.used_at !== null) {
    await revokeRedemption(ctx, row.family_id, row.access_jti, row.access_expires_at, now + client.refreshTokenTTL);
    throw fail('OAUTH_INVALID_GRANT', INVALID_CODE);
  }
  if (row.expires_at <= now) throw fail('OAUTH_INVALID_GRANT', INVALID_CODE);
  if (row.redirect_uri !== redirectUri) throw fail('OAUTH_INVALID_GRANT', 'redirect_uri differs from the one of the authorization request');
  if (row.code_challenge !== null) {
    if (!verifier || !verifierMatches(row.code_challenge, verifier)) throw fail('OAUTH_INVALID_GRANT', 'The code_verifier does not match the code_challenge');
  } else if (verifier !== undefined) {
    throw fail('OAUTH_INVALID_GRANT', 'A code_verifier was sent but the authorization request had no code_challenge');
  }
  const perms = livePerms(client, row);
  if (!perms) throw fail('OAUTH_INVALID_GRANT', 'The person is no longer a member of the organization');

  const person: PersonGrant = {
    grant, username: row.username, orgId: row.org_id, scope: row.scope.split(' ').filter(Boolean), authTime: row.auth_time, perms, nonce: row.nonce ?? undefined,
  };
  const access = await signPersonAccessToken(ctx, person, now);
  const familyId = newFamilyId();
  const refreshToken = client.issuesRefreshTokens ? newRefreshTokenValue() : undefined;
  // The claim and the refresh token it yields commit together (one shared commit).
  const redeemed = await writeTransaction(ctx.db, async (trx) => {
    if (!(await claimCode(trx, codeHash, now, { familyId, accessJti: access.jti, accessExpiresAt: access.expiresAt }))) return false;
    if (refreshToken) await storeRefreshToken(trx, refreshToken, person, familyId, now + client.refreshTokenTTL, now);
    return true;
  });
  if (!redeemed) {
    // Another request redeemed it first: that one's tokens die too.
    const used = await findCode(ctx.db, codeHash);
    await revokeRedemption(ctx, used?.family_id ?? null, used?.access_jti ?? null, used?.access_expires_at ?? null, now + client.refreshTokenTTL);
    throw fail('OAUTH_INVALID_GRANT', INVALID_CODE);
  }
  return personTokenResponse(ctx, person, access, refreshToken, now);
}

async function revokeRedemption(ctx: TokensContext, familyId: string | null, accessJti: string | null, accessExpiresAt: number | null, familyUntil: number): Promise<void> {
  if (familyId) await revokeFamily(ctx.db, familyId, familyUntil);
  if (accessJti && accessExpiresAt) {
    await deny(ctx.db, [{ kind: 'jti', value: accessJti }], accessExpiresAt);
    // The access token is looked up in every node's denial memory: forgotten there before the answer.
    await ctx.epochs.bumpRevocationsBeforeAcknowledging();
  }
}
