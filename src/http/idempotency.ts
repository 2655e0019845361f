// Wires Idempotency-Key to every route whose config has `idempotent` (create, regenerate and owner rotation): the claim runs
// after authentication and validation, the response is recorded on its way out. A replay is
// authorized again first: a caller who lost the right to the change since, or whose app is gone,
// does not get its response (and the secret in it) a second time.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { claimKey, recordResponse, releaseKey, type IdempotencyKeys } from '../idempotency/service.js';
import type { Services } from '../runtime.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotent?: IdempotentRoute;
  }
  interface FastifyRequest {
    idempotencyScopeKey?: string;
  }
}

export interface IdempotentRoute {
  /**
   * Throws the catalogue error the request itself would get now, if it would not be allowed, or if
   * what the replay would show (`replayedBody`, e.g. a secret) is no longer the caller's to see.
   */
  beforeReplay(request: FastifyRequest, replayedBody: string): Promise<void>;
}

export function registerIdempotency(scope: FastifyInstance, services: Services): void {
  const keys = (): IdempotencyKeys => ({ hmacKey: services.keys.currentPepper().key, sealKey: services.masterKey });

  scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    const route = request.routeOptions.config.idempotent;
    if (!route || typeof key !== 'string' || !request.caller) return;
    const claimed = await claimKey(services.db, keys(), {
      scope: `${request.caller.orgId}\n${request.caller.kind}:${request.caller.subject}\n${request.method} ${request.url.split('?')[0]}`,
      key,
      fingerprint: `${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`,
    });
    if (claimed.kind === 'replay') {
      await route.beforeReplay(request, claimed.body);
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
    try {
      if (reply.statusCode < 300) {
        await recordResponse(services.db, keys(), scopeKey, reply.statusCode, typeof payload === 'string' ? payload : payload === undefined || payload === null ? '' : String(payload));
      } else {
        await releaseKey(services.db, scopeKey);
      }
    } catch (error) {
      // The change is committed: the caller gets its response even if the replay could not be kept.
      // The pending claim is dropped so a retry runs the request again rather than waiting for it.
      request.log.warn({ err: error }, 'Idempotency-Key: the response could not be recorded for replay');
      await releaseKey(services.db, scopeKey).catch(() => undefined);
    }
    return payload;
  });
}
