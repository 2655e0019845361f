// Storage of OAuth apps. Settings live in one JSON column; columns exist only for what queries filter on.
import { sql } from 'kysely';
import type { Queryable } from '../db/database.js';
import { reusableQuery } from '../db/compiled.js';
import type { RowWrite } from '../db/writes.js';
import type { OAuthAppsTable } from '../db/schema.js';

export type AppRow = OAuthAppsTable;

// Every insert, state change and delete of an app goes through this file and moves the org's
// stored count of active apps in the same transaction, so the listing's totalResults read from it
// is exact at every commit.
export async function insertApp(db: Queryable, row: AppRow): Promise<void> {
  await db.insertInto('oauth_apps').values(row).execute();
  if (row.state === 'active') await addToActiveCount(db, row.org_id, 1);
}

async function addToActiveCount(db: Queryable, orgId: string, delta: number): Promise<void> {
  if (delta === 0) return;
  // An org gets its row with its first app; the backfill gave one to every org that had apps.
  await db.insertInto('org_app_counts').values({ org_id: orgId, active_apps: delta })
    .onConflict((oc) => oc.column('org_id').doUpdateSet((eb) => ({ active_apps: eb('org_app_counts.active_apps', '+', delta) })))
    .execute();
}

// Read on every management call made with an app's own token: compiled once (db/compiled.ts).
// Client authentication reads the app with its secrets instead (secret-store.ts).
const appById = reusableQuery((db: Queryable, id: string) => db.selectFrom('oauth_apps').selectAll().where('id', '=', id));

export async function findAppById(db: Queryable, id: string): Promise<AppRow | undefined> {
  return appById.first(db, id);
}

/** The rows of these apps, by id (renewal of copies in use: up to a few hundred ids at once). */
export async function findAppsByIds(db: Queryable, ids: readonly string[]): Promise<Map<string, AppRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('oauth_apps').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

export async function findAppInOrg(db: Queryable, orgId: string, id: string): Promise<AppRow | undefined> {
  return db.selectFrom('oauth_apps').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
}

/**
 * Takes the app's write lock for the rest of the transaction and returns the row. The UPDATE is
 * what serializes concurrent changes: a row lock on PostgreSQL, the database write lock on SQLite.
 */
export async function lockAppInOrg(db: Queryable, orgId: string, id: string): Promise<AppRow | undefined> {
  return db.updateTable('oauth_apps').set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', id).where('org_id', '=', orgId)
    .returningAll().executeTakeFirst();
}

export function updateAppWrite(db: Queryable, id: string, changes: Partial<AppRow>): RowWrite {
  return db.updateTable('oauth_apps').set(changes).where('id', '=', id);
}

export async function updateApp(db: Queryable, id: string, changes: Partial<AppRow>): Promise<void> {
  await updateAppWrite(db, id, changes).execute();
}

/** Deletes the app; false when it was already gone. */
export async function deleteApp(db: Queryable, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom('oauth_apps').where('id', '=', id).returning(['org_id', 'state']).executeTakeFirst();
  if (deleted?.state === 'active') await addToActiveCount(db, deleted.org_id, -1);
  return deleted !== undefined;
}

export interface AppPageQuery {
  readonly orgId: string;
  /** Lower-cased substring of display name or id. */
  readonly searchTerm?: string | undefined;
  readonly offset: number;
  readonly limit: number;
}

/** What the listing shows of an app (view.ts): reading only these columns makes a page's rows markedly cheaper to build. */
export const LISTED_COLUMNS = [
  'id', 'org_id', 'display_name', 'public_client', 'settings', 'created_at', 'created_by', 'updated_at', 'updated_by', 'last_used_at', 'secret_set_at',
] as const;
export type ListedApp = Pick<AppRow, (typeof LISTED_COLUMNS)[number]>;

