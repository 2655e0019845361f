// Storage of sealed keys (signing keys, peppers).
import { nowSeconds, type Queryable } from '../db/database.js';
import type { KeyPurpose, KeysTable } from '../db/schema.js';

export type KeyRow = KeysTable;

export async function insertKey(db: Queryable, row: KeyRow): Promise<void> {
  await db.insertInto('keys').values(row).onConflict((oc) => oc.column('kid').doNothing()).execute();
}

/** Just the ids of the active keys: a cheap "has anything changed?" check. */
export async function listActiveKids(db: Queryable, now = nowSeconds()): Promise<string[]> {
  const rows = await db.selectFrom('keys').select('kid')
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)])).execute();
  return rows.map((row) => row.kid);
}

/** Keys not retired yet: a key being retired stays active (verifies, is in JWKS) until its retired_at. */
export async function listActiveKeys(db: Queryable, purpose: KeyPurpose, now = nowSeconds()): Promise<KeyRow[]> {
  return db.selectFrom('keys').selectAll()
    .where('purpose', '=', purpose).where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)]))
    .orderBy('created_at', 'asc').orderBy('kid', 'asc')
    .execute();
}

/** Every key of a purpose, retired or not, oldest first. */
export async function listAllKeys(db: Queryable, purpose: KeyPurpose): Promise<KeyRow[]> {
  return db.selectFrom('keys').selectAll().where('purpose', '=', purpose)
    .orderBy('created_at', 'asc').orderBy('kid', 'asc').execute();
}

export async function setRetiredAt(db: Queryable, kid: string, retiredAt: number): Promise<void> {
  await db.updateTable('keys').set({ retired_at: retiredAt }).where('kid', '=', kid).execute();
}
