// Rate limits (docs/design.md §7), three budgets from configuration:
//   management     RATE_LIMIT_MANAGEMENT    per caller (token subject; address when unauthenticated)
//   token          RATE_LIMIT_TOKEN         per client id once the client has authenticated; per
//                                           source address for everything that did not authenticate
//                                           (and for the API-token exchange)
//   auth_failures  RATE_LIMIT_AUTH_FAILURES failed client authentications per client id and address
// A stranger who knows only a client id therefore spends its own address's budget, never the
// client's. Counters live in Redis when it answers within a few milliseconds (window-counter.ts,
// failure-budget.ts; at the token endpoints one script per request checks them all together with the
// app's epoch, GATE below), else in this process: the per-node fallback. A 429 is thrown through the
// error mapper, so it carries the CSP body (and the RFC 6749 fields) with Retry-After and RateLimit-*.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateBudget } from '../config.js';
import { fail } from '../errors/errors.js';
import { createFailureBudget, windowIdSource } from './failure-budget.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ClientGate, EpochCondition, KnownOutcome } from '../tokens/client-gate.js';
import { addressKey, callerKey, claimedClientId, clientKey, unauthenticatedKey } from './rate-limit-keys.js';
import type { Services } from '../runtime.js';
import { createWindowCounter, type LocalWindowCounter, type WindowCount, type WindowCounter } from './window-counter.js';
import type { RedisLink } from '../redis/connection.js';
import { defineScript } from '../redis/scripts.js';
import { epochKey, EPOCH_TTL_MS, membersEpochKey, revocationsEpochKey, uniqueEpoch } from '../redis/app-epochs.js';
import type { LocalEpochs } from '../db/local-epochs.js';

type BudgetName = 'management' | 'token' | 'auth_failures';

/**
 * Management API: call right after the auth guard's hook is added. Counts every request the guard
 * let through, before its body is parsed or validated, so a malformed request costs its caller as
 * much whether or not the guard's round trip counted it (managementGate); a refused one is never counted.
 */
