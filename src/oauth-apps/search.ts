// Search by role names (docs/design.md §5.1, search): the apps holding at least one of the given roles, each
// listing all its roles, or only the matching ones with filterResults.
import { fail } from '../errors/errors.js';
import type { OrganizationRow } from '../identity/store.js';
import type { ExpandedAuthClient, ExpandedOrgRoleBinding, ExpandedRoleBinding, SearchClientsByRoleNamesRequest } from './schemas.js';
import type { RoleBinding, SettingsReader } from './settings.js';
import type { AppRow } from './store.js';
import { withoutNulls } from './rules.js';

type SearchType = 'EXACT_MATCH' | 'CONTAINS' | 'STARTS_WITH' | 'ENDS_WITH';

const MATCHERS: Readonly<Record<SearchType, (value: string, term: string) => boolean>> = {
  EXACT_MATCH: (value, term) => value === term,
  CONTAINS: (value, term) => value.includes(term),
  STARTS_WITH: (value, term) => value.startsWith(term),
  ENDS_WITH: (value, term) => value.endsWith(term),
};

/** The names CSP's console shows for the organization roles an app can hold. */
const ORG_ROLE_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  org_owner: 'Organization Owner',
  org_admin: 'Organization Administrator',
  org_member: 'Organization Member',
  developer: 'Developer',
  billing_read_only: 'Billing Read-only',
  support_user: 'Support User',
  access_log_auditor: 'Access Log Auditor',
  software_installer: 'Software Installer',
};

/** CSP's short form of an organization id; orgauth derives it from the GUID's first group. */
export function orgShortId(orgId: string): string {
  return (orgId.split('-')[0] ?? orgId).toLowerCase();
}

export interface SearchCriteria {
  readonly orgRoleNames: readonly string[];
  readonly serviceRoles: ReadonlyMap<string, readonly string[]>;
  readonly customRoleNames: readonly string[];
  readonly matchName: (value: string, term: string) => boolean;
  readonly matchResource: (resource: string | undefined) => boolean;
}

export function searchCriteria(input: SearchClientsByRoleNamesRequest): SearchCriteria {
  const body = withoutNulls(input);
  if (body.resource !== undefined && body.resourceStartsWith !== undefined) {
    throw fail('BAD_REQUEST', 'resource and resourceStartsWith cannot be used together');
  }
  const terms = withoutNulls(body.rolesSearchTerm ?? {});
  const serviceRoles = new Map<string, string[]>();
  for (const service of terms.serviceRoles ?? []) {
    serviceRoles.set(service.serviceDefinitionId, (service.serviceRoles ?? []).map((r) => r.roleName));
  }
  const resource = body.resource;
  const prefix = body.resourceStartsWith;
  return {
    orgRoleNames: (terms.orgRoles ?? []).map((r) => r.roleName),
    serviceRoles,
    customRoleNames: (terms.customRoles ?? []).map((r) => r.roleName),
    matchName: MATCHERS[body.searchType ?? 'EXACT_MATCH'],
    // No resource given: every assignment; an empty resource: unscoped assignments only.
    matchResource: (value) => prefix !== undefined ? (value ?? '').startsWith(prefix)
      : resource === undefined ? true
        : resource === '' ? value === undefined : value === resource,
  };
}

/** The app as a search hit, or undefined when it holds none of the searched roles. */
export function searchHit(settingsReader: SettingsReader, app: AppRow, org: OrganizationRow, criteria: SearchCriteria, filterResults: boolean): ExpandedAuthClient | undefined {
  const settings = settingsReader.read(app);
  // A role of an app is granted with the app and changed with it; it never expires on its own.
  const expand = (role: RoleBinding): ExpandedRoleBinding => ({
    name: role.name,
    resource: role.resource ?? null,
    membershipType: 'DIRECT',
    createdBy: app.created_by,
    createdDate: String(app.created_at),
    lastUpdatedBy: app.updated_by,
    lastUpdatedDate: String(app.updated_at),
    expiresAt: null,
  });
  const expandOrgRole = (role: RoleBinding): ExpandedOrgRoleBinding => ({ ...expand(role), displayName: ORG_ROLE_DISPLAY_NAMES[role.name] ?? role.name });
  const matches = (names: readonly string[], role: RoleBinding) => criteria.matchResource(role.resource) && names.some((term) => criteria.matchName(role.name, term));

  const orgRoles = settings.allowedScopes.organizationScopes.roles;
  const orgMatches = orgRoles.filter((role) => matches(criteria.orgRoleNames, role));
  const services = settings.allowedScopes.servicesScopes.map((service) => {
    const names = criteria.serviceRoles.get(service.serviceDefinitionId) ?? [];
    return { service, hits: service.roles.filter((role) => matches(names, role)) };
  });
  const anyHit = orgMatches.length > 0 || services.some((s) => s.hits.length > 0);
  if (!anyHit) return undefined;

  const shownServices = services
    .map(({ service, hits }) => ({ service, roles: filterResults ? hits : service.roles }))
    .filter(({ roles }) => roles.length > 0);
  return {
    id: app.id,
    displayName: app.display_name,
    description: settings.description,
    isHidden: settings.isHidden,
    sourceOrg: { orgId: org.id, shortId: orgShortId(org.id), displayName: org.display_name },
    organizationRoles: (filterResults ? orgMatches : orgRoles).map(expandOrgRole),
    serviceRoles: shownServices.map(({ service, roles }) => ({
      serviceDefinitionId: service.serviceDefinitionId,
      serviceRoleNames: roles.map((r) => r.name),
      serviceRoles: roles.map(expand),
    })),
    customRoles: [],
  };
}
