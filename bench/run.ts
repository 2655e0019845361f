// `npm run bench`: orgauth vs node-oidc-provider vs a bare RS256 ceiling, alternating runs,
// medians over rounds; `--scale` measures orgauth at 1k / 100k / 1M apps. See bench/README.md.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Request } from 'autocannon';
import { basic, clientCredentialsRequests, FORM, measure, measurePaced, type Cred, type Measurement } from './load.js';
import { BASE_PATH, bootstrap, freshPostgres, orgauthEnv, startOrgauth, TokenSource } from './orgauth.js';
import { orgauthGrantWorkloads, peerGrantWorkloads, peerSignInEnv } from './grants.js';
import { freePort, rssMb, startServer, stopServer, type Server } from './proc.js';
import { machine, ratios, render, summarize, targets, writeResults, type Sample, type ScalePoint } from './report.js';
import { runScale } from './scale.js';
import { seedHttp, type App } from './seed.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    apps: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    scale: { type: 'boolean', default: false },
    'scale-sizes': { type: 'string', default: '1000,100000,1000000' },
    'skip-orgauth': { type: 'boolean', default: false },
    'skip-peers': { type: 'boolean', default: false },
  },
});
const opt = {
  apps: Number(args.apps),
  durationS: Number(args.duration),
  rounds: Number(args.rounds),
  connections: Number(args.connections),
  warmupS: Number(args.warmup),
};

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

interface Workload {
  server: string;
  name: string;
  url: string;
  /** Built fresh for each run (management tokens may have been renewed). */
  requests: () => Promise<Request[]>;
  /** Runs before each run, outside the measured window (e.g. minting single-use codes). */
  prepare?: (o: { durationS: number; connections: number }) => Promise<void>;
  /** Measures the run itself instead of autocannon (e.g. chains that send the previous response's token). */
  measure?: (o: { durationS: number; connections: number }) => Promise<Measurement>;
}

async function probe(url: string, r: Request): Promise<{ status: number; body: string }> {
  const res = await fetch(url + (r.path ?? '/'), { method: r.method ?? 'GET', headers: r.headers ?? {}, ...(r.body !== undefined ? { body: String(r.body) } : {}) });
  return { status: res.status, body: (await res.text()).slice(0, 300) };
}

async function run(w: Workload, round: number, durationS = opt.durationS, rate?: { overallRate: number; paced: boolean }, label = w.name, connections = opt.connections): Promise<Measurement> {
  const load = { url: w.url, connections, durationS, requests: w.measure ? [] : await w.requests() };
  await w.prepare?.({ durationS, connections });
  const m = w.measure ? await w.measure({ durationS, connections }) : rate?.paced ? await measurePaced({ ...load, overallRate: rate.overallRate }) : await measure({ ...load, ...(rate ? { overallRate: rate.overallRate } : {}) });
  const dead = servers.find((s) => s.name === w.server && (s.child.exitCode !== null || s.child.signalCode !== null));
  if (dead) throw new Error(`${dead.name} died during ${label} (exit ${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output()}`);
  if (round > 0) samples.push({ server: w.server, workload: label, round, m });
  log(`${round > 0 ? `round ${round}` : 'warm-up'} ${w.server.padEnd(13)} ${label.padEnd(32)} ${String(m.rps).padStart(6)}/s p50 ${m.p50} p99 ${m.p99} errors ${m.errors}${m.errors ? ' ' + JSON.stringify(m.statusCodes) : ''}`);
  return m;
}

