// Write transactions with group commit on SQLite. Every commit is synced (synchronous = FULL, see
// database.ts), and that sync is the largest cost of a secret change (bench/results/history.md).
// PostgreSQL commits concurrent transactions together by itself; SQLite has one writer and no such
// thing, so it is done here. Transactions that queue while one commits are applied in the next
// physical transaction, each in its own savepoint, and share one commit and one sync.
//
// What a caller sees does not change: its function runs alone against the state all earlier
// transactions left, a failure rolls back only its own changes (ROLLBACK TO its savepoint), and its
// promise settles only after the commit that contains its changes has been synced. If that commit
// fails, every transaction of the batch fails and none of them is applied.
import type { Kysely } from 'kysely';
import type { Db, Tx } from './database.js';
import type { Database } from './schema.js';
import { isPostgres } from './database.js';

/** A longer queue waits for the next commit: bounds how long one commit keeps the writer. */
const MAX_TRANSACTIONS_PER_COMMIT = 32;

interface Pending {
  readonly work: (trx: Tx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** The write transactions waiting for the next commit of one database. */
export interface CommitQueue {
  readonly queue: Pending[];
  draining: boolean;
}

/**
 * The database as the rest of the code uses it: with its own commit queue, added to the same object
 * so that what openDatabase attached (dataVersion on SQLite) stays.
 */
export function withCommitQueue(db: Kysely<Database>): Db {
  return Object.assign(db, { commits: { queue: [], draining: false } });
}

/**
 * Runs `work` in a write transaction of its own; on SQLite it may share the commit with others.
 * `work` must use only `trx` and must not start another write transaction: that one would wait
 * for the commit of the batch it is part of, which waits for `work`.
 */
export async function writeTransaction<T>(db: Db, work: (trx: Tx) => Promise<T>): Promise<T> {
  if (isPostgres(db)) return db.transaction().execute(work);
  const queued = db.commits;
  return new Promise<T>((resolve, reject) => {
    queued.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    if (!queued.draining) void drain(db, queued);
  });
}

async function drain(db: Db, committer: CommitQueue): Promise<void> {
  committer.draining = true;
  try {
    while (committer.queue.length > 0) {
      // better-sqlite3 runs every statement synchronously, so a whole transaction runs without the
      // event loop ever reading a socket: without this turn, no other change could arrive and
      // queue while one commits. One turn lets the requests already received reach the queue.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = committer.queue.splice(0, MAX_TRANSACTIONS_PER_COMMIT);
      let outcomes: Outcome[];
      try {
        outcomes = await commitTogether(db, batch);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
        continue;
      }
      outcomes.forEach((outcome, i) => {
        const pending = batch[i];
        if (!pending) return;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      });
    }
  } finally {
    committer.draining = false;
  }
}

/** One physical transaction: each piece of work in a savepoint, then one commit. Throws if the commit fails. */
async function commitTogether(db: Db, batch: readonly Pending[]): Promise<Outcome[]> {
  const trx = await db.startTransaction().execute();
  const outcomes: Outcome[] = [];
  try {
    for (const pending of batch) {
      const unit = await trx.savepoint('unit').execute();
      try {
        const value = await pending.work(unit);
        await unit.releaseSavepoint('unit').execute();
        outcomes.push({ ok: true, value });
      } catch (error) {
        // If SQLite has already rolled back the whole transaction (it does on some I/O errors),
        // this throws too, and the batch fails as a whole below: nothing of it is applied.
        const rolledBack = await unit.rollbackToSavepoint('unit').execute();
        await rolledBack.releaseSavepoint('unit').execute();
        outcomes.push({ ok: false, error });
      }
    }
    await trx.commit().execute();
    return outcomes;
  } catch (error) {
    await trx.rollback().execute().catch(() => {});
    throw error;
  }
}
