// The management API's guard (docs/design.md §2 access policy): a valid token, for the path's org, holding
// org_owner, org_admin or developer. Runs at onRequest, so 401/403 come before any body is read.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { fail, isOrgAuthError } from '../errors/errors.js';
import type { RequestActor } from '../audit/record.js';
import { resolveCaller, type Caller } from '../tokens/caller.js';
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
  }
  interface FastifyContextConfig {
    /** The route's access rule, read by the guard; absent means the access policy of the app operations (docs/design.md §2). */
    access?: AccessRule;
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
  return async function guard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const options: AccessRule = request.routeOptions.config.access ?? {};
    const anyOf = options.anyOf ?? APP_MANAGER_PERMS;
    const token = bearerToken(request);
    if (!token) throw fail('UNAUTHORIZED', 'An access token is required (Authorization: Bearer or csp-auth-token)', { 'www-authenticate': bearerChallenge() });
    const caller = await resolveCaller(services.tokens, token).catch((error: unknown) => {
      if (isOrgAuthError(error) && error.entry.status === 401) {
        throw fail(error.errorName, error.message, { ...error.headers, 'www-authenticate': bearerChallenge('invalid_token', error.message) });
      }
      throw error;
    });
    request.caller = caller;
    const orgId = (request.params as { orgId?: string } | undefined)?.orgId;
    if (orgId !== undefined && orgId !== caller.orgId) throw fail('FORBIDDEN', 'The access token is for another organization');
    if (options.usersOnly && caller.kind !== 'user') throw fail('FORBIDDEN', 'Service-account tokens cannot use this operation');
    if (!caller.perms.some((perm) => anyOf.includes(perm))) {
      const message = `The caller needs one of the roles ${anyOf.map((p) => p.replace('csp:', '')).join(', ')}`;
      throw fail('FORBIDDEN', message, { 'www-authenticate': bearerChallenge('insufficient_scope', message) });
    }
  };
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
