// Opening the database with its schema up to date, the master key and the key ring: what the CLI
// needs, without the server's modules (kept apart so that CLI commands start quickly).
import type { Config } from './config.js';
import { migrateToLatest, openDatabase, type Db } from './db/database.js';
import { loadMasterKey } from './keys/master-key.js';
import { openKeyRing, type KeyRing } from './keys/keyring.js';

export interface Storage {
  readonly db: Db;
  readonly keys: KeyRing;
  readonly masterKey: Buffer;
}

export async function openStorage(config: Config): Promise<Storage> {
  const db = openDatabase(config);
  try {
    await migrateToLatest(db);
    const masterKey = loadMasterKey(config);
    const keys = await openKeyRing(db, masterKey);
    return { db, keys, masterKey };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
