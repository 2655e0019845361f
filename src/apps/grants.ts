// What a service account (an app using client_credentials) is granted (SPEC §2).
import { rolesToPerms } from '../identity/roles.js';
import type { AppSettings } from './settings.js';

/** Org role names the app holds: its listed roles, or with allRoles every org role its creator held. */
export function appOrgRoles(settings: AppSettings): string[] {
  const org = settings.allowedScopes.organizationScopes;
  return org.allRoles ? [...settings.creatorRoles] : [...new Set(org.roles.map((r) => r.name))];
}

/** The `perms` claim: `csp:<role>` per org role, `external/<serviceDefinitionId>/<role>` per service role. */
export function appPerms(settings: AppSettings): string[] {
  const perms = rolesToPerms(appOrgRoles(settings));
  for (const service of settings.allowedScopes.servicesScopes) {
    for (const role of service.roles) perms.push(`external/${service.serviceDefinitionId}/${role.name}`);
  }
  return [...new Set(perms)];
}
