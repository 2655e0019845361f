// Decisions about organizations, users, memberships and API tokens (docs/design.md §2), used by the CLI and
// by the API-token grant.
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import type { OrgRole } from '../db/schema.js';
import { credentialHint, generateOpaqueCredential, isOpaqueCredential } from '../crypto/opaque.js';
import { sha256Base64url } from '../crypto/hash.js';
import { fail } from '../errors/errors.js';
import * as store from './store.js';
import { membershipRoles } from './roles.js';
import { deny } from '../revocation/denylist.js';
import { takeStartupLock } from '../db/startup-lock.js';

/** API tokens live a year unless the operator says otherwise. */
export const DEFAULT_API_TOKEN_TTL_SECONDS = 365 * 24 * 3600;

/** Tokens of users exchanged from API tokens live 1799 s, as CSP's do. */
export const USER_TOKEN_TTL_SECONDS = 1799;

export interface Organization { id: string; displayName: string }
export interface Member { username: string; orgId: string; roles: string[] }
export interface IssuedApiToken { apiToken: string; expiresAt: number; id: string }

export class BootstrapRefusedError extends Error {
  override name = 'BootstrapRefusedError';
}

export async function createOrganization(db: Queryable, displayName: string): Promise<Organization> {
  const org = { id: randomUUID(), display_name: displayName, created_at: nowSeconds() };
  await store.insertOrganization(db, org);
  return { id: org.id, displayName: org.display_name };
}

export async function addMember(db: Queryable, orgId: string, username: string, orgRole: OrgRole, developer: boolean): Promise<Member> {
  if (!(await store.findOrganization(db, orgId))) throw fail('ORG_NOT_FOUND', `Organization ${orgId} not found`);
  const now = nowSeconds();
  await store.ensureUser(db, username, now);
  await store.upsertMembership(db, { org_id: orgId, username, org_role: orgRole, developer: developer ? 1 : 0, created_at: now });
  return { username, orgId, roles: membershipRoles(orgRole, developer) };
}

export async function createApiToken(db: Queryable, orgId: string, username: string, ttlSeconds = DEFAULT_API_TOKEN_TTL_SECONDS): Promise<IssuedApiToken> {
  if (!(await store.findMembership(db, orgId, username))) {
    throw fail('NOT_FOUND', `User ${username} is not a member of organization ${orgId}`);
  }
  const apiToken = generateOpaqueCredential('oat');
  const now = nowSeconds();
  const row = {
    id: randomUUID(),
    token_hash: sha256Base64url(apiToken),
    hint: credentialHint(apiToken),
    username,
    org_id: orgId,
    created_at: now,
    expires_at: now + ttlSeconds,
    revoked_at: null,
    last_used_at: null,
    token_name: null,
  };
  await store.insertApiToken(db, row);
  return { apiToken, expiresAt: row.expires_at, id: row.id };
}

export async function revokeApiToken(db: Queryable, apiToken: string): Promise<boolean> {
  const row = await findApiToken(db, apiToken);
  if (!row) return false;
  await revokeApiTokenRow(db, row);
  return true;
}

export async function findApiToken(db: Queryable, apiToken: string): Promise<store.ApiTokenRow | undefined> {
  return isOpaqueCredential(apiToken, 'oat') ? store.findApiTokenByHash(db, sha256Base64url(apiToken)) : undefined;
}

/** Revokes the API token and the access tokens already exchanged from it. */
export async function revokeApiTokenRow(db: Queryable, row: store.ApiTokenRow): Promise<void> {
  const now = nowSeconds();
  await store.markApiTokenRevoked(db, row.id, now);
  await deny(db, [{ kind: 'api_token', value: row.id }], now + USER_TOKEN_TTL_SECONDS);
}

export interface ApiTokenHolder {
  tokenId: string;
  username: string;
  orgId: string;
  roles: string[];
}

/** The user and org behind a live API token, or undefined when it is unknown, expired or revoked. */
export async function resolveApiToken(db: Queryable, apiToken: string): Promise<ApiTokenHolder | undefined> {
  const row = await findApiToken(db, apiToken);
  const now = nowSeconds();
  if (!row || row.revoked_at !== null || row.expires_at <= now) return undefined;
  const membership = await store.findMembership(db, row.org_id, row.username);
  if (!membership) return undefined;
  return { tokenId: row.id, username: row.username, orgId: row.org_id, roles: membershipRoles(membership.org_role, membership.developer === 1) };
}

/** On an empty database: one org, one owner, one API token. */
export async function bootstrap(db: Db, username: string, orgName: string): Promise<{ orgId: string; username: string; apiToken: string }> {
  return writeTransaction(db, async (trx) => {
    // Two bootstraps at once on PostgreSQL would both see an empty database without the lock.
    await takeStartupLock(trx);
    if ((await store.countOrganizations(trx)) > 0) throw new BootstrapRefusedError('the database is not empty; bootstrap runs only once');
    const org = await createOrganization(trx, orgName);
    await addMember(trx, org.id, username, 'org_owner', true);
    const token = await createApiToken(trx, org.id, username);
    return { orgId: org.id, username, apiToken: token.apiToken };
  });
}

/**
 * Ends a membership. Its API tokens go with it (foreign key); access tokens, sign-ins and refresh
 * tokens of the person in this org stop working at their next use, which reads the membership.
 */
export async function removeMember(db: Queryable, orgId: string, username: string): Promise<{ username: string; orgId: string }> {
  if (!(await store.deleteMembership(db, orgId, username))) throw fail('NOT_FOUND', `User ${username} is not a member of organization ${orgId}`);
  return { username, orgId };
}

export interface ApiTokenDetails {
  tokenId: string;
  userId: string;
  username: string;
  acct: string;
  domain: string;
  orgId: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt?: number;
  scope: string[];
}

/** CSP's details of a live API token (never the token itself), or undefined. */
export async function apiTokenDetails(db: Queryable, apiToken: string): Promise<ApiTokenDetails | undefined> {
  const holder = await resolveApiToken(db, apiToken);
  const row = holder ? await store.findApiTokenById(db, holder.tokenId) : undefined;
  if (!holder || !row) return undefined;
  const at = holder.username.lastIndexOf('@');
  return {
    tokenId: row.id, userId: holder.username, username: holder.username, acct: holder.username,
    domain: at >= 0 ? holder.username.slice(at + 1) : 'orgauth', orgId: holder.orgId,
    createdAt: row.created_at, expiresAt: row.expires_at, ...(row.last_used_at !== null ? { lastUsedAt: row.last_used_at } : {}),
    scope: ['openid', ...holder.roles.map((role) => `csp:${role}`)],
  };
}
