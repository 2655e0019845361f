// Prometheus metrics (GET /metrics): HTTP requests and latency by route, tokens issued, secret
// changes, rate-limit rejections and verified-secret cache hits. One registry per process; the
// counters are module singletons so that the place where an event happens can count it in one line.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BASE_PATH } from '../config.js';
import type { VerifiedSecretCache } from '../secrets/cache.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'orgauth_' });

const httpRequests = new Counter({
  name: 'orgauth_http_requests_total',
  help: 'HTTP requests by route template, method and status code',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: 'orgauth_http_request_duration_seconds',
  help: 'HTTP request latency by route template, method and status code',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const tokensIssued = new Counter({
  name: 'orgauth_tokens_issued_total',
  help: 'Access tokens issued, by grant type',
  labelNames: ['grant'] as const,
  registers: [registry],
});

export const secretChanges = new Counter({
  name: 'orgauth_secret_changes_total',
  help: 'Committed changes to app secrets, by kind (regenerate, replace, rotate, deleteOld)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const rateLimitRejections = new Counter({
  name: 'orgauth_rate_limit_rejections_total',
  help: 'Requests answered 429, by budget (management, token, auth_failures)',
  labelNames: ['budget'] as const,
  registers: [registry],
});

export const rateLimitStoreErrors = new Counter({
  name: 'orgauth_rate_limit_store_errors_total',
  help: 'Rate-limit checks Redis did not answer in time, counted in the per-node budget instead',
  labelNames: ['budget'] as const,
  registers: [registry],
});

export const redisRoundTrips = new Counter({
  name: 'orgauth_redis_round_trips_total',
  help: 'Commands, scripts and pipelines sent to Redis on the request path (each one round trip), by topic (rate-limit, epochs)',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export const databaseQueries = new Counter({
  name: 'orgauth_db_queries_total',
  help: 'Statements sent to the database (SQLite or PostgreSQL), by statement (select, insert, update, delete, …) and outcome (ok, error)',
  labelNames: ['statement', 'outcome'] as const,
  registers: [registry],
});

const verifiedSecretCache = new Counter({
  name: 'orgauth_verified_secret_cache_total',
  help: 'Verified-secret cache lookups by result (hit, miss)',
  labelNames: ['result'] as const,
  registers: [registry],
});

/** The grant behind each token route, so issued tokens are counted without touching the token service. */
const GRANT_BY_ROUTE: Readonly<Record<string, string>> = {
  [`${BASE_PATH}/auth/token`]: 'client_credentials',
  [`${BASE_PATH}/auth/authorize`]: 'client_credentials',
  [`${BASE_PATH}/auth/api-tokens/authorize`]: 'api_token',
};

/** Counts every response; unmatched URLs share one label so scanners cannot blow up cardinality. */
export function registerMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { route, method: request.method, status: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
    const grant = GRANT_BY_ROUTE[route];
    if (grant && reply.statusCode === 200) tokensIssued.inc({ grant });
  });
  app.get('/metrics', { schema: { tags: ['Operations'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

/** The verified-secret cache, counting hits (a known value: no KDF) and misses. */
export function countingCache(cache: VerifiedSecretCache): VerifiedSecretCache {
  return {
    check(secretId, presented) {
      const known = cache.check(secretId, presented);
      verifiedSecretCache.inc({ result: known === undefined ? 'miss' : 'hit' });
      return known;
    },
    remember: (secretId, presented) => cache.remember(secretId, presented),
    get size() {
      return cache.size;
    },
  };
}
