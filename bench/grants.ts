// The grants people use, on orgauth and on node-oidc-provider doing the same: authorization_code
// redemption (autocannon over codes minted before each run, each code sent once) and refresh_token
// with rotation (closed-loop chains, chain-load.ts). Both sides sign one person in once, then get
// each further code with one authorization request on the signed-in session. See bench/README.md,
// "Grants".
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Request } from 'autocannon';
import { PEER_RESOURCE, PEER_SCOPE } from './claims.js';
import { measureChains, type ChainRequest } from './chain-load.js';
import { basic, FORM, measure, type Measurement } from './load.js';
import { BASE_PATH } from './orgauth.js';
import { find, fmt, ratio } from './report.js';
import type { MeasureOptions, WorkloadProvider } from './workloads.js';

/** The person both servers sign in (an org_owner on orgauth; the peer's findAccount knows anyone). */
export const SIGNIN_USERNAME = 'bench-person@example.com';
const SIGNIN_CLIENT_ID = 'bench-signin';
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
/** Both servers' authorization codes live 60 s: a pool is minted right before the run that uses it. */
const CODE_TTL_S = 60;
/**
 * Codes minted per run: the highest rate of successful redemptions seen so far × duration × this,
 * plus 10 per connection, at most what can be minted while the first code is still alive. A run that
 * comes within 10% of its pool is run once more with twice the rate.
 */
const POOL_MARGIN = 2;
const MINT_CONCURRENCY = 16;
/** The first run of each server starts from a 1 s run over 10 codes per connection. */
const CALIBRATION_S = 1;
const CALIBRATION_CODES_PER_CONNECTION = 10;

/** The peer's sign-in client; the same values go to its process (peerSignInEnv) and to the load. */
const PEER_CLIENT = { clientId: SIGNIN_CLIENT_ID, secret: randomBytes(32).toString('base64url'), redirectUri: REDIRECT_URI, username: SIGNIN_USERNAME };

export interface GrantWorkload {
  server: string;
  name: string;
  url: string;
  /** One request, for a probe. */
  requests: () => Promise<Request[]>;
  /** Makes what the next run consumes (codes, the chains' refresh tokens), outside the measured run. */
  prepare: (o: { durationS: number; connections: number }) => Promise<void>;
  /** One measured run over what `prepare` made. */
  measure: (o: MeasureOptions) => Promise<Measurement>;
}

type Log = (msg: string) => void;

interface SignedIn {
  server: string;
  url: string;
  authorizePath: string;
  tokenPath: string;
  /** The authorization request without state, nonce and PKCE, which are new for every code. */
  authorizeParams: Record<string, string>;
  clientId: string;
  secret: string;
  /** The session's cookies. */
  cookie: string;
}

interface Code {
  code: string;
  verifier: string;
}

interface TokenBody {
  access_token?: string;
  id_token?: string;
  refresh_token?: string;
}

/** Cookies of one browser, without paths or expiry: enough for one sign-in against one server. */
class Jar {
  private readonly cookies = new Map<string, string>();

  keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Environment for the oidc-provider process: its sign-in client (bench/servers/oidc-provider.ts). */
export function peerSignInEnv(): Record<string, string> {
  return { BENCH_SIGNIN_CLIENT: JSON.stringify(PEER_CLIENT) };
}

export interface OrgauthGrantOptions {
  root: string;
  /** orgauth's environment, for its CLI. */
  env: Record<string, string>;
  url: string;
  orgId: string;
  bearer: () => Promise<string>;
  notes: string[];
  log: Log;
}

/** orgauth: a person with a password, a confidential sign-in app, one sign-in through the form. */
export async function orgauthGrantWorkloads(o: OrgauthGrantOptions): Promise<GrantWorkload[]> {
  try {
    const password = `Bench sign-in ${randomBytes(12).toString('hex')}`;
    await cli(o.root, o.env, ['user', 'add', '--org', o.orgId, '--username', SIGNIN_USERNAME, '--role', 'org_owner', '--password-stdin', '--json'], `${password}\n`);
    const res = await fetch(`${o.url}${BASE_PATH}/orgs/${o.orgId}/oauth-apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await o.bearer()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: SIGNIN_CLIENT_ID,
        displayName: 'bench sign-in',
        description: 'bench',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT_URI],
        allowedScopes: { generalScopes: ['openid'], organizationScopes: { allRoles: true, roles: [] } },
      }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`creating the sign-in app: ${res.status} ${text.slice(0, 200)}`);
    const app = JSON.parse(text) as { clientId: string; clientSecret: string };
    const authorizeParams = { client_id: app.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid' };
    const authorizePath = '/csp/gateway/discovery';

    // The sign-in page, then its form with the CSRF token and the password.
    const jar = new Jar();
    const page = await fetch(`${o.url}${authorizePath}?${new URLSearchParams({ ...authorizeParams, ...perCode().params })}`, { redirect: 'manual' });
    jar.keep(page);
    const html = await page.text();
    if (page.status !== 200) throw new Error(`sign-in page: ${page.status} ${html.slice(0, 200)}`);
    const form = new URLSearchParams({ ...hiddenFields(html), username: SIGNIN_USERNAME, password });
    const signIn = await fetch(`${o.url}${authorizePath}`, { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': FORM }, body: form.toString() });
    jar.keep(signIn);
    await signIn.arrayBuffer();
    if (!codeFrom(signIn, REDIRECT_URI)) throw new Error(`sign-in: ${signIn.status} ${signIn.headers.get('location') ?? ''}`);

    const target: SignedIn = { server: 'orgauth', url: o.url, authorizePath, tokenPath: `${BASE_PATH}/auth/token`, authorizeParams, clientId: app.clientId, secret: app.clientSecret, cookie: jar.header() };
    return await grantWorkloads(target, o.notes, o.log);
  } catch (err) {
    o.notes.push(`orgauth authorization_code and refresh_token: skipped, ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

/** oidc-provider: its first authorization goes through the login interaction (no form), later ones need none. */
export async function peerGrantWorkloads(url: string, notes: string[], log: Log): Promise<GrantWorkload[]> {
  try {
    const authorizeParams = { client_id: PEER_CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: `openid ${PEER_SCOPE}`, resource: PEER_RESOURCE };
    const jar = new Jar();
    let next = `${url}/auth?${new URLSearchParams({ ...authorizeParams, ...perCode().params })}`;
    for (let hop = 0; ; hop++) {
      const res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.keep(res);
      const body = await res.text();
      if (codeFrom(res, REDIRECT_URI)) break;
      const location = res.headers.get('location');
      if (!location || hop >= 6) throw new Error(`sign-in: ${res.status} ${location ?? body.slice(0, 200)}`);
      next = new URL(location, url).toString();
    }
    const target: SignedIn = { server: 'oidc-provider', url, authorizePath: '/auth', tokenPath: '/token', authorizeParams, clientId: PEER_CLIENT.clientId, secret: PEER_CLIENT.secret, cookie: jar.header() };
    return await grantWorkloads(target, notes, log);
  } catch (err) {
    notes.push(`oidc-provider authorization_code and refresh_token: skipped, ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

/** Checks once what a redemption and a refresh return, notes it, and builds the two workloads. */
async function grantWorkloads(t: SignedIn, notes: string[], log: Log): Promise<GrantWorkload[]> {
  const [code] = await mintCodes(t, 1);
  const redeemed = await post(t, redemptionRequest(t, code!));
  const refreshed = await post(t, refreshRequest(t, redeemed.refresh_token ?? ''));
  if (!redeemed.refresh_token || !refreshed.refresh_token || refreshed.refresh_token === redeemed.refresh_token) {
    throw new Error('a redemption and a refresh must each return a new refresh token');
  }
  const again = await send(t, refreshRequest(t, redeemed.refresh_token));
  notes.push(`${t.server}: a redemption returns ${shape(redeemed)}; a refresh returns ${shape(refreshed)}; the used refresh token again: ${again.status}`);
  log(`${t.server} signed in; grants ready`);
  return [codeWorkload(t, notes, log), refreshWorkload(t)];
}

function codeWorkload(t: SignedIn, notes: string[], log: Log): GrantWorkload {
  /** Successful redemptions per second to size the next pool for; codes minted per second. */
  let rate = 0;
  let mintRate = 0;
  let pool: Code[] = [];
  const mint = async (n: number): Promise<void> => {
    const t0 = performance.now();
    pool = await mintCodes(t, n);
    const mintS = (performance.now() - t0) / 1000;
    mintRate = n / mintS;
    log(`${t.server} authorization_code: minted ${n} codes in ${mintS.toFixed(1)} s (${Math.round(mintRate)}/s)`);
  };
  const poolSize = (durationS: number, connections: number): number => {
    const wanted = Math.ceil(rate * durationS * POOL_MARGIN) + 10 * connections;
    // The first code minted must still be alive when the run ends.
    const mintable = Math.floor(mintRate * (CODE_TTL_S - durationS - 10));
    if (wanted <= mintable || mintable <= 0) return wanted;
    notes.push(`${t.server} authorization_code: pool capped at ${mintable} codes (${Math.round(mintRate)} minted/s, ${CODE_TTL_S} s lifetime) instead of ${wanted}`);
    return mintable;
  };
  /** One autocannon run over the pool, which it uses up; `exhausted` when it came within 10% of its end. */
  const runOverPool = async (durationS: number, connections: number): Promise<{ m: Measurement; exhausted: boolean }> => {
    const size = pool.length;
    const requests = pool.map((c) => redemptionRequest(t, c));
    pool = [];
    const m = await measure({ url: t.url, connections, durationS, requests });
    // Each connection cycles through its own slice of the pool: near its end, some may have wrapped.
    const exhausted = m.total > size * 0.9;
    rate = exhausted ? 2 * Math.max(rate, m.rps) : Math.max(rate, m.rps);
    return { m, exhausted };
  };
  const prepare = async ({ durationS, connections }: { durationS: number; connections: number }): Promise<void> => {
    if (rate === 0) {
      await mint(connections * CALIBRATION_CODES_PER_CONNECTION);
      await runOverPool(CALIBRATION_S, connections);
      log(`${t.server} authorization_code: calibration ${Math.round(rate)} redemptions/s`);
    }
    await mint(poolSize(durationS, connections));
  };
  return {
    server: t.server,
    name: 'authorization_code',
    url: t.url,
    requests: async () => (await mintCodes(t, 1)).map((c) => redemptionRequest(t, c)),
    prepare,
    measure: async (o) => {
      if (pool.length === 0) await prepare(o);
      const first = await runOverPool(o.durationS, o.connections);
      if (!first.exhausted) return first.m;
      // Rare once the rate is known; this minting happens between the two runs.
      log(`${t.server} authorization_code: ${first.m.total} requests used more than 90% of the pool; run again with a larger one`);
      await mint(poolSize(o.durationS, o.connections));
      await o.restartCount?.();
      const again = await runOverPool(o.durationS, o.connections);
      if (again.exhausted) notes.push(`${t.server} authorization_code: ${again.m.total} requests came within 10% of the pool's end; reused codes count as errors`);
      return again.m;
    },
  };
}

function refreshWorkload(t: SignedIn): GrantWorkload {
  /** Refresh tokens for the chains and their spares, one code redemption each. */
  const startTokens = async (n: number): Promise<string[]> => {
    const codes = await mintCodes(t, n);
    const tokens: string[] = [];
    for (let i = 0; i < codes.length; i += MINT_CONCURRENCY) {
      const bodies = await Promise.all(codes.slice(i, i + MINT_CONCURRENCY).map((c) => post(t, redemptionRequest(t, c))));
      for (const b of bodies) if (b.refresh_token) tokens.push(b.refresh_token);
    }
    return tokens;
  };
  let tokens: string[] = [];
  const prepare = async ({ connections }: { durationS: number; connections: number }): Promise<void> => {
    tokens = await startTokens(connections * 2);
  };
  return {
    server: t.server,
    name: 'refresh_token',
    url: t.url,
    requests: async () => (await startTokens(1)).map((rt) => refreshRequest(t, rt)),
    prepare,
    measure: async (o) => {
      if (tokens.length === 0) await prepare(o);
      const own = tokens;
      tokens = [];
      return measureChains({
        url: t.url,
        durationS: o.durationS,
        starts: own.slice(0, o.connections),
        spares: own.slice(o.connections),
        request: (rt) => refreshRequest(t, rt),
        next: (body) => (JSON.parse(body) as TokenBody).refresh_token,
      });
    },
  };
}

/** A new state, nonce and PKCE pair for one authorization request. */
function perCode(): { params: Record<string, string>; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, params: { state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'), code_challenge: challenge, code_challenge_method: 'S256' } };
}

/** `n` codes in the order they were asked for, MINT_CONCURRENCY authorization requests in flight. */
async function mintCodes(t: SignedIn, n: number): Promise<Code[]> {
  const codes = new Array<Code>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const { params, verifier } = perCode();
      const res = await fetch(`${t.url}${t.authorizePath}?${new URLSearchParams({ ...t.authorizeParams, ...params })}`, { redirect: 'manual', headers: { cookie: t.cookie } });
      const body = await res.text();
      const code = codeFrom(res, REDIRECT_URI);
      if (!code) throw new Error(`${t.server} authorization request: ${res.status} ${res.headers.get('location') ?? body.slice(0, 200)}`);
      codes[i] = { code, verifier };
    }
  };
  await Promise.all(Array.from({ length: Math.min(MINT_CONCURRENCY, n) }, worker));
  return codes;
}

function codeFrom(res: Response, redirectUri: string): string | undefined {
  const location = res.headers.get('location');
  if ((res.status !== 302 && res.status !== 303) || !location?.startsWith(`${redirectUri}?`)) return undefined;
  return new URL(location).searchParams.get('code') ?? undefined;
}

function tokenHeaders(t: SignedIn): Record<string, string> {
  return { authorization: basic(t.clientId, t.secret), 'content-type': FORM };
}

function redemptionRequest(t: SignedIn, c: Code): ChainRequest {
  return { method: 'POST', path: t.tokenPath, headers: tokenHeaders(t), body: new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT_URI, code_verifier: c.verifier }).toString() };
}

function refreshRequest(t: SignedIn, refreshToken: string): ChainRequest {
  return { method: 'POST', path: t.tokenPath, headers: tokenHeaders(t), body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString() };
}

async function send(t: SignedIn, r: ChainRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(`${t.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
  return { status: res.status, text: await res.text() };
}

async function post(t: SignedIn, r: ChainRequest): Promise<TokenBody> {
  const { status, text } = await send(t, r);
  if (status < 200 || status >= 300) throw new Error(`${t.server} token endpoint: ${status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as TokenBody;
}

/** Which tokens a response carries, with their sizes (the same work on both sides: two RS256 JWTs and an opaque token). */
function shape(b: TokenBody): string {
  const size = (s: string | undefined) => (s ? `${s.length} B` : 'none');
  const kind = (s: string | undefined) => (s ? (s.split('.').length === 3 ? 'JWT' : 'opaque') : '');
  return `access_token ${kind(b.access_token)} ${size(b.access_token)}, id_token ${kind(b.id_token)} ${size(b.id_token)}, refresh_token ${kind(b.refresh_token)} ${size(b.refresh_token)}`;
}

/** The hidden fields of orgauth's sign-in form (the carried request and csrf_token). */
function hiddenFields(html: string): Record<string, string> {
  const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(m[1]!)] = unescape(m[2]!);
  return fields;
}

/** bin/orgauth with a line on standard input (the password). */
function cli(root: string, env: Record<string, string>, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/orgauth', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`orgauth ${args.slice(0, 2).join(' ')} exited with ${code}: ${err.trim() || out.trim()}`))));
    child.stdin.end(stdin);
  });
}

