// Stops of the event loop: spans in which no request could be served (a synchronous statement, a
// garbage collection, the process waiting for a core), each timed and attributed to what ran in it.
// Off unless ORGAUTH_EVENT_LOOP_STOP_MS is set; read through GET /metrics (docs/operations.md).
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';

/** Background work that runs on the event loop and reports itself, so a stop can be put down to it. */
export type LoopWork = 'usage_flush' | 'housekeeping';
export type StopCause = 'gc' | LoopWork | 'other';

export interface StopMonitor {
  /** `startMs` on performance.now()'s clock. */
  work(kind: LoopWork, startMs: number, ms: number): void;
  close(): void;
}

interface Span {
  readonly cause: StopCause;
  readonly start: number;
  readonly end: number;
}

/** Work and GC spans are kept this long after they end, for stops detected late. */
const KEEP_MS = 5_000;
/** A stop is attributed this long after it ends: GC entries reach observers a little later. */
const SETTLE_MS = 50;

/**
 * A timer that should run every few milliseconds measures how late it ran: lateness of at least
 * `thresholdMs` is a stop. A timer is used rather than the delay histogram of
 * perf_hooks.monitorEventLoopDelay so each stop is seen on its own, with its start and end.
 */
export function createStopMonitor(registry: Registry, thresholdMs: number): StopMonitor {
  const stops = new Histogram({
    name: 'orgauth_event_loop_stop_seconds',
    help: `Stops of the event loop of at least ${thresholdMs} ms, by what ran during most of the stop (gc, usage_flush, housekeeping, other: requests, or the process waiting for a core)`,
    labelNames: ['cause'] as const,
    buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  let longest = 0;
  new Gauge({
    name: 'orgauth_event_loop_stop_max_seconds',
    help: 'The longest stop of the event loop since the previous read of /metrics (0 if none)',
    registers: [registry],
    collect() {
      this.set(longest / 1000);
      longest = 0;
    },
  });
  for (const cause of ['gc', 'usage_flush', 'housekeeping', 'other'] as const) stops.zero({ cause });

  const spans: Span[] = [];
  const pending: Span[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration >= 1) spans.push({ cause: 'gc', start: entry.startTime, end: entry.startTime + entry.duration });
    }
  });
  gc.observe({ entryTypes: ['gc'] });

  const attribute = (stop: Span): StopCause => {
    const overlap = new Map<StopCause, number>();
    for (const span of spans) {
      const ms = Math.min(span.end, stop.end) - Math.max(span.start, stop.start);
      if (ms > 0) overlap.set(span.cause, (overlap.get(span.cause) ?? 0) + ms);
    }
    let cause: StopCause = 'other';
    let most = (stop.end - stop.start) / 2;
    for (const [c, ms] of overlap) if (ms >= most) [cause, most] = [c, ms];
    return cause;
  };

  const periodMs = Math.max(1, Math.min(5, Math.floor(thresholdMs / 2)));
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    const late = now - last - periodMs;
    // The loop was busy from about the previous run of this timer until now.
    if (late >= thresholdMs) pending.push({ cause: 'other', start: last, end: now });
    last = now;
    while (pending.length > 0 && now - (pending[0] as Span).end >= SETTLE_MS) {
      const stop = pending.shift() as Span;
      const ms = stop.end - stop.start - periodMs;
      stops.observe({ cause: attribute(stop) }, ms / 1000);
      longest = Math.max(longest, ms);
    }
    while (spans.length > 0 && now - (spans[0] as Span).end > KEEP_MS) spans.shift();
  }, periodMs);
  probe.unref();

  return {
    work(kind, startMs, ms) {
      spans.push({ cause: kind, start: startMs, end: startMs + ms });
    },
    close() {
      clearInterval(probe);
      gc.disconnect();
    },
  };
}
