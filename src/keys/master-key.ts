// The master key that seals signing keys and the pepper: from ORGAUTH_MASTER_KEY or
// ORGAUTH_MASTER_KEY_FILE, or on the embedded default a file created on first start in the data
// folder with mode 0600.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { readMasterKeyFile } from '../config.js';

export const MASTER_KEY_FILE = 'master.key';

export function loadMasterKey(config: Pick<Config, 'masterKey' | 'dataDir'>): Buffer {
  if (config.masterKey) return config.masterKey;
  const file = path.join(config.dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists, so two processes starting at once cannot both write one.
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readMasterKeyFile(file, file);
}

/** How an operator names the key in use, for the "wrong key" message. */
export function masterKeySource(config: Pick<Config, 'masterKeySource' | 'dataDir'>): string {
  return config.masterKeySource ?? `the master key in ${path.join(config.dataDir, MASTER_KEY_FILE)}`;
}
