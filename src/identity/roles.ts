// Organization roles, the `perms` they put in a token, and their order for the no-escalation rule.
import type { OrgRole } from '../db/schema.js';

export const ORG_ROLES: readonly OrgRole[] = ['org_owner', 'org_admin', 'org_member'];
export const DEVELOPER_ROLE = 'developer';
export const OWNER_ROLE = 'org_owner';

/** Roles that may use the organization-managed OAuth app API (seed: Access Policy). */
export const APP_MANAGER_PERMS: readonly string[] = ['csp:org_owner', 'csp:org_admin', 'csp:developer'];

/** Roles that manage the organization itself: read its audit log, revoke tokens issued to others. */
export const ORG_MANAGER_ROLES: readonly string[] = ['org_owner', 'org_admin'];

/** Rank used by the no-escalation rule: owner > admin > developer = member. */
export const ROLE_RANK: Readonly<Record<string, number>> = {
  org_owner: 3,
  org_admin: 2,
  developer: 1,
  org_member: 1,
};

export function isOrgRole(value: string): value is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(value);
}

export function membershipRoles(orgRole: OrgRole, developer: boolean): string[] {
  return developer ? [orgRole, DEVELOPER_ROLE] : [orgRole];
}

export function rolesToPerms(roles: readonly string[]): string[] {
  return roles.map((role) => `csp:${role}`);
}

/** Highest rank among the given role names (0 when none is an org role). */
export function highestRank(roles: readonly string[]): number {
  return Math.max(0, ...roles.map((role) => ROLE_RANK[role] ?? 0));
}
