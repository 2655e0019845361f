// Client authentication's copies of apps with their secrets, renewed while in use (redis/copy-renewal.ts).
import type { Queryable } from '../db/database.js';
import type { Metrics } from '../metrics/metrics.js';
import { findAppsWithSecrets, type AppWithSecrets } from '../oauth-apps/secret-store.js';
import type { RenewableCopies } from '../redis/copy-renewal.js';
import type { ClientCache } from './client-cache.js';

export function renewableClientCopies(cache: ClientCache, db: Queryable, metrics: Pick<Metrics, 'clientCopies' | 'clientCopyRenewalRead'>): RenewableCopies<AppWithSecrets> {
  return {
    copies: cache,
    read: (ids) => findAppsWithSecrets(db, ids),
    counted: {
      statement: () => metrics.clientCopyRenewalRead(),
      renewed: (count) => metrics.clientCopies('renewed', count),
      dropped: (count) => metrics.clientCopies('dropped', count),
    },
  };
}
