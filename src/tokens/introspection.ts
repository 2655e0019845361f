// Token introspection (RFC 7662) and revocation (RFC 7009) for our access tokens and API tokens.
// A client sees only tokens of its own organization; anything else is simply inactive.
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { recordAudit, type RequestActor } from '../audit/record.js';
import { appOrgRoles } from '../oauth-apps/grants.js';
import { fail, isOrgAuthError } from '../errors/errors.js';
import { ORG_MANAGER_ROLES } from '../identity/roles.js';
import { findApiToken, resolveApiToken, revokeApiTokenRow } from '../identity/service.js';
import { inspectAccessToken } from './caller.js';
import { verifyAccessToken, type AccessTokenClaims } from './claims.js';
import { deny, isDenied } from '../revocation/denylist.js';
import type { AuthenticatedClient } from './service.js';
import { isRefreshTokenValue, refreshTokenHash, revokeFamily } from './person-tokens.js';
import { findRefreshToken, type RefreshTokenRow } from './refresh-store.js';
import type { TokensContext } from './context.js';

export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  sub?: string;
  iss?: string;
  jti?: string;
  orgId?: string;
  context_name?: string;
  perms?: string[];
}

const INACTIVE: IntrospectionResponse = { active: false };

export async function introspect(ctx: TokensContext, client: AuthenticatedClient, token: string): Promise<IntrospectionResponse> {
  const orgId = client.app.org_id;
  if (isRefreshTokenValue(token)) return introspectRefreshToken(ctx, orgId, token);
  const apiToken = await findApiToken(ctx.db, token);
  if (apiToken) {
    const holder = await resolveApiToken(ctx.db, token);
    if (!holder || holder.orgId !== orgId) return INACTIVE;
    return { active: true, token_type: 'api_token', sub: holder.username, username: holder.username, orgId, exp: apiToken.expires_at, iat: apiToken.created_at };
  }
  try {
    // The client's own row was read during this request (or vouched for by its epoch): as fresh as a
    // database read when the token is the client's own.
    const known = { app: client.app, ...(ctx.denials && client.revocations ? { denials: { cache: ctx.denials, seen: client.revocations } } : {}) };
    const { claims, caller } = await inspectAccessToken(ctx, token, known);
    if (caller.orgId !== orgId) return INACTIVE;
    return {
      active: true,
      token_type: 'Bearer',
      scope: caller.perms.join(' '),
      client_id: claims.cid,
      username: claims.username,
      sub: claims.sub,
      iss: ctx.issuer,
      jti: claims.jti ?? '',
      exp: claims.exp ?? 0,
      iat: claims.iat ?? 0,
      orgId,
      context_name: orgId,
      perms: [...caller.perms],
    };
  } catch (error) {
    if (isOrgAuthError(error)) return INACTIVE;
    throw error;
  }
}

/** Where the revocation request came from, for the audit log. */
export interface RevocationOrigin {
  readonly requestId: string;
  readonly sourceAddress: string;
}

/**
 * Revokes a token of the client's organization; unknown, expired or foreign tokens are a silent
 * no-op (RFC 7009 §2.2). A client may revoke the tokens issued to itself; a token issued to another
 * client, a user's token or an API token only if the client holds org_owner or org_admin — RFC 7009
 * §2.1 has the server check that the token was issued to the client, and without this rule any app
 * of an organization could log its owner out. Each revocation is in the audit log.
 */
