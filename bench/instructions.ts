// Instructions per request on the event loop, counted by valgrind's callgrind: the same figure for
// the same build whatever else the machine is doing, where CPU time on this shared machine moves by
// 2 × between runs a minute apart. Judges a change to orgauth's token path; the rates and targets
// stay with `npm run bench` (bench/README.md, "Instructions per request").
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bootstrap, orgauthEnv, TokenSource, BASE_PATH } from './orgauth.js';
import { seedHttp } from './seed.js';
import { basic, FORM } from './load.js';
import { freePort, sleep } from './proc.js';
import { splitInstructions } from './callgrind.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '4' },
    only: { type: 'string' },
  },
});
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);

interface Probe {
  readonly server: 'orgauth' | 'ceiling';
  readonly name: string;
  /** One request; resolves to its status. */
  send(i: number): Promise<number>;
}

interface Counted {
  readonly server: string;
  readonly name: string;
  /** Instructions per request, thousands: the event-loop thread in all, and of them those in V8's compilers and collector. */
  readonly total: number;
  readonly compile: number;
  readonly gc: number;
  readonly errors: number;
}

/**
 * The server under callgrind. `--single-threaded` keeps V8's compiler and GC on the event loop, so
 * the count is one thread's and does not depend on how V8's helper threads were scheduled;
 * the RSA signatures still run on libuv's pool and are left out. Instrumentation is switched on only
 * for the measured requests, after the warm-up has let the JIT settle.
 */
function underCallgrind(args: string[], env: Record<string, string>, outFile: string): ChildProcess {
  return spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', `--callgrind-out-file=${outFile}`,
    process.execPath, '--single-threaded', ...args], { cwd: root, env: { ...process.env, ...env, HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function waitReady(child: ChildProcess, url: string): Promise<void> {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => { tail = (tail + chunk.toString()).slice(-4000); });
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited under valgrind:\n${tail}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error(`not ready under valgrind within 300 s:\n${tail}`);
}

/** vgdb names its pipes after HOST: the same for the server (underCallgrind) and this command. */
function callgrindControl(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { env: { ...process.env, HOST: '127.0.0.1' }, stdio: 'ignore' });
}

async function load(probe: Probe, count: number): Promise<number> {
  let next = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    for (let i = next++; i < count; i = next++) if (await probe.send(i) !== 200) errors++;
  }));
  return errors;
}

/** Warms up, counts `REQUESTS` requests, and reads the event-loop thread's profile (thread 1). */
async function count(child: ChildProcess, outFile: string, probe: Probe): Promise<Counted> {
  await load(probe, WARMUP);
  const pid = child.pid ?? 0;
  callgrindControl(pid, '--instr=on');
  const errors = await load(probe, REQUESTS);
  callgrindControl(pid, '--dump');
  callgrindControl(pid, '--instr=off');
  const dir = path.dirname(outFile);
  const files = readdirSync(dir).filter((f) => f.startsWith(`${path.basename(outFile)}.`) && f.endsWith('-01')).sort();
  const file = path.join(dir, files.at(-1) ?? '');
  const shares = splitInstructions(readFileSync(file, 'utf8'));
  rmSync(file);
  const perRequest = (n: number) => n / REQUESTS / 1000;
  return { server: probe.server, name: probe.name, total: perRequest(shares.total), compile: perRequest(shares.compile), gc: perRequest(shares.gc), errors };
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res.status;
}

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

const wanted = (name: string) => !opts.only || opts.only.split(',').includes(name);

/** Starts a server under callgrind, counts its wanted probes one after the other, and stops it. */
async function countServer(args: string[], env: Record<string, string>, dir: string, readyUrl: string, probeNames: string[], probes: () => Promise<Probe[]>): Promise<Counted[]> {
  if (!probeNames.some(wanted)) {
    rmSync(dir, { recursive: true, force: true });
    return [];
  }
  const outFile = path.join(dir, 'callgrind.out');
  const child = underCallgrind(args, env, outFile);
  try {
    await waitReady(child, readyUrl);
    const counted: Counted[] = [];
    for (const probe of (await probes()).filter((p) => wanted(p.name))) counted.push(await count(child, outFile, probe));
    return counted;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `orgauth serve` at `info`, as users run it (bench/orgauth.ts's environment), on 10 apps. */
async function orgauthCounts(): Promise<Counted[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orgauth-instructions-'));
  const port = await freePort();
  const env = orgauthEnv(dir, port);
  delete env.ORGAUTH_EVENT_LOOP_STOP_MS; // its 5 ms timer would count per request under valgrind's slowness
  const url = `http://127.0.0.1:${port}`;
  return countServer(['bin/orgauth', 'serve'], env, dir, `${url}/healthz`, ['client_credentials', 'introspect', 'healthz'], async () => {
    const boot = await bootstrap(root, env);
    const apps = await seedHttp(url, boot.orgId, new TokenSource(url, boot.apiToken), 10, 2);
    const tokenUrl = `${url}${BASE_PATH}/auth/token`;
    const headers = (i: number) => ({ authorization: basic(apps[i % apps.length]!.clientId, apps[i % apps.length]!.secret), 'content-type': FORM });
    const issued: string[] = [];
    for (let i = 0; i < apps.length; i++) {
      const res = await fetch(tokenUrl, { method: 'POST', headers: headers(i), body: 'grant_type=client_credentials' });
      issued.push(((await res.json()) as { access_token: string }).access_token);
    }
    return [
      { server: 'orgauth', name: 'client_credentials', send: (i) => post(tokenUrl, headers(i), 'grant_type=client_credentials') },
      { server: 'orgauth', name: 'introspect', send: (i) => post(`${url}${BASE_PATH}/auth/introspect`, headers(i), `token=${issued[i % issued.length]}`) },
      { server: 'orgauth', name: 'healthz', send: () => get(`${url}/healthz`) },
    ];
  });
}

/** The RS256 ceiling (bench/servers/ceiling.ts): its token and `hello`. */
async function ceilingCounts(): Promise<Counted[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orgauth-instructions-ceiling-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return countServer(['--import', 'tsx', 'bench/servers/ceiling.ts'], { PORT: String(port) }, dir, `${url}/hello`, ['client_credentials', 'hello'], async () => [
    { server: 'ceiling', name: 'client_credentials', send: (i) => post(`${url}/token`, { authorization: basic(`bench-app-${i % 10}`, 'secret'), 'content-type': FORM }, 'grant_type=client_credentials') },
    { server: 'ceiling', name: 'hello', send: () => get(`${url}/hello`) },
  ]);
}

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('valgrind is not installed (Debian: apt-get install valgrind)');
  process.exit(2);
}
const started = Date.now();
const rows = [...await orgauthCounts(), ...await ceilingCounts()];
console.log(`\nInstructions per request on the event loop (thousands; ${REQUESTS} requests after ${WARMUP} of warm-up, ${CONNECTIONS} connections, ${Math.round((Date.now() - started) / 1000)} s)\n`);
console.log('| server | workload | in all | of it V8 compiler | of it GC | without both | errors |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.server} | ${r.name} | ${r.total.toFixed(1)} | ${r.compile.toFixed(1)} | ${r.gc.toFixed(1)} | ${(r.total - r.compile - r.gc).toFixed(1)} | ${r.errors} |`);
}
