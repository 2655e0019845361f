// What a service account (an app using client_credentials) is granted (docs/design.md §2).
import { rolesToPerms } from '../identity/roles.js';
import type { AppSettings } from './settings.js';

/** Org role names the app holds: its listed roles, or with allRoles every org role its creator held. */
export function appOrgRoles(settings: AppSettings): string[] {
  const org = settings.allowedScopes.organizationScopes;
  return org.allRoles ? [...settings.creatorRoles] : [...new Set(org.roles.map((r) => r.name))];
}

/**
 * Service role names and serviceDefinitionIds become part of one `scope` word: no whitespace or
 * slash (a second word, or an ambiguous path), and nothing that reads as a permission of its own.
 */
const SCOPE_SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isScopeSafeName(name: string): boolean {
  return SCOPE_SAFE_NAME.test(name) && !name.toLowerCase().startsWith('csp:');
}

/**
 * The `perms` claim: `csp:<role>` per org role, `external/<serviceDefinitionId>/<role>` per service
 * role. Names stored before the scope-safe rule existed are left out, never split into other words.
 */
export function appPerms(settings: AppSettings): string[] {
  const perms = rolesToPerms(appOrgRoles(settings));
  for (const service of settings.allowedScopes.servicesScopes) {
    if (!isScopeSafeName(service.serviceDefinitionId)) continue;
    for (const role of service.roles) {
      if (isScopeSafeName(role.name)) perms.push(`external/${service.serviceDefinitionId}/${role.name}`);
    }
  }
  return [...new Set(perms)];
}

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * A general scope is a plain OAuth scope word. It may not look like a permission (`csp:…`,
 * `external/…`): a resource server reading the token's `scope` instead of `perms` must not be
 * fooled into granting a role the app does not hold. One scope-token: `scope` is space-separated.
 */
export function isGrantableGeneralScope(scope: string): boolean {
  const lower = scope.toLowerCase();
  return SCOPE_TOKEN.test(scope) && !lower.startsWith('csp:') && !lower.startsWith('external/');
}


/** The token's `scope`: the general scopes, then the permissions. */
export function appScope(settings: AppSettings, perms: readonly string[]): string {
  return [...settings.allowedScopes.generalScopes.filter(isGrantableGeneralScope), ...perms].join(' ');
}
