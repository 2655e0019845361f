// Keeps this node's copies from expiring while they are in use (docs/reliability.md, "Renewal of
// copies in use"). A copy is trusted for the trust period after its rows were read; a row that comes
// back less often than that would read the database on nearly every request. Instead, copies served
// lately are read again in batches, one statement per RENEWAL_BATCH keys, before they expire: the
// rows are replaced by what the database holds now and trusted from the moment before that read,
// exactly as a copy made by a request (epoch-trust.ts, `renew`).
import type { Logger } from 'pino';
import type { Metrics, RenewedCopies } from '../metrics/metrics.js';
import { trustClock, type EpochCopies } from './epoch-trust.js';

/** Keys per statement. */
export const RENEWAL_BATCH = 500;
/** A copy served within this long is kept; one not served that long is left to expire. */
export const KEEP_WARM_MS = 60_000;

/** One family of copies (client authentication's apps, the management API's apps, …) and how to read its rows again. */
export interface RenewableCopies<T> {
  readonly copies: Pick<EpochCopies<T>, 'dueForRenewal' | 'renew' | 'delete'>;
  /** The rows of `keys` as the database holds them now, by key; a key it lacks is gone. */
  read(keys: readonly string[]): Promise<ReadonlyMap<string, T>>;
  /** Counts what a pass did: each statement as it is run, then the copies renewed and dropped. */
  readonly counted: { statement(): void; renewed(count: number): void; dropped(count: number): void };
}

/** A family's counts under orgauth_copy_renewals_total. */
export function countedAs(metrics: Pick<Metrics, 'copyRenewal'>, copies: RenewedCopies): RenewableCopies<unknown>['counted'] {
  return {
    statement: () => metrics.copyRenewal(copies, 'statement'),
    renewed: (count) => metrics.copyRenewal(copies, 'renewed', count),
    dropped: (count) => metrics.copyRenewal(copies, 'dropped', count),
  };
}

export interface RenewalPass {
  readonly renewed: number;
  /** Copies whose rows are gone from the database. */
  readonly dropped: number;
  readonly statements: number;
}

/**
 * One pass: copies at least half the trust period old that were served within KEEP_WARM_MS are read
 * again. The generation and the time are taken after the copies were listed and before each read.
 */
export async function renewCopies<T>(family: RenewableCopies<T>, generation: () => number, trustMs: number): Promise<RenewalPass> {
  const due = family.copies.dueForRenewal(generation(), trustMs / 2, KEEP_WARM_MS);
  let renewed = 0;
  let dropped = 0;
  let statements = 0;
  for (let i = 0; i < due.length; i += RENEWAL_BATCH) {
    const batch = due.slice(i, i + RENEWAL_BATCH);
    const generationNow = generation();
    const startedAt = trustClock();
    const found = await family.read(batch.map((d) => d.key));
    statements += 1;
    family.counted.statement();
    for (const copy of batch) {
      const rows = found.get(copy.key);
      if (rows !== undefined) {
        if (family.copies.renew(copy, rows, generationNow, startedAt)) renewed += 1;
      } else {
        family.copies.delete(copy.key);
        dropped += 1;
      }
    }
  }
  if (renewed > 0) family.counted.renewed(renewed);
  if (dropped > 0) family.counted.dropped(dropped);
  return { renewed, dropped, statements };
}

export interface CopyRenewal {
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
}

/** Runs a pass over every family each quarter of the trust period: a copy is renewed between half and three quarters of it. */
export function startCopyRenewal(families: readonly RenewableCopies<unknown>[], generation: () => number, trustMs: number, logger: Logger): CopyRenewal {
  let running: Promise<void> | undefined;
  let warnedAt = -Infinity;
  const failed = (error: unknown): void => {
    // A database outage fails every pass: one warning a minute, not four per trust period.
    if (trustClock() - warnedAt < KEEP_WARM_MS) return;
    warnedAt = trustClock();
    logger.warn({ err: error }, 'renewing copies failed; they expire and are read again by requests');
  };
  const pass = async (): Promise<void> => {
    // One family's failure does not keep the others from being renewed.
    for (const family of families) await renewCopies(family, generation, trustMs).catch(failed);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = pass().finally(() => { running = undefined; });
  }, Math.max(trustMs / 4, 100));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
