// The budget of failed client authentications (docs/design.md §7): at most `max` failed secret
// checks per client id and source address per window, under any concurrency. The address is part
// of the key so that someone spraying wrong secrets for a client id locks out only themselves.
//
// Exact under concurrency: at most `max - failures` checks of a key are in flight at once; further
// attempts wait for one of those to settle instead of being checked at once. A success frees its
// place and is never counted, so a burst of right secrets is only queued, never refused; a burst of
// wrong ones gets exactly `max` checks. In Redis when configured and answering (one budget for all
// nodes), else in this process (the per-node fallback). This node's memory holds every check it
// made — its Redis reservations and failures mirrored, and those it made alone while Redis did not
// answer — and a check needs a place in both: falling back mid-window keeps counting what the node
// already checked, and Redis answering again does not open a fresh budget over what it never learnt.
import { randomBytes } from 'node:crypto';
import type { RateBudget } from '../config.js';
import type { RedisLink } from '../redis/connection.js';
import type { Metrics } from '../metrics/metrics.js';

/** A reservation names its store and window, so settling it never touches another window. */
export type Reservation =
  | { readonly window: string; readonly store: 'memory' }
  /** `mirror`: the same reservation in this node's memory. */
  | { readonly window: string; readonly store: 'redis'; readonly mirror: Reservation };

export type ReserveResult =
  | { readonly reserved: Reservation }
  /** Over budget: refuse for this many seconds. */
  | { readonly retryAfter: number };

/** What this node's memory alone says of a key. */
export type CountHere =
  /** Its failures spend the budget. */
  | { readonly retryAfter: number }
  /** `full`: its failures and its checks in flight fill the budget. */
  | { readonly full: boolean };

export interface FailureBudget {
  reserve(key: string): Promise<ReserveResult>;
  /**
   * This node's count of `key`, for the token path's one round trip, which counts in Redis alone:
   * it holds the failures this node checked while Redis did not answer, which Redis never learns.
   */
  countHere(key: string): CountHere;
  /**
   * A place in this node's memory alone, taken at once, for a failure the token path's one round
   * trip counts in Redis: settle it like any reservation, as failed when the script counted it. Taken
   * before the script runs, so concurrent failures see each other here even while Redis does not
   * know what this node checked alone.
   */
  reserveHere(key: string): TryResult;
  /** The attempt ended: `failed` when its client authentication failed. */
  settle(key: string, reservation: Reservation, failed: boolean): Promise<void>;
  readonly budget: RateBudget;
}

/** One try at a reservation: granted, wait for an attempt in flight to settle, or refused. */
export type TryResult = { readonly reserved: Reservation } | { readonly wait: true } | { readonly retryAfter: number };

interface FailureStore {
  tryReserve(key: string): Promise<TryResult | undefined>;
  settle(key: string, reservation: Reservation, failed: boolean): Promise<void>;
}

interface MemoryFailureStore extends FailureStore {
  tryReserve(key: string): Promise<TryResult>;
  tryReserveNow(key: string): TryResult;
  countHere(key: string): CountHere;
}

/** How long an attempt waits for a place before it is refused (a stuck place expires with its window). */
const MAX_WAIT_MS = 15_000;
/** How often a waiting attempt looks again for places freed on other nodes. */
const POLL_MS = 20;

export function createFailureBudget(budget: RateBudget, redis: RedisLink | undefined, metrics: Metrics): FailureBudget {
  const memory = memoryFailureStore(budget);
  const primary = redis ? redisFailureStore(budget, redis, windowIdSource(''), metrics) : undefined;
  const waiters = new Map<string, Set<() => void>>();
  const wake = (key: string) => {
    const set = waiters.get(key);
    if (!set) return;
    waiters.delete(key);
    for (const resolve of set) resolve();
  };
  const nextSettle = (key: string) => new Promise<void>((resolve) => {
    let set = waiters.get(key);
    if (!set) waiters.set(key, (set = new Set()));
    const done = () => {
      clearTimeout(timer);
      set.delete(done);
      resolve();
    };
    const timer = setTimeout(done, POLL_MS);
    set.add(done);
  });
  return {
    budget,
    async reserve(key) {
      const deadline = Date.now() + MAX_WAIT_MS;
      for (;;) {
        const here = await memory.tryReserve(key);
        if ('retryAfter' in here) return here;
        if ('reserved' in here) {
          const shared = primary && await primary.tryReserve(key);
          // Redis did not answer (or is not used): this node's place alone.
          if (!shared) return here;
          if ('reserved' in shared && shared.reserved.store === 'redis') return { reserved: { ...shared.reserved, mirror: here.reserved } };
          // Not a settled check: nobody waits on it, so no one is woken.
          await memory.settle(key, here.reserved, false);
          if ('retryAfter' in shared) return shared;
        }
        if (Date.now() >= deadline) return { retryAfter: 1 };
        await nextSettle(key);
      }
    },
    countHere: (key) => memory.countHere(key),
    reserveHere: (key) => memory.tryReserveNow(key),
    async settle(key, reservation, failed) {
      try {
        if (reservation.store === 'redis') {
          await memory.settle(key, reservation.mirror, failed);
          await primary?.settle(key, reservation, failed);
        } else {
          await memory.settle(key, reservation, failed);
        }
      } finally {
        wake(key);
      }
    },
  };
}

