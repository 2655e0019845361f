// `npm run bench`: orgauth (SQLite, and PostgreSQL + Redis when configured) vs node-oidc-provider vs
// a bare RS256 ceiling, alternating runs, medians over rounds, CPU per response by thread;
// `--scale` measures orgauth at 1k / 100k / 1M apps. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../src/db/database.js';
import type { Request } from 'autocannon';
import { difference, snapshot, totalUs, type CpuSource } from './cpu.js';
import { collectGarbage, measure, measurePaced, type Cred, type Measurement } from './load.js';
import { describeGeneratorStops, describeServerStops, watchServerStops } from './stops.js';
import { BASE_PATH, freshPostgres, orgauthEnv, primeSupplied, redisPid, seed, startOrgauth, type Seeded } from './orgauth.js';
import { freePort, rssMb, startServer, stopServer, trimLog, type Server } from './proc.js';
import { allTargets, machine, median, okCount, ratios, render, summarize, writeResults, type Calls, type InRunCalls, type Sample, type ScalePoint } from './report.js';
import { grantsProvider } from './grants.js';
import { runScale } from './scale.js';
import type { App } from './seed.js';
import { nodeCpu, orgauthProvider, peersProvider, type BenchContext, type OrgauthDeployment, type Workload, type WorkloadProvider } from './workloads.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Workload families, in round order after the client_credentials runs. Another grant or peer
 * plugs in here: a provider returns its workloads (and targets) for the prepared deployments.
 */
const PROVIDERS: WorkloadProvider[] = [orgauthProvider, peersProvider, grantsProvider];

const { values: args } = parseArgs({
  options: {
    apps: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    backends: { type: 'string', default: '' },
    scale: { type: 'boolean', default: false },
    'scale-sizes': { type: 'string', default: '1000,100000,1000000' },
    'skip-orgauth': { type: 'boolean', default: false },
    'skip-peers': { type: 'boolean', default: false },
    'skip-warn': { type: 'boolean', default: false },
    'skip-two-nodes': { type: 'boolean', default: false },
    'skip-grants': { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
  },
});
const opt = {
  apps: Number(args.apps),
  durationS: Number(args.duration),
  rounds: Number(args.rounds),
  connections: Number(args.connections),
  warmupS: Number(args.warmup),
};

/** The open-loop run's name; `--only` may name it like a workload. */
const PACED = 'client_credentials@80%';

/** `--only a,b`: run just these workloads (names as in the tables); empty: all. */
const only = new Set(args.only.split(',').map((n) => n.trim()).filter(Boolean));
const selected = (name: string): boolean => only.size === 0 || only.has(name);
if (only.has(PACED) && !only.has('client_credentials')) {
  throw new Error(`--only: ${PACED} runs at 80 % of client_credentials' rate, so client_credentials must be listed too`);
}

const servers: Server[] = [];
const tmpDirs: string[] = [];
const notes: string[] = [];
const samples: Sample[] = [];
/** Run after the servers stop (e.g. dropping a throw-away PostgreSQL database). */
const cleanups: (() => Promise<void>)[] = [];

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function cleanup(): Promise<void> {
  await Promise.all(servers.map((s) => stopServer(s)));
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  for (const c of cleanups.splice(0)) await c().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void cleanup().finally(() => process.exit(130)));
}

function tmpDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

interface Backends {
  sqlite: boolean;
  postgres?: { databaseUrl: string; redisUrl: string };
}

/**
 * `--backends sqlite,postgres` picks explicitly (PostgreSQL and Redis from BENCH_DATABASE_URL and
 * BENCH_REDIS_URL, else the local defaults); without it, SQLite always and PostgreSQL + Redis when
 * both variables are set.
 */
