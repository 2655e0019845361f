// The rules an OAuth app must satisfy (docs/design.md §5.3) and the no-escalation rule (§2), on
// plain request objects: field combinations, TTLs, grant types, public clients, scopes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { draftFromCreate, draftFromUpdate, withoutNulls } from '../../src/oauth-apps/rules.js';
import type { OrgOAuthAppRequest } from '../../src/oauth-apps/schemas.js';
import { DEFAULT_ACCESS_TOKEN_TTL, DEFAULT_REFRESH_TOKEN_TTL, DEFAULT_ROTATION_GRACE_SECONDS } from '../../src/oauth-apps/settings.js';
import { meetsComplexityRule } from '../../src/oauth-apps/secret-rules.js';
import { isOrgAuthError } from '../../src/errors/errors.js';
import type { ErrorName } from '../../src/errors/catalogue.js';

const OWNER = ['org_owner'];

function serviceAccount(extra: Partial<OrgOAuthAppRequest> = {}): OrgOAuthAppRequest {
  return {
    displayName: 'CI bot',
    description: 'deploys',
    grantTypes: ['client_credentials'],
    allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } },
    ...extra,
  };
}

function refused(errorName: ErrorName, run: () => unknown, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isOrgAuthError(error), `expected ${errorName}, got ${String(error)}`);
    assert.equal(error.errorName, errorName);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('create: defaults', () => {
  it('fills the CSP defaults for TTLs and rotation grace, and remembers the creator roles', () => {
    const draft = draftFromCreate(serviceAccount(), ['org_admin', 'developer']);
    assert.equal(draft.settings.accessTokenTTL, DEFAULT_ACCESS_TOKEN_TTL);
    assert.equal(draft.settings.refreshTokenTTL, DEFAULT_REFRESH_TOKEN_TTL);
    assert.equal(draft.settings.secretRotationExpirationInSeconds, DEFAULT_ROTATION_GRACE_SECONDS);
    assert.equal(DEFAULT_ACCESS_TOKEN_TTL, 600);
    assert.equal(DEFAULT_REFRESH_TOKEN_TTL, 7_776_000);
    assert.equal(DEFAULT_ROTATION_GRACE_SECONDS, 172_800);
    assert.deepEqual(draft.settings.creatorRoles, ['org_admin', 'developer']);
    assert.equal(draft.publicClient, false);
  });

  it('treats a null field as absent, as Java CSP clients send them', () => {
    const draft = draftFromCreate(serviceAccount({ accessTokenTTL: null, redirectUris: null, publicClient: null }), OWNER);
    assert.equal(draft.settings.accessTokenTTL, DEFAULT_ACCESS_TOKEN_TTL);
    assert.deepEqual(draft.settings.redirectUris, []);
    assert.deepEqual(withoutNulls({ a: 1, b: null }), { a: 1 });
  });

  it('drops duplicate grant types and role bindings', () => {
    const draft = draftFromCreate(serviceAccount({
      grantTypes: ['client_credentials', 'client_credentials'],
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }, { name: 'developer' }] } },
    }), OWNER);
    assert.deepEqual(draft.settings.grantTypes, ['client_credentials']);
    assert.deepEqual(draft.settings.allowedScopes.organizationScopes.roles, [{ name: 'developer' }]);
  });
});

describe('grant types', () => {
  it('accepts authorization_code, refresh_token and client_credentials', () => {
    const draft = draftFromCreate(serviceAccount({ grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], redirectUris: ['https://app.example/cb'] }), OWNER);
    assert.deepEqual(draft.settings.grantTypes, ['authorization_code', 'refresh_token', 'client_credentials']);
  });

  it('refuses password with its own CSP error and anything else as an unsupported grant', () => {
    refused('PASSWORD_GRANT_NOT_SUPPORTED', () => draftFromCreate(serviceAccount({ grantTypes: ['password'] }), OWNER));
    refused('INVALID_GRANT_TYPE', () => draftFromCreate(serviceAccount({ grantTypes: ['implicit'] }), OWNER), /implicit/);
  });

  it('quotes caller input in the message without control characters', () => {
    refused('INVALID_GRANT_TYPE', () => draftFromCreate(serviceAccount({ grantTypes: ['bad\nline'] }), OWNER), /'bad\?line'/);
  });

  it('needs a redirect URI for authorization_code unless open redirects are allowed', () => {
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ grantTypes: ['authorization_code'] }), OWNER), /redirectUris/);
    assert.ok(draftFromCreate(serviceAccount({ grantTypes: ['authorization_code'], allowOpenRedirectUris: true }), OWNER));
  });
});

describe('TTLs', () => {
  it('refuses a refresh TTL that does not exceed the access TTL, including after a PATCH', () => {
    refused('INVALID_TOKEN_TTL', () => draftFromCreate(serviceAccount({ accessTokenTTL: 600, refreshTokenTTL: 600 }), OWNER));
    assert.ok(draftFromCreate(serviceAccount({ accessTokenTTL: 600, refreshTokenTTL: 601 }), OWNER));
    const existing = draftFromCreate(serviceAccount({ accessTokenTTL: 600, refreshTokenTTL: 1200 }), OWNER);
    refused('INVALID_TOKEN_TTL', () => draftFromUpdate(existing, { accessTokenTTL: 1200 }));
    assert.equal(draftFromUpdate(existing, { accessTokenTTL: 1199 }).settings.accessTokenTTL, 1199);
  });
});

