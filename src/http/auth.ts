// The management API's guard (docs/design.md §2 access policy): a valid token, for the path's org, holding
// org_owner, org_admin or developer. Runs at onRequest, so 401/403 come before any body is read.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { fail, isOrgAuthError } from '../errors/errors.js';
import type { RequestActor } from '../audit/record.js';
import { callerOfClaims, denialsOf, membershipKey, personCaller, serviceCaller, type Caller, type ManagementCopies } from '../tokens/caller.js';
import { verifyAccessToken, type AccessTokenClaims } from '../tokens/claims.js';
import { trustClock, type EpochSeen } from '../redis/epoch-trust.js';
import { APP_ID_PATTERN } from '../oauth-apps/schemas.js';
import { callerKeyOf } from './rate-limit-keys.js';
import { managementGate, type CallerHolder, type ManagementGate } from './rate-limit.js';
import { APP_MANAGER_PERMS } from '../identity/roles.js';
import type { Services } from '../runtime.js';

export interface AccessRule {
  /** Search refuses service-account tokens (docs/design.md §2). */
  readonly usersOnly?: boolean;
  /** Perms of which the caller needs at least one; defaults to the app managers of the Regenerate operation's access policy. */
  readonly anyOf?: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
    /** On a route that reads a copy of its app: that app's epoch, read by the guard before any database read. */
    appEpoch?: EpochSeen;
  }
  interface FastifyContextConfig {
    /** The route's access rule, read by the guard; absent means the access policy of the app operations (docs/design.md §2). */
    access?: AccessRule;
    /** The route reads the app its path names from this node's copies (its epoch is read in the guard's round trip). */
    readsAppCopy?: boolean;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1]) return match[1];
  }
  const legacy = request.headers['csp-auth-token'];
  return typeof legacy === 'string' && legacy.trim() !== '' ? legacy.trim() : undefined;
}

export function requireOrgCaller(services: Services): onRequestAsyncHookHandler {
  const gate = services.managementCopies && services.denials ? managementGate(services) : undefined;
  return async function guard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const rule: AccessRule = request.routeOptions.config.access ?? {};
    const token = bearerToken(request);
    if (!token) throw fail('UNAUTHORIZED', 'An access token is required (Authorization: Bearer or csp-auth-token)', { 'www-authenticate': bearerChallenge() });
    const caller = await resolveManagementCaller(services, gate, request, token, rule).catch((error: unknown) => {
      if (isOrgAuthError(error) && error.entry.status === 401) {
        throw fail(error.errorName, error.message, { ...error.headers, 'www-authenticate': bearerChallenge('invalid_token', error.message) });
      }
      throw error;
    });
    request.caller = caller;
    const refused = refusal(request, caller, rule);
    if (refused) throw refused;
  };
}

/** Why the guard refuses an active caller (403), or undefined. */
function refusal(request: FastifyRequest, caller: Caller, rule: AccessRule): Error | undefined {
  const anyOf = rule.anyOf ?? APP_MANAGER_PERMS;
  const orgId = (request.params as { orgId?: string } | undefined)?.orgId;
  if (orgId !== undefined && orgId !== caller.orgId) return fail('FORBIDDEN', 'The access token is for another organization');
  if (rule.usersOnly && caller.kind !== 'user') return fail('FORBIDDEN', 'Service-account tokens cannot use this operation');
  if (!caller.perms.some((perm) => anyOf.includes(perm))) {
    const message = `The caller needs one of the roles ${anyOf.map((p) => p.replace('csp:', '')).join(', ')}`;
    return fail('FORBIDDEN', message, { 'www-authenticate': bearerChallenge('insufficient_scope', message) });
  }
  return undefined;
}

/**
 * The caller, with one Redis round trip in the steady state (docs/reliability.md, "Management
 * reads: the members epoch"): it reads the revocations epoch, the holder's epoch (the members epoch
 * of the token's org, or a service account's app epoch) and, for a read of one app, that app's
 * epoch — each before any database read of this request — and the denylist check, the membership
 * or app, and the app read are served from this node's copies tagged with those epochs. The same
 * round trip counts the management budget when the copies the caller would be judged by are still
 * current (so a refused request is not counted, as before); else limitManagementApi counts it.
 */
