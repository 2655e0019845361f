// Property: no app a developer can create yields a `scope` word naming an org role it does not hold
// (service role names and serviceDefinitionIds cannot smuggle `csp:…` words into the token).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { draftFromCreate } from '../../src/oauth-apps/rules.js';
import { enforce, holdingOf } from '../../src/oauth-apps/policy.js';
import { appPerms, appScope } from '../../src/oauth-apps/grants.js';
import { isOrgAuthError } from '../../src/errors/errors.js';
import type { OrgOAuthAppRequest } from '../../src/oauth-apps/schemas.js';

const DEVELOPER = ['org_member', 'developer'];
const ORG_ROLES = ['org_owner', 'org_admin', 'org_member', 'developer', 'billing_read_only'];

// Names built from the pieces an attacker would use, plus arbitrary strings.
const piece = fc.constantFrom('csp:org_owner', 'CSP:org_admin', 'csp:', 'external/', '/', ' ', '\t', '\n', '\u00a0', '\u2003', 'x', 'svc', 'r', 'org_owner', ':', '.', '-');
const name = fc.oneof(fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join('')), fc.string({ minLength: 1, maxLength: 12 }));
const body = fc.record({
  generalScopes: fc.array(name, { maxLength: 3 }),
  orgRoles: fc.subarray(ORG_ROLES),
  allRoles: fc.boolean(),
  services: fc.array(fc.record({ serviceDefinitionId: name, roles: fc.array(name, { maxLength: 3 }) }), { maxLength: 3 }),
});

describe('scope words are unforgeable', () => {
  it('every csp: word of an app a developer could create names a role the developer holds', () => {
    fc.assert(fc.property(body, (b) => {
      const request = {
        displayName: 'x', description: 'd', grantTypes: ['client_credentials'],
        allowedScopes: {
          generalScopes: b.generalScopes,
          organizationScopes: b.allRoles ? { allRoles: true } : { roles: b.orgRoles.map((n) => ({ name: n })) },
          servicesScopes: b.services.map((s) => ({ serviceDefinitionId: s.serviceDefinitionId, roles: s.roles.map((n) => ({ name: n })) })),
        },
      } as unknown as OrgOAuthAppRequest;
      let scope: string;
      try {
        const draft = draftFromCreate(request, DEVELOPER);
        enforce({ operation: 'create', callerRoles: DEVELOPER, after: holdingOf(draft.settings) });
        scope = appScope(draft.settings, appPerms(draft.settings));
      } catch (error) {
        if (isOrgAuthError(error)) return; // refused: nothing to issue
        throw error;
      }
      for (const word of scope.split(/\s+/).filter(Boolean)) {
        const lower = word.toLowerCase();
        if (lower.startsWith('csp:')) assert.ok(DEVELOPER.includes(word.slice(4)), `scope word ${JSON.stringify(word)} names a role the developer lacks`);
        else if (lower.startsWith('external/')) assert.equal(word.split('/').length, 3, `service word ${JSON.stringify(word)} is external/<id>/<role>`);
      }
    }), { numRuns: 3000, seed: Number(process.env.FUZZ_SEED ?? 18) });
  });

  it('the attack of the issue is refused at create', () => {
    const attack = {
      displayName: 'x', description: 'd', grantTypes: ['client_credentials'],
      allowedScopes: { servicesScopes: [{ serviceDefinitionId: 'svc', roles: [{ name: 'x csp:org_owner' }] }, { serviceDefinitionId: 'a csp:org_admin', roles: [{ name: 'r' }] }] },
    } as unknown as OrgOAuthAppRequest;
    assert.throws(() => draftFromCreate(attack, DEVELOPER), (e: unknown) => isOrgAuthError(e) && e.errorName === 'APP_RULE_VIOLATION');
  });
});