export async function limitManagementApi(scope: FastifyInstance, services: Services): Promise<void> {
  const budget = services.config.rateLimits.management;
  const counter = createWindowCounter('management', budget, services.redis, services.metrics);
  scope.addHook('onRequest', async (request, reply) => {
    const counted = request.managementCount;
    if (counted === undefined) return countAgainst(counter, services.metrics, 'management', budget, callerKey(request), reply);
    const reset = Math.max(1, Math.ceil(counted.resetMs / 1000));
    if (counted.count > budget.max) throw refuse(services.metrics, 'management', budget, reset);
    setRateLimitHeaders(reply, budget, counted.count, reset);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The management budget's count, when the guard's round trip counted this request. */
    managementCount?: WindowCount;
  }
}

/** The epochs a management request reads in its one round trip (each created when missing, before any database read). */
export interface ManagementEpochs {
  readonly revocations: string;
  /** The members epoch of the token's org, or the app's epoch of a service account's token. */
  readonly holder: string;
  /** The epoch of the app the path names, when asked for. */
  readonly app?: string;
  /** Present when the request was counted against the management budget in the same round trip. */
  readonly counted?: WindowCount;
}

/** Whose epoch vouches for a management caller: a person's org (its members epoch), or a service account's app. */
export type CallerHolder = { readonly person: true; readonly orgId: string } | { readonly person: false; readonly appId: string };

export interface ManagementGate {
  /** The generation copies read now are tagged with (RedisLink.generation; always 0 under local epochs). */
  generation(): number;
  /** Whether `read` can count the management budget in the same step (else limitManagementApi counts it). */
  readonly counts: boolean;
  /**
   * One round trip: the revocations epoch, the holder's epoch and the path app's epoch; when
   * `count` is given and both the revocations and the holder's epoch are still the ones it names,
   * the request is also counted against the caller's management budget. Undefined when Redis did
   * not answer.
   */
  read(holder: CallerHolder, appId: string | undefined, count?: { readonly callerKey: string; readonly revocations: string; readonly holder: string }): Promise<ManagementEpochs | undefined>;
}

// KEYS: [1] the revocations epoch, [2] the holder's epoch, [3] the path app's epoch (KEYS[1] again
// when none), [4] the caller's management count. ARGV: [1] a unique value for epochs that are
// missing, [2] epoch lifetime ms, [3] '1' to count when [4] and [5] are the revocations and the
// holder's epochs, [6] management window ms. Reply: {revocations, holder, app, count (0: not
// counted), ms left}.
const MANAGEMENT_GATE = `
local function epoch(key, n)
  local e = redis.call('GET', key)
  if not e then
    e = ARGV[1] .. '.' .. n
    redis.call('SET', key, e, 'PX', ARGV[2])
  end
  return e
end
local r = epoch(KEYS[1], 1)
local h = epoch(KEYS[2], 2)
local a = epoch(KEYS[3], 3)
if ARGV[3] ~= '1' or r ~= ARGV[4] or h ~= ARGV[5] then return {r, h, a, 0, 0} end
local c = redis.call('INCR', KEYS[4])
local t = redis.call('PTTL', KEYS[4])
if t < 0 then
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
  t = tonumber(ARGV[6])
end
return {r, h, a, c, t}`;

/**
 * The management API's epochs: Redis's, in one round trip (MANAGEMENT_GATE) through the link's
 * budget command; or, on one SQLite node without Redis, this process's (db/local-epochs.ts), where
 * memberships change only through the CLI, whose commit moves every local epoch. Undefined when
 * there are no epochs to check copies against.
 */
export function managementGate(services: Services): ManagementGate | undefined {
  const redis = services.redis;
  if (!redis) return services.localEpochs ? localManagementGate(services.localEpochs) : undefined;
  const script = defineScript(MANAGEMENT_GATE);
  const windowMs = String(services.config.rateLimits.management.windowSeconds * 1000);
  const ttl = String(EPOCH_TTL_MS);
  return {
    generation: () => redis.generation(),
    counts: true,
    async read(holder, appId, count) {
      const revocationsKey = revocationsEpochKey(redis);
      const holderKey = holder.person ? membersEpochKey(redis, holder.orgId) : epochKey(redis, holder.appId);
      const reply = await redis.budgetCommand('rate-limit', (client) => script(client, [
        revocationsKey, holderKey, appId !== undefined ? epochKey(redis, appId) : revocationsKey, `${redis.prefix}rl:management:${count?.callerKey ?? ''}`,
      ], [uniqueEpoch(), ttl, count ? '1' : '0', count?.revocations ?? '', count?.holder ?? '', windowMs]) as Promise<[string, string, string, number, number]>);
      if (!reply) {
        services.metrics.rateLimitStoreFailed('management');
        return undefined;
      }
      const [revocations, holderEpoch, app, c, t] = reply;
      return {
        revocations, holder: holderEpoch, ...(appId !== undefined ? { app } : {}),
        ...(Number(c) > 0 ? { counted: { count: Number(c), resetMs: Number(t) } } : {}),
      };
    },
  };
}

/** Local epochs read at one PRAGMA data_version; the budget is counted by limitManagementApi, per node as always without Redis. */
function localManagementGate(local: LocalEpochs): ManagementGate {
  return {
    generation: () => 0,
    counts: false,
    async read(holder, appId) {
      const version = local.version();
      return {
        revocations: local.revocations(version),
        holder: holder.person ? `members:${version}` : local.app(holder.appId, version),
        ...(appId !== undefined ? { app: local.app(appId, version) } : {}),
      };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set on token-endpoint requests that present client credentials: the budgets client
     * authentication answers to (see guardClientAuthentication, which every grant calls).
     */
    clientGate?: ClientGate;
    clientGateAsked: boolean;
  }
}

/**
 * Token endpoints: requests without client credentials count against their address; requests with
 * them get a ClientGate, so that what authenticates counts against the client id and what does not
 * against the address and the failed-authentication budget of (client id, address).
 */
export async function limitTokenEndpoints(scope: FastifyInstance, services: Services): Promise<void> {
  const budget = services.config.rateLimits.token;
  const counter = createWindowCounter('token', budget, services.redis, services.metrics);
  const failures = createFailureBudget(services.config.rateLimits.authFailures, services.redis, services.metrics);
  const { metrics } = services;
  const gateScript = services.redis ? redisGate(services.redis, budget, failures.budget, metrics) : undefined;
  const { localEpochs } = services;
  // Whether a request's client authentication asked the budgets (then it is counted there).
  scope.decorateRequest('clientGateAsked', false);
  // preValidation: the form body is parsed (client_secret_post), and a schema error still counts.
  // A callback hook: a request that claims a client is gated without a promise or a microtask turn.
  scope.addHook('preValidation', (request, reply, done) => {
    const clientId = claimedClientId(request);
    if (clientId === undefined) {
      countAgainst(counter, metrics, 'token', budget, addressKey(request), reply).then(() => done(), done);
      return;
    }
    const keys = {
      address: unauthenticatedKey(request),
      failures: failureKey(request),
    };
    // Per-node budgets (no Redis, or Redis not answering): the same rules, one store at a time.
    const countFailure = async (): Promise<void> => {
      const reserved = await failures.reserve(keys.failures);
      if ('retryAfter' in reserved) throw refuse(metrics, 'auth_failures', failures.budget, reserved.retryAfter);
      await failures.settle(keys.failures, reserved.reserved, true);
      await counter.hit(keys.address);
    };
    const addressSpent = async (): Promise<void> => {
      const spent = await counter.peek(keys.address);
      if (spent.count >= budget.max) throw refuse(metrics, 'token', budget, Math.max(1, Math.ceil(spent.resetMs / 1000)));
    };
    const countAuthenticated = (appId: string) => countAgainst(counter, metrics, 'token', budget, `client:${appId}`, reply);
    // perNode's answer for a success when every count is this process's and no check in flight
    // fills the failure budget (a success then needs no place in it): the same rules, no promise.
    const countSuccessHere = (local: LocalWindowCounter, appId: string): void => {
      const spent = local.peek(keys.address);
      if (spent.count >= budget.max) throw refuse(metrics, 'token', budget, Math.max(1, Math.ceil(spent.resetMs / 1000)));
      answerCount(local.hit(`client:${appId}`), metrics, 'token', budget, reply);
    };
    const perNode = async (appId: string | undefined, outcome: KnownOutcome): Promise<void> => {
      await addressSpent();
      if (outcome === 'failed' || appId === undefined) return countFailure();
      // A success is never counted as a failure, but is refused once the failures are spent.
      const reserved = await failures.reserve(keys.failures);
      if ('retryAfter' in reserved) throw refuse(metrics, 'auth_failures', failures.budget, reserved.retryAfter);
      await failures.settle(keys.failures, reserved.reserved, false);
      await countAuthenticated(appId);
    };
    // One Redis timeout per request at most: after one, this request uses the per-node budgets.
    let redisFailed = false;
    // The GATE script, with a failure's place taken in this node's memory first and settled by the
    // answer: failed when the script counted it, released otherwise (docs/reliability.md, "The
    // failure budget in one round trip"). When this node's places are all taken, the script is told
    // so and answers `wait`.
    const askGate = async (script: GateScript, appId: string | undefined, outcome: KnownOutcome, condition: EpochCondition): Promise<ScriptAnswer | undefined> => {
      const failing = outcome === 'failed' || appId === undefined;
      const here = failing ? failures.reserveHere(keys.failures) : undefined;
      if (here && 'retryAfter' in here) throw refuse(metrics, 'auth_failures', failures.budget, here.retryAfter);
      const place = here && 'reserved' in here ? here.reserved : undefined;
      let answer: ScriptAnswer | undefined;
      try {
        answer = await script(keys, appId, outcome, condition, here !== undefined && 'wait' in here);
      } finally {
        if (place) await failures.settle(keys.failures, place, answer?.kind === 'failureCounted');
      }
      return answer;
    };
    request.clientGate = {
      generation: () => services.redis?.generation() ?? 0,
      async readEpoch(appId) {
        if (localEpochs) return localEpochs.app(appId);
        if (!services.redis || redisFailed) return undefined;
        const redis = services.redis;
        const epoch = await redis.budgetCommand('epochs', (client) => client.get(epochKey(redis, appId)));
        if (epoch === undefined) redisFailed = true;
        return epoch;
      },
      async decide(appId, outcome, condition) {
        request.clientGateAsked = true;
        // This node's own failures first: those it checked while Redis did not answer are not in Redis.
        const failuresHere = failures.countHere(keys.failures);
        if ('retryAfter' in failuresHere) throw refuse(metrics, 'auth_failures', failures.budget, failuresHere.retryAfter);
        const answer = gateScript && !redisFailed ? await askGate(gateScript, appId, outcome, condition) : undefined;
        if (answer === undefined && localEpochs) {
          // Read before anything is answered, as the Redis script reads it: introspection trusts its
          // memory of tokens not denied under this value only.
          const version = localEpochs.version();
          const revocations = localEpochs.revocations(version);
          if (condition.epoch !== undefined && appId !== undefined) {
            const epoch = localEpochs.app(appId, version);
            if (epoch !== condition.epoch) return { stale: true, epoch, revocations };
          }
          if (counter.here && outcome === 'authenticated' && appId !== undefined && !failuresHere.full) countSuccessHere(counter.here, appId);
          else await perNode(appId, outcome);
          return { stale: false, createdEpoch: false, revocations };
        }
        if (answer === undefined) {
          redisFailed = true;
          // Redis did not answer: a copy cannot be checked against its epoch; read the database.
          if (condition.epoch !== undefined) return { stale: true, epoch: undefined };
          await perNode(appId, outcome);
          return { stale: false, createdEpoch: false };
        }
        const revocations = answer.revocations;
        switch (answer.kind) {
          case 'stale': return { stale: true, epoch: answer.epoch, revocations };
          case 'refused': throw refuse(metrics, answer.budget, answer.budget === 'token' ? budget : failures.budget, answer.retryAfter);
          case 'wait': await countFailure(); return { stale: false, createdEpoch: answer.createdEpoch, revocations };
          case 'failureCounted':
            return { stale: false, createdEpoch: answer.createdEpoch, revocations };
          case 'counted':
            if (answer.count > budget.max) throw refuse(metrics, 'token', budget, answer.reset);
            setRateLimitHeaders(reply, budget, answer.count, answer.reset);
            return { stale: false, createdEpoch: answer.createdEpoch, revocations };
        }
      },
      async checkSlowly(appId, check) {
        request.clientGateAsked = true;
        await addressSpent();
        const reserved = await failures.reserve(keys.failures);
        if ('retryAfter' in reserved) throw refuse(metrics, 'auth_failures', failures.budget, reserved.retryAfter);
        let result: Awaited<ReturnType<typeof check>>;
        try {
          result = await check();
        } catch (error) {
          await failures.settle(keys.failures, reserved.reserved, false);
          throw error;
        }
        await failures.settle(keys.failures, reserved.reserved, result === undefined);
        if (result === undefined) await counter.hit(keys.address);
        else await countAuthenticated(appId);
        return result;
      },
    };
    done();
  });
  // A request that claimed a client but was answered before its client authentication (a missing
  // grant_type, say) is its address's traffic; a 429 cost nothing and is not counted again.
  // A callback hook: the common case (the request was gated) then costs no promise.
  scope.addHook('onSend', (request, reply, payload, done) => {
    if (request.clientGate && !request.clientGateAsked && reply.statusCode !== 429) {
      request.clientGateAsked = true;
      counter.hit(unauthenticatedKey(request)).then(() => done(null, payload), done);
      return;
    }
    done(null, payload);
  });
}

/** Failed authentications count per claimed client id and source address (see failure-budget.ts). */
function failureKey(request: FastifyRequest): string {
  return `${clientKey(request)}|${addressKey(request)}`;
}

/** Counts one request against `key`: 429 past the budget, else the RateLimit-* headers. */
async function countAgainst(counter: WindowCounter, metrics: Metrics, name: BudgetName, budget: RateBudget, key: string, reply: FastifyReply): Promise<void> {
  answerCount(await counter.hit(key), metrics, name, budget, reply);
}

/** A request's count including it: 429 past the budget, else the RateLimit-* headers. */
function answerCount({ count, resetMs }: WindowCount, metrics: Metrics, name: BudgetName, budget: RateBudget, reply: FastifyReply): void {
  const reset = Math.max(1, Math.ceil(resetMs / 1000));
  if (count > budget.max) throw refuse(metrics, name, budget, reset);
  setRateLimitHeaders(reply, budget, count, reset);
}

function setRateLimitHeaders(reply: FastifyReply, budget: RateBudget, count: number, resetSeconds: number): void {
  reply.header('ratelimit-limit', String(budget.max));
  reply.header('ratelimit-remaining', String(Math.max(0, budget.max - count)));
  reply.header('ratelimit-reset', String(resetSeconds));
}

function refuse(metrics: Metrics, name: BudgetName, budget: RateBudget, retryAfterSeconds: number) {
  metrics.rateLimited(name);
  return tooManyRequests(name, budget, retryAfterSeconds);
}

type ScriptAnswer = { readonly revocations: string } & (
  | { readonly kind: 'stale'; readonly epoch: string | null }
  | { readonly kind: 'refused'; readonly budget: 'token' | 'auth_failures'; readonly retryAfter: number }
  | { readonly kind: 'wait'; readonly createdEpoch: boolean }
  | { readonly kind: 'failureCounted'; readonly createdEpoch: boolean }
  | { readonly kind: 'counted'; readonly count: number; readonly reset: number; readonly createdEpoch: boolean });

// One round trip per token request. KEYS: [1] the app's epoch, [2] the address's count of requests
// that did not authenticate, [3] the failed-authentication hash of (client id, address) as in
// failure-budget.ts, [4] the client's token count. ARGV: [1] the expected epoch ('' = any), [2] an
// epoch to set when the app has none ('' = none), [3] '1' authenticated / '0' failed, [4] token
// window ms, [5] token max, [6] failure window ms, [7] failure max, [8] id of a new failure window,
// [9] epoch lifetime ms. KEYS[5]: the revocations epoch, read for introspection (created from ARGV[10]
// when missing: it is read before the database, so a value created here can tag what is read next).
// ARGV[11]: '1' when this node's own failures and checks in flight fill the failure budget.
// Replies {kind, a, b, created, revocations}: 3 stale (b: the epoch or ''), 0 refused (a: ms left,
// b: budget), 2 wait (the failure budget is full of checks in flight), 4 failure counted, 1 counted
// (a: count, b: ms left).
const GATE = `
local r = redis.call('GET', KEYS[5])
if not r then
  r = ARGV[10]
  redis.call('SET', KEYS[5], r, 'PX', ARGV[9])
end
local e = redis.call('GET', KEYS[1])
if ARGV[1] ~= '' and ARGV[1] ~= e then return {3, 0, e or '', 0, r} end
local created = 0
if not e and ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[9])
  created = 1
end
local tmax = tonumber(ARGV[5])
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tmax then
  local t = redis.call('PTTL', KEYS[2])
  if t <= 0 then t = tonumber(ARGV[4]) end
  return {0, t, 'token', created, r}
end
local fmax = tonumber(ARGV[7])
local f = tonumber(redis.call('HGET', KEYS[3], 'f') or '0')
if f >= fmax then
  local t = redis.call('PTTL', KEYS[3])
  if t <= 0 then t = tonumber(ARGV[6]) end
  return {0, t, 'auth_failures', created, r}
end
if ARGV[3] == '0' then
  if ARGV[11] == '1' or f + tonumber(redis.call('HGET', KEYS[3], 'p') or '0') >= fmax then return {2, 0, '', created, r} end
  if redis.call('EXISTS', KEYS[3]) == 0 then
    redis.call('HSET', KEYS[3], 'w', ARGV[8])
    redis.call('PEXPIRE', KEYS[3], ARGV[6])
  end
  redis.call('HINCRBY', KEYS[3], 'f', 1)
  redis.call('INCR', KEYS[2])
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
  return {4, 0, '', created, r}
end
local c = redis.call('INCR', KEYS[4])
local t = redis.call('PTTL', KEYS[4])
if t < 0 then
  redis.call('PEXPIRE', KEYS[4], ARGV[4])
  t = tonumber(ARGV[4])
end
return {1, c, tostring(t), created, r}`;

type GateScript = ReturnType<typeof redisGate>;

/** The GATE script through the link's budget command (50 ms, circuit breaker): undefined when Redis did not answer. */
function redisGate(redis: RedisLink, token: RateBudget, authFailures: RateBudget, metrics: Metrics) {
  const script = defineScript(GATE);
  const tokenWindowMs = String(token.windowSeconds * 1000);
  const failureWindowMs = String(authFailures.windowSeconds * 1000);
  const key = (name: string, id: string) => `${redis.prefix}rl:${name}:${id}`;
  const newWindowId = windowIdSource('g');
  /** `fullHere`: this node's failures and checks in flight fill the failure budget (a failure then waits for a place). */
  return async (keys: { address: string; failures: string }, appId: string | undefined, outcome: KnownOutcome, condition: EpochCondition, fullHere: boolean): Promise<ScriptAnswer | undefined> => {
    const reply = await redis.budgetCommand('rate-limit', (client) => script(client, [
      epochKey(redis, appId ?? ''), key('token', keys.address), key('auth_failures', keys.failures), key('token', `client:${appId ?? ''}`),
      revocationsEpochKey(redis),
    ], [
      condition.epoch ?? '', appId !== undefined ? condition.createEpoch ?? '' : '', outcome === 'authenticated' && appId !== undefined ? '1' : '0',
      tokenWindowMs, String(token.max), failureWindowMs, String(authFailures.max), newWindowId(), String(EPOCH_TTL_MS),
      uniqueEpoch(), fullHere ? '1' : '0',
    ]) as Promise<[number, number, string, number, string]>);
    if (!reply) {
      metrics.rateLimitStoreFailed('token');
      return undefined;
    }
    const [kind, a, b, created, revocations] = reply;
    const createdEpoch = created === 1;
    const seconds = (ms: number) => Math.max(1, Math.ceil(Number(ms) / 1000));
    switch (kind) {
      case 3: return { kind: 'stale', epoch: b === '' ? null : b, revocations };
      case 0: return { kind: 'refused', budget: b === 'token' ? 'token' : 'auth_failures', retryAfter: seconds(a), revocations };
      case 2: return { kind: 'wait', createdEpoch, revocations };
      case 4: return { kind: 'failureCounted', createdEpoch, revocations };
      default: return { kind: 'counted', count: Number(a), reset: seconds(Number(b)), createdEpoch, revocations };
    }
  };
}

const DESCRIPTION: Readonly<Record<BudgetName, string>> = {
  management: 'requests to the management API by this caller',
  token: 'token requests for this client or from this address',
  auth_failures: 'failed client authentications for this client',
};

function tooManyRequests(name: BudgetName, budget: RateBudget, retryAfterSeconds: number) {
  return fail('TOO_MANY_REQUESTS', `Too many ${DESCRIPTION[name]}: at most ${budget.max} per ${budget.windowSeconds} s; retry in ${retryAfterSeconds} s`, {
    'retry-after': String(retryAfterSeconds),
    'ratelimit-limit': String(budget.max),
    'ratelimit-remaining': '0',
    'ratelimit-reset': String(retryAfterSeconds),
  });
}

