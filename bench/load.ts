// Load generation with autocannon's programmatic API: keep-alive connections, each connection
// cycling through its own slice of prebuilt requests (so load is spread across many apps).
import net from 'node:net';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon, { type Request, type Result } from 'autocannon';

export interface Measurement {
  /** 2xx responses per second over the run. */
  rps: number;
  /** 2xx responses (rps × durationS when a workload's own measurement leaves it out). */
  ok?: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  /** The slowest response, ms: a server that stopped serving for a while shows here first. */
  max?: number;
  /** non-2xx responses + socket errors + timeouts. */
  errors: number;
  non2xx: number;
  socketErrors: number;
  total: number;
  durationS: number;
  statusCodes: Record<string, number>;
  /** Paced run: requests that were due while all its sockets were busy (queued in the generator). */
  waitedForSocket?: number;
  /**
   * Paced run: stops of the generator's own event loop (its 1 ms tick ran ≥ 10 ms late). Requests
   * that fell due meanwhile were sent late, and their wait counts in the latency.
   */
  generatorStops?: LoopStops & GeneratorWaits;
  /** Paced run on orgauth: stops of the server's event loop, from its /metrics (stops.ts). */
  serverStops?: ServerStops;
}

/** Stops of an event loop over a run: how many lasted ≥ 10 ms, their total and the longest, ms. */
export interface LoopStops {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** What the paced generator's main thread waited on over the run, ms. */
export interface GeneratorWaits {
  /** Its own garbage collections (pauses ≥ 1 ms): total, the longest, and how many were major. */
  gcMs: number;
  gcMaxMs: number;
  gcMajor: number;
  /** Runnable but waiting for a core (Linux schedstat; undefined elsewhere). */
  runQueueMs?: number;
  /** The generator's thread ran above normal priority (raiseGeneratorPriority). */
  aboveNormal: boolean;
}

/**
 * The paced generator stands in for clients on other machines, yet shares the server's cores: when
 * it waits for a core, requests fall due unsent and their wait counts against the server. Above
 * normal priority it gets a core as soon as it has a request to send (its CPU is still counted, and
 * latency still runs from the due time). Needs CAP_SYS_NICE; without it the run goes on as is.
 * Returns the undo.
 */
function raiseGeneratorPriority(): { raised: boolean; restore: () => void } {
  let before: number;
  try {
    // Linux applies a priority set for pid 0 to the calling thread only: the event loop, which sends.
    before = os.getPriority(0);
    os.setPriority(0, os.constants.priority.PRIORITY_ABOVE_NORMAL);
  } catch {
    return { raised: false, restore: () => {} };
  }
  return { raised: true, restore: () => { try { os.setPriority(0, before); } catch { /* lowering never fails */ } } };
}

/** ms a thread has spent runnable but waiting for a core (Linux: schedstat's second field), or undefined. */
export function runQueueWaitMs(pid: number, tid = pid): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[1]) / 1e6;
  } catch {
    return undefined;
  }
}

export interface ServerStops extends LoopStops {
  /** The server's event-loop thread, runnable but waiting for a core over the run (Linux), ms. */
  runQueueMs?: number;
  /** Stops by what ran during most of each (gc, usage_flush, housekeeping, other). */
  byCause: Record<string, LoopStops>;
  /** The lastUsedAt flush's steps (each holds the event loop): count, total and the bucket bound of the longest, ms. */
  flushSteps: LoopStops;
  /** Major (mark-compact) GCs: count and total, ms. */
  majorGc: { count: number; totalMs: number };
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Requests to cycle through; split round-robin across the connections. */
  requests: Request[];
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
    setupClient: (client) => {
      const slice = slices[next++ % opts.connections];
      client.setRequests(slice && slice.length > 0 ? slice : opts.requests);
    },
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = v.count;
  return {
    rps: Math.round(result['2xx'] / Math.max(result.duration, 0.001)),
    ok: result['2xx'],
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.non2xx + result.errors + result.timeouts,
    non2xx: result.non2xx,
    socketErrors: result.errors + result.timeouts,
    total: result.requests.total,
    durationS: result.duration,
    statusCodes,
  };
}