export async function revoke(ctx: TokensContext, client: AuthenticatedClient, token: string, origin: RevocationOrigin): Promise<void> {
  const orgId = client.app.org_id;
  const actor: RequestActor = {
    subject: client.app.id, kind: 'service', orgId, roles: appOrgRoles(ctx.settings.read(client.app)), ...origin,
  };
  if (isRefreshTokenValue(token)) {
    const row = await findRefreshToken(ctx.db, refreshTokenHash(token));
    if (!row || row.org_id !== orgId) return;
    if (row.client_id !== client.app.id) assertMayRevokeOthers(actor);
    await revokeRefreshFamily(ctx, actor, row);
    return;
  }
  const apiToken = await findApiToken(ctx.db, token);
  if (apiToken) {
    if (apiToken.org_id !== orgId) return;
    assertMayRevokeOthers(actor);
    if (apiToken.revoked_at === null) {
      await writeTransaction(ctx.db, async (trx) => {
        await revokeApiTokenRow(trx, apiToken);
        await recordAudit(trx, actor, 'token.revoke', null, null, { tokenType: 'api_token', tokenId: apiToken.id, subject: apiToken.username });
      });
    }
    // Its access tokens are looked up in every node's denial memory: none may answer from it once
    // the 200 is sent (again when revoked before, as for access tokens below).
    await ctx.epochs.bumpRevocationsBeforeAcknowledging();
    return;
  }
  let claims: AccessTokenClaims;
  try {
    claims = await verifyAccessToken(ctx.accessTokens, token);
  } catch (error) {
    if (isOrgAuthError(error)) return; // expired, forged or foreign: nothing to revoke
    throw error;
  }
  if (claims.context_name !== orgId || !claims.jti) return;
  const issuedToThisClient = claims.acct === undefined && claims.cid === client.app.id;
  if (!issuedToThisClient) assertMayRevokeOthers(actor);
  const jti = claims.jti;
  const entry = { kind: 'jti', value: jti } as const;
  // Revoked before: one audit record per revocation, but the bump again, since the earlier request
  // may have stopped between its commit and its bump.
  if (!(await isDenied(ctx.db, [entry]))) {
    await writeTransaction(ctx.db, async (trx) => {
      await deny(trx, [entry], claims.exp ?? nowSeconds() + 86_400);
      await recordAudit(trx, actor, 'token.revoke', claims.acct === undefined ? claims.cid : null, null, { tokenType: 'access_token', tokenId: jti, subject: claims.sub });
    });
  }
  // No node may keep answering from its memory that this token is not denied once the 200 is sent.
  await ctx.epochs.bumpRevocationsBeforeAcknowledging();
}

/** CSP's introspection of refresh tokens: active while the token is unused, unexpired and its family alive. */
async function introspectRefreshToken(ctx: TokensContext, orgId: string, token: string): Promise<IntrospectionResponse> {
  const row = await findRefreshToken(ctx.db, refreshTokenHash(token));
  if (!row || row.org_id !== orgId || row.rotated_at !== null || row.revoked_at !== null || row.expires_at <= nowSeconds()) return INACTIVE;
  const denials = [{ kind: 'refresh_family' as const, value: row.family_id }, ...(row.secret_id ? [{ kind: 'sid' as const, value: row.secret_id }] : [])];
  if (await isDenied(ctx.db, denials)) return INACTIVE;
  return { active: true, token_type: 'refresh_token', client_id: row.client_id, sub: row.username, username: row.username, orgId, scope: row.scope, exp: row.expires_at, iat: row.created_at };
}

/** Revokes a refresh token of a public client, which has no secret to authenticate with: only its own tokens. */
export async function revokePublicClientRefreshToken(ctx: TokensContext, clientId: string, token: string, origin: RevocationOrigin): Promise<void> {
  if (!isRefreshTokenValue(token)) return;
  const row = await findRefreshToken(ctx.db, refreshTokenHash(token));
  if (!row || row.client_id !== clientId) return;
  await revokeRefreshFamily(ctx, { subject: clientId, kind: 'service', orgId: row.org_id, roles: [], ...origin }, row);
}

async function revokeRefreshFamily(ctx: TokensContext, actor: RequestActor, row: RefreshTokenRow): Promise<void> {
  if (row.revoked_at !== null) return;
  await writeTransaction(ctx.db, async (trx) => {
    await revokeFamily(trx, row.family_id, row.expires_at);
    await recordAudit(trx, actor, 'token.revoke', row.client_id, null, { tokenType: 'refresh_token', subject: row.username });
  });
}

function assertMayRevokeOthers(actor: RequestActor): void {
  if (!actor.roles.some((role) => ORG_MANAGER_ROLES.includes(role))) {
    throw fail('OAUTH_UNAUTHORIZED_CLIENT', 'The token was not issued to this client; revoking it needs the org_owner or org_admin role');
  }
}
