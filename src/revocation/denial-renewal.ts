// The memory of tokens found not denied (denial-cache.ts), renewed while in use
// (redis/copy-renewal.ts): a token that keeps being presented to introspection or the management
// API is checked against the denylist in batches, not once per trust period per token.
import type { Queryable } from '../db/database.js';
import type { Metrics } from '../metrics/metrics.js';
import { countedAs, type RenewableCopies } from '../redis/copy-renewal.js';
import { entriesOfDenialKey, type DenialCache } from './denial-cache.js';
import { deniedAmong, denylistEntryKey } from './denylist.js';

export function renewableDenials(cache: DenialCache, db: Queryable, metrics: Pick<Metrics, 'copyRenewal'>): RenewableCopies<true> {
  return {
    copies: cache.copies,
    async read(keys) {
      const entries = keys.map(entriesOfDenialKey);
      const denied = await deniedAmong(db, entries.flat());
      // A key none of whose entries is denied is still "not denied"; the others are dropped.
      const notDenied = new Map<string, true>();
      keys.forEach((key, i) => {
        if (!entries[i]!.some((entry) => denied.has(denylistEntryKey(entry)))) notDenied.set(key, true);
      });
      return notDenied;
    },
    counted: countedAs(metrics, 'not_denied'),
  };
}
