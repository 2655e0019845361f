// lastUsedAt, recorded coarsely: uses are noted in memory and written at most once per
// FLUSH_SECONDS per secret, never as a write per token request.
import type { Db } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { recordAppUse } from '../apps/store.js';
import { recordSecretUse } from './store.js';

export const FLUSH_SECONDS = 60;

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
    for (const [secretId, { appId, at }] of batch) {
      await recordSecretUse(db, secretId, at);
      await recordAppUse(db, appId, at);
      written.set(secretId, at);
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
