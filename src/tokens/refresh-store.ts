// Storage of people's refresh tokens, by the SHA-256 of the token only. Tokens of one sign-in form
// a family: each use rotates to a new member; a reused member kills the whole family.
import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';
import type { DenylistKind, OrgRole, RefreshTokensTable } from '../db/schema.js';
import { reusableQuery } from '../db/compiled.js';

export type RefreshTokenRow = RefreshTokensTable;

/**
 * What a refresh decides on, read in one statement: the token's row, whether its family or the
 * secret it was minted with is on the denylist, and the person's membership now (null when none).
 */
export interface RefreshTokenInUse extends RefreshTokenRow {
  /** Truthy when denied (SQLite answers 0/1, PostgreSQL a boolean). */
  readonly denied: number | boolean;
  readonly member_role: OrgRole | null;
  readonly member_developer: number | null;
}

// The refresh_token grant runs these on every use: compiled once (db/compiled.ts).
const insertRow = reusableQuery((db: Queryable, tokenHash: string, familyId: string, clientId: string, appInstance: string, username: string,
  orgId: string, scope: string, authTime: number, secretId: string | null, createdAt: number, expiresAt: number) =>
  db.insertInto('refresh_tokens').values({
    token_hash: tokenHash, family_id: familyId, client_id: clientId, app_instance: appInstance, username, org_id: orgId, scope,
    auth_time: authTime, secret_id: secretId, created_at: createdAt, expires_at: expiresAt,
  }));

const claimRow = reusableQuery((db: Queryable, now: number, tokenHash: string) => db.updateTable('refresh_tokens').set({ rotated_at: now })
  .where('token_hash', '=', tokenHash).where('rotated_at', 'is', null).where('revoked_at', 'is', null));

const deniedAs = (kind: DenylistKind) => sql.lit(kind);
const rowInUse = reusableQuery((db: Queryable, tokenHash: string) => db.selectFrom('refresh_tokens as r')
  .leftJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'r.org_id').onRef('m.username', '=', 'r.username'))
  .selectAll('r')
  .select(['m.org_role as member_role', 'm.developer as member_developer'])
  .select((eb) => eb.or([
    eb.exists(eb.selectFrom('token_denylist as d').select('d.value').where('d.kind', '=', deniedAs('refresh_family')).whereRef('d.value', '=', 'r.family_id')),
    eb.exists(eb.selectFrom('token_denylist as d').select('d.value').where('d.kind', '=', deniedAs('sid')).whereRef('d.value', '=', 'r.secret_id')),
  ]).as('denied'))
  .where('r.token_hash', '=', tokenHash));

/** A new member of a family; it has not been rotated or revoked. */
export async function insertRefreshToken(db: Queryable, row: Omit<RefreshTokenRow, 'rotated_at' | 'revoked_at'>): Promise<void> {
  await insertRow.affected(db, row.token_hash, row.family_id, row.client_id, row.app_instance, row.username, row.org_id, row.scope,
    row.auth_time, row.secret_id, row.created_at, row.expires_at);
}

export async function findRefreshToken(db: Queryable, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findRefreshTokenInUse(db: Queryable, tokenHash: string): Promise<RefreshTokenInUse | undefined> {
  return rowInUse.first(db, tokenHash);
}

/** Marks the token used; of concurrent uses exactly one sees `true`. */
export async function claimRefreshToken(db: Queryable, tokenHash: string, now: number): Promise<boolean> {
  return (await claimRow.affected(db, now, tokenHash)) === 1;
}

export async function revokeFamilyRows(db: Queryable, familyId: string, now: number): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}

export async function purgeExpiredRefreshTokens(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute();
}
