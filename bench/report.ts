// Medians, ratios, PASS/MISS targets, the printed tables and the JSON file under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Measurement } from './load.js';

export interface Sample {
  server: string;
  workload: string;
  round: number;
  m: Measurement;
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

export function summarize(samples: Sample[]): Summary[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.workload}\u0000${s.server}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((g) => ({
    server: g[0]!.server,
    workload: g[0]!.workload,
    rounds: g.length,
    rps: Math.round(median(g.map((s) => s.m.rps))),
    p50: median(g.map((s) => s.m.p50)),
    p99: median(g.map((s) => s.m.p99)),
    errors: g.reduce((n, s) => n + s.m.errors, 0),
  }));
}

export function find(summaries: Summary[], server: string, workload: string): Summary | undefined {
  return summaries.find((s) => s.server === server && s.workload === workload);
}

function ratio(a: Summary | undefined, b: Summary | undefined): number | undefined {
  return a && b && b.rps > 0 ? a.rps / b.rps : undefined;
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

export function ratios(summaries: Summary[]): Record<string, number | undefined> {
  return {
    'client_credentials orgauth/oidc-provider': ratio(find(summaries, 'orgauth', 'client_credentials'), find(summaries, 'oidc-provider', 'client_credentials')),
    'client_credentials orgauth/ceiling': ratio(find(summaries, 'orgauth', 'client_credentials'), find(summaries, 'ceiling', 'client_credentials')),
    'client_credentials oidc-provider/ceiling': ratio(find(summaries, 'oidc-provider', 'client_credentials'), find(summaries, 'ceiling', 'client_credentials')),
    'introspect orgauth / hello ceiling': ratio(find(summaries, 'orgauth', 'introspect'), find(summaries, 'ceiling', 'hello')),
    ...grantRatios(summaries),
  };
}

/** A measurement with errors cannot pass a target. */
const clean = (s: Summary | undefined): boolean => s !== undefined && s.errors === 0;

export function targets(summaries: Summary[], scale: ScalePoint[]): Target[] {
  const cc = find(summaries, 'orgauth', 'client_credentials');
  const cc80 = find(summaries, 'orgauth', 'client_credentials@80%');
  const put = find(summaries, 'orgauth', 'put_regenerate');
  const intro = find(summaries, 'orgauth', 'introspect');
  const r = ratios(summaries);
  const rCeil = r['client_credentials orgauth/ceiling'];
  const rPeer = r['client_credentials orgauth/oidc-provider'];
  const rIntro = r['introspect orgauth / hello ceiling'];
  // Scale targets are defined at 1k and 1M apps; other sizes show the smallest vs the largest, unjudged.
  const bySize = [...scale].sort((a, b) => a.apps - b.apps);
  const s1k = bySize[0];
  const s1m = bySize.length > 1 ? bySize[bySize.length - 1] : undefined;
  const official = s1k?.apps === 1_000 && s1m?.apps === 1_000_000;
  const check = (ok: boolean, valid: boolean): boolean | undefined => (valid ? ok : undefined);
  return [
    { name: 'client_credentials vs RS256 ceiling', goal: '>= 0.85x', value: fmt(rCeil), pass: rCeil === undefined ? undefined : check(rCeil >= 0.85, clean(cc)) },
    { name: 'client_credentials vs oidc-provider', goal: '>= 1.5x', value: fmt(rPeer), pass: rPeer === undefined ? undefined : check(rPeer >= 1.5, clean(cc)) },
    { name: 'client_credentials p99 at 80% of max rate', goal: '< 20 ms', value: cc80 ? `${cc80.p99} ms @ ${cc80.rps}/s` : 'n/a', pass: cc80 ? check(cc80.p99 < 20, clean(cc80)) : undefined },
    { name: 'introspection vs bare hello', goal: '>= 0.5x', value: fmt(rIntro), pass: rIntro === undefined ? undefined : check(rIntro >= 0.5, clean(intro)) },
    ...grantTargets(summaries),
    { name: 'PUT regenerate throughput', goal: '>= 1000/s', value: put ? `${put.rps}/s` : 'n/a', pass: put ? check(put.rps >= 1000, clean(put)) : undefined },
    {
      scale: true,
      name: 'client_credentials at 1M apps vs 1k apps',
      goal: '>= 0.8x',
      value: s1k && s1m ? `${fmt(s1m.ccRps / s1k.ccRps)} (${s1m.apps} vs ${s1k.apps})` : 'n/a (--scale)',
      pass: s1k && s1m && official ? check(s1m.ccRps / s1k.ccRps >= 0.8, s1m.errors === 0 && s1k.errors === 0) : undefined,
    },
    { scale: true, name: 'RSS at 1M apps', goal: '< 300 MB', value: s1m?.rssMb !== undefined ? `${s1m.rssMb} MB (${s1m.apps} apps)` : 'n/a (--scale)', pass: s1m?.rssMb !== undefined && official ? s1m.rssMb < 300 : undefined },
  ];
}

/** The grants people use (bench/grants.ts) against oidc-provider, and the API-token exchange against the ceiling. */
const GRANTS = ['authorization_code', 'refresh_token'];

function grantRatios(summaries: Summary[]): Record<string, number | undefined> {
  return {
    ...Object.fromEntries(GRANTS.map((g) => [`${g} orgauth/oidc-provider`, ratio(find(summaries, 'orgauth', g), find(summaries, 'oidc-provider', g))])),
    'api_token orgauth/ceiling client_credentials': ratio(find(summaries, 'orgauth', 'api_token'), find(summaries, 'ceiling', 'client_credentials')),
  };
}

/** A peer with errors would flatter the ratio, so both sides must be error-free. */
function grantTargets(summaries: Summary[]): Target[] {
  return GRANTS.map((g) => {
    const org = find(summaries, 'orgauth', g);
    const peer = find(summaries, 'oidc-provider', g);
    const r = ratio(org, peer);
    return { name: `${g} vs oidc-provider`, goal: '>= 1.5x', value: fmt(r), pass: r === undefined ? undefined : clean(org) && clean(peer) ? r >= 1.5 : false };
  });
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function render(summaries: Summary[], scale: ScalePoint[], notes: string[], mode: 'compare' | 'scale'): string {
  const out: string[] = [];
  const workloads = [...new Set(summaries.map((s) => s.workload))];
  for (const w of workloads) {
    out.push(`\n## ${w}`);
    out.push(
      table(
        ['server', 'rps (2xx/s)', 'p50 ms', 'p99 ms', 'errors', 'rounds'],
        summaries.filter((s) => s.workload === w).map((s) => [s.server, String(s.rps), String(s.p50), String(s.p99), String(s.errors), String(s.rounds)]),
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
  if (mode === 'compare') {
    out.push('\n## ratios');
    for (const [k, v] of Object.entries(ratios(summaries))) out.push(`${k.padEnd(44)} ${fmt(v)}`);
  }
  out.push('\n## targets');
  out.push(
    table(
      ['target', 'goal', 'measured', 'result'],
      targets(summaries, scale)
        .filter((t) => (t.scale ?? false) === (mode === 'scale'))
        .map((t) => [t.name, t.goal, t.value, t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'MISS']),
    ),
  );
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
