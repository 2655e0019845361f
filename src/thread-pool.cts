// Sizes libuv's thread pool, where RS256 signing runs. It must run before Node does any
// asynchronous I/O: libuv reads UV_THREADPOOL_SIZE once, when the pool first starts, and an ES
// module entry has started it already (to read its own files), so every entry that serves calls
// this from CommonJS first. With libuv's default of four threads on a two-core machine, four
// signing threads and the event loop oversubscribe the CPUs and each signing job's wake-up
// preempts the event loop; one pool thread per core measured 7–8 % more tokens per second
// (bench/README.md). UV_THREADPOOL_SIZE in the environment still wins.
import { availableParallelism } from 'node:os';

/** The pool size orgauth runs with unless the operator set UV_THREADPOOL_SIZE. */
export function defaultThreadPoolSize(): number {
  return Math.max(2, availableParallelism());
}

export function sizeThreadPool(): void {
  if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(defaultThreadPoolSize());
}
