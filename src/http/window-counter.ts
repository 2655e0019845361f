// Fixed-window request counters for the rate limits (docs/design.md §7): one counter for all nodes
// in Redis when it answers in time, else this node's own (the per-node fallback budget).
import type { RateBudget } from '../config.js';
import type { RedisLink } from '../redis/connection.js';
import type { Metrics } from '../metrics/metrics.js';

export interface WindowCount {
  readonly count: number;
  /** Milliseconds until the window ends. */
  readonly resetMs: number;
}

export interface WindowCounter {
  /** Counts one request and answers the count including it. */
  hit(key: string): Promise<WindowCount>;
  /** The count so far, without counting. */
  peek(key: string): Promise<WindowCount>;
  /** Present when the counts live in this process alone (no Redis): the same answers without a promise. */
  readonly here?: LocalWindowCounter;
}

export interface LocalWindowCounter {
  hit(key: string): WindowCount;
  peek(key: string): WindowCount;
}

export function createWindowCounter(name: string, budget: RateBudget, redis: RedisLink | undefined, metrics: Metrics): WindowCounter {
  const local = memoryCounter(budget);
  if (redis) return redisCounter(name, budget, redis, local, metrics);
  return { hit: async (key) => local.hit(key), peek: async (key) => local.peek(key), here: local };
}

/** In-process windows; an idle key is forgotten, and made-up keys cannot grow the map without bound. */
function memoryCounter(budget: RateBudget, maxKeys = 50_000): LocalWindowCounter {
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
    hit(key) {
      const now = Date.now();
      let entry = live(key, now);
      if (!entry) {
        if (windows.size >= maxKeys) {
          const oldest = windows.keys().next().value;
          if (oldest !== undefined) windows.delete(oldest);
        }
        entry = { count: 0, resetAt: now + budget.windowSeconds * 1000 };
        windows.set(key, entry);
      }
      entry.count += 1;
      return { count: entry.count, resetMs: entry.resetAt - now };
    },
    peek(key) {
      const now = Date.now();
      const entry = live(key, now);
      return entry ? { count: entry.count, resetMs: entry.resetAt - now } : { count: 0, resetMs: budget.windowSeconds * 1000 };
    },
  };
}

const HIT = `
local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}`;

const PEEK = `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = redis.call('PTTL', KEYS[1])
if t < 0 then t = tonumber(ARGV[1]) end
return {c, t}`;

function redisCounter(name: string, budget: RateBudget, redis: RedisLink, fallback: LocalWindowCounter, metrics: Metrics): WindowCounter {
  const windowMs = String(budget.windowSeconds * 1000);
  const redisKey = (key: string) => `${redis.prefix}rl:${name}:${key}`;
  const run = async (script: string, key: string, orElse: () => WindowCount): Promise<WindowCount> => {
    const reply = await redis.budgetCommand('rate-limit', (client) => client.eval(script, 1, redisKey(key), windowMs) as Promise<[number, number]>);
    if (!reply) {
      metrics.rateLimitStoreFailed(name);
      return orElse();
    }
    return { count: Number(reply[0]), resetMs: Number(reply[1]) };
  };
  return {
    hit: (key) => run(HIT, key, () => fallback.hit(key)),
    peek: (key) => run(PEEK, key, () => fallback.peek(key)),
  };
}
