// Storage of authorization codes, by the SHA-256 of the code only.
import type { Queryable } from '../db/database.js';
import type { AuthorizationCodesTable } from '../db/schema.js';

export type CodeRow = AuthorizationCodesTable;

export async function insertCode(db: Queryable, row: CodeRow): Promise<void> {
  await db.insertInto('authorization_codes').values(row).execute();
}

export async function findCode(db: Queryable, codeHash: string): Promise<CodeRow | undefined> {
  return db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
}

/**
 * Marks the code used and records what its redemption will issue, in one conditional UPDATE: of
 * any number of concurrent redemptions exactly one sees `true`.
 */
export async function claimCode(db: Queryable, codeHash: string, now: number, issued: { familyId: string; accessJti: string; accessExpiresAt: number }): Promise<boolean> {
  const result = await db.updateTable('authorization_codes')
    .set({ used_at: now, family_id: issued.familyId, access_jti: issued.accessJti, access_expires_at: issued.accessExpiresAt })
    .where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function purgeExpiredCodes(db: Queryable, before: number): Promise<void> {
  await db.deleteFrom('authorization_codes').where('expires_at', '<', before).execute();
}
