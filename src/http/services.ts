// What the HTTP layer needs injected: configuration, storage and the node-local helpers.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { KeyRing } from '../keys/keyring.js';
import type { VerifyContext } from '../secrets/verifier.js';
import type { UsageRecorder } from '../secrets/usage.js';
import type { RedisLink } from '../redis/connection.js';
import type { EpochBumper } from '../redis/app-epochs.js';
import type { ClientCache } from '../tokens/client-cache.js';

export interface Services {
  readonly config: Config;
  readonly db: Db;
  readonly keys: KeyRing;
  readonly verify: VerifyContext;
  readonly usage: UsageRecorder;
  readonly logger: Logger;
  /** Seals data at rest that is not a key (idempotent replays). */
  readonly masterKey: Buffer;
  /** Present when REDIS_URL is set: shared rate limits and key-change events. */
  readonly redis?: RedisLink;
  /** This node's copies of apps for client authentication: with Redis and ORGAUTH_CLIENT_CACHE_SECONDS > 0 only. */
  readonly clients?: ClientCache;
  /** Bumps the epochs of changed apps before a change is acknowledged (docs/reliability.md). */
  readonly epochs: EpochBumper;
}