async function resolveManagementCaller(services: Services, gate: ManagementGate | undefined, request: FastifyRequest, token: string, rule: AccessRule): Promise<Caller> {
  const ctx = services.tokens;
  const claims = await verifyAccessToken(ctx.accessTokens, token);
  const { managementCopies: copies, denials } = services;
  if (!gate || !copies || !denials) return callerOfClaims(ctx, claims);
  // Taken before any epoch is read: what is copied under them is distrusted after any Redis trouble from here on.
  const generation = gate.generation();
  const startedAt = trustClock();
  const holder: CallerHolder = claims.acct !== undefined ? { person: true, orgId: claims.context_name } : { person: false, appId: claims.cid };
  const readsAppCopy = request.routeOptions.config.readsAppCopy === true;
  const pathAppId = readsAppCopy ? (request.params as { oauthAppId?: string } | undefined)?.oauthAppId : undefined;
  const appId = pathAppId !== undefined && APP_ID_PATTERN.test(pathAppId) ? pathAppId : undefined;

  let count: { callerKey: string; revocations: string; holder: string } | undefined;
  if (gate.counts) {
    const revocations = denials.epochOf(denialsOf(claims).key, generation);
    const tentative = revocations === undefined ? undefined : tentativeCaller(ctx, claims, copies, generation);
    if (revocations !== undefined && tentative && !refusal(request, tentative.caller, rule)) {
      count = { callerKey: callerKeyOf(tentative.caller), revocations, holder: tentative.epoch };
    }
  }
  const epochs = await gate.read(holder, appId, count);
  // Redis did not answer: nothing is known about the epochs; read the database (limitManagementApi counts).
  if (!epochs) return callerOfClaims(ctx, claims);
  const seen = (epoch: string): EpochSeen => ({ epoch, generation, startedAt });
  if (epochs.counted) request.managementCount = epochs.counted;
  if (epochs.app !== undefined) request.appEpoch = seen(epochs.app);
  return callerOfClaims(ctx, claims, { denials: { cache: denials, seen: seen(epochs.revocations) }, holder: { copies, seen: seen(epochs.holder) } });
}

/** The caller as this node's copies show it, and the epoch they are tagged with; undefined without a copy. */
function tentativeCaller(ctx: Services['tokens'], claims: AccessTokenClaims, copies: ManagementCopies, generation: number): { caller: Caller; epoch: string } | undefined {
  try {
    if (claims.acct !== undefined) {
      // A person's token through an app is judged by the app too: not from copies.
      if (claims.app_instance !== undefined) return undefined;
      const copy = copies.members.get(membershipKey(claims.context_name, claims.sub), generation);
      return copy && { caller: personCaller(claims, copy.value), epoch: copy.tag.epoch };
    }
    const copy = copies.apps.get(claims.cid, generation);
    return copy && { caller: serviceCaller(ctx, claims, copy.value), epoch: copy.tag.epoch };
  } catch {
    return undefined; // the copy shows no active caller: answered after the round trip
  }
}

/**
 * RFC 6750 §3: a request without a token gets the bare challenge; a token that is invalid,
 * expired or revoked gets `invalid_token`; a valid token lacking the role, `insufficient_scope`.
 */
export function bearerChallenge(error?: 'invalid_token' | 'insufficient_scope', description?: string): string {
  const parts = ['Bearer realm="orgauth"'];
  if (error) parts.push(`error="${error}"`);
  // error_description is limited to printable ASCII without `"` and `\` (RFC 6750 §3).
  if (description) parts.push(`error_description="${description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 200)}"`);
  return parts.join(', ');
}

/** The caller as the audit log and the services see it. */
export function actorOf(request: FastifyRequest): RequestActor {
  const caller = request.caller;
  if (!caller) throw new Error('actorOf called on an unauthenticated route');
  return {
    subject: caller.subject,
    kind: caller.kind,
    orgId: caller.orgId,
    roles: caller.roles,
    requestId: request.id,
    sourceAddress: request.ip,
  };
}
