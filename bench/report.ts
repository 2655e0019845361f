// Medians, ratios, PASS/MISS targets, the printed tables and the JSON file under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GROUPS } from './cpu.js';
import type { CpuUse } from './cpu.js';
import type { Measurement } from './load.js';

export interface Sample {
  server: string;
  workload: string;
  round: number;
  m: Measurement;
  /** µs of CPU per group over the run (cpu.ts). */
  cpu?: CpuUse;
  /** Counted by orgauth over the run itself, per 2xx response (single orgauth nodes only). */
  inRun?: InRunCalls;
}

/** What a measured run cost the database, per 2xx response, from orgauth's /metrics before and after it. */
export interface InRunCalls {
  /** Statements sent by requests (renewal passes' reads excluded). */
  queries: number;
  /** Statements of renewal passes, each reading up to 500 apps in the background. */
  renewalReads: number;
  /** Of the client authentications with copies on, the share served from a copy (undefined: none counted). */
  copiesServed: number | undefined;
}

export interface Summary {
  server: string;
  workload: string;
  rounds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Sum over all rounds. */
  errors: number;
  /** µs of CPU per 2xx response, per group: the median over the rounds. */
  cpuPerOk?: Record<string, number>;
  /** Redis round trips and database statements per request, counted before the rounds (run.ts). */
  calls?: Calls;
  /** Medians over the rounds of what each run cost, counted during the run. */
  inRun?: InRunCalls;
}

export interface Calls {
  redis: number;
  /** Statements sent by requests; renewal passes' reads are not per request and not counted here. */
  queries: number;
  selects: number;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  pass: boolean | undefined;
  /** Measured by --scale. */
  scale?: boolean;
}

export interface ScalePoint {
  apps: number;
  ccRps: number;
  ccP99: number;
  getRps: number;
  getP99: number;
  errors: number;
  rssMb: number | undefined;
  seedSeconds: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** 2xx responses of a run (a workload that measures itself may give only the rate). */
export function okCount(m: Measurement): number {
  return m.ok ?? Math.round(m.rps * m.durationS);
}

export function summarize(samples: Sample[]): Summary[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.workload}\u0000${s.server}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((g) => {
    const withCpu = g.filter((s) => s.cpu && okCount(s.m) > 0);
    const names = [...new Set(withCpu.flatMap((s) => Object.keys(s.cpu ?? {})))];
    const cpuPerOk = Object.fromEntries(names.map((n) => [n, median(withCpu.map((s) => (s.cpu?.[n] ?? 0) / okCount(s.m)))]));
    const counted = g.flatMap((s) => (s.inRun ? [s.inRun] : []));
    const served = counted.flatMap((c) => (c.copiesServed === undefined ? [] : [c.copiesServed]));
    const inRun: InRunCalls | undefined = counted.length > 0
      ? { queries: median(counted.map((c) => c.queries)), renewalReads: median(counted.map((c) => c.renewalReads)), copiesServed: served.length > 0 ? median(served) : undefined }
      : undefined;
    return {
      server: g[0]!.server,
      workload: g[0]!.workload,
      rounds: g.length,
      rps: Math.round(median(g.map((s) => s.m.rps))),
      p50: median(g.map((s) => s.m.p50)),
      p99: median(g.map((s) => s.m.p99)),
      errors: g.reduce((n, s) => n + s.m.errors, 0),
      ...(withCpu.length > 0 ? { cpuPerOk } : {}),
      ...(inRun ? { inRun } : {}),
    };
  });
}

export function find(summaries: Summary[], server: string, workload: string): Summary | undefined {
  return summaries.find((s) => s.server === server && s.workload === workload);
}

export function ratio(a: Summary | undefined, b: Summary | undefined): number | undefined {
  return a && b && b.rps > 0 ? a.rps / b.rps : undefined;
}

export const fmt = (x: number | undefined, digits = 2): string => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

/** The list rate the issue doubles: 932/s on 2026-11-28 at a `hello` of 86 742/s (results/history.md), judged as a share of the same run's `hello`. */
export const LIST_BASELINE = { list: 932, hello: 86_742 };
export const LIST_GOAL = (2 * LIST_BASELINE.list) / LIST_BASELINE.hello;