const GRANTS = ['authorization_code', 'refresh_token'] as const;

/**
 * The grants people use, on the SQLite orgauth and on oidc-provider, and the API-token exchange over
 * the ceiling. Listed after `peersProvider` in run.ts, so the peer is already up.
 */
export const grantsProvider: WorkloadProvider = {
  name: 'grants',
  oidcProviderEnv: peerSignInEnv,
  async workloads(ctx) {
    const d = ctx.orgauth.get('orgauth');
    const op = ctx.peers.get('oidc-provider');
    return [
      ...(d ? await orgauthGrantWorkloads({ root: ctx.root, env: d.env, url: d.url, orgId: d.seeded.boot.orgId, bearer: () => d.seeded.tokens.get(), notes: ctx.notes, log: ctx.log }) : []),
      ...(op ? await peerGrantWorkloads(op.url, ctx.notes, ctx.log) : []),
    ];
  },
  ratios: (summaries) => ({
    ...Object.fromEntries(GRANTS.map((g) => [`${g} orgauth/oidc-provider`, ratio(find(summaries, 'orgauth', g), find(summaries, 'oidc-provider', g))])),
    'api_token orgauth/ceiling client_credentials': ratio(find(summaries, 'orgauth', 'api_token'), find(summaries, 'ceiling', 'client_credentials')),
  }),
  // A peer with errors would flatter the ratio, so both sides must be error-free.
  targets: (summaries) =>
    GRANTS.map((g) => {
      const org = find(summaries, 'orgauth', g);
      const peer = find(summaries, 'oidc-provider', g);
      const r = ratio(org, peer);
      const clean = org?.errors === 0 && peer?.errors === 0;
      return { name: `${g} vs oidc-provider`, goal: '>= 1.5x', value: r === undefined ? 'n/a' : `${fmt(r)} (${org?.rps}/s vs ${peer?.rps}/s)${clean ? '' : ' with errors'}`, pass: r === undefined ? undefined : clean && r >= 1.5 };
    }),
};
