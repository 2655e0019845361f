// The rules an OAuth app must satisfy (docs/design.md §5.3); who may do what is in policy.ts.
// Turns a create or update request into the settings to store, or throws the catalogue error.
import { fail } from '../errors/errors.js';
import { ROLE_RANK } from '../identity/roles.js';
import type { OrgOAuthAppRequest, OrgOAuthAppUpdateRequest } from './schemas.js';
import { isGrantableGeneralScope, isScopeSafeName } from './grants.js';
import { checkDisplayName } from './display-name.js';
import { DEFAULT_SETTINGS, type AllowedScopes, type AppSettings, type RoleBinding } from './settings.js';

export const SUPPORTED_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const PUBLIC_CLIENT_GRANT_TYPES = ['authorization_code', 'refresh_token'];

/** Organization roles an app may hold: the org roles and the add-ons CSP documents. */
const ASSIGNABLE_ORG_ROLES = new Set([
  ...Object.keys(ROLE_RANK), 'billing_read_only', 'support_user', 'access_log_auditor', 'software_installer',
]);

const SCOPE_SAFE_RULE = 'must be 1 to 128 of A-Z a-z 0-9 . _ : - (starting with a letter or digit, not csp:)';

export interface AppDraft {
  displayName: string;
  publicClient: boolean;
  settings: AppSettings;
}

type ScopesInput = OrgOAuthAppRequest['allowedScopes'];

/** Removes nulls: a CSP client's `"field": null` means the field is absent. */
export function withoutNulls<T extends object>(body: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}

export function draftFromCreate(input: OrgOAuthAppRequest, creatorRoles: readonly string[]): AppDraft {
  const body = withoutNulls(input);
  checkDisplayName(body.displayName);
  const publicClient = body.publicClient ?? false;
  const settings: AppSettings = {
    ...DEFAULT_SETTINGS,
    ...pickSettings(body),
    description: body.description,
    grantTypes: unique(body.grantTypes),
    allowedScopes: normalizeScopes(body.allowedScopes),
    creatorRoles: [...creatorRoles],
  };
  if (publicClient) {
    if (body.forcePkce === false) throw fail('PUBLIC_CLIENT_RULE', 'A public client must use PKCE (forcePkce cannot be false)');
    if (body.secret !== undefined) throw fail('PUBLIC_CLIENT_RULE', 'A public client has no secret; remove "secret"');
    settings.forcePkce = true;
  }
  const draft = { displayName: body.displayName, publicClient, settings };
  checkAppRules(draft);
  return draft;
}

export function draftFromUpdate(existing: AppDraft, input: OrgOAuthAppUpdateRequest): AppDraft {
  const body = withoutNulls(input);
  // A name stored before the rule existed may be sent back unchanged.
  if (body.displayName !== undefined && body.displayName !== existing.displayName) checkDisplayName(body.displayName);
  if (body.publicClient !== undefined && body.publicClient !== existing.publicClient) {
    throw fail('APP_RULE_VIOLATION', 'publicClient cannot change after the app is created');
  }
  if (body.allowOpenRedirectUris === true && !existing.settings.allowOpenRedirectUris) {
    throw fail('OPEN_REDIRECT_RULE', 'allowOpenRedirectUris cannot be switched on after the app is created');
  }
  if (existing.publicClient && body.secret !== undefined) throw fail('PUBLIC_CLIENT_HAS_NO_SECRET');
  const settings: AppSettings = {
    ...existing.settings,
    ...pickSettings(body),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.grantTypes !== undefined ? { grantTypes: unique(body.grantTypes) } : {}),
    ...(body.allowedScopes !== undefined ? { allowedScopes: normalizeScopes(body.allowedScopes) } : {}),
  };
  if (existing.publicClient) settings.forcePkce = true;
  const draft = { displayName: body.displayName ?? existing.displayName, publicClient: existing.publicClient, settings };
  checkAppRules(draft);
  return draft;
}

