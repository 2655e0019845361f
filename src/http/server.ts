// Builds the Fastify instance: request ids, one log line per request, the error mapper, and the
// route modules of each domain folder.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { BASE_PATH, BODY_LIMIT_BYTES } from '../config.js';
import { appRoutes } from '../oauth-apps/routes.js';
import { secretRoutes } from '../oauth-apps/secret-routes.js';
import { tokenRoutes } from '../tokens/routes.js';
import { keyRoutes } from '../keys/routes.js';
import { auditRoutes } from '../audit/routes.js';
import { loggedInUserRoutes } from '../identity/routes.js';
import { consoleRoutes } from '../console/routes.js';
import { authorizationRoutes } from '../authorization/routes.js';
import { signOutRoutes } from '../signin/routes.js';
import { userInfoRoutes } from '../oidc/routes.js';
import { requireOrgCaller } from './auth.js';
import { registerIdempotency } from './idempotency.js';
import { clientErrorHandler, expectationFailedHandler, frameworkErrorHandler, registerErrorHandling } from './errors.js';
import { healthRoutes } from './health.js';
import { registerMetrics } from './metrics.js';
import { limitManagementApi, limitTokenEndpoints } from './rate-limit.js';
import { lazyRequestLogger, maskedUrl } from './logging.js';
import { bumpEpochsOfChangedApps } from './app-changes.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { requestIdFor } from './request-id.js';
import type { Services } from '../runtime.js';
import { fail } from '../errors/errors.js';
import { jsonTooDeep, MAX_JSON_DEPTH, utf8Text } from './body.js';

/**
 * JSON with Fastify's own safe parser (prototype-poisoning checks), except that an empty body is
 * "no body": DELETE with a stray Content-Type works, and a route that needs a body says which.
 */
function useLenientJsonParser(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = utf8Text(body);
    if (text === undefined) return done(fail('MALFORMED_JSON', 'The request body is not valid UTF-8'), undefined);
    if (text.length === 0) return done(null, undefined);
    if (jsonTooDeep(text)) return done(fail('BAD_REQUEST', `The request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    parseJson(request, text, done);
  });
}

export async function buildServer(services: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    childLoggerFactory: lazyRequestLogger,
    // One line per request is written by our onResponse hook; Fastify's own pair is switched off.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: requestIdFor,
    // Requests refused before routing, or by the HTTP parser itself, still get the CSP body.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: services.config.trustProxy,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 512, ignoreTrailingSlash: false },
    ajv: {
      // Wrong types are errors, not coerced; unknown members are refused, not silently dropped.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false },
    },
  });

  app.server.on('checkExpectation', expectationFailedHandler);
  // Per-request state lives on the request: declared here so every request has the same shape.
  app.decorateRequest('claimedClient', undefined);
  // Only JSON bodies on the management API; a text/plain body is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  // Synchronous hooks (done callbacks) where nothing is awaited: an async hook costs a promise and
  // a microtask turn on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const requestLog = services.requestLog.logger;
  app.addHook('onResponse', (request, reply, done) => {
    // requestId first: the same line request.log would write (its binding comes first).
    requestLog.info({
      requestId: request.id,
      method: request.method,
      url: maskedUrl(request.url),
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      caller: request.caller?.subject,
      address: request.ip,
    }, 'request');
    done();
  });
  registerErrorHandling(app);
  registerMetrics(app, { metrics: services.metrics, registry: services.metricsRegistry });
  await registerOpenApi(app);

  await app.register(async (management) => {
    useLenientJsonParser(management);
    // Create, regenerate and their replays carry a secret; no management response is worth caching.
    management.addHook('onRequest', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    });
    management.addHook('onRequest', requireOrgCaller(services));
    // Rate limit first: a refused request claims no Idempotency-Key and costs no replay.
    await limitManagementApi(management, services);
    bumpEpochsOfChangedApps(management, services);
    registerIdempotency(management, services);
    await appRoutes(management, services);
    await secretRoutes(management, services);
    await auditRoutes(management, services);
    await loggedInUserRoutes(management, services);
  }, { prefix: BASE_PATH });
  await app.register(async (tokens) => {
    await limitTokenEndpoints(tokens, services);
    await tokenRoutes(tokens, services);
  }, { prefix: BASE_PATH });
  await app.register(async (authorization) => authorizationRoutes(authorization, services));
  await app.register(async (signOut) => {
    useLenientJsonParser(signOut);
    await signOutRoutes(signOut, services);
  });
  await app.register(async (userInfo) => userInfoRoutes(userInfo, services), { prefix: BASE_PATH });
  await app.register(async (keys) => keyRoutes(keys, services));
  await app.register(async (health) => healthRoutes(health, services));
  await app.register(openApiRoute);
  await app.register(consoleRoutes);
  return app;
}