export function ratios(summaries: Summary[]): Record<string, number | undefined> {
  const f = (server: string, workload: string): Summary | undefined => find(summaries, server, workload);
  return {
    'client_credentials orgauth/oidc-provider': ratio(f('orgauth', 'client_credentials'), f('oidc-provider', 'client_credentials')),
    'client_credentials orgauth/ceiling': ratio(f('orgauth', 'client_credentials'), f('ceiling', 'client_credentials')),
    'client_credentials oidc-provider/ceiling': ratio(f('oidc-provider', 'client_credentials'), f('ceiling', 'client_credentials')),
    'client_credentials_1app orgauth/oidc-provider': ratio(f('orgauth', 'client_credentials_1app'), f('oidc-provider', 'client_credentials_1app')),
    'client_credentials_1app orgauth/ceiling': ratio(f('orgauth', 'client_credentials_1app'), f('ceiling', 'client_credentials_1app')),
    'client_credentials orgauth (info) / orgauth@warn': ratio(f('orgauth', 'client_credentials'), f('orgauth@warn', 'client_credentials')),
    'introspect orgauth / hello ceiling': ratio(f('orgauth', 'introspect'), f('ceiling', 'hello')),
    'list_apps orgauth / hello ceiling': ratio(f('orgauth', 'list_apps'), f('ceiling', 'hello')),
    'client_credentials orgauth-pg/orgauth': ratio(f('orgauth-pg', 'client_credentials'), f('orgauth', 'client_credentials')),
    'client_credentials orgauth-pg/oidc-provider': ratio(f('orgauth-pg', 'client_credentials'), f('oidc-provider', 'client_credentials')),
    'client_credentials orgauth-pg-2nodes/orgauth-pg': ratio(f('orgauth-pg-2nodes', 'client_credentials'), f('orgauth-pg', 'client_credentials')),
    'get_app orgauth-pg-2nodes/orgauth-pg': ratio(f('orgauth-pg-2nodes', 'get_app'), f('orgauth-pg', 'get_app')),
  };
}

/** A measurement with errors cannot pass a target, nor can a ratio to one. */
const clean = (...s: (Summary | undefined)[]): boolean => s.every((x) => x !== undefined && x.errors === 0);

/** "a/b ≥ goal" over two medians; n/a when either side was not measured. */
function ratioTarget(name: string, a: Summary | undefined, b: Summary | undefined, goal: number, unmeasured = 'n/a'): Target {
  const r = ratio(a, b);
  return {
    name,
    goal: `>= ${goal}x`,
    value: r === undefined ? unmeasured : `${fmt(r)} (${a?.rps}/s vs ${b?.rps}/s)${clean(a, b) ? '' : ' with errors'}`,
    pass: r === undefined ? undefined : r >= goal && clean(a, b),
  };
}

function rateTarget(name: string, s: Summary | undefined, goal: number, unmeasured = 'n/a'): Target {
  return { name, goal: `>= ${goal}/s`, value: s ? `${s.rps}/s${clean(s) ? '' : ' with errors'}` : unmeasured, pass: s ? s.rps >= goal && clean(s) : undefined };
}

