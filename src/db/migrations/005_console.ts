// API tokens get a name, so a person can tell them apart in the console's list (CSP's `tokenName`).
import type { Kysely, Migration } from 'kysely';

export const console005: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('api_tokens').addColumn('token_name', 'text').execute();
    // The console lists one person's tokens in one org, newest first.
    await db.schema.createIndex('api_tokens_member_idx').on('api_tokens').columns(['org_id', 'username', 'created_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('api_tokens_member_idx').execute();
    await db.schema.alterTable('api_tokens').dropColumn('token_name').execute();
  },
};
