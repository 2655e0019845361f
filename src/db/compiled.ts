// Queries on the token hot path, compiled once per database and rerun with new parameters. Kysely
// builds and compiles a query's SQL on every call; for client authentication that cost about half
// as much as running its reads (bench/results/history.md). The SQL of these queries never changes,
// only their parameters, so the compiled form is kept and its parameters replaced.
import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type { Queryable } from './database.js';

/** A query whose parameters are exactly `params`, in that order. */
export type QueryTemplate<P extends readonly unknown[], R> = (db: Queryable, ...params: P) => Compilable<R>;

export interface ReusableQuery<P extends readonly unknown[], R> {
  /** All rows, as the query built afresh would return them. */
  readonly all: (db: Queryable, ...params: P) => Promise<R[]>;
  /** The first row or undefined. */
  readonly first: (db: Queryable, ...params: P) => Promise<R | undefined>;
  /** For a write: how many rows it inserted, changed or deleted. */
  readonly affected: (db: Queryable, ...params: P) => Promise<number>;
}

/**
 * Wraps a query template. The first call per dialect compiles it with the real parameters and
 * keeps the SQL only if the compiled parameters are exactly those values, in order (a template
 * that added its own constants would not be reusable; it is then built afresh on every call).
 */
export function reusableQuery<P extends readonly unknown[], R>(template: QueryTemplate<P, R>): ReusableQuery<P, R> {
  // Keyed by the dialect's adapter: SQLite and PostgreSQL compile to different SQL.
  const compiledByAdapter = new WeakMap<object, string | null>();

  async function execute(db: Queryable, ...params: P): Promise<QueryResult<R>> {
    const adapter = db.getExecutor().adapter;
    const sql = compiledByAdapter.get(adapter);
    if (sql === undefined) {
      const compiled = template(db, ...params).compile();
      const reusable = compiled.parameters.length === params.length && compiled.parameters.every((value, i) => value === params[i]);
      compiledByAdapter.set(adapter, reusable ? compiled.sql : null);
      return db.executeQuery<R>(compiled);
    }
    if (sql === null) return db.executeQuery<R>(template(db, ...params).compile());
    return db.executeQuery<R>(CompiledQuery.raw(sql, [...params]));
  }

  return {
    all: async (db, ...params) => (await execute(db, ...params)).rows,
    first: async (db, ...params) => (await execute(db, ...params)).rows[0],
    affected: async (db, ...params) => Number((await execute(db, ...params)).numAffectedRows ?? 0),
  };
}
