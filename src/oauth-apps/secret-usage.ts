// lastUsedAt, recorded coarsely: uses are noted in memory and written at most once per
// FLUSH_SECONDS per secret, never as a write per token request.
import type { Db } from '../db/database.js';
import { isPostgres, nowSeconds } from '../db/database.js';
import { recordAppUse } from './store.js';
import { recordSecretUse, recordUsesUnlessLocked, type SecretUse } from './secret-store.js';

export const FLUSH_SECONDS = 60;
const SQLITE_USES_PER_COMMIT = 200;
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

interface PendingUse {
  readonly appId: string;
  readonly at: number;
  /** Skipped by a flush because a change held its rows (recordUsesUnlessLocked). */
  readonly skipped: boolean;
}

export function createUsageRecorder(db: Db, flushSeconds = FLUSH_SECONDS): UsageRecorder {
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

  async function writeSqlite(batch: readonly [string, PendingUse][]): Promise<void> {
    // SQLite has one writer and commits with an fsync (synchronous = FULL): one commit per chunk,
    // not two per secret, and short enough that requests waiting for the connection barely notice.
    for (let i = 0; i < batch.length; i += SQLITE_USES_PER_COMMIT) {
      const chunk = batch.slice(i, i + SQLITE_USES_PER_COMMIT);
      await db.transaction().execute(async (trx) => {
        for (const [secretId, { appId, at }] of chunk) {
          await recordSecretUse(trx, secretId, at);
          await recordAppUse(trx, appId, at);
        }
      });
      for (const [secretId, { at }] of chunk) written.set(secretId, at);
    }
  }

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    if (written.size > MAX_REMEMBERED) written.clear();
    await (isPostgres(db) ? writePostgres(batch) : writeSqlite(batch));
  }

  const timer = setInterval(() => {
    flushing = flush().catch(() => {}).finally(() => { flushing = undefined; });
  }, flushSeconds * 1000);
  timer.unref();

  return {
    record(appId, secretId) {
      const at = nowSeconds();
      const last = written.get(secretId);
      if (last !== undefined && at - last < flushSeconds) return;
      pending.set(secretId, { appId, at, skipped: false });
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flushing;
      await flush().catch(() => {});
      // Uses a change's lock made the last flush skip.
      await flush().catch(() => {});
    },
  };
}
