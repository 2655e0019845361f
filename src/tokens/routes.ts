// HTTP for the token endpoints (docs/design.md §3.1–3.2). Parameters may come in the form body, a JSON body
// or the query string, as real CSP clients send them; the body wins over the query.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import Type from 'typebox';
import { fail } from '../errors/errors.js';
import { CspError } from '../http/schemas.js';
import { jsonTooDeep, MAX_JSON_DEPTH, utf8Text } from '../http/body.js';
import type { Services } from '../runtime.js';
import { presentedClient, type PresentedClient, type TokenParams } from './client-auth.js';
import { apiTokenDetails } from '../identity/service.js';
import { apiTokenGrant, authenticateClient, clientCredentialsGrant, type AuthenticatedClient, type TokenResponse } from './service.js';
import { authenticateGrantClient, type GrantClient } from './person-tokens.js';
import { authorizationCodeGrant } from './code-grant.js';
import { refreshTokenGrant } from './refresh-grant.js';
import { introspect, revoke, revokePublicClientRefreshToken } from './introspection.js';
import { authenticateUnderBudgets } from './client-gate.js';
import type { TokensContext } from './context.js';

const TAGS = ['Authentication'];
/** Every token-endpoint answer may carry a credential: never cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.String({ examples: ['bearer'] }),
  expires_in: Type.Integer(),
  scope: Type.String(),
  id_token: Type.Optional(Type.String()),
  refresh_token: Type.Optional(Type.String()),
}, { title: 'AccessTokenDto', examples: [{ access_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJjaS1ib3QifQ.c2lnbmF0dXJl', token_type: 'bearer', expires_in: 600, scope: 'csp:developer' }] });

const OAuthError = { ...CspError, description: 'RFC 6749 error with the CSP fields' };

const Param = Type.Optional(Type.String({ maxLength: 4096 }));
const ClientCredentialsParams = Type.Object({
  grant_type: Param, orgId: Param, client_id: Param, client_secret: Param, scope: Param,
  code: Param, redirect_uri: Param, code_verifier: Param, refresh_token: Param,
}, { additionalProperties: true });
const ApiTokenParams = Type.Object({
  api_token: Param, refresh_token: Param, grant_type: Param, passcode: Param, scope: Param,
}, { additionalProperties: true });

export async function tokenRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  // Form bodies here only; JSON bodies may be empty (`?refresh_token=…` with Content-Type: application/json).
  await scope.register(formbody);
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const text = utf8Text(body);
    if (text === undefined) return done(fail('OAUTH_INVALID_REQUEST', 'The request body is not valid UTF-8'), undefined);
    if (text.trim() === '') return done(null, {});
    if (jsonTooDeep(text)) return done(fail('OAUTH_INVALID_REQUEST', `The request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(fail('OAUTH_INVALID_REQUEST', 'The request body is not valid JSON'), undefined);
    }
  });
  scope.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined || request.body === null) request.body = {};
    done();
  });

  const ctx = services.tokens;

  const clientCredentials = {
    config: { oauthErrors: true },
    schema: {
      tags: TAGS, summary: 'Get an access token (client_credentials, authorization_code, refresh_token)',
      description: 'HTTP Basic (raw or form-urlencoded) or client_id/client_secret in the form body; public clients send only `client_id`. `grant_type` and `orgId` in the form body or the query string. authorization_code: `code`, `redirect_uri`, `code_verifier` (PKCE S256); a code works once. refresh_token: `refresh_token`; each use returns a new one and a reused one revokes the whole sign-in.',
      consumes: ['application/x-www-form-urlencoded'],
      security: [{ basicAuth: [] }, {}] as Array<Record<string, string[]>>,
      querystring: ClientCredentialsParams, body: ClientCredentialsParams,
      response: { 200: TokenResponse, 400: OAuthError, 401: OAuthError, 413: OAuthError, 415: OAuthError, 429: OAuthError, 500: OAuthError },
    },
  };
  // Each grant type: how its client authenticates, then what it returns.
  const grants: Readonly<Record<string, (request: FastifyRequest, params: TokenParams) => Promise<TokenResponse>>> = {
    client_credentials: async (request, params) => clientCredentialsGrant(ctx, await guardClientAuthentication(request, ctx, params), params.orgId),
    authorization_code: async (request, params) => authorizationCodeGrant(ctx, await guardGrantClient(request, ctx, params), params),
    refresh_token: async (request, params) => refreshTokenGrant(ctx, await guardGrantClient(request, ctx, params), params),
  };
  const handleClientCredentials = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = tokenParams(request);
    const grantType = params.grant_type;
    if (!grantType) throw fail('OAUTH_INVALID_REQUEST', 'grant_type is required');
    const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
    if (!grant) throw fail('OAUTH_UNSUPPORTED_GRANT_TYPE', `grant_type '${grantType.slice(0, 64)}' is not supported here`);
    return tokenResponseBody(reply, await grant(request, params));
  };
  scope.post('/auth/token', { ...clientCredentials, schema: { ...clientCredentials.schema, operationId: 'getAccessToken' } }, handleClientCredentials);
  scope.post('/auth/authorize', { ...clientCredentials, schema: { ...clientCredentials.schema, operationId: 'authorize', description: `Legacy alias of /auth/token. ${clientCredentials.schema.description}` } }, handleClientCredentials);

  scope.post('/auth/api-tokens/authorize', {
    config: { oauthErrors: true },
    schema: {
      tags: TAGS, operationId: 'getAccessTokenByApiToken', summary: 'Exchange an API token for an access token',
      description: 'Accepts form `api_token=…`, form `grant_type=api_token&api_token=…`, form `refresh_token=…` (deprecated), query `?refresh_token=…` with an empty body, or a JSON body `{"refresh_token": …}`.',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      querystring: ApiTokenParams, body: ApiTokenParams,
      response: { 200: TokenResponse, 400: OAuthError, 413: OAuthError, 415: OAuthError, 429: OAuthError, 500: OAuthError },
    },
  }, async (request, reply) => {
    const params = tokenParams(request);
    if (params.grant_type !== undefined && params.grant_type !== 'api_token' && params.grant_type !== 'refresh_token') {
      throw fail('OAUTH_UNSUPPORTED_GRANT_TYPE', 'grant_type must be api_token');
    }
    return tokenResponseBody(reply, await apiTokenGrant(ctx, params.api_token ?? params.refresh_token, params.scope));
  });

  scope.post('/auth/api-tokens/details', {
    schema: {
      tags: TAGS, operationId: 'getApiTokenDetails', summary: 'Details of an unexpired API token',
      description: 'Body `{"tokenValue": "<API token>"}`. Returns who the token belongs to and when it expires; never the token.',
      consumes: ['application/json'],
      body: Type.Object({ tokenValue: Type.String({ minLength: 1, maxLength: 4096 }) }),
      response: { 200: ApiTokenDetails, 400: CspError, 413: CspError, 415: CspError, 429: CspError, 500: CspError },
    },
  }, async (request, reply) => {
    const details = await apiTokenDetails(services.db, (request.body as { tokenValue: string }).tokenValue);
    if (!details) throw fail('BAD_REQUEST', 'The API token is invalid, expired or revoked');
    reply.headers(NO_STORE);
    return details;
  });

  await introspectionRoutes(scope, ctx);
}

/**
 * A token response's body, serialized here: JSON.stringify escapes the 800-character JWTs natively,
 * where the route's schema serializer scans them with a regular expression (166 → 152 µs of event
 * loop per token, measured side by side). The schema still documents the body; undefined members
 * are left out either way.
 */
