// Stops of orgauth's event loop during a run, read from its /metrics before and after it: the
// server runs with ORGAUTH_EVENT_LOOP_STOP_MS=10 (orgauth.ts), whose monitor times every stop of
// at least 10 ms and puts it down to what ran (src/metrics/event-loop-stops.ts).
import { runQueueWaitMs, type LoopStops, type Measurement, type ServerStops } from './load.js';

interface Counters {
  /** `name{labels} value` lines of one /metrics text. */
  readonly samples: { name: string; labels: string; value: number }[];
}

async function read(url: string): Promise<Counters> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples = [...text.matchAll(/^(\w+)(?:\{([^}]*)\})? (\S+)$/gm)].map((m) => ({ name: m[1] ?? '', labels: m[2] ?? '', value: Number(m[3]) }));
  return { samples };
}

function sum(c: Counters, name: string, labels: RegExp = /.*/): number {
  return c.samples.filter((s) => s.name === name && labels.test(s.labels)).reduce((a, s) => a + s.value, 0);
}

/**
 * The largest observation a histogram gained between two reads, as the bound of the smallest bucket
 * holding all new observations (buckets are cumulative), ms; 0 if none, Infinity above every bound.
 */
function longestBucket(before: Counters, after: Counters, name: string, labels: RegExp): number {
  const gained = sum(after, `${name}_count`, labels) - sum(before, `${name}_count`, labels);
  if (gained === 0) return 0;
  const bounds = [...new Set(after.samples.filter((s) => s.name === `${name}_bucket` && labels.test(s.labels))
    .map((s) => /le="([^"]+)"/.exec(s.labels)?.[1] ?? '+Inf').filter((le) => le !== '+Inf').map(Number))].sort((a, b) => a - b);
  for (const le of bounds) {
    const at = new RegExp(`${labels.source}.*le="${le}"|le="${le}".*${labels.source}`);
    if (sum(after, `${name}_bucket`, at) - sum(before, `${name}_bucket`, at) === gained) return le * 1000;
  }
  return Infinity;
}

/** Starts counting: call before the run; the returned function reads what the run added. */
export async function watchServerStops(url: string, pid: number | undefined): Promise<() => Promise<ServerStops | undefined>> {
  const before = await read(url);
  if (!before.samples.some((s) => s.name === 'orgauth_event_loop_stop_max_seconds')) return async () => undefined;
  const queuedBefore = pid === undefined ? undefined : runQueueWaitMs(pid);
  return async () => {
    const queuedAfter = pid === undefined ? undefined : runQueueWaitMs(pid);
    const after = await read(url);
    const delta = (name: string, labels?: RegExp): number => sum(after, name, labels) - sum(before, name, labels);
    const stops = (labels: RegExp): LoopStops => ({
      count: delta('orgauth_event_loop_stop_seconds_count', labels),
      totalMs: Math.round(delta('orgauth_event_loop_stop_seconds_sum', labels) * 1000),
      maxMs: 0,
    });
    const causes = [...new Set(after.samples.filter((s) => s.name === 'orgauth_event_loop_stop_seconds_count').map((s) => /cause="([^"]+)"/.exec(s.labels)?.[1] ?? ''))];
    const byCause: Record<string, LoopStops> = {};
    for (const cause of causes) {
      const labels = new RegExp(`cause="${cause}"`);
      byCause[cause] = { ...stops(labels), maxMs: longestBucket(before, after, 'orgauth_event_loop_stop_seconds', labels) };
    }
    const flush = /kind="usage_flush"/;
    return {
      ...stops(/.*/),
      // The gauge holds the longest stop since the previous read, which was `before`.
      maxMs: Math.round(sum(after, 'orgauth_event_loop_stop_max_seconds') * 10_000) / 10,
      ...(queuedBefore !== undefined && queuedAfter !== undefined ? { runQueueMs: Math.round(queuedAfter - queuedBefore) } : {}),
      byCause,
      flushSteps: {
        count: delta('orgauth_event_loop_work_seconds_count', flush),
        totalMs: Math.round(delta('orgauth_event_loop_work_seconds_sum', flush) * 1000),
        maxMs: longestBucket(before, after, 'orgauth_event_loop_work_seconds', flush),
      },
      majorGc: {
        count: delta('orgauth_nodejs_gc_duration_seconds_count', /kind="major"/),
        totalMs: Math.round(delta('orgauth_nodejs_gc_duration_seconds_sum', /kind="major"/) * 1000),
      },
    };
  };
}

/** One line for the run's log: the stops, by cause, and what the flush and major GCs took. */
export function describeServerStops(s: ServerStops): string {
  const bound = (ms: number): string => (ms === Infinity ? '> 5 s' : `≤ ${ms} ms`);
  const causes = Object.entries(s.byCause).filter(([, c]) => c.count > 0)
    .map(([cause, c]) => `${cause} ${c.count} (${c.totalMs} ms, longest ${bound(c.maxMs)})`).join(', ');
  return `server stops ≥ 10 ms: ${s.count} (${s.totalMs} ms, longest ${s.maxMs} ms${causes ? `; ${causes}` : ''}); `
    + (s.runQueueMs !== undefined ? `event loop waited for a core ${s.runQueueMs} ms; ` : '')
    + `flush steps ${s.flushSteps.count} (${s.flushSteps.totalMs} ms, longest ${bound(s.flushSteps.maxMs)}); major GC ${s.majorGc.count} (${s.majorGc.totalMs} ms)`;
}

/** The paced generator's own stops, and what it waited on. */
export function describeGeneratorStops(g: NonNullable<Measurement['generatorStops']>): string {
  return `generator${g.aboveNormal ? ' (above normal priority)' : ''} stops ≥ 10 ms: ${g.count} (${g.totalMs} ms, longest ${g.maxMs} ms); its GC ${g.gcMs} ms (longest ${g.gcMaxMs} ms, ${g.gcMajor} major)`
    + (g.runQueueMs !== undefined ? `; it waited for a core ${g.runQueueMs} ms` : '');
}
