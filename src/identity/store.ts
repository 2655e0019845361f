// Storage of organizations, users, memberships and API tokens.
import type { Queryable } from '../db/database.js';
import type { ApiTokensTable, MembershipsTable, OrganizationsTable } from '../db/schema.js';

export type OrganizationRow = OrganizationsTable;
export type MembershipRow = MembershipsTable;
export type ApiTokenRow = ApiTokensTable;

export async function insertOrganization(db: Queryable, row: OrganizationRow): Promise<void> {
  await db.insertInto('organizations').values(row).execute();
}

export async function findOrganization(db: Queryable, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countOrganizations(db: Queryable): Promise<number> {
  const row = await db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function ensureUser(db: Queryable, username: string, now: number): Promise<void> {
  await db.insertInto('users').values({ username, created_at: now })
    .onConflict((oc) => oc.column('username').doNothing()).execute();
}

export async function upsertMembership(db: Queryable, row: MembershipRow): Promise<void> {
  await db.insertInto('memberships').values(row)
    .onConflict((oc) => oc.columns(['org_id', 'username']).doUpdateSet({ org_role: row.org_role, developer: row.developer }))
    .execute();
}

export async function findMembership(db: Queryable, orgId: string, username: string): Promise<MembershipRow | undefined> {
  return db.selectFrom('memberships').selectAll()
    .where('org_id', '=', orgId).where('username', '=', username).executeTakeFirst();
}

/** The memberships of these (organization, username) pairs (renewal of copies in use: up to a few hundred at once). */
export async function findMemberships(db: Queryable, pairs: readonly { readonly orgId: string; readonly username: string }[]): Promise<MembershipRow[]> {
  if (pairs.length === 0) return [];
  // Two IN lists, not one OR per pair: SQLite bounds the depth of an expression tree.
  const wanted = new Set(pairs.map((p) => `${p.orgId} ${p.username}`));
  const rows = await db.selectFrom('memberships').selectAll()
    .where('org_id', 'in', [...new Set(pairs.map((p) => p.orgId))])
    .where('username', 'in', [...new Set(pairs.map((p) => p.username))])
    .execute();
  return rows.filter((row) => wanted.has(`${row.org_id} ${row.username}`));
}

export async function insertApiToken(db: Queryable, row: ApiTokenRow): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

export async function findApiTokenByHash(db: Queryable, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findApiTokenById(db: Queryable, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markApiTokenRevoked(db: Queryable, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: now })
    .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Takes the membership row's lock (PostgreSQL) by a no-op update; false when there is no such member. */
export async function lockMembership(db: Queryable, orgId: string, username: string): Promise<boolean> {
  const result = await db.updateTable('memberships').set((eb) => ({ developer: eb.ref('developer') }))
    .where('org_id', '=', orgId).where('username', '=', username).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countLiveApiTokens(db: Queryable, orgId: string, username: string, now: number): Promise<number> {
  const row = await db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId).where('username', '=', username)
    .where('revoked_at', 'is', null).where('expires_at', '>', now).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listApiTokensOf(db: Queryable, orgId: string, username: string, limit: number): Promise<ApiTokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().where('org_id', '=', orgId).where('username', '=', username)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function listMembershipsOf(db: Queryable, username: string): Promise<Array<MembershipRow & { display_name: string }>> {
  return db.selectFrom('memberships').innerJoin('organizations', 'organizations.id', 'memberships.org_id')
    .select(['memberships.org_id', 'memberships.username', 'memberships.org_role', 'memberships.developer', 'memberships.created_at', 'organizations.display_name'])
    .where('memberships.username', '=', username).orderBy('organizations.display_name').orderBy('memberships.org_id').execute();
}

export async function deleteMembership(db: Queryable, orgId: string, username: string): Promise<boolean> {
  const result = await db.deleteFrom('memberships').where('org_id', '=', orgId).where('username', '=', username).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listOrganizations(db: Queryable): Promise<OrganizationRow[]> {
  return db.selectFrom('organizations').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

export async function listMemberships(db: Queryable, orgId: string): Promise<MembershipRow[]> {
  return db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).orderBy('username', 'asc').execute();
}

export async function listApiTokens(db: Queryable, filter: { orgId?: string; username?: string }): Promise<ApiTokenRow[]> {
  let query = db.selectFrom('api_tokens').selectAll();
  if (filter.orgId !== undefined) query = query.where('org_id', '=', filter.orgId);
  if (filter.username !== undefined) query = query.where('username', '=', filter.username);
  return query.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

/** Records an exchange of the API token; at most one write a minute per token (the list shows minutes). */
export async function markApiTokenUsed(db: Queryable, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - 60)])).execute();
}
