// Rate limits (SPEC §7), three budgets from configuration:
//   management     RATE_LIMIT_MANAGEMENT    per caller (token subject; address when unauthenticated)
//   token          RATE_LIMIT_TOKEN         per client id at the token endpoints (address without one)
//   auth_failures  RATE_LIMIT_AUTH_FAILURES failed client authentications per client id and address
// Counters are @fastify/rate-limit's (its Redis store with REDIS_URL, so all nodes share one budget)
// plus failure-budget.ts. A 429 is thrown through the error mapper, so it carries the CSP body (and
// the RFC 6749 fields on token endpoints) with Retry-After and RateLimit-Limit/Remaining/Reset.
// When Redis is unreachable the checks fail open with a throttled warning: availability over limits.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { RateBudget } from '../config.js';
import { fail, isOrgAuthError } from '../errors/errors.js';
import { createFailureBudget, type Reservation } from './failure-budget.js';
import { metrics } from '../metrics/metrics.js';
import { addressKey, callerKey, claimedClientId, clientKey } from './rate-limit-keys.js';
import type { Services } from '../runtime.js';

type BudgetName = 'management' | 'token' | 'auth_failures';


/** Management API: call after the auth guard's hook is added; counts at preHandler, when the caller is known. */
export async function limitManagementApi(scope: FastifyInstance, services: Services): Promise<void> {
  const check = await sharedCounter(scope, services, 'management', services.config.rateLimits.management, callerKey);
  scope.addHook('preHandler', async (request, reply) => check(request, reply));
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The failed-authentication reservation this request holds, until it settles. */
    authAttempt?: { key: string; reservation: Reservation };
  }
}

/** Token endpoints: the per-client budget, then the failed-authentication budget, before any secret is checked. */
export async function limitTokenEndpoints(scope: FastifyInstance, services: Services): Promise<void> {
  const check = await sharedCounter(scope, services, 'token', services.config.rateLimits.token, clientKey);
  const failures = createFailureBudget(services.config.rateLimits.authFailures, services.redis);
  const settle = async (request: FastifyRequest, failed: boolean) => {
    const attempt = request.authAttempt;
    if (!attempt) return;
    request.authAttempt = undefined; // settled once, whichever hook comes first
    await failures.settle(attempt.key, attempt.reservation, failed);
  };
  // preValidation: the form body is parsed (client_secret_post), and a schema error still counts.
  scope.addHook('preValidation', async (request, reply) => {
    await check(request, reply);
    // Only requests that present client credentials authenticate a client (not the API-token
    // exchange), and only after the per-client budget let them through.
    const clientId = claimedClientId(request);
    if (clientId === undefined) return;
    const key = failureKey(request);
    const result = await failures.reserve(key);
    if ('retryAfter' in result) {
      metrics.rateLimited('auth_failures');
      throw tooManyRequests('auth_failures', failures.budget, result.retryAfter);
    }
    if (!('reserved' in result)) return;
    request.authAttempt = { key, reservation: result.reserved };
    // Every other outcome than a failed authentication settles when the response is done or the
    // connection is gone, whichever way the request ended (a client may hang up at any point).
    const release = () => void settle(request, false).catch((error: unknown) => request.log.warn({ err: error }, 'failed-authentication budget: release failed'));
    if (reply.raw.closed || reply.raw.destroyed || request.raw.socket?.destroyed !== false) release();
    else reply.raw.once('close', release);
  });
  // A failed client authentication is settled before the error is sent, so the next attempt sees it.
  scope.addHook('onError', async (request, _reply, error) => {
    if (isOrgAuthError(error) && error.errorName === 'OAUTH_INVALID_CLIENT') await settle(request, true);
  });
}

/** Failed authentications count per claimed client id and source address (see failure-budget.ts). */
function failureKey(request: FastifyRequest): string {
  return `${clientKey(request)}|${addressKey(request)}`;
}

/**
 * One @fastify/rate-limit counter for this scope. `global: false` keeps the plugin from adding its
 * own hooks: we call its limiter ourselves, which lets a store error fail open with a warning and
 * lets the 429 go through our error mapper. (The plugin decorates the scope, so one per scope.)
 */
async function sharedCounter(scope: FastifyInstance, services: Services, name: BudgetName, budget: RateBudget, keyGenerator: (request: FastifyRequest) => string): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  const { redis } = services;
  await scope.register(rateLimit, {
    global: false,
    max: budget.max,
    timeWindow: budget.windowSeconds * 1000,
    keyGenerator,
    // In-process store: room for many callers, so cycling made-up ids cannot evict a real one's count.
    ...(redis ? { redis: redis.client, nameSpace: `${redis.prefix}rl:${name}:` } : { cache: 50_000 }),
    skipOnError: false,
  });
  const limiter = scope.createRateLimit();
  return async (request, reply) => {
    let result: Awaited<ReturnType<typeof limiter>>;
    try {
      result = await limiter(request);
    } catch (error) {
      metrics.rateLimitStoreFailed(name);
      if (redis) redis.warn('rate-limit', `Redis is unreachable: the ${name} rate limit fails open`, error);
      else request.log.warn({ budget: name }, 'rate-limit store failed: failing open');
      return;
    }
    if (result.isAllowed) return;
    const reset = Math.max(1, result.ttlInSeconds);
    if (result.isExceeded) {
      metrics.rateLimited(name);
      throw tooManyRequests(name, budget, reset);
    }
    reply.header('ratelimit-limit', String(result.max));
    reply.header('ratelimit-remaining', String(result.remaining));
    reply.header('ratelimit-reset', String(reset));
  };
}

const DESCRIPTION: Readonly<Record<BudgetName, string>> = {
  management: 'requests to the management API by this caller',
  token: 'token requests for this client',
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