describe('redirect URIs', () => {
  it('refuses relative URIs and fragments', () => {
    for (const uri of ['/callback', 'https://app.example/cb#frag', 'not a uri']) {
      refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ redirectUris: [uri] }), OWNER));
    }
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ postLogoutRedirectUris: ['/bye'] }), OWNER));
  });

  it('excludes redirectUris when open redirects are allowed', () => {
    refused('OPEN_REDIRECT_RULE', () => draftFromCreate(serviceAccount({ allowOpenRedirectUris: true, redirectUris: ['https://app.example/cb'] }), OWNER));
  });

  it('never switches open redirects on after creation, but may switch them off', () => {
    const closed = draftFromCreate(serviceAccount(), OWNER);
    refused('OPEN_REDIRECT_RULE', () => draftFromUpdate(closed, { allowOpenRedirectUris: true }));
    const open = draftFromCreate(serviceAccount({ allowOpenRedirectUris: true }), OWNER);
    assert.equal(draftFromUpdate(open, { allowOpenRedirectUris: false }).settings.allowOpenRedirectUris, false);
  });
});

describe('public clients', () => {
  const pkceApp = (extra: Partial<OrgOAuthAppRequest> = {}) => serviceAccount({
    publicClient: true, grantTypes: ['authorization_code'], redirectUris: ['https://spa.example/cb'], ...extra,
  });

  it('always use PKCE and have no secret', () => {
    assert.equal(draftFromCreate(pkceApp(), OWNER).settings.forcePkce, true);
    refused('PUBLIC_CLIENT_RULE', () => draftFromCreate(pkceApp({ forcePkce: false }), OWNER));
    refused('PUBLIC_CLIENT_RULE', () => draftFromCreate(pkceApp({ secret: 'Aa1!aaaa' }), OWNER));
  });

  it('use authorization_code, optionally with refresh_token, and nothing else', () => {
    assert.ok(draftFromCreate(pkceApp({ grantTypes: ['authorization_code', 'refresh_token'] }), OWNER));
    refused('PUBLIC_CLIENT_RULE', () => draftFromCreate(pkceApp({ grantTypes: ['authorization_code', 'client_credentials'] }), OWNER));
    refused('PUBLIC_CLIENT_RULE', () => draftFromCreate(pkceApp({ grantTypes: ['refresh_token'] }), OWNER));
  });

  it('stay public or confidential for life, and a PATCH cannot give one a secret or drop PKCE', () => {
    const app = draftFromCreate(pkceApp(), OWNER);
    refused('APP_RULE_VIOLATION', () => draftFromUpdate(app, { publicClient: false }));
    refused('PUBLIC_CLIENT_HAS_NO_SECRET', () => draftFromUpdate(app, { secret: 'Aa1!aaaa' }));
    assert.equal(draftFromUpdate(app, { forcePkce: false }).settings.forcePkce, true);
    refused('APP_RULE_VIOLATION', () => draftFromUpdate(draftFromCreate(serviceAccount(), OWNER), { publicClient: true }));
  });
});

describe('scopes', () => {
  it('refuses roles alongside allRoles, and permissions alongside allPermissions', () => {
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ allowedScopes: { organizationScopes: { allRoles: true, roles: [{ name: 'developer' }] } } }), OWNER));
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ allowedScopes: { organizationScopes: { allPermissions: true, permissions: ['x'] } } }), OWNER));
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ allowedScopes: { servicesScopes: [{ serviceDefinitionId: 'svc', allRoles: true, roles: [{ name: 'viewer' }] }] } }), OWNER));
  });

  it('accepts only organization roles an app may hold', () => {
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ allowedScopes: { organizationScopes: { roles: [{ name: 'god' }] } } }), OWNER), /'god'/);
    assert.ok(draftFromCreate(serviceAccount({ allowedScopes: { organizationScopes: { roles: [{ name: 'billing_read_only' }] } } }), OWNER));
  });

  it('refuses general scopes that read as a permission or are not one scope word', () => {
    for (const scope of ['csp:org_owner', 'CSP:org_owner', 'external/svc/admin', 'two words']) {
      refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ allowedScopes: { generalScopes: [scope] } }), OWNER));
    }
    assert.ok(draftFromCreate(serviceAccount({ allowedScopes: { generalScopes: ['openid'] } }), OWNER));
  });

  it('refuses allowedOrgs, which only a service organization may set', () => {
    refused('APP_RULE_VIOLATION', () => draftFromCreate(serviceAccount({ allowedOrgs: ['another-org'] }), OWNER));
  });
});

describe('caller-supplied secret complexity', () => {
  it('needs 8 to 256 characters with lower, upper, digit and special, and no control characters', () => {
    assert.equal(meetsComplexityRule('Aa1!aaaa'), true);
    assert.equal(meetsComplexityRule('Aa1!aaa'), false); // 7 characters
    assert.equal(meetsComplexityRule(`Aa1!${'a'.repeat(252)}`), true);
    assert.equal(meetsComplexityRule(`Aa1!${'a'.repeat(253)}`), false); // 257 characters
    assert.equal(meetsComplexityRule('aa1!aaaa'), false); // no upper case
    assert.equal(meetsComplexityRule('AA1!AAAA'), false); // no lower case
    assert.equal(meetsComplexityRule('Aaa!aaaa'), false); // no digit
    assert.equal(meetsComplexityRule('Aa1aaaaa'), false); // no special character
    assert.equal(meetsComplexityRule('Aa1!aaa\n'), false);
  });
});
