// HTTP for an app's secret (SPEC §5.1 ops 6–8); op 6 is the seed.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { actorOf } from '../http/auth.js';
import { errorResponses, MANAGEMENT_SECURITY } from '../http/schemas.js';
import type { Services } from '../http/services.js';
import { AppPathParams, ClientIdAndSecretResponse, EmptyObject } from '../apps/schemas.js';
import { changeSecrets, newGeneratedSecret } from './service.js';

const TAGS = ['Organization Managed OAuth Apps (clients)'];

export async function secretRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.put('/orgs/:orgId/oauth-apps/:oauthAppId/secret', {
    config: { emptyObjectBody: true },
    schema: {
      tags: TAGS, operationId: 'regenerateOrganizationOAuthApplicationSecret', summary: 'Regenerate Organization Managed OAuth App Secret',
      description: 'An empty JSON body `{}` is required. The new secret becomes the only valid secret at once, on every node: the previous secret and any secret of a rotation in progress stop working. The secret is shown this once.',
      security: MANAGEMENT_SECURITY, params: AppPathParams, body: EmptyObject,
      querystring: Type.Object({
        revokeTokens: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: '[ours] Also refuse access tokens minted with the killed secrets' })),
      }),
      response: { 200: ClientIdAndSecretResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 500) },
    },
  }, async (request) => {
    const { orgId, oauthAppId } = request.params;
    const newSecret = await newGeneratedSecret(services.keys.currentPepper());
    await changeSecrets(services.db, actorOf(request), {
      orgId, appId: oauthAppId, change: 'regenerate', newSecret, revokeTokens: request.query.revokeTokens === 'true',
    }, services.verify);
    return { clientId: oauthAppId, clientSecret: newSecret.plaintext };
  });
}
