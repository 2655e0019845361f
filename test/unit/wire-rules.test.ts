// The pure rules behind CSP wire fidelity: which body members are dropped, the display-name rule,
// and the paging limits. No server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropUnknownMembers } from '../../src/http/known-fields.js';
import { checkDisplayName } from '../../src/oauth-apps/display-name.js';
import { pagingNumber } from '../../src/http/paging.js';
import { OrgOAuthAppUpdateRequest } from '../../src/oauth-apps/schemas.js';
import { OrgAuthError } from '../../src/errors/errors.js';

describe('dropUnknownMembers', () => {
  it('drops unknown members at every depth and reports their paths; keeps every known one', () => {
    const body = JSON.parse(JSON.stringify({
      description: 'd', id: 'x', lastUsedAt: null,
      allowedScopes: {
        extra: 1,
        organizationScopes: { roles: [{ name: 'developer', resource: null, since: 3 }], keptInToken: null, later: true },
        servicesScopes: [{ serviceDefinitionId: 's', roles: [], more: 'x' }],
      },
    }));
    const dropped = dropUnknownMembers(OrgOAuthAppUpdateRequest, body);
    assert.deepEqual(dropped.sort(), [
      'allowedScopes.extra', 'allowedScopes.organizationScopes.later', 'allowedScopes.organizationScopes.roles[].since',
      'allowedScopes.servicesScopes[].more', 'id', 'lastUsedAt',
    ]);
    assert.deepEqual(body, {
      description: 'd',
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer', resource: null }], keptInToken: null }, servicesScopes: [{ serviceDefinitionId: 's', roles: [] }] },
    });
  });

  it('never matches a member against something inherited (constructor, toString, __proto__ as an own key)', () => {
    const body = JSON.parse('{"constructor": {"prototype": {"x": 1}}, "toString": 1, "hasOwnProperty": 2, "__proto__": {"isHidden": true}, "isHidden": false}');
    const dropped = dropUnknownMembers(OrgOAuthAppUpdateRequest, body);
    assert.deepEqual(dropped.sort(), ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    assert.deepEqual(Object.keys(body), ['isHidden']);
    assert.equal(({} as { isHidden?: unknown }).isHidden, undefined, 'Object.prototype untouched');
  });

  it('leaves values that are not the object the schema expects for validation to refuse', () => {
    for (const value of [null, 'text', 5, [1, 2]]) {
      const copy = JSON.parse(JSON.stringify(value));
      assert.deepEqual(dropUnknownMembers(OrgOAuthAppUpdateRequest, copy), []);
      assert.deepEqual(copy, value);
    }
    const wrongType = { allowedScopes: 'developer', x: 1 };
    assert.deepEqual(dropUnknownMembers(OrgOAuthAppUpdateRequest, wrongType), ['x']);
    assert.deepEqual(wrongType, { allowedScopes: 'developer' });
  });
});

describe('display name', () => {
  it('accepts letters of any script (with their marks), digits, space and - _ . \' ’ : @ &', () => {
    for (const name of ['CI bot', 'Zürich_1.0', 'O’Brien: A & B @ C', 'l\'équipe', '東京', 'हिन्दी', 'Ελληνικά-2']) {
      assert.doesNotThrow(() => checkDisplayName(name), name);
    }
  });

  it('refuses markup, controls, emoji and every other sign, with a message naming the rule', () => {
    for (const name of ['<b>', 'a/b', 'a\nb', 'a\u0000b', '🚀', '"q"', '50%', '(x)', 'a;b', 'a\\b', '#1', 'a+b', 'a=b', '']) {
      assert.throws(() => checkDisplayName(name), (error: unknown) => error instanceof OrgAuthError && /displayName may contain only letters/.test(error.message), JSON.stringify(name));
    }
  });
});

describe('paging limits', () => {
  const limits = { defaultLimit: 200, maxLimit: 200 };
  it('accepts whole numbers inside the limits', () => {
    assert.equal(pagingNumber('pageLimit', 1, limits), 1);
    assert.equal(pagingNumber('pageLimit', 200, limits), 200);
    assert.equal(pagingNumber('pageStart', 1_000_000, limits), 1_000_000);
  });
  it('refuses anything else with a message stating the limits', () => {
    for (const [name, value] of [['pageLimit', 0], ['pageLimit', 201], ['pageLimit', 2.5], ['pageLimit', '10'], ['pageStart', 0], ['pageStart', -1], ['pageStart', Number.NaN]] as const) {
      assert.throws(() => pagingNumber(name, value, limits), (error: unknown) => error instanceof OrgAuthError && error.message.includes(name) && /from 1 to \d+/.test(error.message));
    }
  });
});