function tokenResponseBody(reply: FastifyReply, response: TokenResponse): string {
  reply.headers(NO_STORE).header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify(response);
}

const ApiTokenDetails = Type.Object({
  tokenId: Type.String(),
  userId: Type.String(),
  username: Type.String(),
  acct: Type.String(),
  domain: Type.String(),
  orgId: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  lastUsedAt: Type.Optional(Type.Integer()),
  scope: Type.Array(Type.String()),
}, { title: 'ApiTokenDetailsDto' });

const TokenParamsBody = Type.Object({
  token: Param, token_type_hint: Param, client_id: Param, client_secret: Param,
}, { additionalProperties: true });

const Introspection = Type.Object({
  active: Type.Boolean(),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  sub: Type.Optional(Type.String()),
  iss: Type.Optional(Type.String()),
  jti: Type.Optional(Type.String()),
  orgId: Type.Optional(Type.String()),
  context_name: Type.Optional(Type.String()),
  perms: Type.Optional(Type.Array(Type.String())),
}, { title: 'IntrospectionResponse' });

export async function introspectionRoutes(scope: FastifyInstance, ctx: TokensContext): Promise<void> {
  const clientAuth = async (request: FastifyRequest) => {
    const params = tokenParams(request);
    const client = await guardClientAuthentication(request, ctx, params);
    if (!params.token) throw fail('OAUTH_INVALID_REQUEST', 'token is required');
    return { client, token: params.token };
  };

  scope.post('/auth/introspect', {
    config: { oauthErrors: true },
    schema: {
      tags: TAGS, operationId: 'introspectToken', summary: 'Token introspection (RFC 7662)',
      description: 'Client authentication as at the token endpoint. Access tokens and API tokens of the client\'s organization; `active:false` once expired, revoked, or minted by a secret killed with revokeTokens.',
      consumes: ['application/x-www-form-urlencoded'], security: [{ basicAuth: [] }, {}] as Array<Record<string, string[]>>,
      body: TokenParamsBody,
      response: { 200: Introspection, 400: OAuthError, 401: OAuthError, 413: OAuthError, 415: OAuthError, 429: OAuthError, 500: OAuthError },
    },
  }, async (request, reply) => {
    const { client, token } = await clientAuth(request);
    reply.headers(NO_STORE);
    return introspect(ctx, client, token);
  });

  scope.post('/auth/revoke', {
    config: { oauthErrors: true },
    schema: {
      tags: TAGS, operationId: 'revokeToken', summary: 'Token revocation (RFC 7009)',
      description: 'Revoked access tokens stop introspecting as active and stop working on the management API; a revoked API token can no longer be exchanged. Unknown, expired and other organizations\' tokens are a no-op (200). A client may revoke the tokens issued to it; tokens of other clients, user tokens and API tokens need a client holding org_owner or org_admin (else 400 `unauthorized_client`). Every revocation is in the audit log (`token.revoke`).',
      consumes: ['application/x-www-form-urlencoded'], security: [{ basicAuth: [] }, {}] as Array<Record<string, string[]>>,
      body: TokenParamsBody,
      response: { 200: Type.Null({ description: 'OK, empty body' }), 400: OAuthError, 401: OAuthError, 413: OAuthError, 415: OAuthError, 429: OAuthError, 500: OAuthError },
    },
  }, async (request, reply) => {
    const params = tokenParams(request);
    const presented = presentedClient(request.headers.authorization, params);
    if (presented && presented.secretCandidates.every((candidate) => candidate === '')) {
      // A public client (CSP: Basic `client_id:` with an empty secret) revokes its own refresh tokens.
      const { client } = await authenticateGrantClient(ctx, presented, () => guardClientAuthentication(request, ctx, params));
      if (!params.token) throw fail('OAUTH_INVALID_REQUEST', 'token is required');
      await revokePublicClientRefreshToken(ctx, client.clientId, params.token, { requestId: request.id, sourceAddress: request.ip });
      return reply.code(200).headers(NO_STORE).send();
    }
    const { client, token } = await clientAuth(request);
    await revoke(ctx, client, token, { requestId: request.id, sourceAddress: request.ip });
    return reply.code(200).headers(NO_STORE).send();
  });
}

