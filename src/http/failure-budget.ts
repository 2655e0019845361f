// The budget of failed client authentications per client id (SPEC §7): only failures count, and a
// client id over budget is refused before its secret is even checked. In Redis when configured (one
// budget for all nodes), else in this process.
import type { RateBudget } from '../config.js';
import type { RedisLink } from '../redis/connection.js';

export interface FailureBudget {
  /** Seconds until `key` may authenticate again; 0 while it is within budget. */
  blockedFor(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
  readonly budget: RateBudget;
}

export function createFailureBudget(budget: RateBudget, redis: RedisLink | undefined): FailureBudget {
  return redis ? redisFailureBudget(budget, redis) : memoryFailureBudget(budget);
}

/** Fixed window: the first failure opens a window of `windowSeconds`. */
function memoryFailureBudget(budget: RateBudget, maxKeys = 50_000): FailureBudget {
  const windows = new Map<string, { failures: number; resetAt: number }>();
  const live = (key: string, now: number) => {
    const entry = windows.get(key);
    if (entry && entry.resetAt <= now) {
      windows.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    budget,
    async blockedFor(key) {
      const now = Date.now();
      const entry = live(key, now);
      return entry && entry.failures >= budget.max ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : 0;
    },
    async recordFailure(key) {
      const now = Date.now();
      const entry = live(key, now);
      if (entry) {
        entry.failures += 1;
        return;
      }
      if (windows.size >= maxKeys) {
        // A spray of made-up client ids must not grow the map without bound: drop the oldest window.
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      windows.set(key, { failures: 1, resetAt: now + budget.windowSeconds * 1000 });
    },
  };
}

// INCR, and start the window on the first failure, atomically.
const RECORD_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** Redis errors fail open (not blocked, failure not counted), with a throttled warning. */
function redisFailureBudget(budget: RateBudget, redis: RedisLink): FailureBudget {
  const redisKey = (key: string) => `${redis.prefix}rl:auth_failures:${key}`;
  return {
    budget,
    async blockedFor(key) {
      try {
        const results = await redis.client.multi().get(redisKey(key)).pttl(redisKey(key)).exec();
        const failure = results?.find(([error]) => error)?.[0];
        if (!results || failure) throw failure ?? new Error('MULTI aborted');
        const count = Number(results[0]?.[1] ?? 0);
        const pttl = Number(results[1]?.[1] ?? -2);
        if (count < budget.max) return 0;
        return pttl > 0 ? Math.max(1, Math.ceil(pttl / 1000)) : budget.windowSeconds;
      } catch (error) {
        redis.warn('rate-limit', 'Redis is unreachable: the failed-authentication budget fails open', error);
        return 0;
      }
    },
    async recordFailure(key) {
      try {
        await redis.client.eval(RECORD_FAILURE, 1, redisKey(key), String(budget.windowSeconds * 1000));
      } catch (error) {
        redis.warn('rate-limit', 'Redis is unreachable: the failed-authentication budget fails open', error);
      }
    },
  };
}
