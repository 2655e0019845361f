// HTTP for what a signed-in person manages about themselves (CSP's "loggedin user" group): the orgs
// they belong to, and their own API tokens in the org of their access token. User tokens only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BASE_PATH } from '../config.js';
import { actorOf } from '../http/auth.js';
import { errorResponses, MANAGEMENT_SECURITY } from '../http/schemas.js';
import type { Services } from '../runtime.js';
import { AllowedScopes, OrgId } from '../oauth-apps/schemas.js';
import { fail } from '../errors/errors.js';
import { ORG_ROLES, DEVELOPER_ROLE, membershipRoles, rolesToPerms } from '../identity/roles.js';
import { listMembershipsOf } from './store.js';
import { createPersonalToken, listPersonalTokens, revokePersonalToken, MAX_API_TOKEN_TTL_SECONDS, MIN_API_TOKEN_TTL_SECONDS } from './personal-tokens.js';

const TAGS = ['Logged-in user'];
/** Any member may manage their own tokens and see their orgs: every org role counts. */
const ANY_MEMBER = { usersOnly: true, anyOf: rolesToPerms([...ORG_ROLES, DEVELOPER_ROLE]) };

const GenerateApiTokenRequest = Type.Object({
  tokenName: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  refreshTokenTTL: Type.Optional(Type.Union([Type.Integer({ minimum: MIN_API_TOKEN_TTL_SECONDS, maximum: MAX_API_TOKEN_TTL_SECONDS, description: 'Lifetime in seconds (default one year)' }), Type.Null()])),
  // CSP fields accepted for compatibility: the token always carries the member's live roles.
  allowedScopes: Type.Optional(Type.Union([AllowedScopes, Type.Null()])),
  idToken: Type.Optional(Type.Union([Type.String({ maxLength: 16384 }), Type.Null()])),
  notifyBeforeExpiry: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 3650 }), Type.Null()])),
  orgId: Type.Optional(Type.Union([OrgId, Type.Null()])),
}, { additionalProperties: false, title: 'GenerateApiTokenRequestV2' });

const ApiTokenDetails = Type.Object({
  tokenId: Type.String(),
  tokenName: Type.Optional(Type.String()),
  orgId: Type.String(),
  username: Type.String(),
  acct: Type.String(),
  hint: Type.String({ description: 'Beyond CSP: Last four characters of the token' }),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  lastUsedAt: Type.Optional(Type.Integer()),
  deactivated: Type.Boolean(),
  deactivatedAt: Type.Optional(Type.Integer()),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
}, { title: 'LoggedInUserApiTokenDto' });

const OrgItem = Type.Object({
  refLink: Type.String(),
  id: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(Type.String(), { description: 'Beyond CSP: The person\'s roles in this org' }),
});

export async function loggedInUserRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/loggedin/user/orgs', {
    config: { access: ANY_MEMBER },
    schema: {
      tags: TAGS, operationId: 'getLoggedInUserOrgs', summary: 'The organizations the person belongs to',
      description: 'An access token is for one org; to act in another, sign in again with its `orgId`.',
      security: MANAGEMENT_SECURITY,
      response: { 200: Type.Object({ refLinks: Type.Array(Type.String()), items: Type.Array(OrgItem) }), ...errorResponses(401, 403, 429, 500) },
    },
  }, async (request) => {
    const rows = await listMembershipsOf(services.db, actorOf(request).subject);
    const items = rows.map((row) => ({
      refLink: `${BASE_PATH}/orgs/${row.org_id}`,
      id: row.org_id,
      name: row.org_id,
      displayName: row.display_name,
      roles: membershipRoles(row.org_role, row.developer === 1),
    }));
    return { refLinks: items.map((item) => item.refLink), items };
  });

  app.post('/loggedin/user/api-tokens', {
    config: { access: ANY_MEMBER },
    schema: {
      tags: TAGS, operationId: 'generateLoggedInUserApiToken', summary: 'Create an API token for yourself in this org',
      description: 'The token is shown this once. It is bound to the person and the org of the access token and carries their live roles. At most 50 live tokens per person.',
      security: MANAGEMENT_SECURITY, body: GenerateApiTokenRequest,
      response: {
        200: Type.Object({ apiToken: Type.String(), tokenId: Type.String({ description: 'Beyond CSP: the API token\'s id' }), expiresAt: Type.Integer({ description: 'Beyond CSP: when the API token expires, in seconds since the epoch' }) }),
        ...errorResponses(400, 401, 403, 413, 415, 429, 500),
      },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    if (request.body.orgId && request.body.orgId !== actor.orgId) throw fail('FORBIDDEN', 'The access token is for another organization');
    reply.header('cache-control', 'no-store');
    return createPersonalToken(services.identity, actor, request.body);
  });

  app.get('/loggedin/user/api-tokens', {
    config: { access: ANY_MEMBER },
    schema: {
      tags: TAGS, operationId: 'getLoggedInUserApiTokens', summary: 'Your API tokens in this org, newest first (never their values)',
      security: MANAGEMENT_SECURITY,
      response: { 200: Type.Object({ results: Type.Array(ApiTokenDetails), totalResults: Type.Integer() }), ...errorResponses(401, 403, 429, 500) },
    },
  }, async (request) => {
    const results = await listPersonalTokens(services.identity, actorOf(request));
    return { results, totalResults: results.length };
  });

  app.delete('/loggedin/user/api-tokens/:tokenId', {
    config: { access: ANY_MEMBER },
    schema: {
      tags: TAGS, operationId: 'revokeLoggedInUserApiToken', summary: 'Revoke one of your API tokens',
      description: 'The token and the access tokens exchanged from it stop working at once. Revoking twice is a no-op.',
      security: MANAGEMENT_SECURITY, params: Type.Object({ tokenId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }) }),
      response: { 200: { description: 'OK, empty body' }, ...errorResponses(400, 401, 403, 404, 429, 500) },
    },
  }, async (request, reply) => {
    await revokePersonalToken(services.identity, actorOf(request), request.params.tokenId);
    // Its access tokens are looked up in every node's denial memory (docs/reliability.md); bumped
    // also when it was revoked before, since that request may have stopped between commit and bump.
    await services.epochs.bumpRevocationsBeforeAcknowledging();
    return reply.code(200).send();
  });
}