/**
 * Client authentication for every grant and endpoint that takes client credentials: the secret is
 * checked under the failed-authentication budget the token scope reserved (rate-limit.ts), then the
 * request counts against the client's own budget (429 past RATE_LIMIT_TOKEN). New grants call this.
 */
export async function guardClientAuthentication(request: FastifyRequest, ctx: TokensContext, params: TokenParams): Promise<AuthenticatedClient> {
  return authenticatePresented(request, ctx, presentedClient(request.headers.authorization, params));
}

/** guardClientAuthentication once the credentials are read. */
async function authenticatePresented(request: FastifyRequest, ctx: TokensContext, presented: PresentedClient | undefined): Promise<AuthenticatedClient> {
  // No gate: the request claimed no client id (its address was counted), so it cannot authenticate.
  if (!request.clientGate) return authenticateClient(ctx, presented);
  return authenticateUnderBudgets(ctx, request.clientGate, presented);
}

/**
 * The client of a person's grant: a public client is named, not authenticated (its requests count
 * against the address); a confidential one authenticates as in guardClientAuthentication.
 */
async function guardGrantClient(request: FastifyRequest, ctx: TokensContext, params: TokenParams): Promise<GrantClient> {
  const presented = presentedClient(request.headers.authorization, params);
  return authenticateGrantClient(ctx, presented, () => authenticatePresented(request, ctx, presented));
}

/** Query and body parameters merged (body wins); each must be a single string. */
function tokenParams(request: FastifyRequest): TokenParams {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query === 'object' && 'client_secret' in query) {
    // RFC 6749 §2.3.1: never in the URL, where proxies and browsers keep it. Refused, not ignored,
    // so the client learns why; the request log masks the value.
    throw fail('OAUTH_INVALID_REQUEST', 'client_secret must not be sent in the URL; use HTTP Basic or the form body');
  }
  const merged: Record<string, string | undefined> = {};
  for (const source of [request.query, request.body]) {
    if (source === undefined || source === null) continue;
    if (typeof source !== 'object' || Array.isArray(source)) throw fail('OAUTH_INVALID_REQUEST', 'The request parameters must be a form or a JSON object');
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (value === undefined) continue;
      if (typeof value !== 'string') throw fail('OAUTH_INVALID_REQUEST', `Parameter '${name.slice(0, 64)}' must be given once, as a string`);
      merged[name] = value;
    }
  }
  return merged;
}
