// Starting orgauth as a user runs it (`orgauth serve`, bin/orgauth) for the benchmark, bootstrapping it through its CLI and
// exchanging the API token for management access tokens.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { runNode, startServer, type Server } from './proc.js';
import { basic, FORM } from './load.js';
import { seedHttp, type App } from './seed.js';

export const BASE_PATH = '/csp/gateway/am/api';

export interface Bootstrap {
  orgId: string;
  username: string;
  apiToken: string;
}

export interface FreshDatabase {
  url: string;
  drop: () => Promise<void>;
  /** Backend processes serving this database, plus the server's shared writers, for CPU counting. */
  backendPids: () => Promise<number[]>;
}

/**
 * orgauth bootstrap needs an empty database. With BENCH_DATABASE_URL, create a throw-away
 * database `orgauth_bench_<random>` next to the named one (needs CREATEDB) and drop it afterwards;
 * if that is not allowed, use the named database as it is (it must then be empty).
 */
export async function freshPostgres(url: string, log: (msg: string) => void): Promise<FreshDatabase> {
  const name = `orgauth_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    log(`could not create a throw-away database (${err instanceof Error ? err.message : String(err)}); using BENCH_DATABASE_URL as is`);
    await admin.end().catch(() => {});
    const named = new URL(url).pathname.slice(1) || 'postgres';
    const watcher = await pidWatcher(url, named);
    return { url, drop: watcher.end, backendPids: watcher.pids };
  }
  await admin.end();
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  const watcher = await pidWatcher(url, name);
  return {
    url: fresh.toString(),
    backendPids: watcher.pids,
    drop: async () => {
      await watcher.end();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * PostgreSQL's processes that work for the bench database: its backends (pg_stat_activity) and the
 * shared WAL writer, checkpointer and background writer, which other databases on the same server
 * use too. The watcher's own connection is to the named database, so it is not counted.
 */
async function pidWatcher(url: string, database: string): Promise<{ pids: () => Promise<number[]>; end: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    pids: async () => {
      const r = await c.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE (datname = $1 AND pid <> pg_backend_pid()) OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
        [database],
      );
      return r.rows.map((row) => row.pid);
    },
    end: async () => {
      await c.end().catch(() => {});
    },
  };
}

/** redis-server's pid (INFO server), for CPU counting; undefined when it cannot be read. */
export async function redisPid(url: string): Promise<number | undefined> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const m = /process_id:(\d+)/.exec(await r.info('server'));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

export interface EnvOptions {
  databaseUrl?: string;
  redisUrl?: string;
  masterKey?: string;
  /** `info` (the default, as users run it) logs one line per request. */
  logLevel?: string;
}

/** Server environment; the same environment is used for the CLI. */
export function orgauthEnv(dataDir: string, port: number, o: EnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    ORGAUTH_DATA_DIR: dataDir,
    ORGAUTH_MASTER_KEY: o.masterKey ?? randomBytes(32).toString('hex'),
    LOG_LEVEL: o.logLevel ?? 'info',
    // The benchmark measures throughput, not the rate limiter's 429s.
    RATE_LIMIT_MANAGEMENT: '100000000/60',
    RATE_LIMIT_TOKEN: '100000000/60',
    RATE_LIMIT_AUTH_FAILURES: '100000000/60',
    // Times and attributes stops of the event loop, read around the paced run (stops.ts).
    ORGAUTH_EVENT_LOOP_STOP_MS: '10',
  };
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  if (o.redisUrl) env.REDIS_URL = o.redisUrl;
  return env;
}

/**
 * `orgauth serve`, as a user starts it. Its request log (stdout) goes to a file in the data folder,
 * as a process manager would keep it, rather than through the bench process.
 */
export function startOrgauth(root: string, env: Record<string, string>, name = 'orgauth'): Promise<Server> {
  const stdoutFile = path.join(env.ORGAUTH_DATA_DIR ?? '.', `${name}-${env.PORT}.log`);
  // Generous: on a busy machine a node waiting for PostgreSQL and Redis took over a minute to answer.
  return startServer({ name, args: ['bin/orgauth', 'serve'], env, port: Number(env.PORT), readyPath: '/healthz', cwd: root, stdoutFile, timeoutMs: 180_000 });
}

export async function bootstrap(root: string, env: Record<string, string>): Promise<Bootstrap> {
  const out = await runNode(['bin/orgauth', 'bootstrap', '--json'], env, root);
  const line = out.trim().split('\n').reverse().find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`bootstrap printed no JSON: ${out}`);
  const b = JSON.parse(line) as Partial<Bootstrap>;
  if (!b.orgId || !b.apiToken) throw new Error(`bootstrap JSON lacks orgId/apiToken: ${line}`);
  return { orgId: b.orgId, username: b.username ?? '', apiToken: b.apiToken };
}

/** Hands out a management access token, re-exchanging the API token before it expires. */
export class TokenSource {
  private token = '';
  private renewAt = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly apiToken: string,
  ) {}

  async get(): Promise<string> {
    if (Date.now() >= this.renewAt) await this.refresh();
    return this.token;
  }

  async refresh(): Promise<void> {
    const res = await fetch(`${this.baseUrl}${BASE_PATH}/auth/api-tokens/authorize`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({ api_token: this.apiToken }).toString(),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`api-token exchange failed: ${res.status} ${text}`);
    const body = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error(`api-token exchange returned no access_token: ${text}`);
    this.token = body.access_token;
    // Renew at half the lifetime so a token never expires in the middle of a run.
    this.renewAt = Date.now() + ((body.expires_in ?? 1799) * 1000) / 2;
  }
}

/** One seeded orgauth: the apps the workloads use and the credentials they present. */
export interface Seeded {
  boot: Bootstrap;
  tokens: TokenSource;
  /** client_credentials, introspection and GET app rotate over these. */
  ccPool: App[];
  /** PUT regenerate's own apps: their secrets keep changing, so nothing else uses them. */
  regenPool: App[];
  /** One access token per app for the first 1 000 apps of ccPool, to introspect. */
  introspected: { app: App; token: string }[];
  seedSeconds: number;
  /** primeSupplied on this node, before the tokens to introspect were issued. */
  primed: { count: number; seconds: number; failures: number };
}

/** Bootstraps a started orgauth and seeds `count` apps over its management API. */
export async function seed(root: string, env: Record<string, string>, server: Server, count: number, progress: (n: number) => void): Promise<Seeded> {
  const boot = await bootstrap(root, env);
  const tokens = new TokenSource(server.url, boot.apiToken);
  const t0 = Date.now();
  const apps = await seedHttp(server.url, boot.orgId, tokens, count, 16, progress);
  const seedSeconds = (Date.now() - t0) / 1000;
  const regenCount = Math.max(1, Math.min(2000, Math.floor(count / 10)));
  const regenPool = apps.filter((a) => !a.supplied).slice(-regenCount);
  const regenIds = new Set(regenPool.map((a) => a.clientId));
  const ccPool = apps.filter((a) => !regenIds.has(a.clientId));
  const primed = await primeSupplied(server.url, ccPool);
  const introspected: { app: App; token: string }[] = [];
  for (const app of ccPool.slice(0, 1000)) {
    const res = await tokenRequest(server.url, app);
    const text = await res.text();
    if (!res.ok) throw new Error(`client_credentials for ${app.clientId} failed: ${res.status} ${text.slice(0, 200)}`);
    introspected.push({ app, token: (JSON.parse(text) as { access_token: string }).access_token });
  }
  return { boot, tokens, ccPool, regenPool, introspected, seedSeconds, primed };
}

function tokenRequest(url: string, app: App): Promise<Response> {
  return fetch(`${url}${BASE_PATH}/auth/authorize`, { method: 'POST', headers: { authorization: basic(app.clientId, app.secret), 'content-type': FORM }, body: 'grant_type=client_credentials' });
}

/**
 * Caller-supplied secrets are verified with Argon2id once per secret and process, then from the
 * verified-secret cache. Paying that once for each of them before measuring makes the rounds
 * measure the steady state rather than how many of them the warm-up happened to reach.
 */
export async function primeSupplied(url: string, apps: App[]): Promise<{ count: number; seconds: number; failures: number }> {
  const supplied = apps.filter((a) => a.supplied);
  const t0 = Date.now();
  let failures = 0;
  for (let i = 0; i < supplied.length; i += 16) {
    await Promise.all(supplied.slice(i, i + 16).map(async (app) => {
      const res = await tokenRequest(url, app);
      await res.arrayBuffer();
      if (!res.ok) failures += 1;
    }));
  }
  return { count: supplied.length, seconds: (Date.now() - t0) / 1000, failures };
}
