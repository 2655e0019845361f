// Storage of secret verifiers. Rows are never updated in place except to demote current → previous.
import type { Queryable } from '../db/database.js';
import { reusableQuery } from '../db/compiled.js';
import type { AppSecretsTable } from '../db/schema.js';

export type SecretRow = AppSecretsTable;

// Read on every client authentication: compiled once (db/compiled.ts).
const secretsOfApp = reusableQuery((db: Queryable, appId: string) =>
  db.selectFrom('app_secrets').selectAll().where('app_id', '=', appId).orderBy('created_at', 'desc'));

export async function listSecrets(db: Queryable, appId: string): Promise<SecretRow[]> {
  return secretsOfApp.all(db, appId);
}

export async function insertSecret(db: Queryable, row: SecretRow): Promise<void> {
  await db.insertInto('app_secrets').values(row).execute();
}

export async function deleteSecrets(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('app_secrets').where('id', 'in', ids).execute();
}

export async function demoteToPrevious(db: Queryable, id: string, expiresAt: number): Promise<void> {
  await db.updateTable('app_secrets').set({ status: 'previous', expires_at: expiresAt }).where('id', '=', id).execute();
}

export async function recordSecretUse(db: Queryable, id: string, at: number): Promise<void> {
  await db.updateTable('app_secrets').set({ last_used_at: at }).where('id', '=', id).execute();
}
