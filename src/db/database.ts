// Opens the database named by the configuration (embedded SQLite by default, PostgreSQL with
// DATABASE_URL) and brings its schema up to date.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, sql, PostgresAdapter, PostgresDialect, SqliteDialect, type LogEvent, type SqliteDatabase, type Transaction } from 'kysely';
import type { Metrics } from '../metrics/metrics.js';
import { ConfigError, type Config } from '../config.js';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import type { CommitQueue } from './group-commit.js';

/** An open database; on SQLite it owns the queue of its write transactions (group-commit.ts). */
export type Db = OpenedDatabase & { readonly commits: CommitQueue };

/**
 * `dataVersion` (SQLite only): PRAGMA data_version of the connection, which changes whenever another
 * connection (the CLI, another process) commits to the file, and never for this connection's own
 * commits (sqlite.org/pragma.html#pragma_data_version).
 */
export type OpenedDatabase = Kysely<Database> & { readonly dataVersion?: () => number };
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: stores accept both. */
export type Queryable = Kysely<Database> | Transaction<Database>;

export const SQLITE_FILE = 'orgauth.db';

// Epoch seconds are BIGINT columns; pg returns int8 as string unless told otherwise.
pg.types.setTypeParser(20, (value: string) => Number(value));

export function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>, metrics: Metrics): OpenedDatabase {
  if (config.databaseUrl) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (event) => countQuery(metrics, event) });
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const fileName = path.join(config.dataDir, SQLITE_FILE);
  ownerOnly(fileName);
  let file: SQLite.Database;
  try {
    file = new SQLite(fileName);
  } catch (error) {
    throw new ConfigError(`cannot open the SQLite database ${fileName}: ${error instanceof Error ? error.message : String(error)}`);
  }
  file.pragma('journal_mode = WAL');
  file.pragma('foreign_keys = ON');
  // The CLI and the server share the file: wait for a lock rather than fail.
  file.pragma('busy_timeout = 5000');
  // A secret change acknowledged with 200 must survive a power loss too, not only a crash of the
  // process (WAL + NORMAL would lose the last commits and bring a replaced secret back): FULL
  // syncs the WAL at every commit. Commits are rare here — secret and app changes, revocations,
  // and the usage flush, which batches its writes (src/oauth-apps/secret-usage.ts) — and changes that arrive
  // together share one commit (group-commit.ts).
  file.pragma('synchronous = FULL');
  const dataVersion = file.prepare('PRAGMA data_version').pluck();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }), log: (event) => countQuery(metrics, event) });
  return Object.assign(db, { dataVersion: () => dataVersion.get() as number });
}

/** Every statement sent, for orgauth_db_queries_total (what a token request costs the database is a figure operators watch). */
function countQuery(metrics: Metrics, event: LogEvent): void {
  const verb = /^\s*(\w+)/.exec(event.query.sql)?.[1]?.toLowerCase() ?? '';
  metrics.databaseQuery(STATEMENTS.has(verb) ? verb : 'other', event.level === 'query' ? 'ok' : 'error');
}

const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback']);

/**
 * The database holds verifiers, sealed keys and the audit log: only its owner may read it. A new
 * file is created 0600 (SQLite gives its -wal and -shm files the same mode); an older, wider one is
 * narrowed.
 */
function ownerOnly(fileName: string): void {
  fs.closeSync(fs.openSync(fileName, 'a', 0o600));
  for (const name of [fileName, `${fileName}-wal`, `${fileName}-shm`]) {
    const stat = fs.statSync(name, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o077) !== 0) fs.chmodSync(name, 0o600);
  }
}

/** Connection failures by their PostgreSQL or socket code, in the words an operator searches for. */
const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  '28P01': 'password authentication failed',
  '28000': 'authentication refused',
  '3D000': 'database does not exist',
  '42501': 'permission denied',
};

/** One query before anything else, so an unreachable database is named as such, not as a failed migration. */
export async function checkConnection(db: Db, config: Pick<Config, 'databaseUrl'>): Promise<void> {
  if (!config.databaseUrl) return;
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const reason = CONNECTION_FAILURES[code] ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError(`cannot connect to the database at ${describeDatabase(config.databaseUrl)} (${reason})`);
  }
}

/** host:port/database of a DATABASE_URL, without the user name or password. */
export function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * better-sqlite3 behind a bounded cache of prepared statements: Kysely's SQLite driver prepares
 * every query afresh, which cost more than running it on the token hot path. Reuse is safe
 * because Kysely runs one query at a time on the connection and never streams here.
 */
function withStatementCache(file: SQLite.Database, maxStatements = 1000): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => file.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = file.prepare(sql);
        if (statements.size >= maxStatements) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

export function isPostgres(db: Queryable): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
