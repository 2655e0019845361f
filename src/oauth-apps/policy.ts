// The access policy of the management API (docs/design.md §2) as one table: which operation judges
// the app's org roles before the change, after it, and ownerOnlySecretRotation. Every management
// operation asks `decide`; the auth guard has already checked the caller's org and its
// owner/admin/developer role.
//
// The rule the table encodes: whoever can change an app or its secrets can act as the app, so a
// caller may never touch an app whose current or resulting org roles rank above its own
// (org_owner > org_admin > developer = org_member). Reading an app is not touching it, but reading
// its secrets' metadata (ids, hints, last use) is where a take-over starts: it follows the rank rule.
import type { ErrorName } from '../errors/catalogue.js';
import { fail } from '../errors/errors.js';
import { highestRank, OWNER_ROLE, ROLE_RANK } from '../identity/roles.js';
import { appOrgRoles } from './grants.js';
import type { AppSettings } from './settings.js';

export type AppOperation =
  | 'create' | 'get' | 'list' | 'search' | 'update' | 'delete'
  | 'regenerate' | 'rotate' | 'deleteOld' | 'listSecrets';

/** The org roles an app holds, and whether they come from `allRoles` (its creator's roles). */
export interface AppHolding {
  readonly roles: readonly string[];
  readonly viaAllRoles: boolean;
  readonly ownerOnlySecretRotation: boolean;
}

export interface PolicyQuestion {
  readonly operation: AppOperation;
  readonly callerRoles: readonly string[];
  /** The app as it is; absent for create, list and search. */
  readonly before?: AppHolding | undefined;
  /** The app as the change would leave it; create and update only. */
  readonly after?: AppHolding | undefined;
  /** Update only: the change sets a new secret (PATCH `secret`). */
  readonly setsSecret?: boolean;
}

export type PolicyDecision =
  | { readonly allow: true }
  | { readonly allow: false; readonly error: ErrorName; readonly reason: string };

interface OperationRule {
  /** The app's current roles may not rank above the caller's. */
  readonly rankBefore: boolean;
  /** The roles the change leaves the app with may not rank above the caller's. */
  readonly rankAfter: boolean;
  /** With ownerOnlySecretRotation on, only an owner may do this. `ifSecret`: only when a secret is set. */
  readonly ownerOnly: 'always' | 'ifSecret' | 'never';
}

/** One row per operation; read top to bottom, a refusal is the first rule that fails. */
export const ACCESS_POLICY: Readonly<Record<AppOperation, OperationRule>> = {
  create: { rankBefore: false, rankAfter: true, ownerOnly: 'never' },
  get: { rankBefore: false, rankAfter: false, ownerOnly: 'never' },
  list: { rankBefore: false, rankAfter: false, ownerOnly: 'never' },
  search: { rankBefore: false, rankAfter: false, ownerOnly: 'never' },
  update: { rankBefore: true, rankAfter: true, ownerOnly: 'ifSecret' },
  // Deleting an owner-only app lets the caller re-create its id with a secret of its own.
  delete: { rankBefore: true, rankAfter: false, ownerOnly: 'always' },
  regenerate: { rankBefore: true, rankAfter: false, ownerOnly: 'always' },
  rotate: { rankBefore: true, rankAfter: false, ownerOnly: 'always' },
  deleteOld: { rankBefore: true, rankAfter: false, ownerOnly: 'always' },
  listSecrets: { rankBefore: true, rankAfter: false, ownerOnly: 'never' },
};

const ALLOW: PolicyDecision = { allow: true };

export function decide(question: PolicyQuestion): PolicyDecision {
  const rule = ACCESS_POLICY[question.operation];
  const isOwner = question.callerRoles.includes(OWNER_ROLE);
  if (rule.rankBefore && question.before) {
    const refused = rankRefusal(question.callerRoles, question.before, 'holds');
    if (refused) return refused;
  }
  if (rule.rankAfter && question.after) {
    const refused = rankRefusal(question.callerRoles, question.after, question.operation === 'create' ? 'would hold' : 'would then hold');
    if (refused) return refused;
  }
  if (!isOwner && question.before?.ownerOnlySecretRotation) {
    if (rule.ownerOnly === 'always' || (rule.ownerOnly === 'ifSecret' && question.setsSecret)) {
      return { allow: false, error: 'SECRET_CHANGE_OWNER_ONLY', reason: 'Only an organization owner may change the secrets of this app (ownerOnlySecretRotation)' };
    }
    // The owners' lock on the secrets is theirs to lift: anyone may switch it on, only an owner off.
    if (question.operation === 'update' && question.after && !question.after.ownerOnlySecretRotation) {
      return { allow: false, error: 'SECRET_CHANGE_OWNER_ONLY', reason: 'Only an organization owner may switch off ownerOnlySecretRotation' };
    }
  }
  return ALLOW;
}

/**
 * An add-on role an app may hold (billing_read_only, support_user, …) ranks with org_admin: a
 * developer holds none of them, so it may not give one to an app either.
 */
const ADD_ON_ROLE_RANK = ROLE_RANK.org_admin ?? 2;

export function appRoleRank(role: string): number {
  return ROLE_RANK[role] ?? ADD_ON_ROLE_RANK;
}

function rankRefusal(callerRoles: readonly string[], app: AppHolding, verb: string): PolicyDecision | undefined {
  const callerRank = highestRank(callerRoles);
  const above = app.roles.find((role) => appRoleRank(role) > callerRank);
  if (above === undefined) return undefined;
  return {
    allow: false,
    error: app.viaAllRoles ? 'ESCALATION_ALL_ROLES' : 'ESCALATION_ORG_ROLE',
    reason: `The app ${verb} the role '${above}', which is above the caller's own`,
  };
}

/** What the policy judges of an app's settings. */
export function holdingOf(settings: AppSettings): AppHolding {
  return {
    roles: appOrgRoles(settings),
    viaAllRoles: settings.allowedScopes.organizationScopes.allRoles,
    ownerOnlySecretRotation: settings.ownerOnlySecretRotation,
  };
}

/** `decide`, throwing the catalogue error of a refusal. */
export function enforce(question: PolicyQuestion): void {
  const decision = decide(question);
  if (!decision.allow) throw fail(decision.error, decision.reason);
}