/** Every judged target of a comparison run (issues 16 and 17), plus the scale-mode ones. */
export function targets(summaries: Summary[], scale: ScalePoint[], apps: number): Target[] {
  const f = (server: string, workload: string): Summary | undefined => find(summaries, server, workload);
  const sqlite = (w: string): Summary | undefined => f('orgauth', w);
  const pg = (w: string): Summary | undefined => f('orgauth-pg', w);
  const noPg = 'n/a: PostgreSQL + Redis not run';
  const cc80 = sqlite('client_credentials@80%');
  const pgCalls = pg('client_credentials')?.calls;
  // Scale targets are defined at 1k and 1M apps; other sizes show the smallest vs the largest, unjudged.
  const bySize = [...scale].sort((a, b) => a.apps - b.apps);
  const s1k = bySize[0];
  const s1m = bySize.length > 1 ? bySize[bySize.length - 1] : undefined;
  const official = s1k?.apps === 1_000 && s1m?.apps === 1_000_000;
  const hello = f('ceiling', 'hello');
  const list = sqlite('list_apps');
  const listRatio = ratio(list, hello);
  return [
    ratioTarget(`client_credentials (${apps} apps) vs RS256 ceiling`, sqlite('client_credentials'), f('ceiling', 'client_credentials'), 0.85),
    ratioTarget(`client_credentials (${apps} apps) vs oidc-provider`, sqlite('client_credentials'), f('oidc-provider', 'client_credentials'), 1.5),
    ratioTarget('client_credentials (1 app) vs RS256 ceiling', sqlite('client_credentials_1app'), f('ceiling', 'client_credentials_1app'), 0.85),
    ratioTarget('client_credentials (1 app) vs oidc-provider', sqlite('client_credentials_1app'), f('oidc-provider', 'client_credentials_1app'), 1.5),
    {
      name: 'client_credentials open-loop p99 at 80% of max rate',
      goal: '< 20 ms',
      value: cc80 ? `${cc80.p99} ms @ ${cc80.rps}/s${clean(cc80) ? '' : ' with errors'}` : 'n/a',
      pass: cc80 ? cc80.p99 < 20 && clean(cc80) : undefined,
    },
    ratioTarget('introspection vs bare hello', sqlite('introspect'), hello, 0.2),
    {
      name: 'list of 50 apps vs bare hello (2x the 2026-11-28 rate)',
      goal: `>= ${fmt(LIST_GOAL, 4)}x`,
      value: listRatio === undefined ? 'n/a' : `${fmt(listRatio, 4)} (${list?.rps}/s vs ${hello?.rps}/s)${clean(list, hello) ? '' : ' with errors'}`,
      pass: listRatio === undefined ? undefined : listRatio >= LIST_GOAL && clean(list, hello),
    },
    rateTarget('PUT regenerate throughput (SQLite)', sqlite('put_regenerate'), 1000),
    ratioTarget('PG+Redis client_credentials vs SQLite', pg('client_credentials'), sqlite('client_credentials'), 0.9, noPg),
    ratioTarget('PG+Redis client_credentials vs oidc-provider', pg('client_credentials'), f('oidc-provider', 'client_credentials'), 1.5, noPg),
    ratioTarget('PG+Redis introspection vs SQLite', pg('introspect'), sqlite('introspect'), 0.9, noPg),
    ratioTarget('PG+Redis GET app vs SQLite', pg('get_app'), sqlite('get_app'), 0.9, noPg),
    rateTarget('PG+Redis PUT regenerate throughput', pg('put_regenerate'), 1000, noPg),
    {
      name: 'PG+Redis client_credentials calls per token',
      goal: '1 Redis round trip, 0 DB statements',
      value: pgCalls ? `${fmt(pgCalls.redis)} round trips, ${fmt(pgCalls.queries)} statements` : noPg,
      pass: pgCalls ? pgCalls.redis <= 1 && pgCalls.queries === 0 : undefined,
    },
    {
      scale: true,
      name: 'client_credentials at 1M apps vs 1k apps',
      goal: '>= 0.8x',
      value: s1k && s1m ? `${fmt(s1m.ccRps / s1k.ccRps)} (${s1m.apps} vs ${s1k.apps})` : 'n/a (--scale)',
      pass: s1k && s1m && official ? s1m.ccRps / s1k.ccRps >= 0.8 && s1m.errors === 0 && s1k.errors === 0 : undefined,
    },
    { scale: true, name: 'RSS at 1M apps', goal: '< 300 MB', value: s1m?.rssMb !== undefined ? `${s1m.rssMb} MB (${s1m.apps} apps)` : 'n/a (--scale)', pass: s1m?.rssMb !== undefined && official ? s1m.rssMb < 300 : undefined },
  ];
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface RenderOptions {
  mode: 'compare' | 'scale';
  /** --apps, for the target names. */
  apps: number;
  /** Targets and ratios contributed by workload providers. */
  extraTargets?: Target[];
  extraRatios?: Record<string, number | undefined>;
}

/** The CPU columns: orgauth's (or the peer's) threads, then the processes it talks to, then the bench's own. */
const CPU_COLUMNS = [...GROUPS, 'postgres', 'redis', 'proxy', 'load generator'] as const;

const us = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '' : String(Math.round(x)));

