// The budget of failed client authentications (SPEC §7), per client id and source address: a
// client id over budget is refused before its secret is even checked. The address is part of the
// key so that someone spraying wrong secrets for a client id locks out only themselves, not the
// real client calling from its own address. In Redis when configured (one budget for all nodes),
// else in this process.
//
// Two counts per key and window: settled failures, and attempts still being checked. Counting
// failures only after the check would let a burst of concurrent guesses all pass "within budget?"
// first; so once a key has failed at all, its attempts in flight count as failures until they
// settle. A key without failures is never limited by its own concurrency: a busy resource server
// introspecting many tokens at once is not an attacker.
import type { RateBudget } from '../config.js';
import type { RedisLink } from '../redis/connection.js';

/** A reservation names its window, so settling it after the window ended never touches the next one. */
export type Reservation = { readonly window: string };

export type ReserveResult =
  | { readonly reserved: Reservation }
  /** Over budget: refuse for this many seconds. */
  | { readonly retryAfter: number }
  /** The budget could not be consulted (Redis down): proceed without a reservation. */
  | { readonly unavailable: true };

export interface FailureBudget {
  reserve(key: string): Promise<ReserveResult>;
  /** The attempt ended: `failed` when its client authentication failed. */
  settle(key: string, reservation: Reservation, failed: boolean): Promise<void>;
  readonly budget: RateBudget;
}

export function createFailureBudget(budget: RateBudget, redis: RedisLink | undefined): FailureBudget {
  return redis ? redisFailureBudget(budget, redis) : memoryFailureBudget(budget);
}

/** The rule both stores apply. */
function overBudget(failures: number, pending: number, max: number): boolean {
  return failures >= max || (failures > 0 && failures + pending >= max);
}

let windowCounter = 0;

/** Fixed window: the first attempt opens a window of `windowSeconds`; an idle key is forgotten. */
function memoryFailureBudget(budget: RateBudget, maxKeys = 50_000): FailureBudget {
  interface Window { failures: number; pending: number; resetAt: number; id: string }
  const windows = new Map<string, Window>();
  const live = (key: string, now: number): Window | undefined => {
    const entry = windows.get(key);
    if (entry && entry.resetAt <= now) {
      windows.delete(key);
      return undefined;
    }
    return entry;
  };
  const open = (key: string, now: number): Window => {
    if (windows.size >= maxKeys) {
      // A spray of made-up client ids must not grow the map without bound: drop the oldest window.
      const oldest = windows.keys().next().value;
      if (oldest !== undefined) windows.delete(oldest);
    }
    const entry = { failures: 0, pending: 0, resetAt: now + budget.windowSeconds * 1000, id: String(++windowCounter) };
    windows.set(key, entry);
    return entry;
  };
  return {
    budget,
    async reserve(key) {
      const now = Date.now();
      const entry = live(key, now) ?? open(key, now);
      if (overBudget(entry.failures, entry.pending, budget.max)) return { retryAfter: Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) };
      entry.pending += 1;
      return { reserved: { window: entry.id } };
    },
    async settle(key, reservation, failed) {
      const now = Date.now();
      let entry = live(key, now);
      if (entry && entry.id === reservation.window && entry.pending > 0) entry.pending -= 1;
      if (failed) {
        entry ??= open(key, now);
        entry.failures += 1;
      }
      if (entry && entry.failures === 0 && entry.pending === 0) windows.delete(key);
    },
  };
}

// KEYS[1] hash {f: failures, p: pending, w: window id} expiring with the window.
// ARGV: window ms, max, id for a new window. Returns {1, 0, window id} or {0, wait ms, ''}.
const RESERVE = `
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local p = tonumber(redis.call('HGET', KEYS[1], 'p') or '0')
local max = tonumber(ARGV[2])
if f >= max or (f > 0 and f + p >= max) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl <= 0 then ttl = tonumber(ARGV[1]) end
  return {0, ttl, ''}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'w', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
redis.call('HINCRBY', KEYS[1], 'p', 1)
return {1, 0, redis.call('HGET', KEYS[1], 'w')}`;

// ARGV: the reservation's window id, '1' when failed, window ms, id for a new window.
const SETTLE = `
if redis.call('HGET', KEYS[1], 'w') == ARGV[1] then
  if tonumber(redis.call('HGET', KEYS[1], 'p') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'p', -1) end
end
if ARGV[2] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('HSET', KEYS[1], 'w', ARGV[4])
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
  end
  redis.call('HINCRBY', KEYS[1], 'f', 1)
end
return 0`;

/** Redis errors fail open (nothing reserved, nothing refused), with a throttled warning. */
function redisFailureBudget(budget: RateBudget, redis: RedisLink): FailureBudget {
  const redisKey = (key: string) => `${redis.prefix}rl:auth_failures:${key}`;
  const windowMs = String(budget.windowSeconds * 1000);
  const newWindowId = () => `${process.pid}.${Date.now()}.${++windowCounter}`;
  return {
    budget,
    async reserve(key) {
      try {
        const [ok, waitMs, window] = await redis.client.eval(RESERVE, 1, redisKey(key), windowMs, String(budget.max), newWindowId()) as [number, number, string];
        return ok === 1 ? { reserved: { window } } : { retryAfter: Math.max(1, Math.ceil(Number(waitMs) / 1000)) };
      } catch (error) {
        redis.warn('rate-limit', 'Redis is unreachable: the failed-authentication budget fails open', error);
        return { unavailable: true };
      }
    },
    async settle(key, reservation, failed) {
      try {
        await redis.client.eval(SETTLE, 1, redisKey(key), reservation.window, failed ? '1' : '0', windowMs, newWindowId());
      } catch (error) {
        redis.warn('rate-limit', 'Redis is unreachable: the failed-authentication budget fails open', error);
      }
    },
  };
}
