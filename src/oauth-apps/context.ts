// What the oauth-apps domain needs from the node, built once in the composition root (runtime.ts)
// and passed first to every service function of the domain that reaches the database or a key.
import type { Db } from '../db/database.js';
import type { KeyRing } from '../keys/keyring.js';
import type { Metrics } from '../metrics/metrics.js';
import type { VerifyContext } from './secret-verifier.js';
import type { SettingsReader } from './settings.js';

export interface OAuthAppsContext {
  readonly db: Db;
  /** Generated secrets are made with the key ring's current pepper. */
  readonly keys: Pick<KeyRing, 'currentPepper'>;
  /** Verifies presented secrets (peppers and the verified-secret cache). */
  readonly verify: VerifyContext;
  readonly metrics: Pick<Metrics, 'secretChanged'>;
  /** Reads apps' settings columns (the node's memo of parsed settings). */
  readonly settings: SettingsReader;
}
