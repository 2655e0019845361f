// What a round runs. Each workload provider contributes workloads (and, if it wants, targets) for
// the servers the run prepared; run.ts runs them all, alternating, and measures CPU per response.
// A new family of workloads (another grant, another peer) is a new provider added to run.ts's list.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request } from 'autocannon';
import type { CpuSource } from './cpu.js';
import { basic, clientCredentialsRequests, FORM, sendEachOnce, type Cred, type Measurement } from './load.js';
import { BASE_PATH, type Seeded } from './orgauth.js';
import { freePort, startServer, type Server } from './proc.js';
import type { Summary, Target } from './report.js';

export interface Workload {
  /** Row label: 'orgauth' (SQLite, LOG_LEVEL=info), 'orgauth@warn', 'orgauth-pg', 'orgauth-pg-2nodes', 'oidc-provider', 'ceiling', … */
  server: string;
  /** 'client_credentials' (over all apps), 'client_credentials_1app', 'introspect', … */
  name: string;
  url: string;
  /** Built fresh for each run (management tokens may have been renewed). */
  requests: () => Promise<Request[]>;
  /** Processes whose CPU per 2xx response is reported for this run; default: the deployment or peer named `server`. */
  cpu?: CpuSource[];
  /** Count Redis round trips and database statements per request from `url`'s /metrics (orgauth only). */
  countCalls?: boolean;
  /** Runs before each run, outside the measured window and the CPU count (e.g. minting single-use codes). */
  prepare?: (o: { durationS: number; connections: number }) => Promise<void>;
  /**
   * Runs before each run, outside the measured window and the CPU count, to bring the server to its
   * steady state (client_credentials over all apps: one request per app to every node).
   */
  warm?: () => Promise<void>;
  /** Measures the run itself instead of autocannon (e.g. chains that send the previous response's token). */
  measure?: (o: MeasureOptions) => Promise<Measurement>;
}

export interface MeasureOptions {
  durationS: number;
  connections: number;
  /** Starts the CPU count afresh: what ran before (e.g. a run that had to be repeated, and its preparation) is not counted. */
  restartCount?: () => Promise<void>;
}

/** One orgauth deployment the run prepared. */
export interface OrgauthDeployment {
  /** Row label. */
  label: string;
  backend: 'sqlite' | 'postgres';
  /** The node(s); `url` is the first node's, or the proxy's for several. */
  nodes: Server[];
  url: string;
  env: Record<string, string>;
  seeded: Seeded;
  /** CPU sources: the nodes (split by thread), plus PostgreSQL, Redis and the proxy where they take part. */
  cpu: CpuSource[];
}

export interface BenchContext {
  root: string;
  /** --apps */
  apps: number;
  log: (msg: string) => void;
  notes: string[];
  /** Registers a server the provider started: it is stopped at the end and watched for crashes. */
  addServer: (s: Server) => void;
  /** Registers a temporary folder, deleted at the end. */
  addTmpDir: (dir: string) => void;
  /** By label; empty with --skip-orgauth. */
  orgauth: Map<string, OrgauthDeployment>;
  /** The credentials the peers serve: the first deployment's client_credentials pool (or made up). */
  creds: Cred[];
  /** Peers started so far, by name ('oidc-provider', 'ceiling'); providers listed after `peersProvider` find them here. */
  peers: Map<string, Server>;
  /** Extra environment for the oidc-provider process, gathered from every provider's `oidcProviderEnv` before it starts. */
  oidcProviderEnv: Record<string, string>;
}

export interface WorkloadProvider {
  name: string;
  workloads: (ctx: BenchContext) => Promise<Workload[]>;
  /** Extra environment the oidc-provider peer needs for this provider's workloads (e.g. a sign-in client). */
  oidcProviderEnv?: () => Record<string, string>;
  /** Extra ratios printed (and written to the results JSON). */
  ratios?: (summaries: Summary[]) => Record<string, number | undefined>;
  /** Extra PASS/MISS rows, judged on the run's medians. */
  targets?: (summaries: Summary[]) => Target[];
}

export const nodeCpu = (group: string, server: Server): CpuSource => ({ group, node: true, pids: async () => (server.child.pid ? [server.child.pid] : []) });

/** Which orgauth workloads each deployment runs (a row costs rounds × duration; see README "What runs"). */
const ORGAUTH_WORKLOADS: Record<string, readonly string[]> = {
  orgauth: ['client_credentials', 'client_credentials_1app', 'api_token', 'introspect', 'get_app', 'put_regenerate', 'list_apps'],
  'orgauth@warn': ['client_credentials'],
  'orgauth-pg': ['client_credentials', 'introspect', 'get_app', 'put_regenerate'],
  'orgauth-pg-2nodes': ['client_credentials', 'get_app'],
};

/** Counted for calls per request (issue: one Redis round trip and no database read per token). */
const CALLS_COUNTED = new Set(['client_credentials', 'introspect', 'get_app']);
/** Workloads over many apps, whose run each node's copies are filled for first (one request per app). */
const WARMED = new Set(['client_credentials', 'introspect', 'get_app']);

