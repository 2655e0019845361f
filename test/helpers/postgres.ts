// PostgreSQL + Redis for black-box tests: find out whether TEST_DATABASE_URL / TEST_REDIS_URL are
// usable, give each test server a fresh database and its own Redis key prefix, and clean up after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export interface Backend {
  /** Base URL (any database on the server; fresh databases are created next to it). */
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

/** Why the PostgreSQL + Redis tests cannot run here, or undefined when they can. */
export type Availability = { backend: Backend; skip?: undefined } | { backend?: undefined; skip: string };

let probed: Promise<Availability> | undefined;

/** Probes TEST_DATABASE_URL and TEST_REDIS_URL once per process (3 s timeouts). */
export function postgresAndRedis(): Promise<Availability> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<Availability> {
  const databaseUrl = process.env.TEST_DATABASE_URL?.trim();
  const redisUrl = process.env.TEST_REDIS_URL?.trim();
  if (!databaseUrl || !redisUrl) {
    const missing = [!databaseUrl && 'TEST_DATABASE_URL', !redisUrl && 'TEST_REDIS_URL'].filter(Boolean).join(' and ');
    return { skip: `${missing} not set (CI sets TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test TEST_REDIS_URL=redis://127.0.0.1:6379)` };
  }
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    return { skip: `PostgreSQL at ${redact(databaseUrl)} is not reachable: ${(error as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return { skip: `Redis at ${redact(redisUrl)} is not reachable: ${(error as Error).message}` };
  } finally {
    redis.disconnect();
  }
  return { backend: { databaseUrl, redisUrl } };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The URL of database `name` on the server of `baseUrl`. */
export function databaseUrlFor(baseUrl: string, name: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(baseUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface FreshBackend {
  /** Environment for `startServer({ env })`: DATABASE_URL, REDIS_URL, ORGAUTH_MASTER_KEY, ORGAUTH_REDIS_PREFIX. */
  readonly env: Record<string, string>;
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  /** Drops the database and deletes the Redis keys under the prefix. */
  dispose(): Promise<void>;
}

/**
 * A fresh database and Redis prefix for one server (or for several nodes that share them).
 * Database names are lower-case and unique per process and call, so parallel test files never meet.
 */
export async function freshBackend(backend: Backend, tag = 't'): Promise<FreshBackend> {
  const name = `orgauth_${tag.replace(/[^a-z0-9_]/gi, '').toLowerCase().slice(0, 20)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(backend.databaseUrl, `CREATE DATABASE ${name}`);
  const databaseUrl = databaseUrlFor(backend.databaseUrl, name);
  const redisPrefix = `orgauth-test:${name}:`;
  return {
    databaseUrl,
    redisPrefix,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: backend.redisUrl,
      ORGAUTH_REDIS_PREFIX: redisPrefix,
      ORGAUTH_MASTER_KEY: randomBytes(32).toString('base64'),
    },
    async dispose() {
      if (process.env.KEEP_TEST_DATA) return;
      // FORCE (PostgreSQL 13+) ends connections a killed server may have left behind.
      await adminQuery(backend.databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await deleteRedisKeys(backend.redisUrl, redisPrefix).catch(() => {});
    },
  };
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Every row of every table as text, for leak scans ("no secret stored in plaintext"). */
export async function databaseText(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>("select tablename as name from pg_tables where schemaname = 'public'");
    let text = '';
    for (const { name } of tables.rows) {
      const rows = await client.query(`select * from "${name.replaceAll('"', '""')}"`);
      text += `${JSON.stringify(rows.rows)}\n`;
    }
    return text;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs one query on a test database (assertions the HTTP API cannot make, e.g. "exactly one secret row"). */
export async function queryDatabase<T extends pg.QueryResultRow>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}
