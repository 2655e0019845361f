// Starting orgauth as a user runs it (`orgauth serve`, bin/orgauth) for the benchmark, bootstrapping it through its CLI and
// exchanging the API token for management access tokens.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runNode, startServer, type Server } from './proc.js';
import { FORM } from './load.js';

export const BASE_PATH = '/csp/gateway/am/api';

export interface Bootstrap {
  orgId: string;
  username: string;
  apiToken: string;
}

export interface FreshDatabase {
  url: string;
  drop: () => Promise<void>;
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
    return { url, drop: async () => {} };
  }
  await admin.end();
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return {
    url: fresh.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Server environment; the same environment is used for the CLI. */
export function orgauthEnv(dataDir: string, port: number, databaseUrl?: string, masterKey = randomBytes(32).toString('hex')): Record<string, string> {
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    ORGAUTH_DATA_DIR: dataDir,
    ORGAUTH_MASTER_KEY: masterKey,
    LOG_LEVEL: 'warn',
    // The benchmark measures throughput, not the rate limiter's 429s.
    RATE_LIMIT_MANAGEMENT: '100000000/60',
    RATE_LIMIT_TOKEN: '100000000/60',
    RATE_LIMIT_AUTH_FAILURES: '100000000/60',
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  if (process.env.BENCH_REDIS_URL) env.REDIS_URL = process.env.BENCH_REDIS_URL;
  return env;
}

export function startOrgauth(root: string, env: Record<string, string>): Promise<Server> {
  return startServer({ name: 'orgauth', args: ['bin/orgauth', 'serve'], env, port: Number(env.PORT), readyPath: '/healthz', cwd: root });
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
