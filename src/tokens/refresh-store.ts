// Storage of people's refresh tokens, by the SHA-256 of the token only. Tokens of one sign-in form
// a family: each use rotates to a new member; a reused member kills the whole family.
import type { Queryable } from '../db/database.js';
import type { RefreshTokensTable } from '../db/schema.js';

export type RefreshTokenRow = RefreshTokensTable;

export async function insertRefreshToken(db: Queryable, row: RefreshTokenRow): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).execute();
}

export async function findRefreshToken(db: Queryable, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Marks the token used; of concurrent uses exactly one sees `true`. */
export async function claimRefreshToken(db: Queryable, tokenHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('refresh_tokens').set({ rotated_at: now })
    .where('token_hash', '=', tokenHash).where('rotated_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function revokeFamilyRows(db: Queryable, familyId: string, now: number): Promise<void> {
  await db.updateTable('refresh_tokens').set({ revoked_at: now }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}

export async function purgeExpiredRefreshTokens(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute();
}
