// Storage of secret verifiers. Rows are never updated in place except to demote current → previous.
import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';
import { reusableQuery } from '../db/compiled.js';
import type { RowWrite } from '../db/writes.js';
import type { AppSecretsTable, OAuthAppsTable } from '../db/schema.js';

export type SecretRow = AppSecretsTable;

export async function listSecrets(db: Queryable, appId: string): Promise<SecretRow[]> {
  return db.selectFrom('app_secrets').selectAll().where('app_id', '=', appId).orderBy('created_at', 'desc').execute();
}

/** An app with all its secret rows, newest first (validity is the caller's to judge). */
export interface AppWithSecrets {
  readonly app: OAuthAppsTable;
  readonly secrets: SecretRow[];
}

// Client authentication reads the app and its secrets on every token, introspection and
// revocation request: one statement instead of two saves SQLite a statement step and the sort
// (bench/results/history.md). The app's columns come once per secret row; an app has one to three.
const appAndSecrets = reusableQuery((db: Queryable, appId: string) => selectAppsAndSecrets(db).where('a.id', '=', appId));

function selectAppsAndSecrets(db: Queryable) {
  return db.selectFrom('oauth_apps as a')
    .leftJoin('app_secrets as s', 's.app_id', 'a.id')
    .selectAll('a')
    .select(['s.id as s_id', 's.verifier as s_verifier', 's.hint as s_hint', 's.status as s_status', 's.created_at as s_created_at',
      's.created_by as s_created_by', 's.expires_at as s_expires_at', 's.last_used_at as s_last_used_at']);
}

type AppAndSecretRow = Awaited<ReturnType<typeof appAndSecrets.all>>[number];

export async function findAppWithSecrets(db: Queryable, appId: string): Promise<AppWithSecrets | undefined> {
  return groupByApp(await appAndSecrets.all(db, appId)).get(appId);
}

/** Several apps with their secrets in one statement; an id without an app is absent from the map. */
export async function findAppsWithSecrets(db: Queryable, appIds: readonly string[]): Promise<Map<string, AppWithSecrets>> {
  if (appIds.length === 0) return new Map();
  return groupByApp(await selectAppsAndSecrets(db).where('a.id', 'in', appIds).execute());
}

function groupByApp(rows: readonly AppAndSecretRow[]): Map<string, AppWithSecrets> {
  const found = new Map<string, AppWithSecrets>();
  for (const r of rows) {
    const { s_id: _id, s_verifier: _v, s_hint: _h, s_status: _s, s_created_at: _c, s_created_by: _b, s_expires_at: _e, s_last_used_at: _u, ...app } = r;
    let entry = found.get(app.id);
    if (!entry) found.set(app.id, (entry = { app, secrets: [] }));
    // Without secrets the left join yields one row whose secret columns are all null.
    if (r.s_id === null || r.s_verifier === null || r.s_hint === null || r.s_status === null || r.s_created_at === null || r.s_created_by === null) continue;
    entry.secrets.push({ id: r.s_id, app_id: app.id, verifier: r.s_verifier, hint: r.s_hint, status: r.s_status, created_at: r.s_created_at,
      created_by: r.s_created_by, expires_at: r.s_expires_at, last_used_at: r.s_last_used_at });
  }
  // Newest first, as listSecrets orders them; the id breaks ties the same way on every node.
  for (const { secrets } of found.values()) secrets.sort((x, y) => y.created_at - x.created_at || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
  return found;
}

// The writes of a secret change, as queries to run together (db/writes.ts).
export function insertSecretWrite(db: Queryable, row: SecretRow): RowWrite {
  return db.insertInto('app_secrets').values(row);
}

export async function insertSecret(db: Queryable, row: SecretRow): Promise<void> {
  await insertSecretWrite(db, row).execute();
}

/** `ids` must not be empty. */
export function deleteSecretsWrite(db: Queryable, ids: readonly string[]): RowWrite {
  return db.deleteFrom('app_secrets').where('id', 'in', ids);
}

export function demoteToPreviousWrite(db: Queryable, id: string, expiresAt: number): RowWrite {
  return db.updateTable('app_secrets').set({ status: 'previous', expires_at: expiresAt }).where('id', '=', id);
}

/** A secret's use to record, with its app (lastUsedAt of both, docs/design.md §6.4). */
export interface SecretUse {
  readonly secretId: string;
  readonly appId: string;
  readonly at: number;
}

/**
 * PostgreSQL: records many uses in one statement, each secret's and app's lastUsedAt moved forward
 * only (another node may have written a later use). Rows locked by a concurrent change are skipped,
 * not waited for: a statement holding many rows while waiting for one could deadlock with a change
 * that holds that one and wants another of them. Returns the secrets and apps it wrote.
 */
export async function recordUsesUnlessLocked(db: Queryable, uses: readonly SecretUse[]): Promise<{ secrets: Set<string>; apps: Set<string> }> {
  const appUse = new Map<string, number>();
  for (const u of uses) appUse.set(u.appId, Math.max(u.at, appUse.get(u.appId) ?? 0));
  const secretIds = uses.map((u) => u.secretId);
  const appIds = [...appUse.keys()];
  const { rows } = await sql<{ kind: 'secret' | 'app'; id: string }>`
    with secret_uses as (
      update app_secrets as s set last_used_at = greatest(s.last_used_at, u.at)
      from unnest(${secretIds}::text[], ${uses.map((u) => u.at)}::bigint[]) as u(id, at)
      where s.id = u.id and s.id in (select id from app_secrets where id = any(${secretIds}::text[]) for update skip locked)
      returning s.id),
    app_uses as (
      update oauth_apps as a set last_used_at = greatest(a.last_used_at, u.at)
      from unnest(${appIds}::text[], ${[...appUse.values()]}::bigint[]) as u(id, at)
      where a.id = u.id and a.id in (select id from oauth_apps where id = any(${appIds}::text[]) for update skip locked)
      returning a.id)
    select 'secret' as kind, id from secret_uses union all select 'app' as kind, id from app_uses`.execute(db);
  const secrets = new Set<string>();
  const apps = new Set<string>();
  for (const r of rows) (r.kind === 'secret' ? secrets : apps).add(r.id);
  return { secrets, apps };
}

export async function recordSecretUse(db: Queryable, id: string, at: number): Promise<void> {
  await db.updateTable('app_secrets').set({ last_used_at: at }).where('id', '=', id).execute();
}

/**
 * SQLite only: where each secret's row is stored (its rowid), so that uses written in that order
 * rewrite neighbouring rows together, a page once rather than once per row.
 */
export async function secretRowPlacesSqlite(db: Queryable, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ id: string; place: number }>`select s.id as id, s.rowid as place
    from json_each(${JSON.stringify(ids)}) as j join app_secrets as s on s.id = j.value`.execute(db);
  return new Map(rows.map((r) => [r.id, r.place]));
}

/** SQLite only: many uses in one statement, `[id, at]` pairs passed as one JSON parameter (stable SQL text). */
export async function recordSecretUsesSqlite(db: Queryable, uses: readonly (readonly [id: string, at: number])[]): Promise<void> {
  if (uses.length === 0) return;
  await sql`update app_secrets set last_used_at = u.at
    from (select value ->> 0 as id, value ->> 1 as at from json_each(${JSON.stringify(uses)})) as u
    where app_secrets.id = u.id`.execute(db);
}
