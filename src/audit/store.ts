// Storage of audit events. Records carry ids and hints, never a secret or token.
import type { Queryable } from '../db/database.js';
import type { AuditEventsTable } from '../db/schema.js';
import type { Insertable, Selectable } from 'kysely';
import type { RowWrite } from '../db/writes.js';

export type AuditRow = Selectable<AuditEventsTable>;

export function insertAuditEventWrite(db: Queryable, row: Insertable<AuditEventsTable>): RowWrite {
  return db.insertInto('audit_events').values(row);
}

export async function insertAuditEvent(db: Queryable, row: Insertable<AuditEventsTable>): Promise<void> {
  await insertAuditEventWrite(db, row).execute();
}

/** Narrows the log; every member is optional and they combine with AND. */
export interface AuditFilter {
  readonly action?: string | undefined;
  readonly actor?: string | undefined;
  readonly appId?: string | undefined;
  /** Epoch seconds, inclusive. */
  readonly from?: number | undefined;
  /** Epoch seconds, inclusive. */
  readonly to?: number | undefined;
}

function filtered(db: Queryable, orgId: string, filter: AuditFilter) {
  let query = db.selectFrom('audit_events').where('org_id', '=', orgId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<=', filter.to);
  return query;
}

export async function listAuditEvents(db: Queryable, orgId: string, offset: number, limit: number, filter: AuditFilter = {}): Promise<AuditRow[]> {
  return filtered(db, orgId, filter).selectAll().orderBy('id', 'desc').offset(offset).limit(limit).execute();
}

export async function countAuditEvents(db: Queryable, orgId: string, filter: AuditFilter = {}): Promise<number> {
  const row = await filtered(db, orgId, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
