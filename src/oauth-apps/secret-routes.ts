// HTTP for an app's secret (docs/design.md §5.1 regenerate, owner rotation and delete-old, and the secrets listing of §6.4).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { actorOf } from '../http/auth.js';
import { errorResponses, MANAGEMENT_SECURITY, IDEMPOTENCY_HEADER } from '../http/schemas.js';
import type { Services } from '../runtime.js';
import { AppPathParams, ClientIdAndSecretResponse, EmptyObject } from './schemas.js';
import { ClientSecretOwnerRotationRequest, SecretList } from './secret-schemas.js';
import type { IdempotentRoute } from '../http/idempotency.js';
import type { SecretChange } from './lifecycle.js';
import { checkReplayStillCurrent, listValidSecrets, newGeneratedSecret } from './secret-service.js';
import { changeSecrets, checkMayChangeSecrets } from './secret-change.js';

const TAGS = ['Organization Managed OAuth Apps (clients)'];
/** An empty 200 ("OK" in CSP): declared without content, so a generated client expects none. */
const EmptyResponse = Type.Unsafe<undefined>({ type: 'null', description: 'OK, empty body' });

/** A replayed secret change is allowed only while the change itself still would be. */
function replayedSecretChange(services: Services, change: SecretChange): IdempotentRoute {
  return {
    async beforeReplay(request: FastifyRequest, replayed: string) {
      const { orgId, oauthAppId } = request.params as { orgId: string; oauthAppId: string };
      await checkMayChangeSecrets(services.oauthApps, actorOf(request), orgId, oauthAppId, change);
      // The secret this change set: in the replayed response (regenerate) or in the request (rotate).
      const secret = change === 'rotate'
        ? (request.body as { newClientSecret?: string }).newClientSecret
        : (JSON.parse(replayed) as { clientSecret?: string }).clientSecret;
      if (typeof secret === 'string') await checkReplayStillCurrent(services.oauthApps, orgId, oauthAppId, secret);
    },
  };
}

/** PUT …/secret?revokeTokens=true: the one question both the change and its epoch bump ask. */
function revokesTokens(request: FastifyRequest): boolean {
  return (request.query as { revokeTokens?: string } | undefined)?.revokeTokens === 'true';
}

export async function secretRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.put('/orgs/:orgId/oauth-apps/:oauthAppId/secret', {
    config: {
      emptyObjectBody: true,
      idempotent: replayedSecretChange(services, 'regenerate'),
      deniesTokens: revokesTokens,
    },
    schema: {
      tags: TAGS, operationId: 'regenerateOrganizationOAuthApplicationSecret', summary: 'Regenerate Organization Managed OAuth App Secret',
      description: 'An empty JSON body `{}` is required. The new secret becomes the only valid secret at once, on every node: the previous secret and any secret of a rotation in progress stop working. The secret is shown this once.\n\nBeyond CSP: `Idempotency-Key` replays the first response for 10 minutes; `revokeTokens=true` also refuses access tokens minted with the killed secrets.',
      security: MANAGEMENT_SECURITY, params: AppPathParams, body: EmptyObject, headers: IDEMPOTENCY_HEADER,
      querystring: Type.Object({
        revokeTokens: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Beyond CSP: Also refuse access tokens minted with the killed secrets' })),
      }),
      response: { 200: ClientIdAndSecretResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request) => {
    const { orgId, oauthAppId } = request.params;
    const newSecret = await newGeneratedSecret(services.oauthApps.keys.currentPepper());
    await changeSecrets(services.oauthApps, actorOf(request), {
      orgId, appId: oauthAppId, change: 'regenerate', newSecret, revokeTokens: revokesTokens(request),
    });
    return { clientId: oauthAppId, clientSecret: newSecret.plaintext };
  });

  app.post('/orgs/:orgId/oauth-apps/:oauthAppId/secret', {
    config: { idempotent: replayedSecretChange(services, 'rotate') },
    schema: {
      tags: TAGS, operationId: 'rotateOrganizationOAuthApplicationSecret', summary: 'Set a new secret via owner rotation',
      description: 'The new secret becomes current; the old one stays valid until `secretRotationExpirationInSeconds` from now, so clients can switch without downtime. 409 while a rotation is already in progress.',
      security: MANAGEMENT_SECURITY, params: AppPathParams, body: ClientSecretOwnerRotationRequest, headers: IDEMPOTENCY_HEADER,
      response: { 200: EmptyResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request, reply) => {
    const { orgId, oauthAppId } = request.params;
    const grace = request.body.secretRotationExpirationInSeconds ?? undefined;
    await changeSecrets(services.oauthApps, actorOf(request), {
      orgId, appId: oauthAppId, change: 'rotate', suppliedSecret: request.body.newClientSecret, ...(grace !== undefined ? { graceSeconds: grace } : {}),
    });
    return reply.code(200).send();
  });

  app.delete('/orgs/:orgId/oauth-apps/:oauthAppId/secret', {
    schema: {
      tags: TAGS, operationId: 'deleteOrganizationOAuthApplicationOldSecret', summary: 'Delete the old secret (end a rotation now)',
      description: 'The current secret becomes the only valid one. Without a rotation in progress this changes nothing and still answers 200.',
      security: MANAGEMENT_SECURITY, params: AppPathParams,
      response: { 200: EmptyResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 500) },
    },
  }, async (request, reply) => {
    const { orgId, oauthAppId } = request.params;
    await changeSecrets(services.oauthApps, actorOf(request), { orgId, appId: oauthAppId, change: 'deleteOld' });
    return reply.code(200).send();
  });

  app.get('/orgs/:orgId/oauth-apps/:oauthAppId/secrets', {
    schema: {
      tags: TAGS, operationId: 'listOrganizationOAuthApplicationSecrets', summary: 'Beyond CSP: The valid secrets of an app, without their values',
      security: MANAGEMENT_SECURITY, params: AppPathParams,
      response: { 200: SecretList, ...errorResponses(400, 401, 403, 404, 429, 500) },
    },
  }, async (request) => listValidSecrets(services.oauthApps, actorOf(request), request.params.orgId, request.params.oauthAppId));
}
