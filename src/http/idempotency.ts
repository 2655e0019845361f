// Wires Idempotency-Key to every route whose config says `idempotent: true` (ops 1, 6, 7): the
// claim runs after authentication and validation, the response is recorded on its way out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { claimKey, recordResponse, releaseKey, type IdempotencyKeys } from '../idempotency/service.js';
import type { Services } from './services.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotencyScopeKey?: string;
  }
}

export function registerIdempotency(scope: FastifyInstance, services: Services): void {
  const keys = (): IdempotencyKeys => ({ hmacKey: services.keys.currentPepper().key, sealKey: services.masterKey });

  scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || typeof key !== 'string' || !request.caller) return;
    const claimed = await claimKey(services.db, keys(), {
      scope: `${request.caller.orgId}\n${request.caller.kind}:${request.caller.subject}\n${request.method} ${request.url.split('?')[0]}`,
      key,
      fingerprint: `${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`,
    });
    if (claimed.kind === 'replay') {
      reply.code(claimed.statusCode).header('idempotent-replayed', 'true');
      if (claimed.body === '') return reply.send();
      return reply.type('application/json; charset=utf-8').send(claimed.body);
    }
    request.idempotencyScopeKey = claimed.scopeKey;
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    const scopeKey = request.idempotencyScopeKey;
    if (!scopeKey) return payload;
    request.idempotencyScopeKey = undefined;
    if (reply.statusCode < 300) {
      await recordResponse(services.db, keys(), scopeKey, reply.statusCode, typeof payload === 'string' ? payload : payload === undefined || payload === null ? '' : String(payload));
    } else {
      await releaseKey(services.db, scopeKey);
    }
    return payload;
  });
}
