// Decisions about people signing in: setting a password, checking one, and the life of a session.
import type { Queryable } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { hashPassword, type PasswordChecker } from './passwords.js';
import { newRandomId, sessionIdHash, SESSION_TTL_SECONDS } from './sessions.js';
import * as store from './store.js';

export async function setPassword(db: Queryable, username: string, password: string): Promise<{ username: string }> {
  const passwordHash = await hashPassword(username, password);
  if (!(await store.setPasswordHash(db, username, passwordHash, nowSeconds()))) {
    throw fail('NOT_FOUND', `User ${username} not found; add them to an organization first`);
  }
  // A new password signs the person out everywhere.
  await store.deleteSessionsOf(db, username);
  return { username };
}

/** True when the username has this password. Takes as long for unknown users as for known ones. */
export async function checkPassword(db: Queryable, passwords: PasswordChecker, username: string, password: string): Promise<boolean> {
  const stored = await store.findPasswordHash(db, username);
  return passwords.matches(stored, password);
}

export interface Session {
  readonly username: string;
  readonly authTime: number;
}

/** A new session for the person; returns the id for the cookie (never stored as such). */
export async function startSession(db: Queryable, username: string): Promise<{ sessionId: string; session: Session }> {
  const sessionId = newRandomId();
  const now = nowSeconds();
  await store.insertSession(db, { id_hash: sessionIdHash(sessionId), username, auth_time: now, expires_at: now + SESSION_TTL_SECONDS });
  return { sessionId, session: { username, authTime: now } };
}

export async function currentSession(db: Queryable, sessionId: string | undefined): Promise<Session | undefined> {
  if (!sessionId) return undefined;
  const row = await store.findSession(db, sessionIdHash(sessionId));
  if (!row || row.expires_at <= nowSeconds()) return undefined;
  return { username: row.username, authTime: row.auth_time };
}

export async function endSession(db: Queryable, sessionId: string | undefined): Promise<void> {
  if (sessionId) await store.deleteSession(db, sessionIdHash(sessionId));
}
