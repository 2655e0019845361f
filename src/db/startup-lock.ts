// Serializes first-start work (creating the first signing key and pepper) across nodes that start
// together on one PostgreSQL database, so they agree on one key instead of each adding its own.
import { sql } from 'kysely';
import { isPostgres, type Db, type Queryable } from './database.js';

/** Arbitrary, fixed advisory-lock id ("orgaut" in ASCII): only orgauth nodes take it. */
const STARTUP_LOCK_ID = 0x6f7267617574;

/**
 * PostgreSQL: `work` runs in a transaction holding a transaction-scoped advisory lock, so a second
 * node waits and then sees what the first one created. SQLite: a single file has one writer and the
 * pepper's fixed id already makes concurrent creation converge, so `work` runs as is.
 */
/** Takes the same lock inside an open transaction (PostgreSQL); SQLite's single writer needs none. */
export async function takeStartupLock(trx: Queryable): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${sql.lit(STARTUP_LOCK_ID)})`.execute(trx);
}

export async function withStartupLock<T>(db: Db, work: (q: Queryable) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return work(db);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(STARTUP_LOCK_ID)})`.execute(trx);
    return work(trx);
  });
}
