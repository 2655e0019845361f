// --scale: client_credentials and GET app at 1k / 100k / 1M apps, with the server's RSS.
// Apps are inserted straight into the SQLite file (seedDirect) while orgauth is stopped; then one
// orgauth per size runs at the same time (idle while another is measured) and the rounds
// alternate between sizes, like the main comparison.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request } from 'autocannon';
import { clientCredentialsRequests, measure, type Measurement } from './load.js';
import { BASE_PATH, bootstrap, orgauthEnv, startOrgauth, TokenSource } from './orgauth.js';
import { freePort, rssMb, stopServer, type Server } from './proc.js';
import { median, type ScalePoint } from './report.js';
import { seedDirect, seedHttp } from './seed.js';

export interface ScaleOptions {
  root: string;
  sizes: number[];
  connections: number;
  durationS: number;
  rounds: number;
  warmupS: number;
  log: (msg: string) => void;
  servers: Server[];
  tmpDirs: string[];
  notes: string[];
}

/** Apps actually driven at each size: spread evenly over the whole id range. */
const SAMPLE = 20_000;

interface Prepared {
  size: number;
  server: Server;
  cc: Request[];
  get: Request[];
  seedSeconds: number;
  samples: { cc: Measurement[]; get: Measurement[] };
}

async function prepare(o: ScaleOptions, size: number): Promise<Prepared> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orgauth-scale-'));
  o.tmpDirs.push(dataDir);
  const env = orgauthEnv(dataDir, await freePort());
  // First start creates the schema; bootstrap creates the org; one app is created over HTTP as
  // the template; then stop and insert the rest.
  let server = await startOrgauth(o.root, env);
  o.servers.push(server);
  const boot = await bootstrap(o.root, env);
  const [template] = await seedHttp(server.url, boot.orgId, new TokenSource(server.url, boot.apiToken), 1);
  await stopServer(server);
  if (!template) throw new Error('could not create the template app');
  const t0 = Date.now();
  const creds = await seedDirect({ root: o.root, env, dataDir, template, count: size, sample: SAMPLE, log: o.log });
  const seedSeconds = (Date.now() - t0) / 1000;
  o.log(`${size} apps inserted in ${seedSeconds.toFixed(1)} s`);
  server = await startOrgauth(o.root, env);
  o.servers.push(server);
  const auth = `Bearer ${await new TokenSource(server.url, boot.apiToken).get()}`;
  return {
    size,
    server,
    seedSeconds,
    cc: clientCredentialsRequests(`${BASE_PATH}/auth/authorize`, creds),
    get: creds.map((c) => ({ method: 'GET', path: `${BASE_PATH}/orgs/${boot.orgId}/oauth-apps/${c.clientId}`, headers: { authorization: auth } })),
    samples: { cc: [], get: [] },
  };
}

export async function runScale(o: ScaleOptions): Promise<ScalePoint[]> {
  if (process.env.BENCH_DATABASE_URL) throw new Error('--scale seeds the SQLite file directly; unset BENCH_DATABASE_URL');
  const prepared: Prepared[] = [];
  for (const size of o.sizes) prepared.push(await prepare(o, size));

  const go = async (p: Prepared, kind: 'cc' | 'get', durationS: number, round: number): Promise<void> => {
    const m = await measure({ url: p.server.url, connections: o.connections, durationS, requests: p[kind] });
    if (p.server.child.exitCode !== null) throw new Error(`orgauth (${p.size} apps) died:\n${p.server.output()}`);
    if (round > 0) p.samples[kind].push(m);
    o.log(`${round > 0 ? `round ${round}` : 'warm-up'} ${String(p.size).padStart(8)} apps ${kind.padEnd(3)} ${String(m.rps).padStart(6)}/s p50 ${m.p50} p99 ${m.p99} errors ${m.errors}${m.errors ? ' ' + JSON.stringify(m.statusCodes) : ''}`);
  };
  // Each run starts every connection at the head of its slice of apps, so the rounds keep
  // touching the same apps. Their first use is costly (the usage recorder writes lastUsedAt, pages
  // come into the caches) and costlier the bigger the file: a short warm-up left it in round 1
  // (1M apps: 444/s in round 1, then 838 and 1 007/s). A warm-up as long as a round takes it.
  const warmupS = o.warmupS > 0 ? Math.max(o.warmupS, o.durationS) : 0;
  if (warmupS > 0) for (const p of prepared) for (const kind of ['cc', 'get'] as const) await go(p, kind, warmupS, 0);
  for (let round = 1; round <= o.rounds; round++) {
    for (const p of prepared) for (const kind of ['cc', 'get'] as const) await go(p, kind, o.durationS, round);
  }

  const points = prepared.map((p): ScalePoint => ({
    apps: p.size,
    ccRps: Math.round(median(p.samples.cc.map((m) => m.rps))),
    ccP99: median(p.samples.cc.map((m) => m.p99)),
    getRps: Math.round(median(p.samples.get.map((m) => m.rps))),
    getP99: median(p.samples.get.map((m) => m.p99)),
    errors: [...p.samples.cc, ...p.samples.get].reduce((n, m) => n + m.errors, 0),
    rssMb: rssMb(p.server.child.pid),
    seedSeconds: p.seedSeconds,
  }));
  for (const p of prepared) await stopServer(p.server);
  o.notes.push(
    `scale mode: one orgauth per size on its own SQLite file, all up at once, runs alternating between sizes; ` +
      `${SAMPLE} apps (or all, if fewer) spread over the id range are driven; RSS read after the last round; 'seed s' is the direct insert time`,
  );
  return points;
}
