// The node's Redis connection (REDIS_URL): shared rate-limit counters and "keys changed" events.
// Redis is an accelerator, never a dependency for correctness: commands fail fast instead of
// queueing while it is down, callers fall back to per-node budgets, and the connection keeps
// retrying in the background.
import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';

export interface RedisLink {
  /** Commands (rate limits, publish). Not in subscriber mode. */
  readonly client: Redis;
  /** Prefix of every key and channel (ORGAUTH_REDIS_PREFIX). */
  readonly prefix: string;
  /** True while the connection is up and ready for commands. */
  isReady(): boolean;
  /**
   * Runs a budget command within BUDGET_COMMAND_TIMEOUT_MS; undefined when Redis is down, slow or
   * the circuit breaker is open (then callers use their per-node budget, see isDegraded).
   * BREAKER_AFTER_FAILURES failures or timeouts in a row open the breaker for BREAKER_OPEN_MS, so
   * a hung Redis costs a request about one timeout, and one late reply on a busy machine does not
   * switch every budget to per-node counting.
   */
  budgetCommand<T>(topic: string, command: (client: Redis) => Promise<T>): Promise<T | undefined>;
  /** True while the breaker is open: budgets are per node. */
  isDegraded(): boolean;
  /**
   * Grows on every sign that Redis may have lost or reverted data, or that this node may have
   * missed a write: a connection error or close, a reconnect, a failed command. A slow answer is not
   * one (Redis answers late, nothing lost; a restart or failover closes the connection). What a node
   * cached on the strength of Redis under an older generation is not trusted any more.
   */
  generation(): number;
  /** Round trip to Redis within `timeoutMs`; false when it is unreachable. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** A warning, at most once per WARN_EVERY_MS per topic, so an outage does not flood the log. */
  warn(topic: string, message: string, error?: unknown): void;
  close(): Promise<void>;
}

const WARN_EVERY_MS = 30_000;
/** A rate-limit check must not hold a request longer than this when Redis hangs. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
/** A budget check waits this long for Redis at most (a hung Redis must not slow every request). */
export const BUDGET_COMMAND_TIMEOUT_MS = 50;
/** After a failed or slow budget command, Redis is skipped this long before it is tried again. */
export const BREAKER_OPEN_MS = 2_000;
const BREAKER_AFTER_FAILURES = 2;

/** A budget command that did not answer within BUDGET_COMMAND_TIMEOUT_MS. */
class SlowAnswer extends Error {
  constructor() {
    super(`no answer within ${BUDGET_COMMAND_TIMEOUT_MS} ms`);
  }
}

export interface RedisOptions {
  readonly url: string;
  readonly prefix: string;
  readonly logger: Logger;
  /** Counts the round trips of the request path. */
  readonly metrics: Metrics;
}

/** ioredis options for every connection of a node: fail fast, reconnect forever with backoff. */
export function connectionOptions(): IORedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  };
}

/**
 * Connects, waiting at most `waitMs` for the first connection so the first requests after a start
 * already share counters; when Redis is not there yet the node starts anyway (per-node budgets) and logs it.
 */
export async function openRedis(options: RedisOptions, waitMs = 3_000): Promise<RedisLink> {
  const { logger, prefix, metrics } = options;
  // Commands issued in the same turn of the event loop (the GATE scripts of concurrent token
  // requests) leave in one socket write: each is still its own round trip and its own reply.
  const client = new Redis(options.url, { ...connectionOptions(), enableAutoPipelining: true });
  const lastWarned = new Map<string, number>();
  const warn = (topic: string, message: string, error?: unknown): void => {
    const now = Date.now();
    if (now - (lastWarned.get(topic) ?? 0) < WARN_EVERY_MS) return;
    lastWarned.set(topic, now);
    // Only the error's message: an ioredis error can carry the command's arguments.
    logger.warn({ redis: topic, reason: error instanceof Error ? error.message : undefined }, message);
  };
  let generation = 0;
  const distrust = () => { generation += 1; };
  for (const event of ['error', 'close', 'reconnecting', 'end'] as const) client.on(event, distrust);
  let wasReady = false;
  client.on('ready', () => {
    distrust();
    if (wasReady) logger.info('Redis connection restored: rate limits are shared again');
    wasReady = true;
    lastWarned.clear();
  });
  // Without an 'error' listener ioredis would print every reconnect failure; with it, we decide.
  client.on('error', (error: unknown) => warn('connection', 'Redis is unreachable: rate limits use per-node budgets until it is back', error));

  const connected = client.connect().then(() => true, () => false);
  const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), waitMs).unref());
  if (!(await Promise.race([connected, timedOut]))) {
    warn('connection', 'Redis is not reachable at start: starting anyway; rate limits use per-node budgets until it is');
  }

  let breakerOpenUntil = 0;
  let failuresInARow = 0;
  const budgetCommand = async <T>(topic: string, command: (c: Redis) => Promise<T>): Promise<T | undefined> => {
    if (Date.now() < breakerOpenUntil) return undefined;
    if (client.status !== 'ready') {
      warn(topic, 'Redis is unreachable: rate limits use per-node budgets until it is back');
      return undefined;
    }
    metrics.redisRoundTrip(topic);
    let timer: NodeJS.Timeout | undefined;
    // When the timer fires, replies already waiting in the socket are read first (setImmediate runs
    // after the poll phase): a busy event loop is not mistaken for a slow Redis.
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => setImmediate(() => resolve('timeout')), BUDGET_COMMAND_TIMEOUT_MS); });
    try {
      const result = await Promise.race([command(client), timeout]);
      if (result === 'timeout') throw new SlowAnswer();
      failuresInARow = 0;
      return result;
    } catch (error) {
      // A late answer says nothing about lost data: the request it was for reads the database, and
      // copies stay trusted (docs/reliability.md, "Several nodes: the epoch cache"). On a busy
      // machine, dropping every copy at each one would send every node's next requests to the database.
      if (!(error instanceof SlowAnswer)) distrust();
      if (++failuresInARow >= BREAKER_AFTER_FAILURES) {
        breakerOpenUntil = Date.now() + BREAKER_OPEN_MS;
        warn(topic, 'Redis is unreachable or slow: rate limits use per-node budgets until it answers again', error);
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    client,
    prefix,
    budgetCommand,
    isDegraded: () => Date.now() < breakerOpenUntil || client.status !== 'ready',
    generation: () => generation,
    isReady: () => client.status === 'ready',
    async ping(timeoutMs = 1_000) {
      if (client.status !== 'ready') return false;
      const timeout = new Promise<false>((resolve) => setTimeout(() => setImmediate(() => resolve(false)), timeoutMs).unref());
      return Promise.race([client.ping().then((reply) => reply === 'PONG', () => false), timeout]);
    },
    warn,
    async close() {
      client.disconnect();
    },
  };
}
