// Prepares libuv's thread pool, where RS256 signing runs. It must run before Node does any
// asynchronous I/O: libuv reads UV_THREADPOOL_SIZE once, when the pool first starts, and an ES
// module entry has started it already (to read its own files), so every entry that serves calls
// this from CommonJS first. With libuv's default of four threads on a two-core machine, four
// signing threads and the event loop oversubscribe the CPUs and each signing job's wake-up
// preempts the event loop; one pool thread per core measured 11–12 % more tokens per second
// (bench/results/history.md). UV_THREADPOOL_SIZE in the environment still wins.
import { access, readdirSync } from 'node:fs';
import { availableParallelism, getPriority, setPriority } from 'node:os';

/** The pool size orgauth runs with unless the operator set UV_THREADPOOL_SIZE. */
export function defaultThreadPoolSize(): number {
  return Math.max(2, availableParallelism());
}

/**
 * How much nicer than the event loop the pool's threads run. The event loop is the one thread
 * every request passes through; when the pool's threads hold both cores it waits, and every
 * request behind it waits too. Below it, signing fills the time the event loop leaves (in a paced
 * run at 80 % of the maximum rate: the event loop's wait for a core 1.8 → 0.8 s in 5 s, the median
 * latency 2.7 → 1.9 ms; bench/results/history.md, 2026-12-03 04:22–05:00).
 */
export const POOL_NICENESS = 5;

/** This process's thread ids (Linux), or undefined where /proc does not list them. */
function threadIds(): Set<number> | undefined {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return undefined;
  }
}

/**
 * Sizes the pool, starts it, and lowers its threads' priority by POOL_NICENESS (Linux; a no-op
 * elsewhere). libuv creates every pool thread inside the first job's submission, so the threads
 * that appear across that call are the pool's. Lowering a thread's priority needs no privilege;
 * it is relative, so a server started with `nice` keeps its pool below its event loop.
 */
export function prepareThreadPool(): void {
  if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(defaultThreadPoolSize());
  const before = threadIds();
  access(__filename, () => {});
  const after = threadIds();
  if (!before || !after) return;
  for (const tid of after) {
    if (before.has(tid)) continue;
    try {
      setPriority(tid, Math.min(19, getPriority(tid) + POOL_NICENESS));
    } catch {
      // A sandbox that forbids it leaves the pool at the event loop's priority: slower, not wrong.
    }
  }
}
