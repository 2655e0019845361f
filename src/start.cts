// The process entry of `npm start`. It is CommonJS so that it prepares libuv's thread pool before
// the pool starts (see thread-pool.cts); `orgauth serve` does the same through bin/orgauth.
import { prepareThreadPool } from './thread-pool.cjs';

prepareThreadPool();

import('./main.js').then((main) => main.serve().catch(main.reportStartFailure), (error: unknown) => {
  process.stderr.write(`orgauth: cannot load the server (${error instanceof Error ? error.message : String(error)})\n`);
  process.exit(1);
});
