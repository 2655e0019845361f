// Tokens refused before they expire: by token id (revocation), by the secret that minted them
// (regenerate with revokeTokens) or by the API token they came from (API token revoked).
import type { Queryable } from '../db/database.js';
import type { DenylistKind } from '../db/schema.js';
import type { RowWrite } from '../db/writes.js';

export interface DenylistEntry {
  readonly kind: DenylistKind;
  readonly value: string;
}

/** `entries` must not be empty. */
function denyWrite(db: Queryable, entries: readonly DenylistEntry[], until: number): RowWrite {
  return db.insertInto('token_denylist')
    .values(entries.map((e) => ({ kind: e.kind, value: e.value, expires_at: until })))
    .onConflict((oc) => oc.columns(['kind', 'value']).doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })));
}

export async function deny(db: Queryable, entries: readonly DenylistEntry[], until: number): Promise<void> {
  if (entries.length === 0) return;
  await denyWrite(db, entries, until).execute();
}

/** Denies the tokens minted with these secrets, as a write to run with a change's others (db/writes.ts); `secretIds` must not be empty. */
export function denyTokensOfSecretsWrite(db: Queryable, secretIds: readonly string[], until: number): RowWrite {
  return denyWrite(db, secretIds.map((value) => ({ kind: 'sid', value })), until);
}

/** True when any of the entries is on the denylist. */
export async function isDenied(db: Queryable, entries: readonly DenylistEntry[]): Promise<boolean> {
  if (entries.length === 0) return false;
  const row = await db.selectFrom('token_denylist').select('value')
    .where((eb) => eb.or(entries.map((e) => eb.and([eb('kind', '=', e.kind), eb('value', '=', e.value)]))))
    .limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Which of these entries are on the denylist, as `kind:value` (renewal of the memory of tokens not denied). */
export async function deniedAmong(db: Queryable, entries: readonly DenylistEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const wanted = new Set(entries.map(denylistEntryKey));
  // One IN list, not one OR per entry: SQLite bounds the depth of an expression tree.
  const rows = await db.selectFrom('token_denylist').select(['kind', 'value'])
    .where('value', 'in', [...new Set(entries.map((e) => e.value))]).execute();
  return new Set(rows.map(denylistEntryKey).filter((key) => wanted.has(key)));
}

/** `kind:value`: an entry in the key of the memory of tokens not denied (denial-cache.ts). */
export function denylistEntryKey(entry: DenylistEntry): string {
  return `${entry.kind}:${entry.value}`;
}

export async function purgeExpired(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('token_denylist').where('expires_at', '<', now).execute();
}