/** orgauth: start, bootstrap, seed over HTTP; returns its workloads and the credentials peers reuse. */
async function prepareOrgauth(): Promise<{ workloads: Workload[]; creds: Cred[] }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orgauth-bench-'));
  tmpDirs.push(dataDir);
  let databaseUrl: string | undefined;
  if (process.env.BENCH_DATABASE_URL) {
    const db = await freshPostgres(process.env.BENCH_DATABASE_URL, log);
    cleanups.push(db.drop);
    databaseUrl = db.url;
  }
  const env = orgauthEnv(dataDir, await freePort(), databaseUrl);
  const server = await startOrgauth(ROOT, env);
  servers.push(server);
  const boot = await bootstrap(ROOT, env);
  const tokens = new TokenSource(server.url, boot.apiToken);
  log(`orgauth up at ${server.url} (${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}${process.env.BENCH_REDIS_URL ? ' + Redis' : ''}), org ${boot.orgId}; seeding ${opt.apps} apps`);
  const t0 = Date.now();
  const apps = await seedHttp(server.url, boot.orgId, tokens, opt.apps, 16, (n) => log(`seeded ${n}`));
  const seedS = (Date.now() - t0) / 1000;
  notes.push(`seeded ${opt.apps} apps over HTTP in ${seedS.toFixed(1)} s (${Math.round(opt.apps / seedS)}/s, 16 in flight, 10% caller-supplied secrets)`);
  log(`seeded in ${seedS.toFixed(1)} s; RSS ${rssMb(server.child.pid)} MB`);

  // PUT regenerate gets its own pool of generated-secret apps so client_credentials never uses a dead secret.
  const regenCount = Math.max(1, Math.min(2000, Math.floor(opt.apps / 10)));
  const generated = apps.filter((a) => !a.supplied);
  const regenPool = generated.slice(-regenCount);
  const regenIds = new Set(regenPool.map((a) => a.clientId));
  const ccPool: App[] = apps.filter((a) => !regenIds.has(a.clientId));
  notes.push(`client_credentials, introspect and GET app rotate over ${ccPool.length} apps; PUT regenerate over ${regenPool.length} others`);

  const base = server.url + BASE_PATH;
  const appsPath = `${BASE_PATH}/orgs/${boot.orgId}/oauth-apps`;
  const bearer = async (): Promise<Record<string, string>> => ({ authorization: `Bearer ${await tokens.get()}` });

  // Access tokens to introspect: one per app for the first 1000 apps of the pool.
  const introspected: { app: App; token: string }[] = [];
  for (const app of ccPool.slice(0, 1000)) {
    const res = await fetch(`${base}/auth/authorize`, { method: 'POST', headers: { authorization: basic(app.clientId, app.secret), 'content-type': FORM }, body: 'grant_type=client_credentials' });
    const text = await res.text();
    if (!res.ok) {
      notes.push(`orgauth client_credentials probe failed: ${res.status} ${text.slice(0, 200)}`);
      break;
    }
    introspected.push({ app, token: (JSON.parse(text) as { access_token: string }).access_token });
  }

  // Caller-supplied secrets are verified with Argon2id once per secret and process, then from the
  // verified-secret cache. Pay that once for every one of them before measuring, so the rounds
  // measure the steady state rather than how many of the 10% the warm-up happened to reach; the
  // one-off cost is reported in the notes.
  const supplied = ccPool.filter((a) => a.supplied);
  const tPrime = Date.now();
  let primeFailures = 0;
  for (let i = 0; i < supplied.length; i += 16) {
    await Promise.all(supplied.slice(i, i + 16).map(async (app) => {
      const res = await fetch(`${base}/auth/authorize`, { method: 'POST', headers: { authorization: basic(app.clientId, app.secret), 'content-type': FORM }, body: 'grant_type=client_credentials' });
      await res.arrayBuffer();
      if (!res.ok) primeFailures += 1;
    }));
  }
  const primeS = (Date.now() - tPrime) / 1000;
  notes.push(`primed the ${supplied.length} caller-supplied secrets (one Argon2id verification each) in ${primeS.toFixed(1)} s before the rounds${primeFailures ? `; ${primeFailures} failed` : ''}`);
  log(`primed ${supplied.length} caller-supplied secrets in ${primeS.toFixed(1)} s`);

  const all: Workload[] = [
    { server: 'orgauth', name: 'client_credentials', url: server.url, requests: async () => clientCredentialsRequests(`${BASE_PATH}/auth/authorize`, ccPool) },
    {
      server: 'orgauth',
      name: 'api_token',
      url: server.url,
      requests: async () => [{ method: 'POST', path: `${BASE_PATH}/auth/api-tokens/authorize`, headers: { 'content-type': FORM }, body: new URLSearchParams({ api_token: boot.apiToken }).toString() }],
    },
    {
      server: 'orgauth',
      name: 'introspect',
      url: server.url,
      requests: async () =>
        introspected.map(({ app, token }) => ({ method: 'POST', path: `${BASE_PATH}/auth/introspect`, headers: { authorization: basic(app.clientId, app.secret), 'content-type': FORM }, body: `token=${token}` })),
    },
    { server: 'orgauth', name: 'get_app', url: server.url, requests: async () => { const h = await bearer(); return ccPool.map((a) => ({ method: 'GET', path: `${appsPath}/${a.clientId}`, headers: h })); } },
    {
      server: 'orgauth',
      name: 'put_regenerate',
      url: server.url,
      requests: async () => { const h = { ...(await bearer()), 'content-type': 'application/json' }; return regenPool.map((a) => ({ method: 'PUT', path: `${appsPath}/${a.clientId}/secret`, headers: h, body: '{}' })); },
    },
    { server: 'orgauth', name: 'list_apps', url: server.url, requests: async () => [{ method: 'GET', path: `${appsPath}?pageLimit=50`, headers: await bearer() }] },
    ...(await orgauthGrantWorkloads({ root: ROOT, env, url: server.url, orgId: boot.orgId, bearer: () => tokens.get(), notes, log })),
  ];

  const workloads: Workload[] = [];
  for (const w of all) {
    const reqs = await w.requests();
    const first = reqs[0];
    if (!first) {
      notes.push(`orgauth ${w.name}: skipped (nothing to send)`);
      continue;
    }
    // PUT is probed on its own pool's first app, which then regenerates once; harmless.
    const p = await probe(w.url, first);
    if (p.status === 404 && (w.name === 'introspect' || w.name === 'list_apps')) {
      notes.push(`orgauth ${w.name}: skipped, endpoint answers 404 (not implemented yet)`);
    } else if (p.status < 200 || p.status >= 300) {
      notes.push(`orgauth ${w.name}: skipped, probe got ${p.status} ${p.body}`);
    } else {
      workloads.push(w);
    }
  }
  for (const w of workloads.filter((x) => CALLS_COUNTED.includes(x.name))) {
    const line = await countCallsPerRequest(server.url, w);
    notes.push(line);
    log(line);
  }
  return { workloads, creds: ccPool };
}

