// HTTP for ending a sign-in: CSP's POST /csp/gateway/am/api/auth/logout returns `{url}`, where the
// browser goes next, and ends the browser's session; the signed-out page is where it goes by default.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import formbody from '@fastify/formbody';
import Type from 'typebox';
import { BASE_PATH } from '../config.js';
import type { Services } from '../runtime.js';
import { errorResponses } from '../http/schemas.js';
import { findAuthorizationClient } from '../authorization/clients.js';
import { publicBaseUrl } from '../authorization/routes.js';
import { idTokenHintAudience } from '../oidc/id-token.js';
import { PAGE_HEADERS, signedOutPage } from './page.js';
import { endSession } from './service.js';
import { clearCookie, readCookie, SESSION_COOKIE } from './sessions.js';

export const SIGNED_OUT_PATH = '/csp/gateway/signed-out';

const LogoutBody = Type.Object({
  idToken: Type.Optional(Type.String({ maxLength: 8192, description: 'The ID token of the sign-in (CSP\'s name)' })),
  id_token_hint: Type.Optional(Type.String({ maxLength: 8192 })),
  post_logout_redirect_uri: Type.Optional(Type.String({ maxLength: 2048, description: 'Used when registered in the app\'s postLogoutRedirectUris for the ID token\'s client' })),
  state: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: true });

export async function signOutRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  await scope.register(formbody);
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = services;
  const cookieOptions = { secure: config.issuer.startsWith('https:') };

  app.post(`${BASE_PATH}/auth/logout`, {
    schema: {
      tags: ['Authentication'], operationId: 'logout', summary: 'End the browser\'s sign-in session',
      description: 'Ends the session of the `orgauth_session` cookie and returns `{url}`: the `post_logout_redirect_uri` when it is registered for the client of the ID token given as `idToken` or `id_token_hint`, else the signed-out page.',
      body: Type.Optional(LogoutBody),
      response: { 200: Type.Object({ url: Type.String() }, { title: 'LogoutResponse' }), ...errorResponses(400, 415, 500) },
    },
  }, async (request, reply) => {
    await endSession(services.signin, readCookie(request.headers.cookie, SESSION_COOKIE));
    const body = request.body ?? {};
    let url = `${publicBaseUrl(config.issuer)}${SIGNED_OUT_PATH}`;
    const hint = body.idToken ?? body.id_token_hint;
    const target = body.post_logout_redirect_uri;
    if (hint && target) {
      const audience = await idTokenHintAudience(services.oidc, hint);
      const client = audience ? await findAuthorizationClient(services.authorization, audience.clientId) : undefined;
      if (client?.postLogoutRedirectUris.includes(target)) {
        const next = new URL(target);
        if (body.state) next.searchParams.set('state', body.state);
        url = next.toString();
      }
    }
    return reply.headers({ 'set-cookie': clearCookie(SESSION_COOKIE, cookieOptions), 'cache-control': 'no-store' }).send({ url });
  });

  app.get(SIGNED_OUT_PATH, { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).send(signedOutPage()));
}
