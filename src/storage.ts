// Opening the database with its schema up to date, the master key and the key ring: what the CLI
// needs, without the server's modules (kept apart so that CLI commands start quickly).
import { ConfigError, type Config } from './config.js';
import { ignoreMetrics, type Metrics } from './metrics/metrics.js';
import { checkConnection, migrateToLatest, openDatabase, type Db } from './db/database.js';
import { withCommitQueue } from './db/group-commit.js';
import { loadMasterKey, masterKeySource } from './keys/master-key.js';
import { UnsealError } from './crypto/seal.js';
import { openKeyRing, type KeyRing } from './keys/keyring.js';

export interface Storage {
  readonly db: Db;
  readonly keys: KeyRing;
  readonly masterKey: Buffer;
}

export async function openStorage(config: Config, metrics: Metrics = ignoreMetrics): Promise<Storage> {
  const db = withCommitQueue(openDatabase(config, metrics));
  try {
    await checkConnection(db, config);
    await migrateToLatest(db);
    const masterKey = loadMasterKey(config);
    const keys = await openKeyRing(db, masterKey).catch((error: unknown) => {
      if (error instanceof UnsealError) throw new ConfigError(`${masterKeySource(config)} does not match the key that sealed this database`);
      throw error;
    });
    return { db, keys, masterKey };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
