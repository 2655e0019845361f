// No character of a caller-supplied secret is kept (docs/design.md §6.2): secrets stored before
// this rule carried the last four characters of a caller-supplied secret as their hint, and so did
// the audit records of rotations and PATCHes that set one. Those are cleared; hints of generated
// secrets (HMAC verifiers, regenerate) stay.
import { sql, type Kysely, type Migration } from 'kysely';

// Rotation and PATCH `secret` only ever take a caller-supplied secret.
const SUPPLIED_SECRET_ACTIONS = ['secret.rotate', 'secret.replace'];

export const policy: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`update app_secrets set hint = '' where verifier like '$argon2%'`.execute(db);
    const rows = await sql<{ id: number | string; details: string }>`select id, details from audit_events where action in (${sql.join(SUPPLIED_SECRET_ACTIONS)}) and details like '%newSecretHint%'`.execute(db);
    for (const row of rows.rows) {
      const details = JSON.parse(row.details) as Record<string, unknown>;
      delete details.newSecretHint;
      await sql`update audit_events set details = ${JSON.stringify(details)} where id = ${row.id}`.execute(db);
    }
  },
  async down(): Promise<void> {
    // The characters are gone for good; nothing to restore.
  },
};
