// lastUsedAt, recorded coarsely: uses are noted in memory and written at most once per
// FLUSH_SECONDS per secret, never as a write per token request.
import type { Db } from '../db/database.js';
import { isPostgres, nowSeconds } from '../db/database.js';
import { recordAppUse } from './store.js';
import { recordSecretUse } from './secret-store.js';

export const FLUSH_SECONDS = 60;
const SQLITE_USES_PER_COMMIT = 200;

export interface UsageRecorder {
  record(appId: string, secretId: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function createUsageRecorder(db: Db, flushSeconds = FLUSH_SECONDS): UsageRecorder {
  const pending = new Map<string, { appId: string; at: number }>();
  const written = new Map<string, number>();
  let flushing: Promise<void> | undefined;

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    if (isPostgres(db)) {
      // One short statement at a time: a transaction over many rows would hold their locks and
      // could deadlock with a secret change, which locks the app's row before its secrets'.
      for (const [secretId, { appId, at }] of batch) {
        await recordSecretUse(db, secretId, at);
        await recordAppUse(db, appId, at);
        written.set(secretId, at);
      }
      return;
    }
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
    if (written.size > 200_000) written.clear();
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
      pending.set(secretId, { appId, at });
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flushing;
      await flush().catch(() => {});
    },
  };
}
