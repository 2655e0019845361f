// Starts the server (what `npm start` and `orgauth serve` run).
import { loadConfig, ConfigError } from './config.js';
import { openRuntime } from './runtime.js';
import { buildServer } from './http/server.js';
import { assertListenAddressFree } from './http/port-check.js';

export async function serve(): Promise<void> {
  const config = loadConfig();
  await assertListenAddressFree(config.host, config.port);
  const runtime = await openRuntime(config);
  const app = await buildServer(runtime);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    runtime.logger.info({ signal }, 'orgauth shutting down');
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const address = await app.listen({ host: config.host, port: config.port });
  runtime.logger.info({ url: address, issuer: config.issuer, database: config.databaseUrl ? 'postgresql' : 'sqlite', dataDir: config.databaseUrl ? undefined : config.dataDir }, 'orgauth listening');
}

export function reportStartFailure(error: unknown): never {
  // Configuration errors are one clear line; anything else still never prints key material.
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`orgauth: ${message}\n`);
  process.exit(1);
}

const isEntryPoint = import.meta.url === `file://${process.argv[1]}`;
if (isEntryPoint) serve().catch(reportStartFailure);