export function allTargets(summaries: Summary[], scale: ScalePoint[], o: RenderOptions): Target[] {
  return [...targets(summaries, scale, o.apps), ...(o.extraTargets ?? [])].filter((t) => (t.scale ?? false) === (o.mode === 'scale'));
}

export function render(summaries: Summary[], scale: ScalePoint[], notes: string[], o: RenderOptions): string {
  const out: string[] = [];
  const workloads = [...new Set(summaries.map((s) => s.workload))];
  for (const w of workloads) {
    const rows = summaries.filter((s) => s.workload === w);
    const calls = rows.some((s) => s.calls);
    const inRun = rows.some((s) => s.inRun);
    out.push(`\n## ${w}`);
    out.push(
      table(
        ['server', 'rps (2xx/s)', 'p50 ms', 'p99 ms', 'errors', 'rounds', ...(calls ? ['Redis RT/req', 'DB stmts/req (reads)'] : []),
          ...(inRun ? ['in the runs: DB stmts/2xx (+ renewal)', 'copies served'] : [])],
        rows.map((s) => [
          s.server, String(s.rps), String(s.p50), String(s.p99), String(s.errors), String(s.rounds),
          ...(calls ? (s.calls ? [fmt(s.calls.redis), `${fmt(s.calls.queries)} (${fmt(s.calls.selects)})`] : ['', '']) : []),
          ...(inRun ? (s.inRun ? [`${fmt(s.inRun.queries)} (+ ${fmt(s.inRun.renewalReads)})`, s.inRun.copiesServed === undefined ? '–' : `${(100 * s.inRun.copiesServed).toFixed(1)} %`] : ['', '']) : []),
        ]),
      ),
    );
  }
  if (scale.length > 0) {
    out.push('\n## scale (orgauth)');
    out.push(
      table(
        ['apps', 'cc rps', 'cc p99', 'GET rps', 'GET p99', 'errors', 'RSS MB', 'seed s'],
        scale.map((p) => [String(p.apps), String(p.ccRps), String(p.ccP99), String(p.getRps), String(p.getP99), String(p.errors), String(p.rssMb ?? 'n/a'), p.seedSeconds.toFixed(1)]),
      ),
    );
  }
  const withCpu = summaries.filter((s) => s.cpuPerOk);
  if (withCpu.length > 0) {
    out.push('\n## CPU per 2xx response (µs, medians over rounds; server threads, then the processes beside it)');
    out.push(
      table(
        ['workload', 'server', 'rps', ...CPU_COLUMNS.slice(0, GROUPS.length), 'server total', ...CPU_COLUMNS.slice(GROUPS.length)],
        withCpu.map((s) => {
          const c = s.cpuPerOk ?? {};
          return [s.workload, s.server, String(s.rps), ...GROUPS.map((g) => us(c[g])), us(GROUPS.reduce((n, g) => n + (c[g] ?? 0), 0)), ...CPU_COLUMNS.slice(GROUPS.length).map((g) => us(c[g]))];
        }),
      ),
    );
  }
  if (o.mode === 'compare') {
    out.push('\n## ratios');
    for (const [k, v] of Object.entries({ ...ratios(summaries), ...o.extraRatios })) if (v !== undefined) out.push(`${k.padEnd(50)} ${fmt(v)}`);
  }
  out.push('\n## targets');
  out.push(table(['target', 'goal', 'measured', 'result'], allTargets(summaries, scale, o).map((t) => [t.name, t.goal, t.value, t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'MISS'])));
  if (notes.length > 0) out.push('\n## notes\n' + notes.map((n) => `- ${n}`).join('\n'));
  return out.join('\n');
}

export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg: os.loadavg(),
  };
}

export function writeResults(dir: string, data: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}