// The unfiltered listing is the common one: compiled once (db/compiled.ts). `state` is a literal so
// that the parameters are exactly the template's. Each row carries the org's stored count, so the
// page and its total come from one statement and one snapshot.
const activePage = reusableQuery((db: Queryable, countOrgId: string, orgId: string, limit: number, offset: number) => db.selectFrom('oauth_apps').select(LISTED_COLUMNS)
  .select((eb) => eb.selectFrom('org_app_counts').select('active_apps').where('org_id', '=', countOrgId).as('org_active_apps'))
  .where('org_id', '=', orgId).where('state', '=', sql.lit('active'))
  .orderBy('created_at', 'asc').orderBy('id', 'asc').limit(limit).offset(offset));
const activeCount = reusableQuery((db: Queryable, orgId: string) => db.selectFrom('org_app_counts').select('active_apps').where('org_id', '=', orgId));

// An app being deleted is already gone for the API (docs/design.md §5.1, bulk delete).
export async function listAppsInOrg(db: Queryable, query: AppPageQuery): Promise<{ rows: ListedApp[]; total: number }> {
  if (!query.searchTerm) {
    const rows = await activePage.all(db, query.orgId, query.orgId, query.limit, query.offset);
    // A page past the end has no row to carry the count.
    const stored = rows.length > 0 ? rows[0]!.org_active_apps : (await activeCount.first(db, query.orgId))?.active_apps;
    return { rows, total: Number(stored ?? 0) };
  }
  const pattern = `%${query.searchTerm.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  // ESCAPE is spelled out: SQLite has no default escape character for LIKE.
  const base = db.selectFrom('oauth_apps').where('org_id', '=', query.orgId).where('state', '=', 'active')
    .where(sql<boolean>`(lower(display_name) like ${pattern} escape '\\' or lower(id) like ${pattern} escape '\\')`);
  const rows = await base.select(LISTED_COLUMNS).orderBy('created_at', 'asc').orderBy('id', 'asc').offset(query.offset).limit(query.limit).execute();
  const total = knownTotal(query, rows.length) ?? Number((await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
  return { rows, total };
}

/**
 * The total a filtered page already tells: a page with items but fewer than asked for is the last
 * one. A full page, or an empty one past the start, says nothing of what lies beyond: those are
 * counted, as no stored count knows a filter.
 */
function knownTotal(query: AppPageQuery, found: number): number | undefined {
  return found < query.limit && (found > 0 || query.offset === 0) ? query.offset + found : undefined;
}

/** Marks the org's listed active apps as being deleted; returns the ids it marked. */
export async function markDeleting(db: Queryable, orgId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.updateTable('oauth_apps').set((eb) => ({ state: 'deleting', version: eb('version', '+', 1) }))
    .where('org_id', '=', orgId).where('id', 'in', ids).where('state', '=', 'active')
    .returning('id').execute();
  await addToActiveCount(db, orgId, -rows.length);
  return rows.map((r) => r.id);
}

export async function appsBeingDeleted(db: Queryable): Promise<AppRow[]> {
  return db.selectFrom('oauth_apps').selectAll().where('state', '=', 'deleting').execute();
}

export async function allAppsInOrg(db: Queryable, orgId: string): Promise<AppRow[]> {
  return db.selectFrom('oauth_apps').selectAll().where('org_id', '=', orgId).where('state', '=', 'active')
    .orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

export async function recordAppUse(db: Queryable, id: string, at: number): Promise<void> {
  await db.updateTable('oauth_apps').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** SQLite only: many uses in one statement, `[id, at]` pairs (one per app) passed as one JSON parameter. */
export async function recordAppUsesSqlite(db: Queryable, uses: readonly (readonly [id: string, at: number])[]): Promise<void> {
  if (uses.length === 0) return;
  await sql`update oauth_apps set last_used_at = u.at
    from (select value ->> 0 as id, value ->> 1 as at from json_each(${JSON.stringify(uses)})) as u
    where oauth_apps.id = u.id`.execute(db);
}
