// Closed-loop load for requests that depend on the previous response, such as refresh tokens that
// rotate at every use (autocannon replays fixed requests, so it cannot follow a chain). Each chain
// sends its next request as soon as its previous response arrives; chains share keep-alive sockets.
import http from 'node:http';
import { createHistogram, performance } from 'node:perf_hooks';
import type { Measurement } from './load.js';

export interface ChainRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface ChainOptions {
  url: string;
  durationS: number;
  /** One starting state per chain (e.g. a refresh token); the number of chains. */
  starts: string[];
  /** States a chain starts again from after a failed step, since its own state may be spent. */
  spares: string[];
  request: (state: string) => ChainRequest;
  /** The next state from a 2xx response body; undefined counts the step as an error. */
  next: (body: string) => string | undefined;
}

interface Step {
  status: number;
  body: string;
}

/**
 * Runs the chains for `durationS`; a chain stops sending when the time is up and its last response
 * still counts. A failed step (non-2xx, no next state, socket error) is an error and the chain takes
 * a spare start, or ends when none is left. rps is 2xx steps over the time until the last response
 * (at least `durationS`).
 */
export async function measureChains(opts: ChainOptions): Promise<Measurement> {
  if (opts.starts.length === 0) throw new Error('measureChains: no chains');
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.starts.length });
  const histogram = createHistogram();
  const statusCodes: Record<string, number> = {};
  const spares = [...opts.spares];
  let ok = 0;
  let non2xx = 0;
  let socketErrors = 0;

  const send = (r: ChainRequest): Promise<Step> =>
    new Promise((resolve, reject) => {
      const body = Buffer.from(r.body);
      const req = http.request(
        { host: target.hostname, port: target.port, method: r.method, path: r.path, agent, headers: { ...r.headers, 'content-length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });

  const start = performance.now();
  const end = start + opts.durationS * 1000;
  let last = start;

  const chain = async (first: string): Promise<void> => {
    let state: string | undefined = first;
    while (state !== undefined && performance.now() < end) {
      const t0 = performance.now();
      let step: Step | undefined;
      try {
        step = await send(opts.request(state));
      } catch {
        socketErrors += 1;
      }
      const t1 = performance.now();
      last = Math.max(last, t1);
      histogram.record(Math.max(1, Math.round((t1 - t0) * 1000)));
      if (step) statusCodes[step.status] = (statusCodes[step.status] ?? 0) + 1;
      const next = step && step.status >= 200 && step.status < 300 ? nextState(opts, step.body) : undefined;
      if (next !== undefined) {
        ok += 1;
        state = next;
      } else {
        if (step && (step.status < 200 || step.status >= 300)) non2xx += 1;
        state = spares.shift();
      }
    }
  };

  await Promise.all(opts.starts.map(chain));
  agent.destroy();
  // Chains that ran out of spares early do not shorten the run.
  const elapsedS = Math.max(opts.durationS, (last - start) / 1000);
  const total = histogram.count;
  const ms = (p: number): number => Math.round(histogram.percentile(p) / 100) / 10;
  return {
    rps: Math.round(ok / elapsedS),
    p50: ms(50),
    p99: ms(99),
    errors: total - ok,
    non2xx,
    socketErrors,
    total,
    durationS: elapsedS,
    statusCodes,
  };
}

/** A body the caller cannot read (not JSON, say) is a failed step, not a failed run. */
function nextState(opts: ChainOptions, body: string): string | undefined {
  try {
    return opts.next(body);
  } catch {
    return undefined;
  }
}
