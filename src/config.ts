// The one place environment variables are read and checked. Everything else receives a Config.
import fs from 'node:fs';
import path from 'node:path';

export interface RateBudget {
  /** Requests allowed per window. */
  readonly max: number;
  /** Window length in seconds. */
  readonly windowSeconds: number;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `postgres://…` selects PostgreSQL; undefined means the embedded SQLite file under dataDir. */
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so several deployments (or test servers) can share one Redis. */
  readonly redisPrefix: string;
  readonly issuer: string;
  /** 32-byte key from ORGAUTH_MASTER_KEY or ORGAUTH_MASTER_KEY_FILE; undefined means "use or create the key file in dataDir". */
  readonly masterKey: Buffer | undefined;
  /** Where masterKey came from, for messages: the variable's name (never its value). */
  readonly masterKeySource: 'ORGAUTH_MASTER_KEY' | 'ORGAUTH_MASTER_KEY_FILE' | undefined;
  readonly logLevel: string;
  /**
   * Proxies whose X-Forwarded-For is believed (ORGAUTH_TRUST_PROXY): false, or their
   * addresses/CIDRs. Behind a load balancer this makes per-address rate limits and the audit
   * log's source address the client's, not the balancer's.
   */
  readonly trustProxy: false | string[];
  readonly rateLimits: {
    readonly management: RateBudget;
    readonly token: RateBudget;
    readonly authFailures: RateBudget;
    /** Failed sign-ins on the login page, per username and per address. */
    readonly signInFailures: RateBudget;
  };
  /**
   * ORGAUTH_CLIENT_CACHE_SECONDS (0 switches the cache off): how long a node may serve client
   * authentication from its own copy of an app and its secrets, and only while the app's epoch
   * (in Redis, or on one SQLite node without Redis this process's own) still matches it
   * (docs/reliability.md, "Several nodes: the epoch cache").
   * It is also how long a change waits before it is acknowledged when its epoch bump fails. The
   * same value on every node.
   */
  readonly clientCacheSeconds: number;
  /**
   * ORGAUTH_EVENT_LOOP_STOP_MS (unset: off): time every stop of the event loop at least this long and
   * put it down to its cause, on GET /metrics (metrics/event-loop-stops.ts).
   */
  readonly eventLoopStopMs: number | undefined;
  /** Faults injected by the test suite (ORGAUTH_TEST_FAULTS); refused when NODE_ENV=production. */
  readonly testFaults: TestFaults;
}

export interface TestFaults {
  /** A change commits but its epoch bump is lost, as if Redis failed right after the commit. */
  readonly loseEpochBumps: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Base path of every CSP endpoint. */
export const BASE_PATH = '/csp/gateway/am/api';

/** Largest request body accepted anywhere (docs/design.md §1). */
export const BODY_LIMIT_BYTES = 64 * 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const host = env.HOST?.trim() || '127.0.0.1';
  const port = parsePort(env.PORT);
  const dataDir = path.resolve(env.ORGAUTH_DATA_DIR?.trim() || './data');
  const databaseUrl = parseDatabaseUrl(env.DATABASE_URL);
  const redisUrl = parseRedisUrl(env.REDIS_URL);
  const redisPrefix = parseRedisPrefix(env.ORGAUTH_REDIS_PREFIX);
  const { masterKey, masterKeySource } = parseMasterKeySetting(env.ORGAUTH_MASTER_KEY, env.ORGAUTH_MASTER_KEY_FILE);
  if (databaseUrl && !masterKey) {
    // Several nodes share one database; a key file generated on one node would lock out the others.
    throw new ConfigError('ORGAUTH_MASTER_KEY or ORGAUTH_MASTER_KEY_FILE is required when DATABASE_URL is set (32 bytes, base64 or hex)');
  }
  if (WILDCARD_HOSTS.has(host) && !env.ORGAUTH_ISSUER?.trim()) {
    // The default issuer is built from HOST: tokens naming http://0.0.0.0:… match no URL a client can reach.
    throw new ConfigError(`HOST=${host} listens on every address, so the issuer cannot be derived from it: set ORGAUTH_ISSUER to the public URL of the API, e.g. https://auth.example.com${BASE_PATH}`);
  }
  const issuer = parseIssuer(env.ORGAUTH_ISSUER, host, port);
  const logLevel = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got '${logLevel}'`);
  }
  return {
    host,
    port,
    dataDir,
    databaseUrl,
    redisUrl,
    redisPrefix,
    issuer,
    masterKey,
    masterKeySource,
    logLevel,
    trustProxy: parseTrustProxy(env.ORGAUTH_TRUST_PROXY),
    rateLimits: {
      management: parseBudget('RATE_LIMIT_MANAGEMENT', env.RATE_LIMIT_MANAGEMENT, '600/60'),
      token: parseBudget('RATE_LIMIT_TOKEN', env.RATE_LIMIT_TOKEN, '1200/60'),
      authFailures: parseBudget('RATE_LIMIT_AUTH_FAILURES', env.RATE_LIMIT_AUTH_FAILURES, '20/60'),
      signInFailures: parseBudget('RATE_LIMIT_SIGNIN_FAILURES', env.RATE_LIMIT_SIGNIN_FAILURES, '10/300'),
    },
    clientCacheSeconds: parseClientCacheSeconds(env.ORGAUTH_CLIENT_CACHE_SECONDS),
    eventLoopStopMs: parseEventLoopStopMs(env.ORGAUTH_EVENT_LOOP_STOP_MS),
    testFaults: parseTestFaults(env.ORGAUTH_TEST_FAULTS, env.NODE_ENV),
  };
}

function parseClientCacheSeconds(raw: string | undefined): number {
  const value = raw?.trim();
  if (!value) return 10;
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds > 300) {
    throw new ConfigError(`ORGAUTH_CLIENT_CACHE_SECONDS must be an integer from 0 to 300; got '${value.slice(0, 80)}'`);
  }
  return seconds;
}

function parseEventLoopStopMs(raw: string | undefined): number | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 2 || ms > 10_000) {
    throw new ConfigError(`ORGAUTH_EVENT_LOOP_STOP_MS must be an integer from 2 to 10000 (milliseconds); got '${value.slice(0, 80)}'`);
  }
  return ms;
}

/** Test-only fault injection: a production node must never be able to lose a change's propagation. */
const TEST_FAULTS = ['lose-epoch-bumps'] as const;

function parseTestFaults(raw: string | undefined, nodeEnv: string | undefined): TestFaults {
  const names = (raw ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) return { loseEpochBumps: false };
  if (nodeEnv?.trim() === 'production') throw new ConfigError('ORGAUTH_TEST_FAULTS is for the test suite only and is refused when NODE_ENV=production');
  const unknown = names.find((name) => !(TEST_FAULTS as readonly string[]).includes(name));
  if (unknown !== undefined) throw new ConfigError(`ORGAUTH_TEST_FAULTS may name only ${TEST_FAULTS.join(', ')}; got '${unknown.slice(0, 80)}'`);
  return { loseEpochBumps: names.includes('lose-epoch-bumps') };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535; got '${raw}'`);
  }
  return port;
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for SQLite)');
  }
  return value;
}

function parseRedisUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!/^rediss?:\/\//.test(value)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  return value;
}

function parseRedisPrefix(raw: string | undefined): string {
  const value = raw?.trim() || 'orgauth:';
  if (!/^[A-Za-z0-9_.:{}-]{1,64}$/.test(value)) {
    throw new ConfigError(`ORGAUTH_REDIS_PREFIX must be 1-64 characters of letters, digits and _ . : { } -; got '${value.slice(0, 80)}'`);
  }
  return value;
}

function parseTrustProxy(raw: string | undefined): false | string[] {
  const value = raw?.trim();
  if (!value || value === 'false') return false;
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  // Addresses or CIDRs only: trusting every sender ("true") would let any client pick its own address.
  if (entries.length === 0 || !entries.every((entry) => /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(entry))) {
    throw new ConfigError(`ORGAUTH_TRUST_PROXY must be comma-separated proxy addresses or CIDRs, e.g. 10.0.0.0/8; got '${value.slice(0, 80)}'`);
  }
  return entries;
}

/** Listen addresses meaning "every interface". */
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0']);

function parseMasterKeySetting(raw: string | undefined, file: string | undefined): Pick<Config, 'masterKey' | 'masterKeySource'> {
  const value = raw?.trim();
  const keyFile = file?.trim();
  if (value && keyFile) throw new ConfigError('set ORGAUTH_MASTER_KEY or ORGAUTH_MASTER_KEY_FILE, not both');
  if (keyFile) return { masterKey: readMasterKeyFile(path.resolve(keyFile), 'ORGAUTH_MASTER_KEY_FILE'), masterKeySource: 'ORGAUTH_MASTER_KEY_FILE' };
  if (!value) return { masterKey: undefined, masterKeySource: undefined };
  return { masterKey: parseMasterKey(value, 'ORGAUTH_MASTER_KEY'), masterKeySource: 'ORGAUTH_MASTER_KEY' };
}

function parseMasterKey(value: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    // Never echo the value: it is key material.
    throw new ConfigError(`${source} must hold 32 bytes, written as 64 hex digits or base64`);
  }
  return key;
}

/**
 * A master key kept in a file (ORGAUTH_MASTER_KEY_FILE, or the one generated into the data
 * folder): only its owner may read it, as ssh does with private keys.
 */
export function readMasterKeyFile(file: string, source: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new ConfigError(`${source}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!stat.isFile()) throw new ConfigError(`${source}: ${file} is not a file`);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); a master key file must be private: chmod 600 ${file}`);
  }
  return parseMasterKey(fs.readFileSync(file, 'utf8').trim(), file);
}

function parseIssuer(raw: string | undefined, host: string, port: number): string {
  const value = raw?.trim();
  if (!value) {
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return `http://${shownHost}:${port}${BASE_PATH}`;
  }
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`ORGAUTH_ISSUER must be an http(s) URL; got '${value}'`);
  }
  return value.replace(/\/+$/, '');
}

function parseBudget(name: string, raw: string | undefined, fallback: string): RateBudget {
  const value = raw?.trim() || fallback;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const max = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]);
  if (!match || max < 1 || windowSeconds < 1) {
    throw new ConfigError(`${name} must look like <count>/<seconds>, e.g. 600/60; got '${value}'`);
  }
  return { max, windowSeconds };
}
