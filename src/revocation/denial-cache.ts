// This node's memory that a service account's access token is not on the denylist, so that
// introspection needs no database read in the steady state (docs/reliability.md, "Several nodes:
// the epoch cache"). It is trusted under the same three conditions as a copy of an app: the
// revocations epoch read in the request's one Redis round trip equals the one read before the
// denylist was, the Redis link showed no trouble since, and it is younger than the trust period.
import { performance } from 'node:perf_hooks';
import { setBounded } from '../bounded-map.js';

/** The revocations epoch as one request read it, before any database read of that request. */
export interface EpochSeen {
  readonly epoch: string;
  /** The Redis link's generation and the time, both taken before the epoch was read. */
  readonly generation: number;
  readonly startedAt: number;
}

export interface DenialCache {
  /** True when `key` was read as not denied under this same epoch and generation, within the trust period. */
  knownNotDenied(key: string, seen: EpochSeen): boolean;
  /** `seen`: the epoch read before the denylist read that found `key` not denied. */
  rememberNotDenied(key: string, seen: EpochSeen): void;
}

export function denialCacheClock(): number {
  return performance.now();
}

export function createDenialCache(trustMs: number, maxEntries = 50_000): DenialCache {
  const entries = new Map<string, EpochSeen>();
  return {
    knownNotDenied(key, seen) {
      const entry = entries.get(key);
      if (!entry) return false;
      if (entry.epoch !== seen.epoch || entry.generation !== seen.generation || denialCacheClock() - entry.startedAt >= trustMs) {
        entries.delete(key);
        return false;
      }
      return true;
    },
    rememberNotDenied(key, seen) {
      setBounded(entries, maxEntries, key, seen);
    },
  };
}
