// Storage of audit events. Records carry ids and hints, never a secret or token.
import type { Queryable } from '../db/database.js';
import type { AuditEventsTable } from '../db/schema.js';
import type { Insertable, Selectable } from 'kysely';

export type AuditRow = Selectable<AuditEventsTable>;

export async function insertAuditEvent(db: Queryable, row: Insertable<AuditEventsTable>): Promise<void> {
  await db.insertInto('audit_events').values(row).execute();
}

export async function listAuditEvents(db: Queryable, orgId: string, offset: number, limit: number): Promise<AuditRow[]> {
  return db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId)
    .orderBy('id', 'desc').offset(offset).limit(limit).execute();
}

export async function countAuditEvents(db: Queryable, orgId: string): Promise<number> {
  const row = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow();
  return Number(row.n);
}
