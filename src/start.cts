// The process entry of `npm start`. It is CommonJS so that it runs before Node does any
// asynchronous I/O: libuv sizes its thread pool on first use, and an ES module entry has used it
// already (to read its own files). RSA signing runs on that pool. With libuv's default of four
// threads on a two-core machine, four signing threads and the event loop oversubscribe the CPUs and
// every signing job's wake-up preempts the event loop; one pool thread per core measured 7–8 % more
// tokens per second here (bench/README.md). UV_THREADPOOL_SIZE in the environment still wins.
import { availableParallelism } from 'node:os';

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(2, availableParallelism()));
}

import('./main.js').then((main) => main.serve().catch(main.reportStartFailure), (error: unknown) => {
  process.stderr.write(`orgauth: cannot load the server (${error instanceof Error ? error.message : String(error)})\n`);
  process.exit(1);
});
