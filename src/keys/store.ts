// Storage of sealed keys (signing keys, peppers).
import type { Queryable } from '../db/database.js';
import type { KeyPurpose, KeysTable } from '../db/schema.js';

export type KeyRow = KeysTable;

export async function insertKey(db: Queryable, row: KeyRow): Promise<void> {
  await db.insertInto('keys').values(row).onConflict((oc) => oc.column('kid').doNothing()).execute();
}

/** Just the ids of the active keys: a cheap "has anything changed?" check. */
export async function listActiveKids(db: Queryable): Promise<string[]> {
  const rows = await db.selectFrom('keys').select('kid').where('retired_at', 'is', null).execute();
  return rows.map((row) => row.kid);
}

export async function listActiveKeys(db: Queryable, purpose: KeyPurpose): Promise<KeyRow[]> {
  return db.selectFrom('keys').selectAll()
    .where('purpose', '=', purpose).where('retired_at', 'is', null)
    .orderBy('created_at', 'asc').orderBy('kid', 'asc')
    .execute();
}