export function checkAppRules({ publicClient, settings }: AppDraft): void {
  for (const grant of settings.grantTypes) {
    if (grant === 'password') throw fail('PASSWORD_GRANT_NOT_SUPPORTED');
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grant)) {
      throw fail('INVALID_GRANT_TYPE', `grantTypes: '${printable(grant)}' is not one of ${SUPPORTED_GRANT_TYPES.join(', ')}`);
    }
  }
  if (settings.refreshTokenTTL <= settings.accessTokenTTL) throw fail('INVALID_TOKEN_TTL');
  if (settings.allowOpenRedirectUris && settings.redirectUris.length > 0) {
    throw fail('OPEN_REDIRECT_RULE', 'redirectUris must be empty when allowOpenRedirectUris is true');
  }
  for (const uri of [...settings.redirectUris, ...settings.postLogoutRedirectUris]) {
    if (!isAbsoluteUriWithoutFragment(uri)) throw fail('APP_RULE_VIOLATION', `'${printable(uri)}' is not an absolute URI without a fragment`);
    if (!isAllowedRedirectScheme(uri)) {
      throw fail('APP_RULE_VIOLATION', `'${printable(uri)}': a redirect URI must use https, http on a loopback address, or a private-use scheme such as com.example.app:/`);
    }
  }
  if (settings.grantTypes.includes('authorization_code') && settings.redirectUris.length === 0 && !settings.allowOpenRedirectUris) {
    throw fail('APP_RULE_VIOLATION', 'authorization_code needs at least one entry in redirectUris');
  }
  if (publicClient) {
    if (!settings.grantTypes.includes('authorization_code') || settings.grantTypes.some((g) => !PUBLIC_CLIENT_GRANT_TYPES.includes(g))) {
      throw fail('PUBLIC_CLIENT_RULE', 'A public client may only use authorization_code (and refresh_token)');
    }
  }
  if (settings.allowedOrgs.length > 0) {
    throw fail('APP_RULE_VIOLATION', 'allowedOrgs can only be set by a service organization');
  }
  const orgScopes = settings.allowedScopes.organizationScopes;
  if (orgScopes.allRoles && orgScopes.roles.length > 0) throw fail('APP_RULE_VIOLATION', 'organizationScopes.roles must be empty when allRoles is true');
  if (orgScopes.allPermissions && orgScopes.permissions.length > 0) throw fail('APP_RULE_VIOLATION', 'organizationScopes.permissions must be empty when allPermissions is true');
  for (const role of orgScopes.roles) {
    if (!ASSIGNABLE_ORG_ROLES.has(role.name)) throw fail('APP_RULE_VIOLATION', `'${printable(role.name)}' is not an organization role`);
  }
  for (const scope of settings.allowedScopes.generalScopes) {
    if (!isGrantableGeneralScope(scope)) {
      throw fail('APP_RULE_VIOLATION', `generalScopes: '${printable(scope)}' must be one word and not a permission (csp:…, external/…)`);
    }
  }
  for (const service of settings.allowedScopes.servicesScopes) {
    if (service.allRoles && service.roles.length > 0) throw fail('APP_RULE_VIOLATION', 'servicesScopes[].roles must be empty when allRoles is true');
    // Each becomes part of one `scope` word, external/<serviceDefinitionId>/<role>: a space, a slash
    // or a csp: prefix could make a word naming a role the app does not hold.
    if (!isScopeSafeName(service.serviceDefinitionId)) {
      throw fail('APP_RULE_VIOLATION', `servicesScopes[].serviceDefinitionId: '${printable(service.serviceDefinitionId)}' ${SCOPE_SAFE_RULE}`);
    }
    for (const role of service.roles) {
      if (!isScopeSafeName(role.name)) throw fail('APP_RULE_VIOLATION', `servicesScopes[].roles[].name: '${printable(role.name)}' ${SCOPE_SAFE_RULE}`);
    }
  }
}

function pickSettings(body: Partial<Record<keyof AppSettings, unknown>>): Partial<AppSettings> {
  const keys: (keyof AppSettings)[] = [
    'redirectUris', 'postLogoutRedirectUris', 'allowOpenRedirectUris', 'accessTokenTTL', 'refreshTokenTTL', 'allowedOrgs',
    'forcePkce', 'maxGroupsInIdToken', 'maxCharactersInAccessToken', 'maxAdditionalAttributesInIdToken',
    'additionalAttributeMasks', 'groupDomainAppendedInIDToken', 'allowedActorsClientDelegate', 'allowedActorsAudienceExchange',
    'crossOrgAccessClaimsSupported', 'isHidden', 'ownerOnlySecretRotation', 'secretRotationExpirationInSeconds',
    'useCspIssuerUrl', 'serviceDefinitionId',
  ];
  return Object.fromEntries(keys.filter((k) => body[k] !== undefined).map((k) => [k, body[k]])) as Partial<AppSettings>;
}

function normalizeScopes(input: ScopesInput): AllowedScopes {
  const scopes = withoutNulls(input);
  const org = withoutNulls(scopes.organizationScopes ?? {});
  return {
    generalScopes: unique(scopes.generalScopes ?? []),
    organizationScopes: {
      allRoles: org.allRoles ?? false,
      allPermissions: org.allPermissions ?? false,
      ...(org.keptInToken ? { keptInToken: org.keptInToken } : {}),
      roles: normalizeRoles(org.roles ?? []),
      permissions: org.permissions ?? [],
    },
    servicesScopes: (scopes.servicesScopes ?? []).map((raw) => {
      const service = withoutNulls(raw);
      return {
        serviceDefinitionId: service.serviceDefinitionId,
        allRoles: service.allRoles ?? false,
        allPermissions: service.allPermissions ?? false,
        ...(service.keptInToken ? { keptInToken: service.keptInToken } : {}),
        roles: normalizeRoles(service.roles ?? []),
        permissions: service.permissions ?? [],
      };
    }),
  };
}

function normalizeRoles(roles: readonly { name: string; resource?: string | null }[]): RoleBinding[] {
  const seen = new Set<string>();
  const result: RoleBinding[] = [];
  for (const role of roles) {
    const key = `${role.name}\u0000${role.resource ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(role.resource ? { name: role.name, resource: role.resource } : { name: role.name });
  }
  return result;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#') && url.protocol.length > 1;
  } catch {
    return false;
  }
}

/**
 * RFC 8252 and OAuth security BCP: https; http only to a loopback address (native apps listening on
 * the device); a private-use scheme in reverse-domain form (it contains a dot). Everything else —
 * javascript:, data:, file:, plain http to a host — could run script or leak the code.
 */
function isAllowedRedirectScheme(value: string): boolean {
  const url = new URL(value);
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https') return true;
  if (scheme === 'http') return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  return scheme.includes('.');
}

/** Caller input quoted in an error message: bounded and without control characters. */
function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 100);
}
