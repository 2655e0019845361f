// Opening what a node needs (database, migrations, master key, key ring, caches) and closing it.
import type { Config } from './config.js';
import { nowSeconds } from './db/database.js';
import { openStorage } from './storage.js';
import { finishPendingDeletions } from './apps/service.js';
import { purgeExpired as purgeDenylist } from './tokens/denylist.js';
import { purgeExpired as purgeIdempotency } from './idempotency/store.js';
import { createVerifiedSecretCache } from './secrets/cache.js';
import { createUsageRecorder, type UsageRecorder } from './secrets/usage.js';
import type { VerifyContext } from './secrets/verifier.js';
import { createLogger } from './http/logging.js';
import type { Services } from './http/services.js';
import { countingCache } from './http/metrics.js';
import { openRedis } from './redis/connection.js';
import { subscribeToKeyChanges } from './redis/key-events.js';
import { createEpochBumper } from './redis/app-epochs.js';
import { createClientCache } from './tokens/client-cache.js';

/** How often expired denylist entries and idempotency records are dropped. */
const HOUSEKEEPING_SECONDS = 600;

export interface Runtime extends Services {
  close(): Promise<void>;
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const logger = createLogger(config.logLevel);
  const { db, keys, masterKey } = await openStorage(config);
  const cache = countingCache(createVerifiedSecretCache());
  const verify: VerifyContext = { pepper: (kid) => keys.pepper(kid), cache };
  const usage: UsageRecorder = createUsageRecorder(db);
  const finished = await finishPendingDeletions(db);
  if (finished > 0) logger.warn({ apps: finished }, 'finished app deletions interrupted by a restart');
  const housekeeping = setInterval(() => {
    const now = nowSeconds();
    Promise.all([purgeDenylist(db, now), purgeIdempotency(db, now)]).catch((error: unknown) => logger.warn({ err: error }, 'housekeeping failed'));
  }, HOUSEKEEPING_SECONDS * 1000);
  housekeeping.unref();
  // Redis is optional and never fatal: without it one node works alone; while it is down, budgets are per node.
  const redis = config.redisUrl ? await openRedis({ url: config.redisUrl, prefix: config.redisPrefix, logger }) : undefined;
  const keyEvents = redis ? await subscribeToKeyChanges(redis, () => keys.refresh()) : undefined;
  // Copies of apps need epochs to be checked against: without Redis every request reads the database.
  const cacheMs = config.clientCacheSeconds * 1000;
  const clients = redis && cacheMs > 0 ? createClientCache(cacheMs) : undefined;
  const epochs = createEpochBumper(redis, cacheMs, config.testFaults);
  return {
    config, db, keys, verify, usage, logger, masterKey, epochs, ...(redis ? { redis } : {}), ...(clients ? { clients } : {}),
    async close() {
      clearInterval(housekeeping);
      await keyEvents?.close();
      await redis?.close();
      await usage.stop();
      await db.destroy();
    },
  };
}
