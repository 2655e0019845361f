// Load generation with autocannon's programmatic API: keep-alive connections, each connection
// cycling through its own slice of prebuilt requests (so load is spread across many apps).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon, { type Request, type Result } from 'autocannon';

export interface Measurement {
  /** 2xx responses per second over the run. */
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  /** non-2xx responses + socket errors + timeouts. */
  errors: number;
  non2xx: number;
  socketErrors: number;
  total: number;
  durationS: number;
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Requests to cycle through; split round-robin across the connections. */
  requests: Request[];
  overallRate?: number;
}

export async function measure(opts: LoadOptions): Promise<Measurement> {
  if (opts.requests.length === 0) throw new Error('measure: no requests');
  const slices: Request[][] = Array.from({ length: opts.connections }, () => []);
  opts.requests.forEach((r, i) => slices[i % opts.connections]?.push(r));
  let next = 0;
  const result: Result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 10,
    // autocannon 9 'corrects' rate-limited latencies with an expected interval of ceil(1/rate) = 1 ms,
    // back-filling every response with latency-1 synthetic samples; measurePaced does it properly.
    ...(opts.overallRate ? { overallRate: Math.max(1, Math.round(opts.overallRate)), ignoreCoordinatedOmission: true } : {}),
    setupClient: (client) => {
      const slice = slices[next++ % opts.connections];
      client.setRequests(slice && slice.length > 0 ? slice : opts.requests);
    },
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = v.count;
  return {
    rps: Math.round(result['2xx'] / Math.max(result.duration, 0.001)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    non2xx: result.non2xx,
    socketErrors: result.errors + result.timeouts,
    total: result.requests.total,
    durationS: result.duration,
    statusCodes,
  };
}

export const FORM = 'application/x-www-form-urlencoded';

export function basic(clientId: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64');
}

/** One client_credentials request per credential (HTTP Basic, grant in the form body). */
export function clientCredentialsRequests(path: string, creds: readonly Cred[]): Request[] {
  return creds.map((c) => ({
    method: 'POST',
    path,
    headers: { authorization: basic(c.clientId, c.secret), 'content-type': FORM },
    body: 'grant_type=client_credentials',
  }));
}

export interface Cred {
  clientId: string;
  secret: string;
}

/**
 * Open-loop load at a fixed rate: request k is due at start + k/rate and its latency is counted
 * from that moment (so queueing behind a slow response is counted, no coordinated omission).
 * Up to `connections` keep-alive sockets; requests beyond that wait in the agent's queue.
 * Used for "p99 at 80% of the max rate", where autocannon's overallRate sends each connection's
 * per-second quota in a burst at the start of every second.
 */
export async function measurePaced(opts: LoadOptions & { overallRate: number }): Promise<Measurement> {
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let socketErrors = 0;
  let inFlight = 0;
  const start = performance.now();
  const end = start + opts.durationS * 1000;
  let sent = 0;

  const fire = (r: Request, due: number): void => {
    inFlight++;
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: r.method ?? 'GET',
        path: r.path ?? '/',
        agent,
        headers: { ...(r.headers ?? {}), ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          latencies.push(performance.now() - due);
          const code = res.statusCode ?? 0;
          statusCodes[code] = (statusCodes[code] ?? 0) + 1;
          if (code >= 200 && code < 300) ok++;
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      inFlight--;
      socketErrors++;
    });
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(now, end);
      while (start + (sent * 1000) / opts.overallRate <= due) {
        const r = opts.requests[sent % opts.requests.length];
        fire(r as Request, start + (sent * 1000) / opts.overallRate);
        sent++;
      }
      if (now < end) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Let the requests already sent finish (bounded).
  const drainUntil = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN) * 10) / 10;
  const total = latencies.length;
  return {
    rps: Math.round(ok / opts.durationS),
    p50: pct(50),
    p99: pct(99),
    errors: total - ok + socketErrors,
    non2xx: total - ok,
    socketErrors,
    total,
    durationS: opts.durationS,
    statusCodes,
  };
}