/** Workloads whose Redis and database calls per request are counted (issue: one round trip, no read). */
const CALLS_COUNTED = ['client_credentials', 'introspect', 'get_app'];
const COUNTED_REQUESTS = 200;
const COUNTED_APPS = 20;

/**
 * Redis round trips and database statements per request in the steady state, counted by orgauth's
 * own metrics (orgauth_redis_round_trips_total, orgauth_db_queries_total) over COUNTED_REQUESTS
 * sequential requests cycling over COUNTED_APPS of the workload's requests, after one warm pass
 * over those. Other users of a shared Redis or PostgreSQL do not disturb the count.
 */
async function countCallsPerRequest(url: string, w: Workload): Promise<string> {
  const requests = (await w.requests()).slice(0, COUNTED_APPS);
  const send = async (r: Request) => {
    const res = await fetch(url + r.path, { method: r.method ?? 'GET', headers: r.headers as Record<string, string>, ...(r.body !== undefined ? { body: r.body as string } : {}) });
    await res.arrayBuffer();
    return res.status;
  };
  for (const r of requests) await send(r);
  const before = await callCounters(url);
  let failed = 0;
  for (let i = 0; i < COUNTED_REQUESTS; i++) if ((await send(requests[i % requests.length]!)) >= 300) failed += 1;
  const after = await callCounters(url);
  const per = (a: number, b: number) => ((a - b) / COUNTED_REQUESTS).toFixed(2);
  return `orgauth ${w.name}, counted over ${COUNTED_REQUESTS} requests on ${requests.length} apps after a warm pass: `
    + `${per(after.redis, before.redis)} Redis round trips and ${per(after.queries, before.queries)} database statements `
    + `(${per(after.selects, before.selects)} reads) per request${failed ? `; ${failed} answered ≥ 300` : ''}`;
}

async function callCounters(url: string): Promise<{ redis: number; queries: number; selects: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name: string, only?: RegExp) => {
    let total = 0;
    for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) if (!only || only.test(m[1] ?? '')) total += Number(m[2]);
    return total;
  };
  return { redis: sum('orgauth_redis_round_trips_total'), queries: sum('orgauth_db_queries_total'), selects: sum('orgauth_db_queries_total', /statement="select"/) };
}

async function preparePeers(creds: Cred[]): Promise<Workload[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orgauth-bench-peers-'));
  tmpDirs.push(dir);
  const clientsFile = path.join(dir, 'clients.json');
  writeFileSync(clientsFile, JSON.stringify(creds));
  const tsx = ['--import', 'tsx'];
  const opPort = await freePort();
  const op = await startServer({ name: 'oidc-provider', args: [...tsx, 'bench/servers/oidc-provider.ts'], env: { PORT: String(opPort), BENCH_CLIENTS_FILE: clientsFile, NODE_ENV: 'production', ...peerSignInEnv() }, port: opPort, readyPath: '/.well-known/openid-configuration', cwd: ROOT });
  servers.push(op);
  const ceilPort = await freePort();
  const ceil = await startServer({ name: 'ceiling', args: [...tsx, 'bench/servers/ceiling.ts'], env: { PORT: String(ceilPort) }, port: ceilPort, readyPath: '/hello', cwd: ROOT });
  servers.push(ceil);
  notes.push('oidc-provider cannot introspect its JWT access tokens ("Structured JWT Tokens cannot be introspected"), so introspection has no peer column');
  return [
    { server: 'oidc-provider', name: 'client_credentials', url: op.url, requests: async () => clientCredentialsRequests('/token', creds) },
    { server: 'ceiling', name: 'client_credentials', url: ceil.url, requests: async () => clientCredentialsRequests('/token', creds) },
    { server: 'ceiling', name: 'hello', url: ceil.url, requests: async () => [{ method: 'GET', path: '/hello' }] },
    ...(await peerGrantWorkloads(op.url, notes, log)),
  ];
}

