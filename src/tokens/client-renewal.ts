// Keeps this node's copies of the apps it serves from expiring while they are in use
// (docs/reliability.md, "Renewal of copies in use"). A copy is trusted for the trust period after
// its rows were read; an app that comes back less often than that would read the database on
// nearly every token. Instead, copies served lately are read again in batches, one statement per
// RENEWAL_BATCH apps, before they expire: the rows are replaced by what the database holds now and
// trusted from the moment before that read, exactly as a copy made by a request.
import type { Logger } from 'pino';
import type { Queryable } from '../db/database.js';
import type { Metrics } from '../metrics/metrics.js';
import { findAppsWithSecrets } from '../oauth-apps/secret-store.js';
import { clientCacheClock, type ClientCache } from './client-cache.js';

/** Apps per statement. */
export const RENEWAL_BATCH = 500;
/** A copy served within this long is kept; one not served that long is left to expire. */
export const KEEP_WARM_MS = 60_000;

export interface ClientRenewalDeps {
  readonly cache: ClientCache;
  readonly db: Queryable;
  /** The Redis link's generation now (RedisLink.generation). */
  readonly generation: () => number;
  /** The copies' trust period. */
  readonly trustMs: number;
  readonly metrics: Pick<Metrics, 'clientCopies' | 'clientCopyRenewalRead'>;
}

export interface RenewalPass {
  readonly renewed: number;
  /** Copies whose app is gone from the database. */
  readonly dropped: number;
  readonly statements: number;
}

/**
 * One pass: copies at least half the trust period old that were served within KEEP_WARM_MS are read
 * again. The generation and the time are taken after the copies were listed and before each read.
 */
export async function renewClientCopies(deps: ClientRenewalDeps): Promise<RenewalPass> {
  const due = deps.cache.dueForRenewal(deps.generation(), deps.trustMs / 2, KEEP_WARM_MS);
  let renewed = 0;
  let dropped = 0;
  let statements = 0;
  for (let i = 0; i < due.length; i += RENEWAL_BATCH) {
    const batch = due.slice(i, i + RENEWAL_BATCH);
    const generation = deps.generation();
    const startedAt = clientCacheClock();
    const found = await findAppsWithSecrets(deps.db, batch.map((d) => d.key));
    statements += 1;
    deps.metrics.clientCopyRenewalRead();
    for (const copy of batch) {
      const rows = found.get(copy.key);
      if (rows) {
        if (deps.cache.renew(copy, rows, generation, startedAt)) renewed += 1;
      } else {
        deps.cache.delete(copy.key);
        dropped += 1;
      }
    }
  }
  if (renewed > 0) deps.metrics.clientCopies('renewed', renewed);
  if (dropped > 0) deps.metrics.clientCopies('dropped', dropped);
  return { renewed, dropped, statements };
}

export interface ClientRenewal {
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
}

/** Runs a pass every quarter of the trust period: a copy is renewed between half and three quarters of it. */
export function startClientRenewal(deps: ClientRenewalDeps, logger: Logger): ClientRenewal {
  let running: Promise<void> | undefined;
  let warnedAt = -Infinity;
  const failed = (error: unknown): void => {
    // A database outage fails every pass: one warning a minute, not four per trust period.
    if (clientCacheClock() - warnedAt < KEEP_WARM_MS) return;
    warnedAt = clientCacheClock();
    logger.warn({ err: error }, 'renewing copies of apps failed; they expire and are read again by requests');
  };
  const timer = setInterval(() => {
    if (running) return;
    running = renewClientCopies(deps)
      .then(() => undefined, failed)
      .finally(() => { running = undefined; });
  }, Math.max(deps.trustMs / 4, 100));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
