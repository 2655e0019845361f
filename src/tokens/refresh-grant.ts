// The refresh_token grant (RFC 6749 §6) for people: every use rotates the token; a token used twice
// is a stolen copy or its victim, so the whole family dies (RFC 9700 §4.14.2). The person's
// membership is read again each time (with the token and its denials, in one statement), and the
// client's secret and instance must still be the ones the family may be used with.
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { fail } from '../errors/errors.js';
import type { TokenParams } from './client-auth.js';
import { claimRefreshToken, findRefreshTokenInUse } from './refresh-store.js';
import {
  isRefreshTokenValue, livePerms, newRefreshTokenValue, personTokenResponse, refreshTokenHash, revokeFamily, signPersonAccessToken, storeRefreshToken,
  type GrantClient, type PersonGrant,
} from './person-tokens.js';
import type { TokenResponse } from './service.js';
import type { TokensContext } from './context.js';

const INVALID_REFRESH = 'The refresh token is invalid, expired or revoked';

export async function refreshTokenGrant(ctx: TokensContext, grant: GrantClient, params: TokenParams): Promise<TokenResponse> {
  const value = params.refresh_token;
  if (!value) throw fail('OAUTH_INVALID_REQUEST', 'refresh_token is required');
  if (!isRefreshTokenValue(value)) throw fail('OAUTH_INVALID_GRANT', INVALID_REFRESH);
  const tokenHash = refreshTokenHash(value);
  const row = await findRefreshTokenInUse(ctx.db, tokenHash);
  const now = nowSeconds();
  const { client } = grant;
  if (!client.issuesRefreshTokens) throw fail('OAUTH_UNAUTHORIZED_CLIENT', 'The client is not allowed to use refresh_token');
  if (!row || row.client_id !== client.clientId) throw fail('OAUTH_INVALID_GRANT', INVALID_REFRESH);
  if (row.app_instance !== client.appInstance || row.expires_at <= now || row.revoked_at !== null) throw fail('OAUTH_INVALID_GRANT', INVALID_REFRESH);
  // Its family revoked, or the secret it was minted with killed with revokeTokens.
  if (row.denied) throw fail('OAUTH_INVALID_GRANT', INVALID_REFRESH);
  const requested = params.scope?.split(' ').filter(Boolean);
  const granted = row.scope.split(' ').filter(Boolean);
  if (requested && requested.some((word) => !granted.includes(word))) throw fail('OAUTH_INVALID_SCOPE', 'The scope asked for exceeds the scope of the sign-in');
  const perms = livePerms(client, row);
  if (!perms) {
    // The person left the organization: the sign-in ends with them.
    await revokeFamily(ctx.db, row.family_id, row.expires_at);
    throw fail('OAUTH_INVALID_GRANT', 'The person is no longer a member of the organization');
  }
  const next = newRefreshTokenValue();
  const member = { grant, username: row.username, orgId: row.org_id, authTime: row.auth_time };
  // The claim and its successor commit together (on SQLite in a commit shared with others that
  // arrive at the same time, docs/design.md §6.3): a crash between them cannot leave a family whose
  // last member is used and has no successor.
  // The family keeps its end of life: rotation never extends a sign-in beyond refreshTokenTTL.
  const rotated = await writeTransaction(ctx.db, async (trx) => {
    if (!(await claimRefreshToken(trx, tokenHash, now))) return false;
    await storeRefreshToken(trx, next, { ...member, scope: granted }, row.family_id, row.expires_at, now);
    return true;
  });
  if (!rotated) {
    await revokeFamily(ctx.db, row.family_id, row.expires_at);
    throw fail('OAUTH_INVALID_GRANT', INVALID_REFRESH);
  }
  const person: PersonGrant = { ...member, scope: requested ?? granted, perms };
  const access = await signPersonAccessToken(ctx, person, now);
  return personTokenResponse(ctx, person, access, next, now);
}