/** Credentials for the peers when orgauth is not part of the run. */
function fakeCreds(n: number): Cred[] {
  return Array.from({ length: n }, (_, i) => ({ clientId: `bench-app-${i}`, secret: `oa_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}_chk1` }));
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const load = os.loadavg()[0] ?? 0;
  if (load > 0.5) notes.push(`load average was ${load.toFixed(2)} at start on ${os.cpus().length} cores: other work shares the CPUs, numbers are noisy`);
  if (args.scale) {
    const points: ScalePoint[] = await runScale({ root: ROOT, sizes: args['scale-sizes'].split(',').map(Number), connections: opt.connections, durationS: opt.durationS, rounds: opt.rounds, warmupS: opt.warmupS, log, servers, tmpDirs, notes });
    console.log(render([], points, notes, 'scale'));
    const file = writeResults(path.join(ROOT, 'bench/results'), { kind: 'scale', started, machine: machine(), options: opt, scale: points, notes });
    log(`raw results: ${path.relative(ROOT, file)}`);
    return;
  }

  let orgauth: Workload[] = [];
  let creds: Cred[];
  if (!args['skip-orgauth']) {
    if (!existsSync(path.join(ROOT, 'dist/start.cjs'))) throw new Error('dist/start.cjs is missing: run `npm run build` (npm run bench does) or pass --skip-orgauth');
    ({ workloads: orgauth, creds } = await prepareOrgauth());
  } else {
    creds = fakeCreds(Math.floor(opt.apps * 0.9));
    notes.push('orgauth skipped (--skip-orgauth)');
  }
  const peers = args['skip-peers'] ? [] : await preparePeers(creds);
  log(`servers up: ${servers.map((s) => `${s.name} pid ${s.child.pid} ${rssMb(s.child.pid)} MB`).join(', ')}`);

  // Order inside a round: the three client_credentials runs back to back, then everything else.
  const cc = [...orgauth, ...peers].filter((w) => w.name === 'client_credentials');
  const rest = [...orgauth, ...peers].filter((w) => w.name !== 'client_credentials');
  if (opt.warmupS > 0) for (const w of [...cc, ...rest]) await run(w, 0, opt.warmupS);
  for (let round = 1; round <= opt.rounds; round++) {
    for (const w of [...cc, ...rest]) await run(w, round);
  }

  // p99 target: client_credentials rate-limited to 80% of orgauth's median max rate.
  const orgCc = orgauth.find((w) => w.name === 'client_credentials');
  if (orgCc) {
    const max = summarize(samples).find((s) => s.server === 'orgauth' && s.workload === 'client_credentials')?.rps ?? 0;
    if (max > 0) {
      const overallRate = Math.round(max * 0.8);
      // The target is read at the closed-loop load: the fewest keep-alive connections whose rate
      // reaches 80% of the maximum. Both open-loop generators share the 2 cores with the server:
      // the paced one (node:http) costs the server a large part of its CPU and autocannon's
      // overallRate sends each second's quota in a burst, so their p99 measures the generator.
      let chosen = opt.connections;
      for (const connections of [1, 2, 3, 4, 6, 8, 12, 16]) {
        const probe = await run(orgCc, 0, 2, undefined, `client_credentials probe c=${connections}`, connections);
        if (probe.rps >= overallRate) { chosen = connections; break; }
      }
      notes.push(`client_credentials@80%: ${chosen} keep-alive connections reach 80% of the maximum rate (${overallRate}/s) closed-loop; the paced and autocannon-overallRate runs are kept for reference`);
      await run(orgCc, 1, opt.durationS, undefined, 'client_credentials@80%', chosen);
      await run(orgCc, 1, opt.durationS, { overallRate, paced: true }, 'client_credentials@80% paced');
      await run(orgCc, 1, opt.durationS, { overallRate, paced: false }, 'client_credentials@80% autocannon');
    }
  }
  const rss = Object.fromEntries(servers.map((s) => [s.name, rssMb(s.child.pid)]));

  const summaries = summarize(samples);
  console.log(render(summaries, [], notes, 'compare'));
  console.log(`\nRSS after the run (MB): ${JSON.stringify(rss)}`);
  const file = writeResults(path.join(ROOT, 'bench/results'), { kind: 'compare', started, machine: machine(), options: opt, database: process.env.BENCH_DATABASE_URL ? 'postgresql' : 'sqlite', rssMb: rss, summaries, ratios: ratios(summaries), targets: targets(summaries, []), samples, notes });
  log(`raw results: ${path.relative(ROOT, file)}`);
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
