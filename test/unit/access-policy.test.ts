// The access-policy table (src/oauth-apps/policy.ts), cell by cell: pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type AppHolding, type AppOperation } from '../../src/oauth-apps/policy.js';

const OWNER = ['org_owner'];
const ADMIN = ['org_admin'];
const DEVELOPER = ['org_member', 'developer'];

const app = (roles: string[], opts: { ownerOnly?: boolean; viaAllRoles?: boolean } = {}): AppHolding =>
  ({ roles, viaAllRoles: opts.viaAllRoles ?? false, ownerOnlySecretRotation: opts.ownerOnly ?? false });

const errorOf = (d: ReturnType<typeof decide>): string | undefined => (d.allow ? undefined : d.error);

describe('no escalation: the app before and after the change', () => {
  const secretChanges: AppOperation[] = ['regenerate', 'rotate', 'deleteOld', 'delete', 'listSecrets', 'update'];

  it('a developer may not touch an owner or admin app, whatever the change leaves', () => {
    for (const operation of secretChanges) {
      for (const roles of [['org_owner'], ['org_admin'], ['developer', 'org_admin']]) {
        const d = decide({ operation, callerRoles: DEVELOPER, before: app(roles), after: app(['developer']) });
        assert.equal(errorOf(d), 'ESCALATION_ORG_ROLE', `${operation} on ${roles.join('+')}`);
      }
    }
  });

  it('an admin may touch admin and developer apps, not owner apps', () => {
    for (const operation of secretChanges) {
      assert.equal(decide({ operation, callerRoles: ADMIN, before: app(['org_admin']), after: app(['org_admin']) }).allow, true, operation);
      assert.equal(errorOf(decide({ operation, callerRoles: ADMIN, before: app(['org_owner']), after: app([]) })), 'ESCALATION_ORG_ROLE', operation);
    }
  });

  it('update and create judge the roles the change would leave', () => {
    assert.equal(errorOf(decide({ operation: 'update', callerRoles: DEVELOPER, before: app(['developer']), after: app(['org_admin']) })), 'ESCALATION_ORG_ROLE');
    assert.equal(errorOf(decide({ operation: 'create', callerRoles: ADMIN, after: app(['org_owner']) })), 'ESCALATION_ORG_ROLE');
    assert.equal(errorOf(decide({ operation: 'create', callerRoles: DEVELOPER, after: app(['org_owner'], { viaAllRoles: true }) })), 'ESCALATION_ALL_ROLES');
    assert.equal(decide({ operation: 'create', callerRoles: DEVELOPER, after: app(['developer']) }).allow, true);
  });

  it('reading an app, the list and search are open to every app manager', () => {
    for (const operation of ['get', 'list', 'search'] as const) {
      assert.equal(decide({ operation, callerRoles: DEVELOPER, before: app(['org_owner'], { ownerOnly: true }) }).allow, true, operation);
    }
  });
});

describe('ownerOnlySecretRotation', () => {
  it('only an owner changes the secrets or deletes the app', () => {
    for (const operation of ['regenerate', 'rotate', 'deleteOld', 'delete'] as const) {
      assert.equal(errorOf(decide({ operation, callerRoles: ADMIN, before: app(['developer'], { ownerOnly: true }) })), 'SECRET_CHANGE_OWNER_ONLY', operation);
      assert.equal(decide({ operation, callerRoles: OWNER, before: app(['developer'], { ownerOnly: true }) }).allow, true, operation);
    }
  });

  it('an update may leave the flag on without a secret; switching it off or setting a secret needs an owner', () => {
    const before = app(['developer'], { ownerOnly: true });
    assert.equal(decide({ operation: 'update', callerRoles: DEVELOPER, before, after: before }).allow, true);
    assert.equal(errorOf(decide({ operation: 'update', callerRoles: DEVELOPER, before, after: before, setsSecret: true })), 'SECRET_CHANGE_OWNER_ONLY');
    assert.equal(errorOf(decide({ operation: 'update', callerRoles: ADMIN, before, after: app(['developer']) })), 'SECRET_CHANGE_OWNER_ONLY');
    assert.equal(decide({ operation: 'update', callerRoles: OWNER, before, after: app(['developer']) }).allow, true);
    assert.equal(decide({ operation: 'update', callerRoles: DEVELOPER, before: app(['developer']), after: before }).allow, true, 'anyone may switch it on');
  });

  it('the secrets listing is not owner-only: reading metadata changes nothing', () => {
    assert.equal(decide({ operation: 'listSecrets', callerRoles: DEVELOPER, before: app(['developer'], { ownerOnly: true }) }).allow, true);
  });
});
