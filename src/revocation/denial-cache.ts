// This node's memory that an access token is not on the denylist, so that introspection and the
// management API need no denylist read in the steady state (docs/reliability.md, "Introspection:
// the revocations epoch"). Trusted by the rule of every epoch copy (redis/epoch-trust.ts) with the
// revocations epoch as the epoch.
import { createEpochCopies, trustClock, type EpochCopies, type EpochSeen } from '../redis/epoch-trust.js';

import type { DenylistKind } from '../db/schema.js';
import { denylistEntryKey, type DenylistEntry } from './denylist.js';

export type { EpochSeen } from '../redis/epoch-trust.js';

export interface DenialCache {
  /** True when `key` was read as not denied under this same epoch and generation, within the trust period. */
  knownNotDenied(key: string, seen: EpochSeen): boolean;
  /** `seen`: the epoch read before the denylist read that found `key` not denied. */
  rememberNotDenied(key: string, seen: EpochSeen): void;
  /** The epoch under which `key` is remembered as not denied, while the generation and the trust period allow. */
  epochOf(key: string, generation: number): string | undefined;
  /** The memory itself, for the renewal of entries in use (denial-renewal.ts). */
  readonly copies: Pick<EpochCopies<true>, 'dueForRenewal' | 'renew' | 'delete'>;
}

export const denialCacheClock = trustClock;

/** The key under which a token's denylist entries are remembered: each `kind:value`, space-separated. */
export function denialKey(entries: readonly DenylistEntry[]): string {
  return entries.map(denylistEntryKey).join(' ');
}

/** The entries a key stands for (kinds hold no colon; values no space: ids the server generated). */
export function entriesOfDenialKey(key: string): DenylistEntry[] {
  return key.split(' ').map((part) => {
    const colon = part.indexOf(':');
    return { kind: part.slice(0, colon) as DenylistKind, value: part.slice(colon + 1) };
  });
}

export function createDenialCache(trustMs: number, maxEntries = 50_000): DenialCache {
  const entries = createEpochCopies<true>(trustMs, maxEntries);
  return {
    knownNotDenied: (key, seen) => entries.get(key, seen.generation, seen.epoch) !== undefined,
    rememberNotDenied: (key, seen) => entries.set(key, true, seen),
    epochOf: (key, generation) => entries.get(key, generation)?.tag.epoch,
    copies: entries,
  };
}
