// Who is calling the management API: the access token verified, checked against the denylist,
// and re-read against the live membership or app so a removed user or deleted app is refused at once.
import { fail } from '../errors/errors.js';
import { findAppById, type AppRow } from '../oauth-apps/store.js';
import { findAuthorizationClient } from '../authorization/clients.js';
import { appOrgRoles, appPerms } from '../oauth-apps/grants.js';
import { findMembership } from '../identity/store.js';
import { membershipRoles, rolesToPerms } from '../identity/roles.js';
import { verifyAccessToken, type AccessTokenClaims } from './claims.js';
import { isDenied, type DenylistEntry } from '../revocation/denylist.js';
import type { DenialCache, EpochSeen } from '../revocation/denial-cache.js';
import type { TokensContext } from './context.js';

export interface Caller {
  readonly kind: 'user' | 'service';
  /** Username, or client id of a service account. */
  readonly subject: string;
  readonly orgId: string;
  /** Org roles held now (org_owner, org_admin, org_member, developer, …). */
  readonly roles: readonly string[];
  readonly perms: readonly string[];
  readonly tokenId: string;
}

/** What resolving a caller needs: the tokens domain's context has it all. */
export type CallerContext = Pick<TokensContext, 'db' | 'accessTokens' | 'issuer' | 'settings'>;

export async function resolveCaller(ctx: CallerContext, token: string): Promise<Caller> {
  return (await inspectAccessToken(ctx, token)).caller;
}

/**
 * What the request already knows, read no earlier than the request itself: an app row read during it
 * (or served from a copy its epoch vouched for), and the revocations epoch with this node's memory of
 * tokens found not denied under it. Only a service account's token is looked up in that memory: the
 * revocations that bump the epoch are those that can concern one (docs/reliability.md).
 */
export interface KnownNow {
  readonly app?: AppRow;
  readonly denials?: { readonly cache: DenialCache; readonly seen: EpochSeen };
}

/** The verified claims and the live caller behind an access token; throws a 401 when it is not active. */
export async function inspectAccessToken(ctx: CallerContext, token: string, known: KnownNow = {}): Promise<{ claims: AccessTokenClaims; caller: Caller }> {
  const { db } = ctx;
  const claims = await verifyAccessToken(ctx.accessTokens, token);
  const entries: DenylistEntry[] = [{ kind: 'jti', value: claims.jti ?? '' }];
  if (claims.sid) entries.push({ kind: 'sid', value: claims.sid });
  if (claims.ati) entries.push({ kind: 'api_token', value: claims.ati });
  const denials = claims.acct === undefined && claims.ati === undefined ? known.denials : undefined;
  const denialKey = entries.map((e) => `${e.kind}:${e.value}`).join(' ');
  if (!denials?.cache.knownNotDenied(denialKey, denials.seen)) {
    if (await isDenied(db, entries)) throw fail('UNAUTHORIZED', 'The access token has been revoked');
    denials?.cache.rememberNotDenied(denialKey, denials.seen);
  }

  if (claims.acct !== undefined) {
    // A person's token from a sign-in through an app dies with the app, and carries at most the
    // roles the app may carry, whatever the person holds.
    let roleFilter: readonly string[] | 'all' = 'all';
    if (claims.app_instance !== undefined) {
      const client = await findAuthorizationClient(ctx, claims.cid);
      if (client?.appInstance !== claims.app_instance) throw fail('UNAUTHORIZED', 'The client of this token no longer exists');
      roleFilter = client.roleFilter;
    }
    const membership = await findMembership(db, claims.context_name, claims.sub);
    if (!membership) throw fail('UNAUTHORIZED', 'The user of this token is no longer a member of the organization');
    const held = membershipRoles(membership.org_role, membership.developer === 1);
    const roles = roleFilter === 'all' ? held : held.filter((role) => roleFilter.includes(role));
    return { claims, caller: { kind: 'user', subject: claims.sub, orgId: claims.context_name, roles, perms: rolesToPerms(roles), tokenId: claims.jti ?? '' } };
  }
  const app = known.app?.id === claims.cid ? known.app : await findAppById(db, claims.cid);
  if (!app || app.org_id !== claims.context_name || app.state !== 'active' || app.instance_id !== claims.app_instance) {
    throw fail('UNAUTHORIZED', 'The client of this token no longer exists');
  }
  const settings = ctx.settings.read(app);
  return { claims, caller: { kind: 'service', subject: app.id, orgId: app.org_id, roles: appOrgRoles(settings), perms: appPerms(settings), tokenId: claims.jti ?? '' } };
}
