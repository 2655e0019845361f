// Who a request counts against (docs/design.md §7): the token subject on the management API, the client id
// at the token endpoints, the source address when neither is known.
import type { FastifyRequest } from 'fastify';
import { presentedClient, type TokenParams } from '../tokens/client-auth.js';
import type { Caller } from '../tokens/caller.js';

/** Longer "client ids" than any valid one are not trusted as keys: they fall back to the address. */
const MAX_KEY_ID_LENGTH = 256;

export function addressKey(request: FastifyRequest): string {
  return `addr:${request.ip}`;
}

/**
 * Token-endpoint requests that claimed a client but did not authenticate, per source address: its
 * own key, so an address's API-token exchanges and its failed client authentications do not spend
 * each other's budget.
 */
export function unauthenticatedKey(request: FastifyRequest): string {
  return `unauthenticated:${request.ip}`;
}

/** Management API: runs after the auth guard, so an authenticated caller is known. */
export function callerKey(request: FastifyRequest): string {
  const caller = request.caller;
  return caller ? callerKeyOf(caller) : addressKey(request);
}

export function callerKeyOf(caller: Pick<Caller, 'kind' | 'subject'>): string {
  return `${caller.kind}:${caller.subject}`;
}

/**
 * Token endpoints: the client id the request claims (Basic or `client_id`), read exactly as client
 * authentication reads it, else the address. Claimed, not verified: counting happens before the secret is checked.
 */
export function clientKey(request: FastifyRequest): string {
  const id = claimedClientId(request);
  return id !== undefined && id.length > 0 && id.length <= MAX_KEY_ID_LENGTH ? `client:${id}` : addressKey(request);
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client id the request claims, once asked (claimedClientId); a request decoration
     * (server.ts), undefined until then.
     */
    claimedClient: { readonly id: string | undefined } | undefined;
  }
}

// Read once per request: the token budget, the failure budget and its key all ask, and parsing
// the Basic header (base64, two percent-decodings) each time was measurable on the token path.
// The body is parsed before any of them ask (preValidation), so the answer cannot change.
export function claimedClientId(request: FastifyRequest): string | undefined {
  request.claimedClient ??= { id: readClaimedClientId(request) };
  return request.claimedClient.id;
}

function readClaimedClientId(request: FastifyRequest): string | undefined {
  try {
    return presentedClient(request.headers.authorization, stringParams(request))?.clientId;
  } catch {
    return undefined; // malformed credentials: the route answers them; the address is the key
  }
}

function stringParams(request: FastifyRequest): TokenParams {
  const params: Record<string, string> = {};
  for (const source of [request.query, request.body]) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (typeof value === 'string') params[name] = value;
    }
  }
  return params;
}
