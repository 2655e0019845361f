// This node's copies of apps and their secret rows, for client authentication without a database
// read (docs/reliability.md, "Several nodes: the epoch cache"). Trusted by the rule of every epoch
// copy (redis/epoch-trust.ts); the epoch itself is checked by the caller in the request's one Redis
// round trip (the GATE script's condition), so `get` checks the generation and the age only.
import { createEpochCopies, trustClock, type DueCopy } from '../redis/epoch-trust.js';
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
  /** Copies served within `usedWithinMs` and at least `ageMs` old (client-renewal.ts). */
  dueForRenewal(generation: number, ageMs: number, usedWithinMs: number): DueCopy[];
  /** `startedAt` and `generation`: taken after `dueForRenewal`, before `found` was read. */
  renew(due: DueCopy, found: AppWithSecrets, generation: number, startedAt: number): boolean;
  readonly size: number;
}

export const clientCacheClock = trustClock;

export function createClientCache(trustMs: number, maxEntries = 50_000): ClientCache {
  const copies = createEpochCopies<AppWithSecrets>(trustMs, maxEntries);
  return {
    get(clientId, generation) {
      const copy = copies.get(clientId, generation);
      return copy ? { found: copy.value, epoch: copy.tag.epoch } : undefined;
    },
    set(clientId, copy, generation, startedAt) {
      copies.set(clientId, copy.found, { epoch: copy.epoch, generation, startedAt });
    },
    delete: (clientId) => copies.delete(clientId),
    dueForRenewal: (generation, ageMs, usedWithinMs) => copies.dueForRenewal(generation, ageMs, usedWithinMs),
    renew: (due, found, generation, startedAt) => copies.renew(due, found, generation, startedAt),
    get size() {
      return copies.size;
    },
  };
}
