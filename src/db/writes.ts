// Row writes of one change that do not depend on each other, sent as one statement on PostgreSQL.
// Every statement there is a round trip with its own parse, plan and socket writes on both sides,
// which made a secret change's statements the largest part of its cost (bench/results/history.md).
// A data-modifying WITH runs each write exactly once and to completion, whether or not the main
// query reads it (PostgreSQL manual, "Data-Modifying Statements in WITH"). SQLite has no
// data-modifying WITH and no round trips to save: there the writes run one after the other.
import { sql, type OperationNodeSource } from 'kysely';
import type { Queryable } from './database.js';
import { isPostgres } from './database.js';

/** One write, as a query builder of `db` that has not run; what it returns is never read. */
export interface RowWrite extends OperationNodeSource {
  execute(): Promise<unknown>;
}

/** The part of Kysely's WITH builder used here; the names of the writes are never referred to. */
interface WithChain {
  with(name: string, write: () => RowWrite): WithChain;
  selectNoFrom: Queryable['selectNoFrom'];
}

/**
 * Runs `writes` in `db`'s transaction. On PostgreSQL they all see the state before the statement
 * and none sees another's effects, so no two may touch the same row, and none may depend on
 * another (e.g. an insert that another would delete). Each keeps its own constraints: a write
 * that fails fails them all, as a transaction of them would.
 */
export async function executeWrites(db: Queryable, writes: readonly RowWrite[]): Promise<void> {
  const [only, ...more] = writes;
  if (!only) return;
  if (more.length === 0 || !isPostgres(db)) {
    for (const write of writes) await write.execute();
    return;
  }
  let chained = (db as unknown as WithChain).with('w0', () => only);
  more.forEach((write, i) => { chained = chained.with(`w${i + 1}`, () => write); });
  await chained.selectNoFrom(sql<number>`1`.as('done')).execute();
}
