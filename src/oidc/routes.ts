// HTTP for OpenID Connect userinfo (OIDC Core §5.3) at CSP's path, GET /csp/gateway/am/api/userinfo:
// who the bearer of a live access token is, read from the token and the live membership.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { fail } from '../errors/errors.js';
import { bearerToken } from '../http/auth.js';
import { errorResponses } from '../http/schemas.js';
import type { Services } from '../runtime.js';
import { limitManagementApi } from '../http/rate-limit.js';
import { inspectAccessToken } from '../tokens/caller.js';

const UserInfo = Type.Object({
  sub: Type.String(),
  username: Type.String(),
  acct: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  domain: Type.String(),
  context_name: Type.String({ description: 'The organization id' }),
  context: Type.String(),
  perms: Type.Array(Type.String()),
  cid: Type.String({ description: 'The client the token was issued to' }),
}, { title: 'UserInfo' });

export async function userInfoRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  // The caller is resolved first, so the management API's budget counts this caller, not its address.
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request);
    if (!token) {
      reply.header('www-authenticate', 'Bearer realm="orgauth"');
      throw fail('UNAUTHORIZED', 'An access token is required (Authorization: Bearer …)');
    }
    try {
      const { claims, caller } = await inspectAccessToken(services.tokens, token);
      request.caller = caller;
      request.userInfo = {
        sub: claims.sub, username: claims.username, domain: claims.domain, context_name: caller.orgId, context: claims.context,
        perms: [...caller.perms], cid: claims.cid,
        ...(claims.acct !== undefined ? { acct: claims.acct } : {}),
        ...(claims.acct !== undefined && claims.acct.includes('@') ? { email: claims.acct } : {}),
      };
    } catch (error) {
      reply.header('www-authenticate', 'Bearer realm="orgauth", error="invalid_token"');
      throw error;
    }
  });
  await limitManagementApi(scope, services);

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    return request.userInfo;
  };
  const schema = {
    tags: ['Authentication'], summary: 'OpenID Connect userinfo of the access token\'s bearer',
    security: [{ bearerAuth: [] }] as Array<Record<string, string[]>>,
    response: { 200: UserInfo, ...errorResponses(401, 429, 500) },
  };
  app.get('/userinfo', { schema: { ...schema, operationId: 'getUserInfo' } }, handler);
  app.post('/userinfo', { schema: { ...schema, operationId: 'postUserInfo', description: 'The same as GET (OpenID Connect Core §5.3.1 allows both).' } }, handler);
}

declare module 'fastify' {
  interface FastifyRequest {
    userInfo?: Type.Static<typeof UserInfo>;
  }
}
