// The process entry of `npm start`. It is CommonJS so that it sizes libuv's thread pool before
// the pool starts (see thread-pool.cts); `orgauth serve` does the same through bin/orgauth.
import { sizeThreadPool } from './thread-pool.cjs';

sizeThreadPool();

import('./main.js').then((main) => main.serve().catch(main.reportStartFailure), (error: unknown) => {
  process.stderr.write(`orgauth: cannot load the server (${error instanceof Error ? error.message : String(error)})\n`);
  process.exit(1);
});
