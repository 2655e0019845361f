// The budget of failed client authentications (SPEC §7), per client id and source address: a
// client id over budget is refused before its secret is even checked. The address is part of the
// key so that someone spraying wrong secrets for a client id locks out only themselves, not the
// real client calling from its own address. In Redis when configured (one budget for all nodes),
// else in this process.
//
// Every attempt reserves one failure before the secret is checked and gives it back when the
// attempt did not fail authentication. Counting only after the check would let a burst of
// concurrent guesses all pass the "within budget?" test before any of them is counted.
import type { RateBudget } from '../config.js';
import type { RedisLink } from '../redis/connection.js';

export interface FailureBudget {
  /** Reserves one failure for `key`: 0 when reserved, else the seconds to wait (nothing reserved). */
  reserve(key: string): Promise<number>;
  /** The attempt did not fail authentication: its reservation is given back. */
  release(key: string): Promise<void>;
  readonly budget: RateBudget;
}

export function createFailureBudget(budget: RateBudget, redis: RedisLink | undefined): FailureBudget {
  return redis ? redisFailureBudget(budget, redis) : memoryFailureBudget(budget);
}

/** Fixed window: the first attempt opens a window of `windowSeconds`. */
function memoryFailureBudget(budget: RateBudget, maxKeys = 50_000): FailureBudget {
  const windows = new Map<string, { count: number; resetAt: number }>();
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
    async reserve(key) {
      const now = Date.now();
      const entry = live(key, now);
      if (entry) {
        if (entry.count >= budget.max) return Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
        entry.count += 1;
        return 0;
      }
      if (windows.size >= maxKeys) {
        // A spray of made-up client ids must not grow the map without bound: drop the oldest window.
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      windows.set(key, { count: 1, resetAt: now + budget.windowSeconds * 1000 });
      return 0;
    },
    async release(key) {
      const entry = live(key, Date.now());
      if (entry && entry.count > 0) entry.count -= 1;
    },
  };
}

// Reserve: INCR (opening the window on the first attempt); over budget, undo and return the wait.
const RESERVE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl <= 0 then ttl = tonumber(ARGV[1]) end
  return ttl
end
return 0`;

// Release: DECR only a live, positive count (a DECR of an expired key would create one with no TTL).
const RELEASE = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

/** Redis errors fail open (nothing reserved, nothing refused), with a throttled warning. */
function redisFailureBudget(budget: RateBudget, redis: RedisLink): FailureBudget {
  const redisKey = (key: string) => `${redis.prefix}rl:auth_failures:${key}`;
  const windowMs = String(budget.windowSeconds * 1000);
  return {
    budget,
    async reserve(key) {
      try {
        const waitMs = Number(await redis.client.eval(RESERVE, 1, redisKey(key), windowMs, String(budget.max)));
        return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
      } catch (error) {
        redis.warn('rate-limit', 'Redis is unreachable: the failed-authentication budget fails open', error);
        return 0;
      }
    },
    async release(key) {
      try {
        await redis.client.eval(RELEASE, 1, redisKey(key));
      } catch (error) {
        redis.warn('rate-limit', 'Redis is unreachable: the failed-authentication budget fails open', error);
      }
    },
  };
}
