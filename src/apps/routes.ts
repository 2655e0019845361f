// HTTP for the OAuth-app operations (SPEC §5.1): parse, call the service, write.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../http/auth.js';
import { errorResponses, MANAGEMENT_SECURITY } from '../http/schemas.js';
import type { Services } from '../http/services.js';
import { ClientIdAndSecretResponse, OrgOAuthAppRequest, OrgOAuthAppResponse, OrgOAuthAppUpdateRequest, AppPathParams, OrgPathParams } from './schemas.js';
import { createApp, getApp, updateApp } from './service.js';

const TAGS = ['Organization Managed OAuth Apps (clients)'];

export async function appRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/orgs/:orgId/oauth-apps', {
    schema: {
      tags: TAGS, operationId: 'createOrganizationOAuthApplication', summary: 'Create an organization-managed OAuth app',
      description: 'Returns the client id and, for confidential apps, the secret — shown this once.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams, body: OrgOAuthAppRequest,
      response: { 200: ClientIdAndSecretResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request) => createApp(services.db, services.keys.currentPepper(), actorOf(request), request.params.orgId, request.body));

  app.get('/orgs/:orgId/oauth-apps/:oauthAppId', {
    schema: {
      tags: TAGS, operationId: 'getOrganizationOAuthApplication', summary: 'Get an organization-managed OAuth app',
      security: MANAGEMENT_SECURITY, params: AppPathParams,
      response: { 200: OrgOAuthAppResponse, ...errorResponses(400, 401, 403, 404, 429, 500) },
    },
  }, async (request) => getApp(services.db, request.params.orgId, request.params.oauthAppId));

  app.patch('/orgs/:orgId/oauth-apps/:oauthAppId', {
    schema: {
      tags: TAGS, operationId: 'updateOrganizationOAuthApplication', summary: 'Update an organization-managed OAuth app',
      description: 'Merge semantics: absent fields keep their value. Setting `secret` resets any rotation: it becomes the only valid secret.',
      security: MANAGEMENT_SECURITY, params: AppPathParams, body: OrgOAuthAppUpdateRequest,
      response: { 200: OrgOAuthAppResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request) => updateApp(services.db, services.verify, actorOf(request), request.params.orgId, request.params.oauthAppId, request.body));
}
