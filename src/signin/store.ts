// Storage of passwords and browser sessions (sessions by the SHA-256 of their id only).
import type { Queryable } from '../db/database.js';
import type { MembershipRow } from '../identity/store.js';
import type { SigninSessionsTable } from '../db/schema.js';

export type SessionRow = SigninSessionsTable;

/** True when the user exists (and now has the password). */
export async function setPasswordHash(db: Queryable, username: string, passwordHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('users').set({ password_hash: passwordHash, password_set_at: now })
    .where('username', '=', username).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findPasswordHash(db: Queryable, username: string): Promise<string | null | undefined> {
  const row = await db.selectFrom('users').select('password_hash').where('username', '=', username).executeTakeFirst();
  return row?.password_hash;
}

export async function insertSession(db: Queryable, row: SessionRow): Promise<void> {
  await db.insertInto('signin_sessions').values(row).execute();
}

export async function findSession(db: Queryable, idHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('signin_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.deleteFrom('signin_sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteSessionsOf(db: Queryable, username: string): Promise<void> {
  await db.deleteFrom('signin_sessions').where('username', '=', username).execute();
}

export async function purgeExpiredSessions(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('signin_sessions').where('expires_at', '<', now).execute();
}

/** The user's memberships, oldest first: the first is the org a person lands in by default. */
export async function membershipsOf(db: Queryable, username: string): Promise<MembershipRow[]> {
  return db.selectFrom('memberships').selectAll().where('username', '=', username)
    .orderBy('created_at', 'asc').orderBy('org_id', 'asc').execute();
}
