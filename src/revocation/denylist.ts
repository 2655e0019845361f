// Tokens refused before they expire: by token id (revocation), by the secret that minted them
// (regenerate with revokeTokens) or by the API token they came from (API token revoked).
import type { Queryable } from '../db/database.js';
import type { DenylistKind } from '../db/schema.js';

export interface DenylistEntry {
  readonly kind: DenylistKind;
  readonly value: string;
}

export async function deny(db: Queryable, entries: readonly DenylistEntry[], until: number): Promise<void> {
  if (entries.length === 0) return;
  await db.insertInto('token_denylist')
    .values(entries.map((e) => ({ kind: e.kind, value: e.value, expires_at: until })))
    .onConflict((oc) => oc.columns(['kind', 'value']).doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })))
    .execute();
}

export async function denyTokensOfSecrets(db: Queryable, secretIds: readonly string[], until: number): Promise<void> {
  await deny(db, secretIds.map((value) => ({ kind: 'sid', value })), until);
}

/** True when any of the entries is on the denylist. */
export async function isDenied(db: Queryable, entries: readonly DenylistEntry[]): Promise<boolean> {
  if (entries.length === 0) return false;
  const row = await db.selectFrom('token_denylist').select('value')
    .where((eb) => eb.or(entries.map((e) => eb.and([eb('kind', '=', e.kind), eb('value', '=', e.value)]))))
    .limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function purgeExpired(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('token_denylist').where('expires_at', '<', now).execute();
}
