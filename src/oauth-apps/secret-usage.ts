// lastUsedAt, recorded coarsely: uses are noted in memory and written at most once per
// FLUSH_SECONDS per secret, never as a write per token request.
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/database.js';
import { ignoreMetrics, type Metrics } from '../metrics/metrics.js';
import { isPostgres, nowSeconds } from '../db/database.js';
import { recordAppUse, recordAppUsesSqlite } from './store.js';
import { recordSecretUse, recordSecretUsesSqlite, recordUsesUnlessLocked, secretRowPlacesSqlite, type SecretUse } from './secret-store.js';

export const FLUSH_SECONDS = 60;
/**
 * better-sqlite3 runs every statement, and a commit's sync, on the event loop: while one runs no
 * request is served. A flush of the uses of thousands of apps in one go stopped the server for
 * seconds once a minute (bench/results/history.md). So on SQLite the timer's flush works in steps
 * of this many uses, each a few milliseconds, with a pause between them for the requests; and it
 * writes the uses in the order the rows are stored, so that neighbouring rows share a page and a
 * commit rewrites each page once rather than once per row.
 */
const SQLITE_USES_PER_STEP = 500;
const SQLITE_PAUSE_MS = 10;
/**
 * PostgreSQL parses, plans and commits every statement: one per chunk of uses rather than two per
 * use. A chunk's rows stay locked only for its one statement.
 */
const POSTGRES_USES_PER_STATEMENT = 500;
/** Bounds the memory of which secret was written when (a forgotten one is merely written again). */
const MAX_REMEMBERED = 200_000;

export interface UsageRecorder {
  record(appId: string, secretId: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

type Use = readonly [id: string, at: number];

interface PendingUse {
  readonly appId: string;
  readonly at: number;
  /** Skipped by a flush because a change held its rows (recordUsesUnlessLocked). */
  readonly skipped: boolean;
}

export function createUsageRecorder(db: Db, flushSeconds = FLUSH_SECONDS, metrics: Pick<Metrics, 'loopWork'> = ignoreMetrics): UsageRecorder {
  const pending = new Map<string, PendingUse>();
  const written = new Map<string, number>();
  let flushing: Promise<void> | undefined;

  async function writePostgres(batch: readonly [string, PendingUse][]): Promise<void> {
    const fresh = batch.filter(([, use]) => !use.skipped);
    for (let i = 0; i < fresh.length; i += POSTGRES_USES_PER_STATEMENT) {
      const chunk = fresh.slice(i, i + POSTGRES_USES_PER_STATEMENT);
      const uses: SecretUse[] = chunk.map(([secretId, { appId, at }]) => ({ secretId, appId, at }));
      const done = await recordUsesUnlessLocked(db, uses);
      for (const [secretId, use] of chunk) {
        if (done.secrets.has(secretId) && done.apps.has(use.appId)) written.set(secretId, use.at);
        // Under a change's lock, or gone with its app: written on its own at the next flush,
        // unless a newer use is already waiting.
        else if (!pending.has(secretId)) pending.set(secretId, { ...use, skipped: true });
      }
    }
    // One row per statement waits for a lock without holding another: no deadlock, and rare.
    for (const [secretId, { appId, at }] of batch.filter(([, use]) => use.skipped)) {
      await recordSecretUse(db, secretId, at);
      await recordAppUse(db, appId, at);
      written.set(secretId, at);
    }
  }

  async function writeSqlite(batch: [string, PendingUse][], pauseMs: number): Promise<void> {
    // SQLite has one writer and commits with an fsync (synchronous = FULL): one commit and two
    // statements per step, not two statements per secret.
    const pause = async (): Promise<void> => {
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    };
    // Each step holds the event loop from its start to its end: timed, so a stop can be put down to it.
    const timed = async (step: () => Promise<void>): Promise<void> => {
      const start = performance.now();
      await step();
      metrics.loopWork('usage_flush', start, performance.now() - start);
    };
    const place = new Map<string, number>();
    for (let i = 0; i < batch.length; i += SQLITE_USES_PER_STEP) {
      if (i > 0) await pause();
      const ids = batch.slice(i, i + SQLITE_USES_PER_STEP).map(([secretId]) => secretId);
      await timed(async () => {
        for (const [id, n] of await secretRowPlacesSqlite(db, ids)) place.set(id, n);
      });
    }
    // A secret deleted since its use has no row left (its app still gets the use): last.
    batch.sort(([a], [b]) => (place.get(a) ?? Infinity) - (place.get(b) ?? Infinity));
    for (let i = 0; i < batch.length; i += SQLITE_USES_PER_STEP) {
      await pause();
      const step = batch.slice(i, i + SQLITE_USES_PER_STEP);
      const secrets: Use[] = step.map(([secretId, { at }]) => [secretId, at]);
      // An app used through two secrets gets the later use.
      const apps = new Map<string, number>();
      for (const [, { appId, at }] of step) apps.set(appId, Math.max(at, apps.get(appId) ?? 0));
      await timed(() => db.transaction().execute(async (trx) => {
        await recordSecretUsesSqlite(trx, secrets);
        await recordAppUsesSqlite(trx, [...apps]);
      }));
      for (const [secretId, at] of secrets) written.set(secretId, at);
    }
  }

  async function flush(pauseMs = 0): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    if (written.size > MAX_REMEMBERED) written.clear();
    await (isPostgres(db) ? writePostgres(batch) : writeSqlite(batch, pauseMs));
  }

  const timer = setInterval(() => {
    // A flush spread over pauses may outlast a tick on a slow disk: the next one waits its turn.
    if (flushing) return;
    flushing = flush(SQLITE_PAUSE_MS).catch(() => {}).finally(() => { flushing = undefined; });
  }, flushSeconds * 1000);
  timer.unref();

  return {
    record(appId, secretId) {
      const at = nowSeconds();
      const last = written.get(secretId);
      if (last !== undefined && at - last < flushSeconds) return;
      pending.set(secretId, { appId, at, skipped: false });
    },
    flush: () => flush(),
    async stop() {
      clearInterval(timer);
      await flushing;
      await flush().catch(() => {});
      // Uses a change's lock made the last flush skip.
      await flush().catch(() => {});
    },
  };
}
