// What people get at the token endpoint (authorization_code and refresh_token grants): the client
// that asks, authenticated or public; the person's live roles; the access, refresh and ID tokens.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import type { OrgRole } from '../db/schema.js';
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { sha256Base64url } from '../crypto/hash.js';
import { generateOpaqueCredential, isOpaqueCredential } from '../crypto/opaque.js';
import { membershipRoles, rolesToPerms } from '../identity/roles.js';
import { authorizationClientOf, findAuthorizationClient, type AuthorizationClient } from '../authorization/clients.js';
import { signIdToken } from '../oidc/id-token.js';
import { signAccessToken, type SignedToken } from './claims.js';
import { deny } from '../revocation/denylist.js';
import type { PresentedClient } from './client-auth.js';
import { insertRefreshToken, revokeFamilyRows } from './refresh-store.js';
import type { AuthenticatedClient, TokenResponse } from './service.js';
import type { TokensContext } from './context.js';

export interface GrantClient {
  readonly client: AuthorizationClient;
  /** The secret that authenticated the request; null for a public client. */
  readonly secretId: string | null;
}

/**
 * A public client presents only its id (or Basic with an empty secret); a confidential one
 * authenticates through `authenticateConfidential`, the token endpoint's budgeted client authentication.
 */
export async function authenticateGrantClient(
  ctx: TokensContext,
  presented: PresentedClient | undefined,
  authenticateConfidential: () => Promise<AuthenticatedClient>,
): Promise<GrantClient> {
  if (!presented) throw fail('OAUTH_INVALID_CLIENT', 'Client authentication is required');
  if (presented.secretCandidates.every((candidate) => candidate === '')) {
    const client = await findAuthorizationClient(ctx, presented.clientId);
    if (!client?.publicClient) throw fail('OAUTH_INVALID_CLIENT', 'Client authentication is required');
    return { client, secretId: null };
  }
  const { app, secret } = await authenticateConfidential();
  const client = authorizationClientOf(ctx.settings, app);
  if (!client) throw fail('OAUTH_UNAUTHORIZED_CLIENT', 'The client is not allowed to use authorization_code');
  return { client, secretId: secret.id };
}

/** The person's membership as a grant reads it with its code or refresh token (null fields: not a member). */
export interface LiveMembership {
  readonly member_role: OrgRole | null;
  readonly member_developer: number | null;
}

/**
 * The person's roles in the org, read in the same statement as the code or refresh token, as far
 * as the client may carry them; undefined when no longer a member.
 */
export function livePerms(client: AuthorizationClient, membership: LiveMembership): string[] | undefined {
  if (membership.member_role === null) return undefined;
  const roles = membershipRoles(membership.member_role, membership.member_developer === 1);
  const filter = client.roleFilter;
  return rolesToPerms(filter === 'all' ? roles : roles.filter((role) => filter.includes(role)));
}

export interface PersonGrant {
  readonly grant: GrantClient;
  readonly username: string;
  readonly orgId: string;
  readonly scope: readonly string[];
  readonly authTime: number;
  readonly perms: readonly string[];
  /** Only on the code grant (OIDC Core §3.1.3.6). */
  readonly nonce?: string | undefined;
}

export async function signPersonAccessToken(ctx: TokensContext, person: PersonGrant, now: number): Promise<SignedToken> {
  const { client, secretId } = person.grant;
  return signAccessToken(ctx.keys, ctx.issuer, {
    sub: person.username,
    azp: client.clientId,
    cid: client.clientId,
    context_name: person.orgId,
    context: person.orgId,
    perms: [...person.perms],
    username: person.username,
    acct: person.username,
    domain: domainOf(person.username),
    app_instance: client.appInstance,
    // Regenerating with revokeTokens=true refuses the people's tokens minted with the killed secret too.
    // Undefined is left out of the JSON; a spread here would send the object down V8's slow path (claims.ts).
    sid: secretId || undefined,
  }, client.accessTokenTTL, now);
}

/** The token response for a person; the refresh token (when the client may have one) is returned for storing. */
export async function personTokenResponse(ctx: TokensContext, person: PersonGrant, access: SignedToken, refreshToken: string | undefined, now: number): Promise<TokenResponse> {
  const { client } = person.grant;
  const response: TokenResponse = {
    access_token: access.token,
    token_type: 'bearer',
    expires_in: client.accessTokenTTL,
    scope: [...person.scope.filter((word) => !/^(csp:|external\/)/i.test(word)), ...person.perms].join(' '),
  };
  if (person.scope.includes('openid')) {
    response.id_token = await signIdToken(ctx, {
      sub: person.username, clientId: client.clientId, authTime: person.authTime, nonce: person.nonce,
      orgId: person.orgId, username: person.username, ttlSeconds: client.accessTokenTTL,
    }, now);
  }
  if (refreshToken !== undefined) response.refresh_token = refreshToken;
  return response;
}

export function newRefreshTokenValue(): string {
  return generateOpaqueCredential('ort');
}

export function isRefreshTokenValue(value: string): boolean {
  return isOpaqueCredential(value, 'ort');
}

export function refreshTokenHash(value: string): string {
  return sha256Base64url(value);
}

export async function storeRefreshToken(db: Queryable, value: string, person: Pick<PersonGrant, 'grant' | 'username' | 'orgId' | 'scope' | 'authTime'>, familyId: string, expiresAt: number, now: number): Promise<void> {
  await insertRefreshToken(db, {
    token_hash: refreshTokenHash(value),
    family_id: familyId,
    client_id: person.grant.client.clientId,
    app_instance: person.grant.client.appInstance,
    username: person.username,
    org_id: person.orgId,
    scope: person.scope.join(' '),
    auth_time: person.authTime,
    secret_id: person.grant.secretId,
    created_at: now,
    expires_at: expiresAt,
  });
}

/**
 * Kills a refresh-token family: its rows and, through the denylist, any member a concurrent
 * request is still about to store. `until` is when the family would have expired anyway.
 */
export async function revokeFamily(db: Queryable, familyId: string, until: number): Promise<void> {
  const now = nowSeconds();
  await deny(db, [{ kind: 'refresh_family', value: familyId }], Math.max(until, now + 60));
  await revokeFamilyRows(db, familyId, now);
}

export function newFamilyId(): string {
  return randomUUID();
}

function domainOf(username: string): string {
  const at = username.lastIndexOf('@');
  return at >= 0 ? username.slice(at + 1) : 'orgauth';
}
