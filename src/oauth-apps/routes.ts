// HTTP for the OAuth-app operations (docs/design.md §5.1: create, list, get, update, bulk delete and search): parse, call the service, write.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BASE_PATH } from '../config.js';
import { actorOf } from '../http/auth.js';
import { errorResponses, IDEMPOTENCY_HEADER, MANAGEMENT_SECURITY } from '../http/schemas.js';
import { ignoreUnknownMembers } from '../http/known-fields.js';
import { PagingQuery, pageLinks, pageOf, pagingNumber, pagingQuery, type PagingLimits } from '../http/paging.js';
import { fail } from '../errors/errors.js';
import type { Services } from '../runtime.js';
import {
  APP_ID_PATTERN, AppPathParams, ClientIdAndSecretResponse, DeleteClientsRequest, OrgOAuthAppRequest, OrgOAuthAppResponse, OrgOAuthAppUpdateRequest,
  OrgPathParams, PagedPostResponseExpandedAuthClient, PagedResponseOrgOAuthAppResponse, PartialSuccessResponse, SearchClientsByRoleNamesRequest,
} from './schemas.js';
import { checkReplayStillCurrent } from './secret-service.js';
import { checkMayChangeSecrets } from './secret-change.js';
import { checkMayCreateApp, createApp, deleteApps, getApp, listApps, searchApps, updateApp } from './service.js';

const TAGS = ['Organization Managed OAuth Apps (clients)'];
const LIST_PAGING: PagingLimits = { defaultLimit: 200, maxLimit: 200 };
const SEARCH_PAGING: PagingLimits = { defaultLimit: 15, maxLimit: 15 };

/**
 * An `oauthAppId` that cannot be a client id names no app: 404 with CSP's not-found body, as for
 * any unknown id (CSP lists no 400 for a path id). Runs before the body is read or validated.
 */
async function notFoundForImpossibleAppId(request: FastifyRequest): Promise<void> {
  const { orgId, oauthAppId } = (request.params ?? {}) as { orgId?: string; oauthAppId?: string };
  if (oauthAppId !== undefined && !APP_ID_PATTERN.test(oauthAppId)) {
    throw fail('APP_NOT_FOUND', `OAuth app not found in organization ${orgId ?? ''}`.trim());
  }
}

/** Search pages come in the JSON body; their errors are CSP's paging error too. */
async function checkSearchPaging(request: FastifyRequest): Promise<void> {
  const body = request.body as { pageStart?: unknown; pageLimit?: unknown } | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  if (body.pageStart !== undefined && body.pageStart !== null) pagingNumber('pageStart', body.pageStart, SEARCH_PAGING);
  if (body.pageLimit !== undefined && body.pageLimit !== null) pagingNumber('pageLimit', body.pageLimit, SEARCH_PAGING);
}

/**
 * A replayed create is allowed only while the caller could still create such an app, and its secret
 * only while the caller could still change that app's secrets (the app exists, it is not owner-only
 * for a non-owner, it holds no role above the caller's).
 */
async function checkReplayOfCreate(services: Services, request: FastifyRequest, replayed: string): Promise<void> {
  const actor = actorOf(request);
  checkMayCreateApp(actor, request.body as OrgOAuthAppRequest);
  const created = JSON.parse(replayed) as { clientId?: string; clientSecret?: string };
  if (created.clientSecret !== undefined && created.clientId !== undefined) {
    const { orgId } = request.params as { orgId: string };
    await checkMayChangeSecrets(services.oauthApps, actor, orgId, created.clientId, 'regenerate');
    await checkReplayStillCurrent(services.oauthApps, orgId, created.clientId, created.clientSecret);
  }
}