/**
 * Ids for windows created in Redis, unique across nodes and across the budgets of one process: the
 * process, a random tag of this source, the time and a count. `kind` keeps families apart.
 */
export function windowIdSource(kind: string): () => string {
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  let count = 0;
  return () => `${tag}.${Date.now()}.${kind}${++count}`;
}

function memoryFailureStore(budget: RateBudget, maxKeys = 50_000): MemoryFailureStore {
  let windowCount = 0;
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
    const entry = { failures: 0, pending: 0, resetAt: now + budget.windowSeconds * 1000, id: String(++windowCount) };
    windows.set(key, entry);
    return entry;
  };
  const retryAfter = (entry: Window, now: number) => Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
  const store: MemoryFailureStore = {
    countHere(key) {
      const now = Date.now();
      const entry = live(key, now);
      if (!entry) return { full: false };
      if (entry.failures >= budget.max) return { retryAfter: retryAfter(entry, now) };
      return { full: entry.failures + entry.pending >= budget.max };
    },
    tryReserve: async (key) => store.tryReserveNow(key),
    tryReserveNow(key) {
      const now = Date.now();
      const entry = live(key, now) ?? open(key, now);
      if (entry.failures >= budget.max) return { retryAfter: retryAfter(entry, now) };
      if (entry.failures + entry.pending >= budget.max) return { wait: true };
      entry.pending += 1;
      return { reserved: { window: entry.id, store: 'memory' } };
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
  return store;
}

// KEYS[1] hash {f: failures, p: in flight, w: window id} expiring with the window.
// ARGV: window ms, max, id for a new window. Returns {1, 0, window id}, {2, 0, ''} (wait) or {0, wait ms, ''}.
const RESERVE = `
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local p = tonumber(redis.call('HGET', KEYS[1], 'p') or '0')
local max = tonumber(ARGV[2])
if f >= max then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl <= 0 then ttl = tonumber(ARGV[1]) end
  return {0, ttl, ''}
end
if f + p >= max then return {2, 0, ''} end
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

/**
 * Answers undefined when Redis does not answer in time: the caller falls back to this node's store.
 * A command that got no answer in time may still run: a reservation granted late is released as
 * soon as its reply arrives, and a settle that was never sent is sent once in the background, so a
 * stall of Redis does not leave places taken for the rest of the window. (A command ioredis gave up
 * on — no reply within its own 500 ms — can still run unseen: that place stays taken until the
 * window ends, which errs on the side of fewer checks.)
 */
function redisFailureStore(budget: RateBudget, redis: RedisLink, newWindowId: () => string, metrics: Metrics): FailureStore {
  const redisKey = (key: string) => `${redis.prefix}rl:auth_failures:${key}`;
  const windowMs = String(budget.windowSeconds * 1000);
  const settleArgs = (key: string, window: string, failed: boolean) => [SETTLE, 1, redisKey(key), window, failed ? '1' : '0', windowMs, newWindowId()] as const;
  const settleInBackground = (key: string, window: string, failed: boolean) => {
    redis.client.eval(...settleArgs(key, window, failed)).catch(() => {});
  };
  return {
    async tryReserve(key) {
      let sent: Promise<[number, number, string]> | undefined;
      const reply = await redis.budgetCommand('rate-limit', (client) =>
        (sent = client.eval(RESERVE, 1, redisKey(key), windowMs, String(budget.max), newWindowId()) as Promise<[number, number, string]>));
      if (!reply) {
        metrics.rateLimitStoreFailed('auth_failures');
        sent?.then(([outcome, , window]) => { if (outcome === 1) settleInBackground(key, window, false); }, () => {});
        return undefined;
      }
      const [outcome, waitMs, window] = reply;
      // The mirror is filled in by createFailureBudget with this node's own place.
      if (outcome === 1) return { reserved: { window, store: 'redis', mirror: { window: '', store: 'memory' } } };
      if (outcome === 2) return { wait: true };
      return { retryAfter: Math.max(1, Math.ceil(Number(waitMs) / 1000)) };
    },
    async settle(key, reservation, failed) {
      let sent = false;
      const reply = await redis.budgetCommand('rate-limit', (client) => {
        sent = true;
        return client.eval(...settleArgs(key, reservation.window, failed));
      });
      // Sent: it runs, late or not. Never sent (breaker open, link down): once, in the background.
      if (reply === undefined && !sent) settleInBackground(key, reservation.window, failed);
    },
  };
}
