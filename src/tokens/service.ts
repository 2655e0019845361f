// The grants (docs/design.md §3): client_credentials for service accounts, API-token exchange for users.
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import type { AppRow } from '../oauth-apps/store.js';
import { appPerms, appScope } from '../oauth-apps/grants.js';
import { resolveApiToken, USER_TOKEN_TTL_SECONDS } from '../identity/service.js';
import { markApiTokenUsed } from '../identity/store.js';
import { rolesToPerms } from '../identity/roles.js';
import { matchSecret } from '../oauth-apps/secret-service.js';
import { findAppWithSecrets, type SecretRow } from '../oauth-apps/secret-store.js';
import { signAccessToken } from './claims.js';
import type { PresentedClient } from './client-auth.js';
import { signIdToken } from '../oidc/id-token.js';
import type { EpochSeen } from '../revocation/denial-cache.js';
import type { TokensContext } from './context.js';

/** RFC 6749 §5.1 success body. Optional members are omitted, never null (strict clients reject nulls). */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export interface AuthenticatedClient {
  readonly app: AppRow;
  readonly secret: SecretRow;
  /** The revocations epoch read while authenticating (with Redis answering): see revocation/denial-cache.ts. */
  readonly revocations?: EpochSeen;
}

/** Client authentication without budgets or copies (a request that claimed no client id): the app and the matching valid secret, or 401. */
export async function authenticateClient(ctx: TokensContext, presented: PresentedClient | undefined): Promise<AuthenticatedClient> {
  if (!presented || presented.secretCandidates.length === 0) throw fail('OAUTH_INVALID_CLIENT', 'Client authentication is required');
  const found = await findAppWithSecrets(ctx.db, presented.clientId);
  if (!found || found.app.state !== 'active' || found.app.public_client === 1) throw fail('OAUTH_INVALID_CLIENT');
  const { app, secrets } = found;
  const now = nowSeconds();
  for (const candidate of presented.secretCandidates) {
    const secret = await matchSecret(secrets, candidate, ctx.verify, now);
    if (secret) {
      ctx.usage.record(app.id, secret.id);
      return { app, secret };
    }
  }
  throw fail('OAUTH_INVALID_CLIENT');
}

export async function clientCredentialsGrant(ctx: TokensContext, client: AuthenticatedClient, orgId: string | undefined): Promise<TokenResponse> {
  const { app, secret } = client;
  const settings = ctx.settings.read(app);
  if (!settings.grantTypes.includes('client_credentials')) {
    throw fail('OAUTH_UNAUTHORIZED_CLIENT', 'The client is not allowed to use client_credentials');
  }
  if (orgId !== undefined && orgId !== app.org_id) {
    throw fail('OAUTH_INVALID_REQUEST', 'orgId is not the organization that owns the client');
  }
  const perms = appPerms(settings);
  const now = nowSeconds();
  const signed = await signAccessToken(ctx.keys, ctx.issuer, {
    sub: app.id,
    azp: app.id,
    cid: app.id,
    context_name: app.org_id,
    context: app.org_id,
    perms,
    username: app.id,
    domain: 'orgauth',
    sid: secret.id,
    app_instance: app.instance_id,
  }, settings.accessTokenTTL, now);
  return {
    access_token: signed.token,
    token_type: 'bearer',
    expires_in: settings.accessTokenTTL,
    scope: appScope(settings, perms),
  };
}

/** The client id of tokens exchanged from API tokens. */
export const API_TOKEN_CLIENT_ID = 'orgauth_api_token';

export async function apiTokenGrant(ctx: TokensContext, apiToken: string | undefined, scope?: string): Promise<TokenResponse> {
  if (!apiToken) throw fail('OAUTH_INVALID_REQUEST', 'api_token is required');
  const holder = await resolveApiToken(ctx.db, apiToken);
  // CSP's wording, which clients match on: "invalid_grant: Invalid refresh token: …".
  if (!holder) throw fail('API_TOKEN_INVALID');
  const perms = rolesToPerms(holder.roles);
  const now = nowSeconds();
  await markApiTokenUsed(ctx.db, holder.tokenId, now);
  const signed = await signAccessToken(ctx.keys, ctx.issuer, {
    sub: holder.username,
    azp: API_TOKEN_CLIENT_ID,
    cid: API_TOKEN_CLIENT_ID,
    context_name: holder.orgId,
    context: holder.orgId,
    perms,
    username: holder.username,
    acct: holder.username,
    domain: domainOf(holder.username),
    ati: holder.tokenId,
  }, USER_TOKEN_TTL_SECONDS, now);
  // CSP returns the API token as the refresh token: clients such as tanzu-cli keep it for their next exchange.
  const response: TokenResponse = {
    access_token: signed.token, token_type: 'bearer', expires_in: USER_TOKEN_TTL_SECONDS, scope: ['openid', ...perms].join(' '), refresh_token: apiToken,
  };
  if (scope?.split(' ').includes('openid')) {
    response.id_token = await signIdToken(ctx, {
      sub: holder.username, clientId: API_TOKEN_CLIENT_ID, authTime: now, orgId: holder.orgId, username: holder.username, ttlSeconds: USER_TOKEN_TTL_SECONDS,
    }, now);
  }
  return response;
}

function domainOf(username: string): string {
  const at = username.lastIndexOf('@');
  return at >= 0 ? username.slice(at + 1) : 'orgauth';
}
