// Token introspection (RFC 7662) and revocation (RFC 7009) for our access tokens and API tokens.
// A client sees only tokens of its own organization; anything else is simply inactive.
import { nowSeconds } from '../db/database.js';
import { isOrgAuthError } from '../errors/errors.js';
import { findApiToken, resolveApiToken, revokeApiTokenRow } from '../identity/service.js';
import { inspectAccessToken } from './caller.js';
import { verifyAccessToken } from './claims.js';
import { deny } from './denylist.js';
import type { AuthenticatedClient, TokenServiceDeps } from './service.js';

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

export async function introspect(deps: TokenServiceDeps, client: AuthenticatedClient, token: string): Promise<IntrospectionResponse> {
  const orgId = client.app.org_id;
  const apiToken = await findApiToken(deps.db, token);
  if (apiToken) {
    const holder = await resolveApiToken(deps.db, token);
    if (!holder || holder.orgId !== orgId) return INACTIVE;
    return { active: true, token_type: 'api_token', sub: holder.username, username: holder.username, orgId, exp: apiToken.expires_at, iat: apiToken.created_at };
  }
  try {
    const { claims, caller } = await inspectAccessToken(deps.db, deps.keys, deps.issuer, token);
    if (caller.orgId !== orgId) return INACTIVE;
    return {
      active: true,
      token_type: 'Bearer',
      scope: caller.perms.join(' '),
      client_id: claims.cid,
      username: claims.username,
      sub: claims.sub,
      iss: deps.issuer,
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

/** Revokes a token of the client's organization; unknown or foreign tokens are a silent no-op (RFC 7009 §2.2). */
export async function revoke(deps: TokenServiceDeps, client: AuthenticatedClient, token: string): Promise<void> {
  const orgId = client.app.org_id;
  const apiToken = await findApiToken(deps.db, token);
  if (apiToken) {
    if (apiToken.org_id === orgId && apiToken.revoked_at === null) await revokeApiTokenRow(deps.db, apiToken);
    return;
  }
  try {
    const claims = await verifyAccessToken(deps.keys, deps.issuer, token);
    if (claims.context_name !== orgId || !claims.jti) return;
    await deny(deps.db, [{ kind: 'jti', value: claims.jti }], claims.exp ?? nowSeconds() + 86_400);
  } catch (error) {
    if (isOrgAuthError(error)) return; // expired, forged or foreign: nothing to revoke
    throw error;
  }
}
