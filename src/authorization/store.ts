// Storage of authorization codes, by the SHA-256 of the code only.
import type { Queryable } from '../db/database.js';
import type { AuthorizationCodesTable, OrgRole } from '../db/schema.js';
import { reusableQuery } from '../db/compiled.js';

export type CodeRow = AuthorizationCodesTable;

/** A code with the person's membership now (null when none), read in one statement for its redemption. */
export interface CodeInRedemption extends CodeRow {
  readonly member_role: OrgRole | null;
  readonly member_developer: number | null;
}

// Every redemption runs these: compiled once (db/compiled.ts).
const rowInRedemption = reusableQuery((db: Queryable, codeHash: string) => db.selectFrom('authorization_codes as c')
  .leftJoin('memberships as m', (join) => join.onRef('m.org_id', '=', 'c.org_id').onRef('m.username', '=', 'c.username'))
  .selectAll('c')
  .select(['m.org_role as member_role', 'm.developer as member_developer'])
  .where('c.code_hash', '=', codeHash));

const claimRow = reusableQuery((db: Queryable, now: number, familyId: string, accessJti: string, accessExpiresAt: number, codeHash: string) =>
  db.updateTable('authorization_codes').set({ used_at: now, family_id: familyId, access_jti: accessJti, access_expires_at: accessExpiresAt })
    .where('code_hash', '=', codeHash).where('used_at', 'is', null));

export async function insertCode(db: Queryable, row: CodeRow): Promise<void> {
  await db.insertInto('authorization_codes').values(row).execute();
}

export async function findCode(db: Queryable, codeHash: string): Promise<CodeRow | undefined> {
  return db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
}

export async function findCodeInRedemption(db: Queryable, codeHash: string): Promise<CodeInRedemption | undefined> {
  return rowInRedemption.first(db, codeHash);
}

/**
 * Marks the code used and records what its redemption will issue, in one conditional UPDATE: of
 * any number of concurrent redemptions exactly one sees `true`.
 */
export async function claimCode(db: Queryable, codeHash: string, now: number, issued: { familyId: string; accessJti: string; accessExpiresAt: number }): Promise<boolean> {
  return (await claimRow.affected(db, now, issued.familyId, issued.accessJti, issued.accessExpiresAt, codeHash)) === 1;
}

export async function purgeExpiredCodes(db: Queryable, before: number): Promise<void> {
  await db.deleteFrom('authorization_codes').where('expires_at', '<', before).execute();
}
