// What the tokens domain needs from the node, built once in the composition root (runtime.ts)
// and passed first to every token service function.
import type { Db } from '../db/database.js';
import type { KeyRing } from '../keys/keyring.js';
import type { Metrics } from '../metrics/metrics.js';
import type { VerifyContext } from '../oauth-apps/secret-verifier.js';
import type { UsageRecorder } from '../oauth-apps/secret-usage.js';
import type { SettingsReader } from '../oauth-apps/settings.js';
import type { DenialCache } from '../revocation/denial-cache.js';
import type { EpochBumper } from '../redis/app-epochs.js';
import type { AccessTokenVerifier } from './claims.js';
import type { ClientCache } from './client-cache.js';

export interface TokensContext {
  readonly db: Db;
  readonly keys: KeyRing;
  readonly issuer: string;
  /** Verifies presented access tokens (introspection, revocation). */
  readonly accessTokens: AccessTokenVerifier;
  readonly verify: VerifyContext;
  readonly usage: UsageRecorder;
  /** Reads apps' settings columns (the node's memo of parsed settings). */
  readonly settings: SettingsReader;
  /** Counts client authentications served from a copy and read from the database. */
  readonly metrics: Pick<Metrics, 'clientCopies'>;
  /** This node's copies of apps (with Redis only): see client-gate.ts. */
  readonly clients?: ClientCache;
  /** What this node knows is not denied (with Redis only): see revocation/denial-cache.ts. */
  readonly denials?: DenialCache;
  /** Bumps the revocations epoch after a revocation commits, before it is acknowledged. */
  readonly epochs: Pick<EpochBumper, 'bumpRevocationsBeforeAcknowledging'>;
}
