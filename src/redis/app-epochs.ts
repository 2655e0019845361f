// App epochs (docs/reliability.md, "Several nodes: the epoch cache"): one value per app in Redis,
// replaced by a fresh random one after every committed change of the app or its secrets and before
// that change is acknowledged. A node serves client authentication from its own copy of an app only
// while the epoch it reads in the same round trip as the budgets still equals the one it read
// before loading that copy from the database. One more value, the revocations epoch, is replaced
// the same way after every revocation that can concern an access token (and with an app change
// that denied a secret's tokens); introspection and the management API trust
// this node's memory that a token is not denied only while it is unchanged. And one value per
// organization, its members epoch, is replaced after every change of its memberships: the
// management API trusts this node's copy of a membership only while it is unchanged.
//
// Values are random, never counters: an epoch that Redis lost (restart, eviction, expiry) reads as
// missing and one created later is new, so neither can ever equal a value a node cached before.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TestFaults } from '../config.js';
import type { RedisLink } from './connection.js';
import type { LocalEpochs } from '../db/local-epochs.js';

/** Epochs expire: a forgotten one only costs each node one database read of that app. */
export const EPOCH_TTL_MS = 24 * 60 * 60 * 1000;

/** How often a failed bump is tried again while its change waits to be acknowledged. */
const BUMP_RETRY_MS = 100;

export function epochKey(redis: RedisLink, appId: string): string {
  return `${redis.prefix}epoch:${appId}`;
}

/** The revocations epoch: not under `epoch:`, where a client id chosen by a caller could name it. */
export function revocationsEpochKey(redis: RedisLink): string {
  return `${redis.prefix}revocations-epoch`;
}

/** The members epoch of an organization: not under `epoch:`, where a client id chosen by a caller could name it. */
export function membersEpochKey(redis: RedisLink, orgId: string): string {
  return `${redis.prefix}members-epoch:${orgId}`;
}

export function freshEpoch(): string {
  return randomBytes(12).toString('base64url');
}

const processNonce = randomBytes(12).toString('base64url');
let created = 0;

/** As unique as freshEpoch, without a call to the CSPRNG: for values sent on every request that are rarely used. */
export function uniqueEpoch(): string {
  return `${processNonce}.${++created}`;
}

/** What an app change wrote besides the apps themselves. */
export interface AppChangeEffects {
  /** It may have added denylist entries that access tokens are looked up by (revokeTokens). */
  readonly deniedTokens: boolean;
}

export interface EpochBumper {
  /**
   * Call after the change committed, before it is acknowledged. Resolves once every node's copy of
   * these apps (and, when it denied tokens, every node's memory of tokens not denied) is certainly
   * distrusted: the new epochs are in Redis, or — when Redis did not take them — once `waitMs`
   * (the longest a node trusts a copy) has passed since the commit.
   */
  bumpBeforeAcknowledging(appIds: readonly string[], effects: AppChangeEffects): Promise<void>;
  /** The same for the revocations epoch alone: call after a revocation committed, before it is acknowledged. */
  bumpRevocationsBeforeAcknowledging(): Promise<void>;
  /** The same for an organization's members epoch: call after a membership of it changed, before it is acknowledged. */
  bumpMembersBeforeAcknowledging(orgId: string): Promise<void>;
}

/** `local`: a single SQLite node's own epochs (db/local-epochs.ts), used only without Redis. */
export function createEpochBumper(redis: RedisLink | undefined, waitMs: number, faults: TestFaults, local?: LocalEpochs): EpochBumper {
  const bumpOnce = async (link: RedisLink, keys: readonly string[]): Promise<boolean> => {
    if (faults.loseEpochBumps) return false;
    const reply = await link.budgetCommand('epochs', (client) => {
      const pipeline = client.multi();
      for (const key of keys) pipeline.set(key, freshEpoch(), 'PX', EPOCH_TTL_MS);
      return pipeline.exec();
    });
    return reply !== undefined && reply !== null && reply.every(([error]) => !error);
  };
  const bump = async (keys: (link: RedisLink) => string[]): Promise<void> => {
    // Without Redis (and without local epochs) no node keeps a copy, so there is nothing to distrust.
    if (!redis) return;
    const deadline = performance.now() + waitMs;
    for (;;) {
      if (await bumpOnce(redis, keys(redis))) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        redis.warn('epochs', 'Epoch bump failed: a change was acknowledged only after every node\'s cached copy had expired');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(BUMP_RETRY_MS, left)));
    }
  };
  if (!redis && local) {
    return {
      async bumpBeforeAcknowledging(appIds, effects) {
        if (appIds.length === 0) return;
        local.bumpApps(appIds);
        if (effects.deniedTokens) local.bumpRevocations();
      },
      async bumpRevocationsBeforeAcknowledging() {
        local.bumpRevocations();
      },
      // Copies of memberships are kept only under Redis's members epochs, and memberships change
      // only through the CLI, whose commit moves every local epoch (PRAGMA data_version).
      async bumpMembersBeforeAcknowledging() {},
    };
  }
  return {
    async bumpBeforeAcknowledging(appIds, effects) {
      if (appIds.length === 0) return;
      // Only a change that denied tokens moves the revocations epoch: moving it costs every node a
      // denylist read for each token it introspects or each caller it serves next.
      await bump((link) => [...appIds.map((appId) => epochKey(link, appId)), ...(effects.deniedTokens ? [revocationsEpochKey(link)] : [])]);
    },
    bumpRevocationsBeforeAcknowledging: () => bump((link) => [revocationsEpochKey(link)]),
    bumpMembersBeforeAcknowledging: (orgId) => bump((link) => [membersEpochKey(link, orgId)]),
  };
}
