// App epochs (docs/reliability.md, "Several nodes: the epoch cache"): one value per app in Redis,
// replaced by a fresh random one after every committed change of the app or its secrets and before
// that change is acknowledged. A node serves client authentication from its own copy of an app only
// while the epoch it reads in the same round trip as the budgets still equals the one it read
// before loading that copy from the database.
//
// Values are random, never counters: an epoch that Redis lost (restart, eviction, expiry) reads as
// missing and one created later is new, so neither can ever equal a value a node cached before.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TestFaults } from '../config.js';
import type { RedisLink } from './connection.js';

/** Epochs expire: a forgotten one only costs each node one database read of that app. */
export const EPOCH_TTL_MS = 24 * 60 * 60 * 1000;

/** How often a failed bump is tried again while its change waits to be acknowledged. */
const BUMP_RETRY_MS = 100;

export function epochKey(redis: RedisLink, appId: string): string {
  return `${redis.prefix}epoch:${appId}`;
}

export function freshEpoch(): string {
  return randomBytes(12).toString('base64url');
}

export interface EpochBumper {
  /**
   * Call after the change committed, before it is acknowledged. Resolves once every node's copy of
   * these apps is certainly distrusted: the new epochs are in Redis, or — when Redis did not take
   * them — once `waitMs` (the longest a node trusts a copy) has passed since the commit.
   */
  bumpBeforeAcknowledging(appIds: readonly string[]): Promise<void>;
}

export function createEpochBumper(redis: RedisLink | undefined, waitMs: number, faults: TestFaults): EpochBumper {
  const bumpOnce = async (appIds: readonly string[]): Promise<boolean> => {
    if (!redis) return false;
    if (faults.loseEpochBumps) return false;
    const reply = await redis.budgetCommand('epochs', (client) => {
      const pipeline = client.multi();
      for (const appId of appIds) pipeline.set(epochKey(redis, appId), freshEpoch(), 'PX', EPOCH_TTL_MS);
      return pipeline.exec();
    });
    return reply !== undefined && reply !== null && reply.every(([error]) => !error);
  };
  return {
    async bumpBeforeAcknowledging(appIds) {
      // Without Redis no node keeps a copy (the cache needs epochs), so there is nothing to distrust.
      if (!redis || appIds.length === 0) return;
      const deadline = performance.now() + waitMs;
      for (;;) {
        if (await bumpOnce(appIds)) return;
        const left = deadline - performance.now();
        if (left <= 0) {
          redis.warn('epochs', 'Epoch bump failed: a change was acknowledged only after every node\'s cached copy had expired');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(BUMP_RETRY_MS, left)));
      }
    },
  };
}
