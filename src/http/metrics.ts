// GET /metrics (Prometheus) and the hook that counts every HTTP response and every issued token.
import type { FastifyInstance } from 'fastify';
import { BASE_PATH } from '../config.js';
import type { MetricsRegistry } from '../metrics/metrics.js';

/** The grant behind each token route, so issued tokens are counted without touching the token service. */
const GRANT_BY_ROUTE: Readonly<Record<string, string>> = {
  [`${BASE_PATH}/auth/token`]: 'client_credentials',
  [`${BASE_PATH}/auth/authorize`]: 'client_credentials',
  [`${BASE_PATH}/auth/api-tokens/authorize`]: 'api_token',
};

/** Counts every response; unmatched URLs share one label so scanners cannot blow up cardinality. */
export function registerMetrics(app: FastifyInstance, { metrics, registry }: Pick<MetricsRegistry, 'metrics' | 'registry'>): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpResponse({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const grant = GRANT_BY_ROUTE[route];
    if (grant && reply.statusCode === 200) metrics.tokenIssued(grant);
    done();
  });
  app.get('/metrics', { schema: { tags: ['Operations'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
