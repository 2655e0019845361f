// The event-loop stop monitor (src/metrics/event-loop-stops.ts): a callback that holds the event loop
// shows on /metrics as one stop of about its length, put down to the background work that reported
// it, or to `other` when nothing did; short turns are not stops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { createStopMonitor } from '../../src/metrics/event-loop-stops.js';

function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the event loop is held */ }
}

/** `name{cause="…"}` samples of a /metrics text, by label value. */
async function read(registry: Registry): Promise<{ count: Record<string, number>; sum: Record<string, number>; max: number }> {
  const text = await registry.metrics();
  const pick = (name: string): Record<string, number> => Object.fromEntries(
    [...text.matchAll(new RegExp(`^${name}\\{cause="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], Number(m[2])]),
  );
  const max = Number(/^orgauth_event_loop_stop_max_seconds (\S+)$/m.exec(text)?.[1]);
  return { count: pick('orgauth_event_loop_stop_seconds_count'), sum: pick('orgauth_event_loop_stop_seconds_sum'), max };
}

describe('event-loop stop monitor', () => {
  it('times a callback that holds the loop inside a timer as one stop, and reads the longest once', async () => {
    const registry = new Registry();
    const monitor = createStopMonitor(registry, 10);
    try {
      await sleep(30);
      await new Promise<void>((resolve) => setTimeout(() => { hold(150); resolve(); }, 5));
      await sleep(120);
      const first = await read(registry);
      // A busy machine may add short stops of its own (the process waiting for a core): 'other' too.
      assert.ok((first.count.other ?? 0) >= 1);
      assert.ok(first.max >= 0.13 && first.max < 0.3, `longest ${first.max} s`);
      assert.equal((await read(registry)).max, 0, 'the longest stop is since the previous read');
    } finally {
      monitor.close();
    }
  });

  it('puts a stop down to the background work that reported it', async () => {
    const registry = new Registry();
    const monitor = createStopMonitor(registry, 10);
    try {
      await sleep(30);
      await new Promise<void>((resolve) => setTimeout(() => {
        const start = performance.now();
        hold(80);
        monitor.work('usage_flush', start, performance.now() - start);
        resolve();
      }, 5));
      await sleep(120);
      const { count, sum } = await read(registry);
      assert.equal(count.usage_flush, 1);
      assert.ok((sum.usage_flush ?? 0) >= 0.07, `flush stop of ${sum.usage_flush} s`);
    } finally {
      monitor.close();
    }
  });

  it('counts no stop while every turn is shorter than the threshold', async () => {
    const registry = new Registry();
    const monitor = createStopMonitor(registry, 200);
    try {
      for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setTimeout(() => { hold(5); resolve(); }, 1));
      await sleep(100);
      const { count } = await read(registry);
      assert.equal(Object.values(count).reduce((a, b) => a + b, 0), 0);
    } finally {
      monitor.close();
    }
  });
});
