// Liveness and readiness (docs/design.md §8).
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import Type from 'typebox';
import { fail } from '../errors/errors.js';
import { errorResponses } from './schemas.js';
import type { Services } from '../runtime.js';

const Status = Type.Object({ status: Type.String() }, { title: 'HealthStatus' });

export async function healthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/healthz', { schema: { tags: ['Operations'], operationId: 'getHealth', summary: 'The process is up', response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['Operations'], operationId: 'getReadiness', summary: 'The database (and Redis, when configured) is reachable', response: { 200: Status, ...errorResponses(503) } } }, async () => {
    try {
      await sql`select 1`.execute(services.db);
    } catch {
      throw fail('SERVICE_UNAVAILABLE', 'The database is not reachable');
    }
    if (services.redis && !(await services.redis.ping(250))) throw fail('SERVICE_UNAVAILABLE', 'Redis is not reachable or too slow: rate limits use per-node budgets');
    if (services.redis?.isDegraded()) throw fail('SERVICE_UNAVAILABLE', 'Redis did not answer a rate-limit check in time: rate limits use per-node budgets');
    return { status: 'ready' };
  });
}
