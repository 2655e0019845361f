// Each org's number of listed (active) apps, kept with the apps in the transaction that changes
// them, so a full listing page reads its totalResults instead of counting the org's index entries
// (docs/design.md §5.1). Backfilled from the apps as they are.
import { sql, type Kysely, type Migration } from 'kysely';

export const orgAppCounts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('org_app_counts')
      .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
      .addColumn('active_apps', 'integer', (c) => c.notNull())
      .execute();
    await sql`insert into org_app_counts (org_id, active_apps)
      select org_id, count(*) from oauth_apps where state = 'active' group by org_id`.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('org_app_counts').execute();
  },
};
