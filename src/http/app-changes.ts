// Every management request that may have changed an app or its secrets bumps the epochs of the apps
// it names before its response is sent (docs/reliability.md, "Several nodes: the epoch cache"), so
// no node serves a copy of them after the change is acknowledged. A route that may deny tokens in
// the same change says so (`deniesTokens`), and then the revocations epoch moves too. Replays of
// idempotent changes bump again: a replay acknowledges the change too.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../runtime.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Whether this request may have added denylist entries that access tokens are looked up by
     * (docs/reliability.md, "Introspection: the revocations epoch"). Every route that can must say so.
     */
    deniesTokens?: (request: FastifyRequest) => boolean;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Bulk delete names at most this many ids; more cannot have been changed. */
const MAX_IDS = 100;

export function bumpEpochsOfChangedApps(scope: FastifyInstance, services: Services): void {
  scope.addHook('onSend', async (request, reply, payload) => {
    // A 4xx changed nothing (a refused change is never half-applied); a 5xx may follow a commit.
    if (READS.has(request.method) || (reply.statusCode >= 400 && reply.statusCode < 500)) return payload;
    const ids = appsNamedBy(request);
    if (ids.length > 0) await services.epochs.bumpBeforeAcknowledging(ids, { deniedTokens: request.routeOptions.config.deniesTokens?.(request) ?? false });
    return payload;
  });
}

function appsNamedBy(request: FastifyRequest): string[] {
  const ids = new Set<string>();
  const params = request.params as Record<string, unknown> | undefined;
  if (typeof params?.oauthAppId === 'string') ids.add(params.oauthAppId);
  const body = request.body as Record<string, unknown> | undefined;
  const listed = body && typeof body === 'object' ? body.clientIdsToDelete : undefined;
  if (Array.isArray(listed)) {
    for (const id of listed.slice(0, MAX_IDS)) if (typeof id === 'string') ids.add(id);
  }
  return [...ids];
}