/**
 * Sends every request once, `concurrency` at a time, outside any measurement; returns how many were
 * not answered 2xx.
 */
export async function sendEachOnce(url: string, requests: readonly Request[], concurrency = 16): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < requests.length; i = next++) {
      const r = requests[i]!;
      const res = await fetch(url + (r.path ?? '/'), { method: r.method ?? 'GET', headers: (r.headers ?? {}) as Record<string, string>, ...(r.body !== undefined ? { body: String(r.body) } : {}) });
      await res.arrayBuffer();
      if (res.status < 200 || res.status >= 300) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
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

const FRAMING = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

/** A request serialized once as HTTP/1.1 bytes, so the paced generator's per-request cost is a write. */
function wire(r: Request, host: string): Buffer {
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  // autocannon adds its own content-length to request objects it has sent; framing headers are ours.
  const own = Object.entries(r.headers ?? {}).filter(([k]) => !FRAMING.has(k.toLowerCase()));
  const headers: Record<string, string> = { host, connection: 'keep-alive', ...Object.fromEntries(own), ...(body ? { 'content-length': String(body.length) } : {}) };
  const head = `${r.method ?? 'GET'} ${r.path ?? '/'} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head);
}

/**
 * Length of the first complete HTTP/1.1 response in `buf`, its status and whether the server closes
 * the connection after it, or undefined while it is incomplete. Content-Length or chunked bodies (the servers here send one or the other).
 */
export function completeResponse(buf: Buffer): { length: number; status: number; close: boolean } | undefined {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = buf.subarray(0, headEnd).toString('latin1').toLowerCase();
  const status = Number(head.slice(9, 12));
  const close = /\r\nconnection:\s*close/.test(head);
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) {
    const length = headEnd + 4 + Number(cl[1]);
    return buf.length >= length ? { length, status, close } : undefined;
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
    let at = headEnd + 4;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
      const next = lineEnd + 2 + size + 2;
      if (buf.length < next) return undefined;
      if (size === 0) return { length: next, status, close };
      at = next;
    }
  }
  return { length: headEnd + 4, status, close };
}

/**
 * A full garbage collection of the bench process, so that a paced run starts with a clean heap
 * rather than pausing for the garbage of seeding and earlier runs while requests fall due.
 */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Open-loop load at a fixed rate: request k is due at start + k/rate and its latency is counted
 * from that moment, so queueing behind a slow response is counted (no coordinated omission).
 * Up to `connections` keep-alive sockets each carry one request at a time; due requests wait in
 * a queue for a free socket. Requests are written as prebuilt bytes and responses only framed, so
 * the generator costs about what autocannon does per request (node:http's client cost several
 * times that, taken from the same two cores as the server).
 * This is the run the "p99 at 80% of the max rate" target judges. autocannon's overallRate is no
 * substitute: it sends each connection's per-second quota in a burst at the start of every second,
 * and its coordinated-omission correction assumes a 1 ms interval.
 */
export async function measurePaced(opts: LoadOptions & { overallRate: number }): Promise<Measurement> {
  const target = new URL(opts.url);
  const host = target.host;
  const port = Number(target.port || 80);
  const prebuilt = opts.requests.map((r) => wire(r, host));
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let socketErrors = 0;
  let sent = 0;
  let done = 0;
  const queue: { bytes: Buffer; due: number; seq: number }[] = [];
  /** The last request counted in waitedForSocket (requests queue in order). */
  let lastWaited = -1;
  const interval = 1000 / opts.overallRate;
  const start = performance.now();
  const end = start + opts.durationS * 1000;

  interface Conn { socket: net.Socket; busy?: { due: number }; buf: Buffer; connected?: boolean }
  const idle: Conn[] = [];
  const conns = new Set<Conn>();
  let finished = false;
  let waitedForSocket = 0;
  const generatorStops: LoopStops = { count: 0, totalMs: 0, maxMs: 0 };
  const gc = { ms: 0, maxMs: 0, major: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (((e as { detail?: { kind?: number } }).detail)?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      if (e.duration < 1) continue;
      gc.ms += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const priority = raiseGeneratorPriority();
  const queuedBefore = runQueueWaitMs(process.pid);
  const send = (c: Conn): void => {
    const next = queue.shift();
    if (!next) {
      idle.push(c);
      return;
    }
    c.busy = { due: next.due };
    c.socket.write(next.bytes);
  };
  const open = (): Conn => {
    const c: Conn = { socket: net.connect(port, target.hostname), buf: Buffer.alloc(0) };
    conns.add(c);
    c.socket.setNoDelay(true);
    c.socket.on('data', (chunk: Buffer) => {
      c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
      let r: ReturnType<typeof completeResponse>;
      while (c.busy && (r = completeResponse(c.buf))) {
        latencies.push(performance.now() - c.busy.due);
        statusCodes[r.status] = (statusCodes[r.status] ?? 0) + 1;
        if (r.status >= 200 && r.status < 300) ok++;
        done++;
        c.buf = c.buf.subarray(r.length);
        c.busy = undefined;
        // A socket the server is closing takes no further request; its replacement does.
        if (r.close) c.socket.destroy();
        else send(c);
      }
    });
    c.socket.on('error', () => {});
    c.socket.on('close', () => {
      conns.delete(c);
      const at = idle.indexOf(c);
      if (at >= 0) idle.splice(at, 1);
      if (finished) return;
      // A request on a socket that closed is lost: count it and carry on with a new socket (after
      // a pause if this one never connected, so a server that is down is not hammered).
      if (c.busy) {
        socketErrors++;
        done++;
      }
      setTimeout(() => { if (!finished) send(open()); }, c.connected ? 0 : 10);
    });
    c.socket.once('connect', () => { c.connected = true; });
    return c;
  };
  for (let i = 0; i < opts.connections; i++) idle.push(open());

  await new Promise<void>((resolve) => {
    let lastTick = performance.now();
    const tick = (): void => {
      const late = performance.now() - lastTick - 1;
      lastTick = performance.now();
      if (late >= 10) {
        generatorStops.count++;
        generatorStops.totalMs += late;
        generatorStops.maxMs = Math.max(generatorStops.maxMs, late);
      }
      const now = Math.min(performance.now(), end);
      while (start + sent * interval <= now) {
        queue.push({ bytes: prebuilt[sent % prebuilt.length] as Buffer, due: start + sent * interval, seq: sent });
        sent++;
      }
      while (queue.length > 0 && idle.length > 0) send(idle.pop() as Conn);
      // What is still queued found every socket busy.
      const newest = queue[queue.length - 1];
      if (newest && newest.seq > lastWaited) {
        waitedForSocket += newest.seq - Math.max(lastWaited, (queue[0]?.seq ?? 0) - 1);
        lastWaited = newest.seq;
      }
      if (performance.now() < end) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Requests due before the end still run, latency counted from their due time (bounded); any
  // left unanswered count as errors.
  const queuedAfter = runQueueWaitMs(process.pid);
  gcObserver.disconnect();
  priority.restore();
  const drainUntil = performance.now() + 10_000;
  while (done < sent && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  finished = true;
  socketErrors += sent - done;
  for (const c of conns) c.socket.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN) * 10) / 10;
  const total = latencies.length;
  return {
    rps: Math.round(ok / opts.durationS),
    ok,
    p50: pct(50),
    p99: pct(99),
    max: pct(100),
    errors: total - ok + socketErrors,
    non2xx: total - ok,
    socketErrors,
    total: total + socketErrors,
    durationS: opts.durationS,
    statusCodes,
    waitedForSocket,
    generatorStops: {
      count: generatorStops.count, totalMs: Math.round(generatorStops.totalMs), maxMs: Math.round(generatorStops.maxMs * 10) / 10,
      gcMs: Math.round(gc.ms), gcMaxMs: Math.round(gc.maxMs * 10) / 10, gcMajor: gc.major, aboveNormal: priority.raised,
      ...(queuedBefore !== undefined && queuedAfter !== undefined ? { runQueueMs: Math.round(queuedAfter - queuedBefore) } : {}),
    },
  };
}
