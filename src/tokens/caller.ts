// Who is calling the management API: the access token verified, checked against the denylist,
// and re-read against the live membership or app so a removed user or deleted app is refused at once.
import { fail } from '../errors/errors.js';
import { findAppById, type AppRow } from '../oauth-apps/store.js';
import { findAuthorizationClient } from '../authorization/clients.js';
import { appOrgRoles, appPerms } from '../oauth-apps/grants.js';
import { findMembership, type MembershipRow } from '../identity/store.js';
import { membershipRoles, rolesToPerms } from '../identity/roles.js';
import { verifyAccessToken, type AccessTokenClaims } from './claims.js';
import { isDenied, type DenylistEntry } from '../revocation/denylist.js';
import { denialKey, type DenialCache, type EpochSeen } from '../revocation/denial-cache.js';
import { readThroughCopy, type EpochCopies } from '../redis/epoch-trust.js';
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

/** This node's copies of memberships and apps for the management API, under their epochs (docs/reliability.md). */
export interface ManagementCopies {
  readonly members: EpochCopies<MembershipRow>;
  readonly apps: EpochCopies<AppRow>;
}

/**
 * What the request already knows, read no earlier than the request itself: an app row read during it
 * (or served from a copy its epoch vouched for), the revocations epoch with this node's memory of
 * tokens found not denied under it, and the epoch that vouches for the holder — the members epoch of
 * the token's org for a person's token, the app's epoch for a service account's — with this node's
 * copies. Every revocation that writes an entry looked up here bumps the revocations epoch, and
 * every membership change the members epoch (docs/reliability.md).
 */
export interface KnownNow {
  readonly app?: AppRow;
  readonly denials?: { readonly cache: DenialCache; readonly seen: EpochSeen };
  readonly holder?: { readonly copies: ManagementCopies; readonly seen: EpochSeen };
}

/** The verified claims and the live caller behind an access token; throws a 401 when it is not active. */
export async function inspectAccessToken(ctx: CallerContext, token: string, known: KnownNow = {}): Promise<{ claims: AccessTokenClaims; caller: Caller }> {
  const claims = await verifyAccessToken(ctx.accessTokens, token);
  return { claims, caller: await callerOfClaims(ctx, claims, known) };
}

/** The denylist entries that would refuse the token, and their key in the denial memory. */
export function denialsOf(claims: AccessTokenClaims): { entries: DenylistEntry[]; key: string } {
  const entries: DenylistEntry[] = [{ kind: 'jti', value: claims.jti ?? '' }];
  if (claims.sid) entries.push({ kind: 'sid', value: claims.sid });
  if (claims.ati) entries.push({ kind: 'api_token', value: claims.ati });
  return { entries, key: denialKey(entries) };
}

/** Where a person's membership is copied. */
export function membershipKey(orgId: string, username: string): string {
  return `${orgId} ${username}`;
}

/** The live caller behind verified claims; throws a 401 when the token is denied or its holder gone. */
export async function callerOfClaims(ctx: CallerContext, claims: AccessTokenClaims, known: KnownNow = {}): Promise<Caller> {
  const { db } = ctx;
  const { entries, key: denialKey } = denialsOf(claims);
  const denials = known.denials;
  if (!denials?.cache.knownNotDenied(denialKey, denials.seen)) {
    if (await isDenied(db, entries)) throw fail('UNAUTHORIZED', 'The access token has been revoked');
    denials?.cache.rememberNotDenied(denialKey, denials.seen);
  }
  const holder = known.holder;

  if (claims.acct !== undefined) {
    // A person's token from a sign-in through an app dies with the app, and carries at most the
    // roles the app may carry, whatever the person holds.
    let roleFilter: readonly string[] | 'all' = 'all';
    if (claims.app_instance !== undefined) {
      const client = await findAuthorizationClient(ctx, claims.cid);
      if (client?.appInstance !== claims.app_instance) throw fail('UNAUTHORIZED', 'The client of this token no longer exists');
      roleFilter = client.roleFilter;
    }
    const membership = await readThroughCopy(holder && { copies: holder.copies.members, seen: holder.seen },
      membershipKey(claims.context_name, claims.sub), () => findMembership(db, claims.context_name, claims.sub));
    return personCaller(claims, membership, roleFilter);
  }
  const app = known.app?.id === claims.cid ? known.app
    : await readThroughCopy(holder && { copies: holder.copies.apps, seen: holder.seen }, claims.cid, () => findAppById(db, claims.cid));
  return serviceCaller(ctx, claims, app);
}

/** The caller a person's token stands for, given the membership read for it. */
export function personCaller(claims: AccessTokenClaims, membership: MembershipRow | undefined, roleFilter: readonly string[] | 'all' = 'all'): Caller {
  if (!membership) throw fail('UNAUTHORIZED', 'The user of this token is no longer a member of the organization');
  const held = membershipRoles(membership.org_role, membership.developer === 1);
  const roles = roleFilter === 'all' ? held : held.filter((role) => roleFilter.includes(role));
  return { kind: 'user', subject: claims.sub, orgId: claims.context_name, roles, perms: rolesToPerms(roles), tokenId: claims.jti ?? '' };
}

/** The caller a service account's token stands for, given its app as read for it. */
export function serviceCaller(ctx: Pick<CallerContext, 'settings'>, claims: AccessTokenClaims, app: AppRow | undefined): Caller {
  if (!app || app.org_id !== claims.context_name || app.state !== 'active' || app.instance_id !== claims.app_instance) {
    throw fail('UNAUTHORIZED', 'The client of this token no longer exists');
  }
  const settings = ctx.settings.read(app);
  return { kind: 'service', subject: app.id, orgId: app.org_id, roles: appOrgRoles(settings), perms: appPerms(settings), tokenId: claims.jti ?? '' };
}
