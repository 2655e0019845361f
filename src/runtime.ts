// Opening what a node needs (database, migrations, master key, key ring, caches) and closing it.
import type { Config } from './config.js';
import { migrateToLatest, openDatabase, type Db } from './db/database.js';
import { loadMasterKey } from './keys/master-key.js';
import { openKeyRing, type KeyRing } from './keys/keyring.js';
import { createVerifiedSecretCache } from './secrets/cache.js';
import { createUsageRecorder, type UsageRecorder } from './secrets/usage.js';
import type { VerifyContext } from './secrets/verifier.js';
import { createLogger } from './http/logging.js';
import type { Services } from './http/services.js';

export interface Runtime extends Services {
  close(): Promise<void>;
}

export async function openStorage(config: Config): Promise<{ db: Db; keys: KeyRing }> {
  const db = openDatabase(config);
  try {
    await migrateToLatest(db);
    const keys = await openKeyRing(db, loadMasterKey(config));
    return { db, keys };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const logger = createLogger(config.logLevel);
  const { db, keys } = await openStorage(config);
  const cache = createVerifiedSecretCache();
  const verify: VerifyContext = { pepper: (kid) => keys.pepper(kid), cache };
  const usage: UsageRecorder = createUsageRecorder(db);
  return {
    config, db, keys, verify, usage, logger,
    async close() {
      await usage.stop();
      await db.destroy();
    },
  };
}
