// People sign in: passwords, browser sessions, authorization codes and refresh tokens. Sessions,
// codes and refresh tokens are stored only as SHA-256 of their 256-bit random values.
import type { Kysely, Migration } from 'kysely';

export const signin: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    // Argon2id PHC string; null means the user cannot sign in with a password.
    await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
    await db.schema.alterTable('users').addColumn('password_set_at', 'bigint').execute();

    await db.schema.createTable('signin_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().references('users.username').onDelete('cascade'))
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema.createTable('authorization_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('app_instance', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('code_challenge', 'text')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text')
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      // What the redemption issued, so that a second use can revoke it.
      .addColumn('family_id', 'text')
      .addColumn('access_jti', 'text')
      .addColumn('access_expires_at', 'bigint')
      .execute();

    await db.schema.createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('family_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('app_instance', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      // The client secret that authenticated the request that issued it (null for public clients).
      .addColumn('secret_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('rotated_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute();
    await db.schema.createIndex('refresh_tokens_client_idx').on('refresh_tokens').column('client_id').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const table of ['refresh_tokens', 'authorization_codes', 'signin_sessions']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
    await db.schema.alterTable('users').dropColumn('password_set_at').execute();
    await db.schema.alterTable('users').dropColumn('password_hash').execute();
  },
};