export function orgauthWorkloadsOf(d: OrgauthDeployment): Workload[] {
  const { seeded } = d;
  const appsPath = `${BASE_PATH}/orgs/${seeded.boot.orgId}/oauth-apps`;
  const bearer = async (): Promise<Record<string, string>> => ({ authorization: `Bearer ${await seeded.tokens.get()}` });
  const all: Record<string, () => Promise<Request[]>> = {
    client_credentials: async () => clientCredentialsRequests(`${BASE_PATH}/auth/authorize`, seeded.ccPool),
    client_credentials_1app: async () => clientCredentialsRequests(`${BASE_PATH}/auth/authorize`, seeded.ccPool.slice(0, 1)),
    api_token: async () => [{ method: 'POST', path: `${BASE_PATH}/auth/api-tokens/authorize`, headers: { 'content-type': FORM }, body: new URLSearchParams({ api_token: seeded.boot.apiToken }).toString() }],
    introspect: async () =>
      seeded.introspected.map(({ app, token }) => ({ method: 'POST', path: `${BASE_PATH}/auth/introspect`, headers: { authorization: basic(app.clientId, app.secret), 'content-type': FORM }, body: `token=${token}` })),
    get_app: async () => {
      const h = await bearer();
      return seeded.ccPool.map((a) => ({ method: 'GET', path: `${appsPath}/${a.clientId}`, headers: h }));
    },
    put_regenerate: async () => {
      const h = { ...(await bearer()), 'content-type': 'application/json' };
      return seeded.regenPool.map((a) => ({ method: 'PUT', path: `${appsPath}/${a.clientId}/secret`, headers: h, body: '{}' }));
    },
    list_apps: async () => [{ method: 'GET', path: `${appsPath}?pageLimit=50`, headers: await bearer() }],
  };
  return (ORGAUTH_WORKLOADS[d.label] ?? []).flatMap((name) => {
    const requests = all[name];
    if (!requests) return [];
    // A node serving these apps all the time holds a copy of each; a 10 s run at ~2 000/s reaches each
    // of 18 000 apps about once, so without this the run would measure filling the copies.
    const warm = WARMED.has(name)
      ? async () => {
        const each = await requests();
        for (const node of d.nodes) {
          const failed = await sendEachOnce(node.url, each);
          if (failed > 0) throw new Error(`${d.label}: ${failed} of the warm pass's ${each.length} requests to ${node.url} were not answered 2xx`);
        }
      }
      : undefined;
    return [{ server: d.label, name, url: d.url, requests, cpu: d.cpu, countCalls: d.nodes.length === 1 && CALLS_COUNTED.has(name), ...(warm ? { warm } : {}) }];
  });
}

/** orgauth's own workloads, for every deployment the run prepared. */
export const orgauthProvider: WorkloadProvider = {
  name: 'orgauth',
  workloads: async (ctx) => [...ctx.orgauth.values()].flatMap(orgauthWorkloadsOf),
};

/** client_credentials over all apps and over one app, for a peer token endpoint at `POST /token`. */
export function peerTokenWorkloads(server: Server, creds: Cred[]): Workload[] {
  const cpu = [nodeCpu(server.name, server)];
  return [
    { server: server.name, name: 'client_credentials', url: server.url, requests: async () => clientCredentialsRequests('/token', creds), cpu },
    { server: server.name, name: 'client_credentials_1app', url: server.url, requests: async () => clientCredentialsRequests('/token', creds.slice(0, 1)), cpu },
  ];
}

/** Starts a bench/servers/*.ts peer as its own process on a free port. */
export async function startPeer(ctx: BenchContext, name: string, file: string, readyPath: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const server = await startServer({ name, args: ['--import', 'tsx', file], env: { PORT: String(port), ...env }, port, readyPath, cwd: ctx.root });
  ctx.addServer(server);
  return server;
}

/** node-oidc-provider and the RS256 ceiling (bench/servers/), serving the same client ids and secrets as orgauth. */
export const peersProvider: WorkloadProvider = {
  name: 'peers',
  workloads: async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orgauth-bench-peers-'));
    ctx.addTmpDir(dir);
    const clientsFile = path.join(dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify(ctx.creds));
    const op = await startPeer(ctx, 'oidc-provider', 'bench/servers/oidc-provider.ts', '/.well-known/openid-configuration', { BENCH_CLIENTS_FILE: clientsFile, NODE_ENV: 'production', ...ctx.oidcProviderEnv });
    const ceil = await startPeer(ctx, 'ceiling', 'bench/servers/ceiling.ts', '/hello');
    ctx.peers.set(op.name, op);
    ctx.peers.set(ceil.name, ceil);
    ctx.notes.push('oidc-provider cannot introspect its JWT access tokens ("Structured JWT Tokens cannot be introspected"), so introspection has no peer column');
    return [
      ...peerTokenWorkloads(op, ctx.creds),
      ...peerTokenWorkloads(ceil, ctx.creds),
      { server: 'ceiling', name: 'hello', url: ceil.url, requests: async () => [{ method: 'GET', path: '/hello' }], cpu: [nodeCpu('ceiling', ceil)] },
    ];
  },
};