function backends(): Backends {
  const dbUrl = process.env.BENCH_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL;
  if (args.backends) {
    const names = args.backends.split(',').map((b) => b.trim()).filter(Boolean);
    for (const n of names) if (n !== 'sqlite' && n !== 'postgres') throw new Error(`--backends: unknown backend '${n}' (sqlite, postgres)`);
    return {
      sqlite: names.includes('sqlite'),
      ...(names.includes('postgres') ? { postgres: { databaseUrl: dbUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres', redisUrl: redisUrl ?? 'redis://127.0.0.1:6379' } } : {}),
    };
  }
  if (dbUrl && redisUrl) return { sqlite: true, postgres: { databaseUrl: dbUrl, redisUrl } };
  notes.push(
    dbUrl || redisUrl
      ? 'PostgreSQL + Redis rows n/a: both BENCH_DATABASE_URL and BENCH_REDIS_URL are needed (or --backends sqlite,postgres)'
      : 'PostgreSQL + Redis rows n/a: set BENCH_DATABASE_URL and BENCH_REDIS_URL, or pass --backends sqlite,postgres',
  );
  return { sqlite: true };
}

async function prime(label: string, server: Server, apps: App[], done?: Seeded['primed']): Promise<void> {
  const p = done ?? (await primeSupplied(server.url, apps));
  const line = `${label}: primed the ${p.count} caller-supplied secrets (one Argon2id verification each) in ${p.seconds.toFixed(1)} s before the rounds${p.failures ? `; ${p.failures} failed` : ''}`;
  notes.push(line);
  log(line);
}

/** orgauth on SQLite at LOG_LEVEL=info, and a second process on the same file at warn. */
async function prepareSqlite(): Promise<OrgauthDeployment[]> {
  const dataDir = tmpDir('orgauth-bench-');
  const env = orgauthEnv(dataDir, await freePort());
  const server = await startOrgauth(ROOT, env, 'orgauth');
  servers.push(server);
  log(`orgauth (SQLite) up at ${server.url}; seeding ${opt.apps} apps`);
  const seeded = await seed(ROOT, env, server, opt.apps, (n) => log(`orgauth: seeded ${n}`));
  notes.push(`orgauth (SQLite): seeded ${opt.apps} apps over HTTP in ${seeded.seedSeconds.toFixed(1)} s (16 in flight, 10% caller-supplied secrets); client_credentials, introspect and GET app rotate over ${seeded.ccPool.length} apps, PUT regenerate over ${seeded.regenPool.length} others`);
  await prime('orgauth', server, seeded.ccPool, seeded.primed);
  const out: OrgauthDeployment[] = [{ label: 'orgauth', backend: 'sqlite', nodes: [server], url: server.url, env, seeded, cpu: [nodeCpu('orgauth', server)] }];
  if (!args['skip-warn']) {
    // Same apps, own copy of the file: only the log level differs. On one file, each process's
    // commits (its lastUsedAt flush) move the other's PRAGMA data_version and drop its copies of apps.
    const warnDir = tmpDir('orgauth-bench-warn-');
    await new Database(path.join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true }).backup(path.join(warnDir, SQLITE_FILE));
    const warnEnv = { ...env, ORGAUTH_DATA_DIR: warnDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    const warn = await startOrgauth(ROOT, warnEnv, 'orgauth@warn');
    servers.push(warn);
    await prime('orgauth@warn', warn, seeded.ccPool);
    out.push({ label: 'orgauth@warn', backend: 'sqlite', nodes: [warn], url: warn.url, env: warnEnv, seeded, cpu: [nodeCpu('orgauth@warn', warn)] });
  }
  return out;
}

/** orgauth on PostgreSQL + Redis, and two such nodes behind the round-robin proxy. */
async function preparePostgres(urls: { databaseUrl: string; redisUrl: string }): Promise<OrgauthDeployment[]> {
  const db = await freshPostgres(urls.databaseUrl, log);
  cleanups.push(db.drop);
  const redis = await redisPid(urls.redisUrl);
  if (redis === undefined) notes.push('redis-server pid unknown (INFO server failed): Redis CPU not counted');
  const shared: CpuSource[] = [
    { group: 'postgres', node: false, pids: db.backendPids },
    ...(redis !== undefined ? [{ group: 'redis', node: false, pids: async () => [redis] }] : []),
  ];
  // Nodes of one deployment share the master key and the issuer (the URL clients reach: the proxy's);
  // a Redis prefix of its own keeps this run apart from anything else using the same Redis.
  const proxyPort = await freePort();
  const env = orgauthEnv(tmpDir('orgauth-bench-pg-'), await freePort(), { databaseUrl: db.url, redisUrl: urls.redisUrl, masterKey: randomBytes(32).toString('hex') });
  env.ORGAUTH_ISSUER = `http://127.0.0.1:${proxyPort}${BASE_PATH}`;
  env.ORGAUTH_REDIS_PREFIX = `orgauth-bench-${randomBytes(4).toString('hex')}:`;
  const a = await startOrgauth(ROOT, env, 'orgauth-pg');
  servers.push(a);
  log(`orgauth (PostgreSQL + Redis) up at ${a.url}; seeding ${opt.apps} apps`);
  const seeded = await seed(ROOT, env, a, opt.apps, (n) => log(`orgauth-pg: seeded ${n}`));
  notes.push(`orgauth-pg (PostgreSQL + Redis): seeded ${opt.apps} apps over HTTP in ${seeded.seedSeconds.toFixed(1)} s`);
  await prime('orgauth-pg', a, seeded.ccPool, seeded.primed);
  const out: OrgauthDeployment[] = [{ label: 'orgauth-pg', backend: 'postgres', nodes: [a], url: a.url, env, seeded, cpu: [nodeCpu('orgauth-pg', a), ...shared] }];
  if (!args['skip-two-nodes']) {
    const envB = { ...env, PORT: String(await freePort()), ORGAUTH_DATA_DIR: tmpDir('orgauth-bench-pg-b-') };
    const b = await startOrgauth(ROOT, envB, 'orgauth-pg-b');
    servers.push(b);
    await prime('orgauth-pg-b', b, seeded.ccPool);
    const proxy = await startServer({ name: 'proxy', args: ['--import', 'tsx', 'bench/proxy.ts'], env: { PORT: String(proxyPort), TARGETS: `${env.PORT},${envB.PORT}` }, port: proxyPort, readyPath: '/healthz', cwd: ROOT });
    servers.push(proxy);
    out.push({
      label: 'orgauth-pg-2nodes',
      backend: 'postgres',
      nodes: [a, b],
      url: proxy.url,
      env,
      seeded,
      cpu: [nodeCpu('orgauth-pg', a), nodeCpu('orgauth-pg-b', b), ...shared, { group: 'proxy', node: false, pids: async () => (proxy.child.pid ? [proxy.child.pid] : []) }],
    });
    notes.push('orgauth-pg-2nodes: two `orgauth serve` processes on the same PostgreSQL database and Redis behind bench/proxy.ts, a round-robin TCP proxy (its own process; each connection goes to the next node); CPU columns sum both nodes');
  }
  return out;
}

async function probe(url: string, r: Request): Promise<{ status: number; body: string }> {
  const res = await fetch(url + (r.path ?? '/'), { method: r.method ?? 'GET', headers: r.headers ?? {}, ...(r.body !== undefined ? { body: String(r.body) } : {}) });
  return { status: res.status, body: (await res.text()).slice(0, 300) };
}

const loadGenerator: CpuSource = { group: 'load generator', node: false, pids: async () => [process.pid] };

/** A workload's CPU sources when it names none: those of the deployment or peer it runs on. */
let cpuOf: (server: string) => CpuSource[] = () => [];

async function run(w: Workload, round: number, durationS = opt.durationS, pacedRate?: number, label = w.name): Promise<Measurement> {
  const shape = { connections: opt.connections, durationS };
  await w.prepare?.(shape);
  if (w.warm) {
    const started = performance.now();
    await w.warm();
    log(`${w.server} ${label}: warm pass (one request per app to each node) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const load = { url: w.url, ...shape, requests: w.measure ? [] : await w.requests() };
  const sources = [...(w.cpu ?? cpuOf(w.server)), loadGenerator];
  const countersBefore = w.countCalls ? await callCounters(w.url) : undefined;
  // The paced run is judged on its tail: record the server's stops (orgauth only; read outside the CPU count).
  const serverStops = pacedRate ? await watchServerStops(w.url, (await sources[0]?.pids())?.[0]) : undefined;
  if (pacedRate) collectGarbage();
  let before = await snapshot(sources);
  const restartCount = async (): Promise<void> => { before = await snapshot(sources); };
  const m = w.measure ? await w.measure({ ...shape, restartCount }) : pacedRate ? await measurePaced({ ...load, overallRate: pacedRate }) : await measure(load);
  const cpu = difference(before, await snapshot(sources));
  const stops = await serverStops?.();
  if (stops) m.serverStops = stops;
  const inRun = countersBefore ? inRunCalls(countersBefore, await callCounters(w.url), okCount(m)) : undefined;
  const dead = servers.find((s) => s.child.exitCode !== null || s.child.signalCode !== null);
  if (dead) throw new Error(`${dead.name} died during ${w.server} ${label} (exit ${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output()}`);
  for (const s of servers) trimLog(s.stdoutFile);
  if (round > 0) samples.push({ server: w.server, workload: label, round, m, cpu, ...(inRun ? { inRun } : {}) });
  // Cores busy over the run: a server short of the CPU it is given waits on something else.
  const cores = (us: number): string => (us / (m.durationS * 1e6)).toFixed(2);
  const perOk = okCount(m) > 0 ? `${Math.round(totalUs(cpu) / okCount(m))} µs server CPU/2xx; cores busy: server ${cores(totalUs(cpu))}, load ${cores(cpu['load generator'] ?? 0)}` : '';
  const delay = (m.max !== undefined ? `; slowest response ${m.max} ms` : '')
    + (m.waitedForSocket !== undefined ? `; ${m.waitedForSocket} requests waited for a free socket` : '')
    + (m.serverStops ? `; ${describeServerStops(m.serverStops)}` : '')
    + (m.generatorStops ? `; ${describeGeneratorStops(m.generatorStops)}` : '');
  const counted = inRun
    ? `; DB statements/2xx ${inRun.queries.toFixed(3)} (+ ${inRun.renewalReads.toFixed(4)} renewal)${inRun.copiesServed === undefined ? '' : `, ${(100 * inRun.copiesServed).toFixed(1)} % served from copies`}`
    : '';
  log(`${round > 0 ? `round ${round}` : 'warm-up'} ${w.server.padEnd(17)} ${label.padEnd(24)} ${String(m.rps).padStart(6)}/s p50 ${m.p50} p99 ${m.p99} errors ${m.errors}${m.errors ? ' ' + JSON.stringify(m.statusCodes) : ''} ${perOk}${delay}${counted}`);
  return m;
}

const COUNTED_REQUESTS = 200;
const COUNTED_APPS = 20;

/**
 * Redis round trips and database statements per request in the steady state, counted by orgauth's
 * own metrics (orgauth_redis_round_trips_total, orgauth_db_queries_total) over COUNTED_REQUESTS
 * sequential requests cycling over COUNTED_APPS of the workload's requests, after one warm pass
 * over those. Other users of a shared Redis or PostgreSQL do not disturb the count.
 */
async function countCallsPerRequest(w: Workload): Promise<Calls> {
  const requests = (await w.requests()).slice(0, COUNTED_APPS);
  const send = async (r: Request): Promise<number> => {
    const res = await fetch(w.url + r.path, { method: r.method ?? 'GET', headers: r.headers as Record<string, string>, ...(r.body !== undefined ? { body: r.body as string } : {}) });
    await res.arrayBuffer();
    return res.status;
  };
  for (const r of requests) await send(r);
  const before = await callCounters(w.url);
  let failed = 0;
  for (let i = 0; i < COUNTED_REQUESTS; i++) if ((await send(requests[i % requests.length]!)) >= 300) failed += 1;
  const after = await callCounters(w.url);
  const per = (a: number, b: number): number => (a - b) / COUNTED_REQUESTS;
  const calls = { redis: per(after.redis, before.redis), queries: per(after.queries, before.queries), selects: per(after.selects, before.selects) };
  const line = `${w.server} ${w.name}, counted over ${COUNTED_REQUESTS} requests on ${requests.length} apps after a warm pass: `
    + `${calls.redis.toFixed(2)} Redis round trips and ${calls.queries.toFixed(2)} database statements (${calls.selects.toFixed(2)} reads) per request${failed ? `; ${failed} answered ≥ 300` : ''}`;
  notes.push(line);
  log(line);
  return calls;
}

interface Counters extends Calls {
  renewalReads: number;
  copiesServed: number;
  copiesRead: number;
}

async function callCounters(url: string): Promise<Counters> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name: string, only?: RegExp): number => {
    let total = 0;
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) if (!only || only.test(m[1] ?? '')) total += Number(m[2]);
    return total;
  };
  // Renewal passes read in the background, up to 500 apps per statement: not a cost of any one request.
  const renewalReads = sum('orgauth_client_copy_renewal_reads_total');
  return {
    redis: sum('orgauth_redis_round_trips_total'),
    queries: sum('orgauth_db_queries_total') - renewalReads,
    selects: sum('orgauth_db_queries_total', /statement="select"/) - renewalReads,
    renewalReads,
    copiesServed: sum('orgauth_client_copies_total', /event="served"/),
    copiesRead: sum('orgauth_client_copies_total', /event="read"/),
  };
}

/** What the run cost the database per 2xx, from the counters before and after it. */
function inRunCalls(before: Counters, after: Counters, ok: number): InRunCalls | undefined {
  if (ok <= 0) return undefined;
  const served = after.copiesServed - before.copiesServed;
  const read = after.copiesRead - before.copiesRead;
  return {
    queries: (after.queries - before.queries) / ok,
    renewalReads: (after.renewalReads - before.renewalReads) / ok,
    copiesServed: served + read > 0 ? served / (served + read) : undefined,
  };
}

/** Credentials for the peers when orgauth is not part of the run. */
function fakeCreds(n: number): Cred[] {
  return Array.from({ length: n }, (_, i) => ({ clientId: `bench-app-${i}`, secret: `oa_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}_chk1` }));
}

async function compare(started: string): Promise<void> {
  const deployments = new Map<string, OrgauthDeployment>();
  if (!args['skip-orgauth']) {
    if (!existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` (npm run bench does) or pass --skip-orgauth');
    const b = backends();
    // Both backends are seeded at the same time; nothing is measured until all are ready.
    const prepared = await Promise.all([b.sqlite ? prepareSqlite() : [], b.postgres ? preparePostgres(b.postgres) : []]);
    for (const d of prepared.flat()) deployments.set(d.label, d);
  } else {
    notes.push('orgauth skipped (--skip-orgauth)');
  }
  const first = [...deployments.values()][0];
  const ctx: BenchContext = {
    root: ROOT,
    apps: opt.apps,
    log,
    notes,
    addServer: (s) => servers.push(s),
    addTmpDir: (d) => tmpDirs.push(d),
    orgauth: deployments,
    creds: first ? first.seeded.ccPool.map(({ clientId, secret }) => ({ clientId, secret })) : fakeCreds(Math.floor(opt.apps * 0.9)),
    peers: new Map(),
    oidcProviderEnv: {},
  };
  const providers = PROVIDERS.filter((p) => !(args['skip-peers'] && p === peersProvider) && !(args['skip-grants'] && p === grantsProvider));
  for (const p of providers) Object.assign(ctx.oidcProviderEnv, p.oidcProviderEnv?.() ?? {});
  const offered: Workload[] = [];
  for (const p of providers) offered.push(...(await p.workloads(ctx)));
  cpuOf = (server) => {
    const d = deployments.get(server);
    const peer = ctx.peers.get(server);
    return d ? d.cpu : peer ? [nodeCpu(server, peer)] : [];
  };
  log(`servers up: ${servers.map((s) => `${s.name} pid ${s.child.pid} ${rssMb(s.child.pid)} MB`).join(', ')}`);

  // A workload whose first request does not answer 2xx is left out, with the reason in the notes.
  const workloads: Workload[] = [];
  const calls = new Map<string, Calls>();
  const known = new Set([...offered.map((w) => w.name), PACED]);
  for (const n of only) if (!known.has(n)) throw new Error(`--only: no workload '${n}' in this run (${[...known].join(', ')})`);
  if (only.size > 0) notes.push(`only these workloads ran (--only): ${[...only].join(', ')}`);
  for (const w of offered.filter((o) => selected(o.name))) {
    const first = (await w.requests())[0];
    const p = first ? await probe(w.url, first) : undefined;
    if (!p) notes.push(`${w.server} ${w.name}: skipped (nothing to send)`);
    else if (p.status < 200 || p.status >= 300) notes.push(`${w.server} ${w.name}: skipped, probe got ${p.status} ${p.body}`);
    else workloads.push(w);
  }
  for (const w of workloads) if (w.countCalls) calls.set(`${w.server}\0${w.name}`, await countCallsPerRequest(w));

  // Round order: every server's client_credentials over all apps back to back, then over one app,
  // then the open-loop run at 80 %, then everything else.
  const cc = workloads.filter((w) => w.name === 'client_credentials');
  const cc1 = workloads.filter((w) => w.name === 'client_credentials_1app');
  const rest = workloads.filter((w) => !cc.includes(w) && !cc1.includes(w));
  const paced = selected(PACED) ? cc.find((w) => w.server === 'orgauth') : undefined;
  if (!paced && selected(PACED)) notes.push('client_credentials@80%: not run (no orgauth SQLite client_credentials)');
  if (opt.warmupS > 0) for (const w of [...cc, ...cc1, ...rest]) await run(w, 0, opt.warmupS);
  for (let round = 1; round <= opt.rounds; round++) {
    for (const w of [...cc, ...cc1]) await run(w, round);
    if (paced) {
      // 80 % of the median maximum so far (this round's included), paced open loop (load.ts).
      const max = median(samples.filter((s) => s.server === 'orgauth' && s.workload === 'client_credentials').map((s) => s.m.rps));
      if (max > 0) await run(paced, round, opt.durationS, Math.round(max * 0.8), PACED);
    }
    for (const w of rest) await run(w, round);
  }
  const rss = Object.fromEntries(servers.map((s) => [s.name, rssMb(s.child.pid)]));

  const summaries = summarize(samples).map((s) => {
    const c = calls.get(`${s.server}\0${s.workload}`);
    return c ? { ...s, calls: c } : s;
  });
  const extraTargets = providers.flatMap((p) => p.targets?.(summaries) ?? []);
  const extraRatios = Object.assign({}, ...providers.map((p) => p.ratios?.(summaries) ?? {})) as Record<string, number | undefined>;
  const renderOptions = { mode: 'compare' as const, apps: opt.apps, extraTargets, extraRatios };
  console.log(render(summaries, [], notes, renderOptions));
  console.log(`\nRSS after the run (MB): ${JSON.stringify(rss)}`);
  const file = writeResults(path.join(ROOT, 'bench/results'), {
    kind: 'compare',
    started,
    finished: new Date().toISOString(),
    machine: machine(),
    options: opt,
    backends: [...new Set([...deployments.values()].map((d) => d.backend))],
    rssMb: rss,
    summaries,
    ratios: { ...ratios(summaries), ...extraRatios },
    targets: allTargets(summaries, [], renderOptions),
    samples,
    notes,
  });
  log(`raw results: ${path.relative(ROOT, file)}`);
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const load = os.loadavg()[0] ?? 0;
  if (load > 0.5) notes.push(`load average was ${load.toFixed(2)} at start on ${os.cpus().length} cores: other work shares the CPUs, rates are noisy (CPU per response much less so)`);
  if (args.scale) {
    const points: ScalePoint[] = await runScale({ root: ROOT, sizes: args['scale-sizes'].split(',').map(Number), connections: opt.connections, durationS: opt.durationS, rounds: opt.rounds, warmupS: opt.warmupS, log, servers, tmpDirs, notes });
    console.log(render([], points, notes, { mode: 'scale', apps: opt.apps }));
    const file = writeResults(path.join(ROOT, 'bench/results'), { kind: 'scale', started, machine: machine(), options: opt, scale: points, notes });
    log(`raw results: ${path.relative(ROOT, file)}`);
    return;
  }
  await compare(started);
}

try {
  await main();
} catch (err) {
  log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  for (const s of servers) if (s.child.exitCode !== null && !String(err).includes(s.output())) log(`${s.name} output:\n${s.output()}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
