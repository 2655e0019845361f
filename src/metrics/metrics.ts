// What the service counts, behind one small interface, and the Prometheus registry that holds it.
// Served at GET /metrics by http/metrics.ts. The composition root makes one per node
// (createMetrics) and passes `metrics` to the code that sees an event; nothing here is module state.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createStopMonitor, type LoopWork } from './event-loop-stops.js';

export interface HttpResponseLabels {
  /** The route template, or 'unmatched', so scanners cannot blow up label cardinality. */
  readonly route: string;
  readonly method: string;
  readonly status: string;
}

/** Copies renewed while in use, beside client authentication's (counted by clientCopies). */
export type RenewedCopies = 'management_apps' | 'memberships' | 'not_denied';

export interface Metrics {
  httpResponse(labels: HttpResponseLabels, seconds: number): void;
  /** An access token was issued, by grant (client_credentials, api_token). */
  tokenIssued(grant: string): void;
  /** A change to an app's secrets committed (regenerate, replace, rotate, deleteOld). */
  secretChanged(kind: string): void;
  /** A request was answered 429 by a budget (management, token, auth_failures). */
  rateLimited(budget: string): void;
  /** Redis did not answer a rate-limit check in time; the per-node budget counted it instead. */
  rateLimitStoreFailed(budget: string): void;
  /** A lookup in the verified-secret cache: a hit spares a KDF run. */
  verifiedSecretLookup(result: 'hit' | 'miss'): void;
  /** One command, script or pipeline sent to Redis on the request path, by topic (rate-limit, epochs). */
  redisRoundTrip(topic: string): void;
  /** One statement sent to the database, by verb (select, insert, …) and outcome (ok, error). */
  databaseQuery(statement: string, outcome: 'ok' | 'error'): void;
  /**
   * This node's copies of apps (tokens/client-cache.ts): per client authentication, `served` from a
   * copy or `read` from the database; per copy, `renewed` or `dropped` (its app gone) by a renewal pass.
   */
  clientCopies(event: 'served' | 'read' | 'renewed' | 'dropped', count?: number): void;
  /** One statement of a renewal pass (redis/copy-renewal.ts), which reads up to 500 apps. */
  clientCopyRenewalRead(): void;
  /**
   * Renewal passes (redis/copy-renewal.ts) over the management API's copies of apps and memberships
   * and the memory of tokens not denied: each `statement` (up to 500 keys), the copies `renewed` and
   * those `dropped` (row gone, or token denied).
   */
  copyRenewal(copies: RenewedCopies, event: 'statement' | 'renewed' | 'dropped', count?: number): void;
  /** Background work ran on the event loop from `startMs` (performance.now()) for `ms`: no request was served meanwhile. */
  loopWork(kind: LoopWork, startMs: number, ms: number): void;
}

export interface MetricsRegistry {
  readonly metrics: Metrics;
  /** What GET /metrics serves. */
  readonly registry: Registry;
  /** Stops the event-loop stop monitor's timer, if one runs. */
  close(): void;
}

export interface MetricsOptions {
  /** ORGAUTH_EVENT_LOOP_STOP_MS: time and attribute stops of the event loop this long or longer (event-loop-stops.ts). */
  readonly eventLoopStopMs?: number | undefined;
}

/** The counters of one node, on their own registry with Node's default process metrics. */
export function createMetrics(options: MetricsOptions = {}): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'orgauth_' });
  const stops = options.eventLoopStopMs ? createStopMonitor(registry, options.eventLoopStopMs) : undefined;

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

  const tokensIssued = new Counter({
    name: 'orgauth_tokens_issued_total',
    help: 'Access tokens issued, by grant type',
    labelNames: ['grant'] as const,
    registers: [registry],
  });

  const secretChanges = new Counter({
    name: 'orgauth_secret_changes_total',
    help: 'Committed changes to app secrets, by kind (regenerate, replace, rotate, deleteOld)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const rateLimitRejections = new Counter({
    name: 'orgauth_rate_limit_rejections_total',
    help: 'Requests answered 429, by budget (management, token, auth_failures)',
    labelNames: ['budget'] as const,
    registers: [registry],
  });

  const rateLimitStoreErrors = new Counter({
    name: 'orgauth_rate_limit_store_errors_total',
    help: 'Rate-limit checks Redis did not answer in time, counted in the per-node budget instead',
    labelNames: ['budget'] as const,
    registers: [registry],
  });

  const redisRoundTrips = new Counter({
    name: 'orgauth_redis_round_trips_total',
    help: 'Commands, scripts and pipelines sent to Redis on the request path (each one round trip), by topic (rate-limit, epochs)',
    labelNames: ['topic'] as const,
    registers: [registry],
  });

  const databaseQueries = new Counter({
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

  const clientCopies = new Counter({
    name: 'orgauth_client_copies_total',
    help: 'Client authentications served from this node\'s copy of the app or read from the database (served, read), and copies renewed or dropped by renewal passes',
    labelNames: ['event'] as const,
    registers: [registry],
  });

  const clientCopyRenewalReads = new Counter({
    name: 'orgauth_client_copy_renewal_reads_total',
    help: 'Statements of renewal passes, each reading up to 500 apps whose copies are in use',
    registers: [registry],
  });

  const copyRenewals = new Counter({
    name: 'orgauth_copy_renewals_total',
    help: 'Renewal passes over copies in use (management_apps, memberships, not_denied): statements (each up to 500 keys), copies renewed, copies dropped (row gone or token denied)',
    labelNames: ['copies', 'event'] as const,
    registers: [registry],
  });

  const loopWork = new Histogram({
    name: 'orgauth_event_loop_work_seconds',
    help: 'Background work run on the event loop in one go, during which no request is served, by kind (usage_flush: one step of the lastUsedAt writes; housekeeping: one purge)',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const metrics: Metrics = {
    httpResponse(labels, seconds) {
      httpRequests.inc({ ...labels });
      httpDuration.observe({ ...labels }, seconds);
    },
    tokenIssued: (grant) => tokensIssued.inc({ grant }),
    secretChanged: (kind) => secretChanges.inc({ kind }),
    rateLimited: (budget) => rateLimitRejections.inc({ budget }),
    rateLimitStoreFailed: (budget) => rateLimitStoreErrors.inc({ budget }),
    verifiedSecretLookup: (result) => verifiedSecretCache.inc({ result }),
    redisRoundTrip: (topic) => redisRoundTrips.inc({ topic }),
    databaseQuery: (statement, outcome) => databaseQueries.inc({ statement, outcome }),
    clientCopies: (event, count = 1) => clientCopies.inc({ event }, count),
    clientCopyRenewalRead: () => clientCopyRenewalReads.inc(),
    copyRenewal: (copies, event, count = 1) => copyRenewals.inc({ copies, event }, count),
    loopWork(kind, startMs, ms) {
      loopWork.observe({ kind }, ms / 1000);
      stops?.work(kind, startMs, ms);
    },
  };
  return { metrics, registry, close: () => stops?.close() };
}

/** For processes that serve no /metrics (the CLI): counts nothing. */
export const ignoreMetrics: Metrics = {
  httpResponse: () => {},
  tokenIssued: () => {},
  secretChanged: () => {},
  rateLimited: () => {},
  rateLimitStoreFailed: () => {},
  verifiedSecretLookup: () => {},
  redisRoundTrip: () => {},
  databaseQuery: () => {},
  clientCopies: () => {},
  clientCopyRenewalRead: () => {},
  copyRenewal: () => {},
  loopWork: () => {},
};
