// Starts a real orgauth server (dist/start.cjs, what `npm start` runs) on a free port for one test file, and remembers every
// secret the file saw so that stop() can prove none of them reached a log line or the data folder.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { AssertionError } from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseText } from './postgres.js';

export const BASE_PATH = '/csp/gateway/am/api';
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Parsed JSON bodies are deliberately loose: tests assert their shape field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  body: Json;
}

export interface RequestOptions {
  /** Path is relative to the server root instead of the base path. */
  root?: boolean;
  /** Sent as `Authorization: Bearer …`. */
  token?: string;
  /** Sent as raw (not percent-encoded) HTTP Basic. */
  basic?: [string, string];
  /** JSON body (sets Content-Type: application/json). */
  json?: unknown;
  /** Form body (sets Content-Type: application/x-www-form-urlencoded). */
  form?: Record<string, string> | URLSearchParams;
  /** Raw body; set Content-Type yourself through headers. */
  body?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/** What a leak scan looks for: client secrets and API tokens must not be in the data folder either. */
export type SecretKind = 'clientSecret' | 'apiToken' | 'accessToken';

export interface TestServer {
  baseUrl: string;
  /** Per-database token substituted for `{uniq}` in TEST_SERVER_ENV_JSON. */
  uniq: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** Absolute URL under the base path. */
  api(p: string): string;
  /** Absolute URL from the server root. */
  url(p: string): string;
  /** HTTP request; `p` is under the base path unless opts.root. Remembers secrets seen in bodies. */
  req(method: string, p: string, opts?: RequestOptions): Promise<HttpResult>;
  /** `node dist/cli.js <args> --json`; asserts exit 0 and exactly one JSON object on stdout. */
  cli(args: string[]): Promise<Json>;
  /** `node dist/cli.js <args>` without any checks; `input` is written to its standard input. */
  cliRaw(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Record a value that must never reach a log line (and, unless an access token, the data folder). */
  rememberSecret(value: string | undefined | null, kind: SecretKind): void;
  secrets(): ReadonlyMap<string, SecretKind>;
  /** Lines of the server log so far (stdout and stderr). */
  logText(): string;
  /** Stops the server, scans logs and data folder for secrets, removes temp files (unless KEEP_TEST_DATA); `finalLog` gets the whole log once the process has exited. */
  stop(opts?: { checkSecrets?: boolean; finalLog?: (text: string) => void }): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Start a second node on the same database (same data folder, same TEST_SERVER_ENV_JSON expansion). */
  shareWith?: TestServer;
  /** Milliseconds to wait for /healthz. */
  readyTimeoutMs?: number;
}

const SECRET_KEYS: Record<string, SecretKind> = {
  clientSecret: 'clientSecret',
  secret: 'clientSecret',
  newClientSecret: 'clientSecret',
  client_secret: 'clientSecret',
  apiToken: 'apiToken',
  api_token: 'apiToken',
  refresh_token: 'apiToken',
  access_token: 'accessToken',
  id_token: 'accessToken',
};

/** Variables of the test runner that must not leak into the server unless a test asks for them. */
const SCRUBBED_ENV = /^(ORGAUTH_|DATABASE_URL$|REDIS_URL$|RATE_LIMIT_|HOST$|PORT$|LOG_LEVEL$)/;

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  if (addr === null || typeof addr === 'string') throw new Error('could not get a free port');
  return addr.port;
}

/**
 * Environment of a test server: the runner's environment minus orgauth settings, then
 * TEST_SERVER_ENV_JSON (e.g. `{"DATABASE_URL":"postgres://…/orgauth_{uniq}","ORGAUTH_MASTER_KEY":"…"}`,
 * where `{uniq}` becomes a per-server unique token), then the caller's overrides.
 */
function serverEnv(port: number, dataDir: string, uniq: string, overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUBBED_ENV.test(k)) env[k] = v;
  Object.assign(env, { HOST: '127.0.0.1', PORT: String(port), ORGAUTH_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  const fromJson = process.env.TEST_SERVER_ENV_JSON;
  if (fromJson) {
    const parsed = JSON.parse(fromJson) as Record<string, string>;
    for (const [k, v] of Object.entries(parsed)) env[k] = String(v).replaceAll('{uniq}', uniq);
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A start takes about a second on a quiet machine; a loaded CI machine can take tens of seconds. */
const READY_TIMEOUT_MS = 90_000;

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  // ORGAUTH_TEST_DIST runs the suite against another build (e.g. an installed package).
  const dist = process.env.ORGAUTH_TEST_DIST ?? path.join(REPO_ROOT, 'dist');
  const main = path.join(dist, 'start.cjs');
  const cliJs = path.join(dist, 'cli.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);

  const port = await freePort();
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-test-'));
  // A second node shares the first one's data folder (its own log); only the first removes the folder.
  const dataDir = opts.shareWith ? opts.shareWith.dataDir : path.join(tmpRoot, 'data');
  if (!opts.shareWith) fs.mkdirSync(dataDir);
  const logFile = path.join(tmpRoot, 'server.log');
  const errFile = path.join(tmpRoot, 'server.stderr.log');
  const uniq = opts.shareWith ? opts.shareWith.uniq : `${process.pid}_${port}_${Date.now().toString(36)}`;
  const env = serverEnv(port, dataDir, uniq, opts.env ?? {});
  // The first node of a per-server PostgreSQL database creates it (and drops it on stop).
  const dropDatabase = opts.shareWith ? undefined : await createPerServerDatabase(env.DATABASE_URL, uniq);
  const baseUrl = `http://127.0.0.1:${port}`;

  const outFd = fs.openSync(logFile, 'a');
  const errFd = fs.openSync(errFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [main], { cwd: REPO_ROOT, env, stdio: ['ignore', outFd, errFd] });
  let exited = false;
  child.on('exit', () => { exited = true; });

  const secretMap = new Map<string, SecretKind>();
  const rememberSecret = (value: string | undefined | null, kind: SecretKind): void => {
    // Very short values would match by accident; no real secret or token is that short.
    if (typeof value === 'string' && value.length >= 8 && !secretMap.has(value)) secretMap.set(value, kind);
  };
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(collect); return; }
    if (v === null || typeof v !== 'object') return;
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      const kind = SECRET_KEYS[k];
      if (kind && typeof val === 'string') rememberSecret(val, kind);
      else collect(val);
    }
  };
  const logText = (): string => {
    let text = '';
    for (const f of [logFile, errFile]) if (fs.existsSync(f)) text += fs.readFileSync(f, 'utf8');
    return text;
  };

  const api = (p: string): string => baseUrl + BASE_PATH + p;
  const url = (p: string): string => baseUrl + p;

  const req = async (method: string, p: string, o: RequestOptions = {}): Promise<HttpResult> => {
    const target = new URL(/^https?:/.test(p) ? p : o.root ? url(p) : api(p));
    for (const [k, v] of Object.entries(o.query ?? {})) target.searchParams.append(k, v);
    for (const [k, v] of target.searchParams) if (SECRET_KEYS[k]) rememberSecret(v, SECRET_KEYS[k]!);
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
      collect(o.json);
    } else if (o.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = o.form instanceof URLSearchParams ? o.form : new URLSearchParams(o.form);
      for (const [k, v] of form) if (SECRET_KEYS[k]) rememberSecret(v, SECRET_KEYS[k]!);
      body = form.toString();
    } else if (o.body !== undefined) {
      body = o.body;
    }
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.basic) {
      rememberSecret(o.basic[1], 'clientSecret');
      headers.authorization = 'Basic ' + Buffer.from(`${o.basic[0]}:${o.basic[1]}`, 'utf8').toString('base64');
    }
    Object.assign(headers, o.headers ?? {});
    const res = await fetch(target, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: Json;
    try { parsed = text.length ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    collect(parsed);
    return { status: res.status, headers: res.headers, text, body: parsed };
  };

  const cliRaw = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(process.execPath, [cliJs, ...args], { cwd: REPO_ROOT, env, timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      child.stdin?.end(input ?? '');
    });

  const cli = async (args: string[]): Promise<Json> => {
    const full = args.includes('--json') ? args : [...args, '--json'];
    const r = await cliRaw(full);
    if (r.code !== 0) throw new AssertionError({ message: `orgauth ${full.join(' ')} exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}` });
    let parsed: Json;
    try { parsed = JSON.parse(r.stdout); } catch {
      throw new AssertionError({ message: `orgauth ${full.join(' ')} --json did not print exactly one JSON value: ${JSON.stringify(r.stdout)}` });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AssertionError({ message: `orgauth ${full.join(' ')} --json printed ${typeof parsed}, not one JSON object` });
    }
    collect(parsed);
    return parsed;
  };

  // Wait for readiness.
  const deadline = Date.now() + (opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  for (;;) {
    if (exited) {
      const out = logText();
      fs.closeSync(outFd); fs.closeSync(errFd);
      throw new Error(`orgauth exited before /healthz answered (exit ${child.exitCode}):\n${out.slice(-4000)}`);
    }
    try {
      const r = await fetch(url('/healthz'), { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch { /* not yet listening */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`orgauth did not answer /healthz within ${opts.readyTimeoutMs ?? READY_TIMEOUT_MS} ms:\n${logText().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopped = false;
  const stop = async ({ checkSecrets = true, finalLog }: { checkSecrets?: boolean; finalLog?: (text: string) => void } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    fs.closeSync(outFd); fs.closeSync(errFd);
    finalLog?.(logText());
    // On PostgreSQL the data folder is empty: scan every row of the server's database instead.
    const stored = checkSecrets && dropDatabase && env.DATABASE_URL ? await databaseText(env.DATABASE_URL).catch(() => '') : '';
    const leaks = checkSecrets ? findLeaks(logText(), dataDir, secretMap, stored) : [];
    const keep = Boolean(process.env.KEEP_TEST_DATA) || leaks.length > 0;
    if (!keep) fs.rmSync(tmpRoot, { recursive: true, force: true });
    if (!keep && dropDatabase) await dropDatabase();
    if (leaks.length) {
      throw new AssertionError({
        message: `secrets leaked (kept ${tmpRoot} for inspection):\n  ${leaks.join('\n  ')}`,
      });
    }
  };

  return {
    baseUrl, uniq, port, dataDir, logFile, api, url, req, cli, cliRaw, rememberSecret,
    secrets: () => secretMap, logText, stop,
  };
}

/** Describes each leak by kind and hint (last 4 chars), never by value. */
function findLeaks(log: string, dataDir: string, secrets: ReadonlyMap<string, SecretKind>, databaseRows = ''): string[] {
  const leaks: string[] = [];
  const files: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(dataDir);
  const contents = files.map((f) => ({ f, buf: fs.readFileSync(f) }));
  for (const [value, kind] of secrets) {
    const hint = `${kind} …${value.slice(-4)}`;
    const count = log.split(value).length - 1;
    if (count > 0) leaks.push(`${hint} appears ${count}× in the server log`);
    // Access tokens may legitimately be stored (e.g. for revocation); client secrets and API tokens never in plaintext.
    if (kind !== 'accessToken') {
      for (const { f, buf } of contents) if (buf.includes(value)) leaks.push(`${hint} stored in plaintext in ${path.relative(dataDir, f)}`);
      if (databaseRows.includes(value)) leaks.push(`${hint} stored in plaintext in the PostgreSQL database`);
    }
  }
  return leaks;
}

/**
 * When DATABASE_URL names a per-server database (its name contains the `{uniq}` token), create it
 * through the server's maintenance database `postgres`, and return a function that drops it.
 * A DATABASE_URL without the token is used as is: then the database must be fresh for each file.
 */
async function createPerServerDatabase(databaseUrl: string | undefined, uniq: string): Promise<(() => Promise<void>) | undefined> {
  if (!databaseUrl || !/^postgres(ql)?:/.test(databaseUrl)) return undefined;
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name.includes(uniq)) return undefined;
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`per-server database name must be [A-Za-z0-9_]: ${name}`);
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const { default: pg } = await import('pg');
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: maintenance.href });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  await run(`CREATE DATABASE "${name}"`);
  return () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
