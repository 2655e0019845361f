// The first schema. Written with Kysely's schema builder so the same migration runs on SQLite and PostgreSQL.
import { PostgresAdapter, type Kysely, type Migration } from 'kysely';

export const initial: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
    const autoId = isPostgres ? 'bigserial' : 'integer';

    await db.schema.createTable('organizations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('users')
      .addColumn('username', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('memberships')
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('username', 'text', (c) => c.notNull().references('users.username').onDelete('cascade'))
      .addColumn('org_role', 'text', (c) => c.notNull())
      .addColumn('developer', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('memberships_pk', ['org_id', 'username'])
      .execute();

    await db.schema.createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addForeignKeyConstraint('api_tokens_membership_fk', ['org_id', 'username'], 'memberships', ['org_id', 'username'], (c) => c.onDelete('cascade'))
      .execute();

    await db.schema.createTable('oauth_apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('public_client', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('secret_set_at', 'bigint')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // Listing pages in creation order: the index serves the ORDER BY, so a page never sorts the org.
    await db.schema.createIndex('oauth_apps_org_created_idx').on('oauth_apps').columns(['org_id', 'created_at', 'id']).execute();

    await db.schema.createTable('app_secrets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('oauth_apps.id').onDelete('cascade'))
      .addColumn('verifier', 'text', (c) => c.notNull())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('app_secrets_app_idx').on('app_secrets').column('app_id').execute();

    await db.schema.createTable('keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text')
      .addColumn('private_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();

    await db.schema.createTable('token_denylist')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('token_denylist_pk', ['kind', 'value'])
      .execute();

    await db.schema.createTable('idempotency_records')
      .addColumn('scope_key', 'text', (c) => c.primaryKey())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('response_sealed', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('audit_events')
      .addColumn('id', autoId, (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('secret_id', 'text')
      .addColumn('request_id', 'text')
      .addColumn('source_address', 'text')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_events_org_idx').on('audit_events').columns(['org_id', 'id']).execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const table of ['audit_events', 'idempotency_records', 'token_denylist', 'keys', 'app_secrets', 'oauth_apps', 'api_tokens', 'memberships', 'users', 'organizations']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
