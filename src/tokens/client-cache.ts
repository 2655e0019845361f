// This node's copies of apps and their secret rows, for client authentication without a database
// read (docs/reliability.md, "Several nodes: the epoch cache"). A copy is used only when three
// things hold: it is younger than the trust period (a change whose epoch bump failed waits that long
// before it is acknowledged), Redis has shown no sign of trouble since it was made (the link's
// generation), and — checked by the caller in the request's one Redis round trip — the app's epoch
// is still the one read before the copy was loaded.
import { performance } from 'node:perf_hooks';
import { setBounded } from '../bounded-map.js';
import type { AppWithSecrets } from '../oauth-apps/secret-store.js';

export interface CachedClient {
  readonly found: AppWithSecrets;
  /** The app's epoch, read from Redis before `found` was read from the database. */
  readonly epoch: string;
}

export interface ClientCache {
  get(clientId: string, generation: number): CachedClient | undefined;
  /** `startedAt` and `generation`: taken before the epoch was read. */
  set(clientId: string, copy: CachedClient, generation: number, startedAt: number): void;
  delete(clientId: string): void;
  readonly size: number;
}

interface Entry extends CachedClient {
  readonly generation: number;
  readonly startedAt: number;
}

export function clientCacheClock(): number {
  return performance.now();
}

export function createClientCache(trustMs: number, maxEntries = 50_000): ClientCache {
  const entries = new Map<string, Entry>();
  return {
    get(clientId, generation) {
      const entry = entries.get(clientId);
      if (!entry) return undefined;
      if (entry.generation !== generation || clientCacheClock() - entry.startedAt >= trustMs) {
        entries.delete(clientId);
        return undefined;
      }
      return entry;
    },
    set(clientId, copy, generation, startedAt) {
      setBounded(entries, maxEntries, clientId, { ...copy, generation, startedAt });
    },
    delete(clientId) {
      entries.delete(clientId);
    },
    get size() {
      return entries.size;
    },
  };
}
