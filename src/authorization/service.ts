// Decisions of the authorization endpoint (RFC 6749 §4.1.1, CSP's GET /csp/gateway/discovery):
// which request may show a page, which errors go back to the client, which org a person signs in
// to, and the authorization code itself.
import { randomBytes } from 'node:crypto';
import type { AuthorizationContext } from './context.js';
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { sha256Base64url } from '../crypto/hash.js';
import { isGrantableGeneralScope } from '../oauth-apps/grants.js';
import { membershipsOf } from '../signin/store.js';
import type { Session } from '../signin/service.js';
import { findAuthorizationClient, type AuthorizationClient } from './clients.js';
import { isValidChallenge } from './pkce.js';
import { redirectUriAllowed } from './redirect-uri.js';
import { insertCode } from './store.js';

/** Codes live at most a minute (RFC 6749 §4.1.2 recommends at most ten). */
export const CODE_TTL_SECONDS = 60;

/** The authorization request parameters CSP documents for its discovery endpoint. */
export const AUTHORIZATION_PARAMS = ['client_id', 'redirect_uri', 'state', 'orgId', 'orgLink', 'scope', 'nonce', 'code_challenge', 'code_challenge_method', 'response_type'] as const;
export type AuthorizationParams = Partial<Record<(typeof AUTHORIZATION_PARAMS)[number], string>>;

export interface AuthorizationRequest {
  readonly client: AuthorizationClient;
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly orgId: string | undefined;
  readonly scope: readonly string[];
  readonly nonce: string | undefined;
  readonly codeChallenge: string | undefined;
}

/** An error that goes back to the client by redirect (RFC 6749 §4.1.2.1). */
export class AuthorizationRedirectError extends Error {
  override name = 'AuthorizationRedirectError';
  constructor(readonly error: string, readonly description: string, readonly redirectUri: string, readonly state: string | undefined) {
    super(description);
  }
}

/** Scopes that need no grant: the OpenID scope and the request for a refresh token. */
const ALWAYS_ALLOWED_SCOPES = new Set(['openid', 'offline_access']);

/**
 * Reads the raw query or form values (each must be given at most once, as a string). Throws a
 * page error while the client or redirect URI is not established, an AuthorizationRedirectError after.
 */
export async function validateAuthorizationRequest(ctx: AuthorizationContext, raw: Readonly<Record<string, unknown>>): Promise<AuthorizationRequest> {
  const params: AuthorizationParams = {};
  let repeated: string | undefined;
  for (const name of AUTHORIZATION_PARAMS) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') repeated ??= name;
    else if (value !== '') params[name] = value;
  }
  const clientId = params.client_id;
  if (!clientId || repeated === 'client_id') throw fail('AUTHORIZATION_CLIENT_UNKNOWN', 'The request does not name an application (client_id)');
  const client = await findAuthorizationClient(ctx, clientId);
  if (!client) throw fail('AUTHORIZATION_CLIENT_UNKNOWN');
  const redirectUri = params.redirect_uri;
  if (!redirectUri || repeated === 'redirect_uri' || !redirectUriAllowed(client.redirectUris, client.allowOpenRedirectUris, redirectUri)) {
    throw fail('AUTHORIZATION_REDIRECT_URI_MISMATCH');
  }
  // From here on, errors go back to the client.
  const refuse = (error: string, description: string) => new AuthorizationRedirectError(error, description, redirectUri, params.state);
  if (repeated) throw refuse('invalid_request', `${repeated} must be given once`);
  const responseType = params.response_type ?? 'code';
  if (responseType !== 'code') throw refuse('unsupported_response_type', 'Only response_type=code is supported');
  if ((params.state?.length ?? 0) > 2048 || (params.nonce?.length ?? 0) > 512) throw refuse('invalid_request', 'state or nonce is too long');

  const method = params.code_challenge_method;
  const challenge = params.code_challenge;
  if (challenge !== undefined || method !== undefined) {
    if (method !== 'S256') throw refuse('invalid_request', 'code_challenge_method must be S256; plain is not supported');
    if (!challenge || !isValidChallenge(challenge)) throw refuse('invalid_request', 'code_challenge must be the base64url SHA-256 of the code verifier (43 characters)');
  } else if (client.requiresPkce) {
    throw refuse('invalid_request', 'This application must use PKCE: send code_challenge with code_challenge_method=S256');
  }

  const scope = (params.scope ?? '').split(' ').filter(Boolean);
  for (const word of scope) {
    const permissionLike = /^(csp:|external\/)/i.test(word);
    if (!ALWAYS_ALLOWED_SCOPES.has(word) && !permissionLike && !(client.generalScopes.includes(word) && isGrantableGeneralScope(word))) {
      throw refuse('invalid_scope', `The scope '${word.slice(0, 64)}' is not allowed for this application`);
    }
  }
  return {
    client, redirectUri, state: params.state, orgId: params.orgId ?? orgIdOfLink(params.orgLink), scope: [...new Set(scope)],
    nonce: params.nonce, codeChallenge: challenge,
  };
}

/** CSP's deprecated `orgLink`: `/csp/gateway/am/api/orgs/<orgId>`. */
function orgIdOfLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  const match = /\/orgs\/([^/?#]+)\/?$/.exec(link);
  return match?.[1];
}

/** The person's orgs (oldest membership first) that the client serves. */
export function candidateOrganizations(memberOf: readonly string[], servesOrgs: readonly string[] | 'any'): string[] {
  return servesOrgs === 'any' ? [...memberOf] : memberOf.filter((orgId) => servesOrgs.includes(orgId));
}

/** The org a person signs in to: the one asked for, else their first that the client serves. */
export async function chooseOrganization(ctx: AuthorizationContext, request: AuthorizationRequest, username: string): Promise<string> {
  const candidates = candidateOrganizations((await membershipsOf(ctx.db, username)).map((m) => m.org_id), request.client.servesOrgs);
  if (request.orgId !== undefined) {
    if (!candidates.includes(request.orgId)) throw fail('SIGNIN_NO_ORGANIZATION', 'You are not a member of the organization this application asked for');
    return request.orgId;
  }
  const first = candidates[0];
  if (first === undefined) throw fail('SIGNIN_NO_ORGANIZATION');
  return first;
}

/** A new authorization code for the signed-in person; only its hash is stored. */
export async function issueCode(ctx: AuthorizationContext, request: AuthorizationRequest, session: Session, orgId: string): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  const now = nowSeconds();
  await insertCode(ctx.db, {
    code_hash: sha256Base64url(code),
    client_id: request.client.clientId,
    app_instance: request.client.appInstance,
    redirect_uri: request.redirectUri,
    code_challenge: request.codeChallenge ?? null,
    scope: request.scope.join(' '),
    nonce: request.nonce ?? null,
    username: session.username,
    org_id: orgId,
    auth_time: session.authTime,
    expires_at: now + CODE_TTL_SECONDS,
    used_at: null,
    family_id: null,
    access_jti: null,
    access_expires_at: null,
  });
  return code;
}
