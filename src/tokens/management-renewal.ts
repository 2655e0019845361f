// The management API's copies — apps by id, memberships by organization and username — renewed while
// in use (redis/copy-renewal.ts), as client authentication's are: a console or a script that keeps
// reading an app, or a person whose token keeps being used, reads the database only in batches.
import type { Queryable } from '../db/database.js';
import { findMemberships, type MembershipRow } from '../identity/store.js';
import type { Metrics } from '../metrics/metrics.js';
import { findAppsByIds, type AppRow } from '../oauth-apps/store.js';
import { countedAs, type RenewableCopies } from '../redis/copy-renewal.js';
import { membershipKey, type ManagementCopies } from './caller.js';

type Counted = Pick<Metrics, 'copyRenewal'>;

export function renewableManagementCopies(copies: ManagementCopies, db: Queryable, metrics: Counted): [RenewableCopies<AppRow>, RenewableCopies<MembershipRow>] {
  return [
    { copies: copies.apps, read: (ids) => findAppsByIds(db, ids), counted: countedAs(metrics, 'management_apps') },
    {
      copies: copies.members,
      async read(keys) {
        // membershipKey: the organization id (a UUID, no space), a space, the username.
        const pairs = keys.map((key) => {
          const space = key.indexOf(' ');
          return { orgId: key.slice(0, space), username: key.slice(space + 1) };
        });
        const rows = await findMemberships(db, pairs);
        return new Map(rows.map((row) => [membershipKey(row.org_id, row.username), row]));
      },
      counted: countedAs(metrics, 'memberships'),
    },
  ];
}
