// Decisions about people signing in: setting a password, checking one, and the life of a session.
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { hashPassword } from './passwords.js';
import type { SigninContext } from './context.js';
import { newRandomId, sessionIdHash, SESSION_TTL_SECONDS } from './sessions.js';
import * as store from './store.js';

export async function setPassword(ctx: Pick<SigninContext, 'db'>, username: string, password: string): Promise<{ username: string }> {
  const { db } = ctx;
  const passwordHash = await hashPassword(username, password);
  if (!(await store.setPasswordHash(db, username, passwordHash, nowSeconds()))) {
    throw fail('NOT_FOUND', `User ${username} not found; add them to an organization first`);
  }
  // A new password signs the person out everywhere.
  await store.deleteSessionsOf(db, username);
  return { username };
}

/** True when the username has this password. Takes as long for unknown users as for known ones. */
export async function checkPassword(ctx: SigninContext, username: string, password: string): Promise<boolean> {
  const stored = await store.findPasswordHash(ctx.db, username);
  return ctx.passwords.matches(stored, password);
}

export interface Session {
  readonly username: string;
  readonly authTime: number;
}

/** A new session for the person; returns the id for the cookie (never stored as such). */
export async function startSession(ctx: SigninContext, username: string): Promise<{ sessionId: string; session: Session }> {
  const sessionId = newRandomId();
  const now = nowSeconds();
  await store.insertSession(ctx.db, { id_hash: sessionIdHash(sessionId), username, auth_time: now, expires_at: now + SESSION_TTL_SECONDS });
  return { sessionId, session: { username, authTime: now } };
}

export async function currentSession(ctx: SigninContext, sessionId: string | undefined): Promise<Session | undefined> {
  if (!sessionId) return undefined;
  const row = await store.findSession(ctx.db, sessionIdHash(sessionId));
  if (!row || row.expires_at <= nowSeconds()) return undefined;
  return { username: row.username, authTime: row.auth_time };
}

export async function endSession(ctx: SigninContext, sessionId: string | undefined): Promise<void> {
  if (sessionId) await store.deleteSession(ctx.db, sessionIdHash(sessionId));
}