export async function appRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  // Every operation on one app (these routes and the secret routes of this scope).
  scope.addHook('preValidation', notFoundForImpossibleAppId);

  app.post('/orgs/:orgId/oauth-apps', {
    preValidation: ignoreUnknownMembers(OrgOAuthAppRequest),
    config: { idempotent: { beforeReplay: (request: FastifyRequest, replayed: string) => checkReplayOfCreate(services, request, replayed) } },
    schema: {
      tags: TAGS, operationId: 'createOrganizationOAuthApplication', summary: 'Create an organization-managed OAuth app',
      description: 'Returns the client id and, for confidential apps, the secret — shown this once. Beyond CSP: `Idempotency-Key` replays the first response for 10 minutes.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams, body: OrgOAuthAppRequest, headers: IDEMPOTENCY_HEADER,
      response: { 200: ClientIdAndSecretResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request) => createApp(services.oauthApps, actorOf(request), request.params.orgId, request.body));

  app.get('/orgs/:orgId/oauth-apps', {
    schema: {
      tags: TAGS, operationId: 'getOrganizationOAuthApplications', summary: 'List the OAuth apps the organization owns',
      description: '`searchTerm` matches a case-insensitive substring of the display name or the id.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams,
      querystring: Type.Object({ ...PagingQuery(LIST_PAGING), searchTerm: Type.Optional(Type.String({ maxLength: 256 })) }),
      response: { 200: PagedResponseOrgOAuthAppResponse, ...errorResponses(400, 401, 403, 404, 429, 500) },
    },
    preValidation: pagingQuery(LIST_PAGING),
  }, async (request) => {
    const page = pageOf(request.query, LIST_PAGING);
    // No name or id holds a NUL, and neither database can match one (SQLite ends the text there).
    const result = request.query.searchTerm?.includes('\u0000') ? { results: [], totalResults: 0 }
      : await listApps(services.oauthApps, actorOf(request), request.params.orgId, page, request.query.searchTerm);
    const path = `${BASE_PATH}/orgs/${request.params.orgId}/oauth-apps`;
    return { ...result, ...pageLinks(path, page, result.totalResults, { searchTerm: request.query.searchTerm }) };
  });

  app.get('/orgs/:orgId/oauth-apps/:oauthAppId', {
    schema: {
      tags: TAGS, operationId: 'getOrganizationOAuthApplication', summary: 'Get an organization-managed OAuth app',
      security: MANAGEMENT_SECURITY, params: AppPathParams,
      response: { 200: OrgOAuthAppResponse, ...errorResponses(401, 403, 404, 429, 500) },
    },
    config: { readsAppCopy: true },
  }, async (request) => {
    const copies = services.managementCopies?.apps;
    const seen = request.appEpoch;
    return getApp(services.oauthApps, actorOf(request), request.params.orgId, request.params.oauthAppId, copies && seen ? { copies, seen } : undefined);
  });

  app.patch('/orgs/:orgId/oauth-apps/:oauthAppId', {
    preValidation: ignoreUnknownMembers(OrgOAuthAppUpdateRequest),
    schema: {
      tags: TAGS, operationId: 'updateOrganizationOAuthApplication', summary: 'Update an organization-managed OAuth app',
      description: 'Merge semantics: absent fields keep their value. Setting `secret` resets any rotation: it becomes the only valid secret. Read-only and unknown members are ignored, so a GET response can be sent back with one field changed.',
      security: MANAGEMENT_SECURITY, params: AppPathParams, body: OrgOAuthAppUpdateRequest,
      response: { 200: OrgOAuthAppResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request) => updateApp(services.oauthApps, actorOf(request), request.params.orgId, request.params.oauthAppId, request.body));

  app.delete('/orgs/:orgId/oauth-apps', {
    schema: {
      tags: TAGS, operationId: 'deleteOrganizationOAuthApplications', summary: 'Delete OAuth apps the organization owns (at most 15)',
      description: 'Answers 200 even on partial success: inspect `succeeded` and `failed`.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams, body: DeleteClientsRequest,
      response: { 200: PartialSuccessResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 500) },
    },
  }, async (request) => {
    // An id that cannot be a client id names no app: it fails without a lookup.
    const ids = request.body.clientIdsToDelete;
    const impossible = [...new Set(ids.filter((id) => !APP_ID_PATTERN.test(id)))];
    const outcome = await deleteApps(services.oauthApps, actorOf(request), request.params.orgId, ids.filter((id) => APP_ID_PATTERN.test(id)));
    return { ...outcome, failed: [...outcome.failed, ...impossible] };
  });

  app.post('/orgs/:orgId/oauth-apps/search', {
    config: { access: { usersOnly: true } },
    preValidation: checkSearchPaging,
    schema: {
      tags: TAGS, operationId: 'searchOrganizationOAuthApplicationsByRoleNames', summary: 'Search the organization\'s OAuth apps by role names',
      description: 'User accounts only. `filterResults=true` reduces the roles in each result to those that matched.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams, body: SearchClientsByRoleNamesRequest,
      querystring: Type.Object({ filterResults: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
      response: { 200: PagedPostResponseExpandedAuthClient, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 500) },
    },
  }, async (request) => searchApps(services.oauthApps, actorOf(request), request.params.orgId, request.body, request.query.filterResults === 'true'));
}
