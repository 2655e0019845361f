// Rate limits (docs/design.md §7), three budgets from configuration:
//   management     RATE_LIMIT_MANAGEMENT    per caller (token subject; address when unauthenticated)
//   token          RATE_LIMIT_TOKEN         per client id once the client has authenticated; per
//                                           source address for everything that did not authenticate
//                                           (and for the API-token exchange)
//   auth_failures  RATE_LIMIT_AUTH_FAILURES failed client authentications per client id and address
// A stranger who knows only a client id therefore spends its own address's budget, never the
// client's. Counters live in Redis when it answers within a few milliseconds (window-counter.ts,
// failure-budget.ts), else in this process: the per-node fallback. A 429 is thrown through the error
// mapper, so it carries the CSP body (and the RFC 6749 fields) with Retry-After and RateLimit-*.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateBudget } from '../config.js';
import { fail, isOrgAuthError } from '../errors/errors.js';
import { createFailureBudget, type Reservation } from './failure-budget.js';
import { metrics } from '../metrics/metrics.js';
import { addressKey, callerKey, claimedClientId, clientKey, unauthenticatedKey } from './rate-limit-keys.js';
import type { Services } from '../runtime.js';
import { createWindowCounter, type WindowCounter } from './window-counter.js';

type BudgetName = 'management' | 'token' | 'auth_failures';

/** Management API: call after the auth guard's hook is added; counts at preHandler, when the caller is known. */
export async function limitManagementApi(scope: FastifyInstance, services: Services): Promise<void> {
  const budget = services.config.rateLimits.management;
  const counter = createWindowCounter('management', budget, services.redis);
  scope.addHook('preHandler', async (request, reply) => countAgainst(counter, 'management', budget, callerKey(request), reply));
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The failed-authentication reservation this request holds, until it settles. */
    authAttempt?: { key: string; reservation: Reservation };
    /**
     * Set on token-endpoint requests that present client credentials: every grant calls it once the
     * client has authenticated (see guardClientAuthentication), to count the request against the
     * client's own budget instead of its address's.
     */
    clientAuthenticated?: (clientId: string) => Promise<void>;
    authenticatedClientId?: string;
  }
}

/**
 * Token endpoints, before any secret is checked: requests without client credentials count against
 * their address; requests with them need their address's budget not to be spent and a place in the
 * failed-authentication budget of (client id, address). What authenticates counts against the client
 * id, what does not against the address.
 */
export async function limitTokenEndpoints(scope: FastifyInstance, services: Services): Promise<void> {
  const budget = services.config.rateLimits.token;
  const counter = createWindowCounter('token', budget, services.redis);
  const failures = createFailureBudget(services.config.rateLimits.authFailures, services.redis);
  const settle = async (request: FastifyRequest, failed: boolean) => {
    const attempt = request.authAttempt;
    if (!attempt) return;
    request.authAttempt = undefined; // settled once, whichever hook comes first
    await failures.settle(attempt.key, attempt.reservation, failed);
  };
  // preValidation: the form body is parsed (client_secret_post), and a schema error still counts.
  scope.addHook('preValidation', async (request, reply) => {
    const clientId = claimedClientId(request);
    if (clientId === undefined) {
      await countAgainst(counter, 'token', budget, addressKey(request), reply);
      return;
    }
    const spent = await counter.peek(unauthenticatedKey(request));
    if (spent.count >= budget.max) {
      metrics.rateLimited('token');
      throw tooManyRequests('token', budget, Math.max(1, Math.ceil(spent.resetMs / 1000)));
    }
    request.clientAuthenticated = async (authenticated: string) => {
      request.authenticatedClientId = authenticated;
      await countAgainst(counter, 'token', budget, `client:${authenticated}`, reply);
    };
    const key = failureKey(request);
    const result = await failures.reserve(key);
    if ('retryAfter' in result) {
      metrics.rateLimited('auth_failures');
      throw tooManyRequests('auth_failures', failures.budget, result.retryAfter);
    }
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
  // A request that claimed a client, was checked and did not authenticate is its address's traffic
  // (a 429 cost no check and is not counted again).
  scope.addHook('onSend', async (request, reply, payload) => {
    if (request.clientAuthenticated && request.authenticatedClientId === undefined && reply.statusCode !== 429) {
      request.clientAuthenticated = undefined;
      await counter.hit(unauthenticatedKey(request));
    }
    return payload;
  });
}

/** Failed authentications count per claimed client id and source address (see failure-budget.ts). */
function failureKey(request: FastifyRequest): string {
  return `${clientKey(request)}|${addressKey(request)}`;
}

/** Counts one request against `key`: 429 past the budget, else the RateLimit-* headers. */
async function countAgainst(counter: WindowCounter, name: BudgetName, budget: RateBudget, key: string, reply: FastifyReply): Promise<void> {
  const { count, resetMs } = await counter.hit(key);
  const reset = Math.max(1, Math.ceil(resetMs / 1000));
  if (count > budget.max) {
    metrics.rateLimited(name);
    throw tooManyRequests(name, budget, reset);
  }
  reply.header('ratelimit-limit', String(budget.max));
  reply.header('ratelimit-remaining', String(budget.max - count));
  reply.header('ratelimit-reset', String(reset));
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

