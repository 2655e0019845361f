// Storage of idempotency records: one per (caller, operation, key), the response sealed.
import type { Queryable } from '../db/database.js';
import type { IdempotencyRecordsTable } from '../db/schema.js';

export type IdempotencyRow = IdempotencyRecordsTable;

/** Inserts a pending record; false when one exists for the scope already. */
export async function claim(db: Queryable, row: IdempotencyRow): Promise<boolean> {
  const result = await db.insertInto('idempotency_records').values(row)
    .onConflict((oc) => oc.column('scope_key').doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function find(db: Queryable, scopeKey: string): Promise<IdempotencyRow | undefined> {
  return db.selectFrom('idempotency_records').selectAll().where('scope_key', '=', scopeKey).executeTakeFirst();
}

export async function complete(db: Queryable, scopeKey: string, statusCode: number, responseSealed: string): Promise<void> {
  await db.updateTable('idempotency_records').set({ status_code: statusCode, response_sealed: responseSealed }).where('scope_key', '=', scopeKey).execute();
}

export async function remove(db: Queryable, scopeKey: string): Promise<void> {
  await db.deleteFrom('idempotency_records').where('scope_key', '=', scopeKey).execute();
}

/** Removes a record only if it is still the one seen (expired or abandoned), so two takers cannot both win. */
export async function removeIfCreatedAt(db: Queryable, scopeKey: string, createdAt: number): Promise<void> {
  await db.deleteFrom('idempotency_records').where('scope_key', '=', scopeKey).where('created_at', '=', createdAt).execute();
}

export async function purgeExpired(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('idempotency_records').where('expires_at', '<', now).execute();
}
