// The OpenAPI 3 document, generated from the route schemas: titled schemas named in components,
// the error catalogue listed, and a browsable reference at /docs served from this process alone.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { BASE_PATH } from '../config.js';
import { catalogue, cspErrorCode } from '../errors/catalogue.js';
import { withCommonResponses, withNamedSchemas } from './openapi-components.js';

export const OPENAPI_PATH = `${BASE_PATH}/openapi.json`;
/** The API reference (Swagger UI) for people; its assets are served from the package, not a CDN. */
export const DOCS_PATH = '/docs';

function catalogueTable(): string {
  const rows = Object.values(catalogue).map((e) => `| ${e.status} | ${cspErrorCode(e)} | ${e.errorCode} | ${e.message} |`);
  return ['| HTTP | cspErrorCode | errorCode | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const errorCatalogue = () => Object.values(catalogue).map((e) => ({ status: e.status, cspErrorCode: cspErrorCode(e), errorCode: e.errorCode, message: e.message }));

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'orgauth — Organization Managed OAuth Apps',
        version: '1.0.0',
        description: `CSP IAM-compatible management of organization-managed OAuth apps and their secrets, and the token endpoints that use them.\n\nEvery error under the base path has the CSP error body. The error catalogue:\n\n${catalogueTable()}`,
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      // Paths are absolute from the server's root; a client uses the URL it reached this document at.
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cspAuthToken: { type: 'apiKey', in: 'header', name: 'csp-auth-token' },
          basicAuth: { type: 'http', scheme: 'basic' },
        },
      },
      tags: [
        { name: 'Organization Managed OAuth Apps (clients)', description: 'The CSP operations on an organization\'s OAuth apps and their secrets' },
        { name: 'Authentication', description: 'Token endpoints, keys and discovery' },
        { name: 'Audit', description: 'Beyond CSP: The organization\'s audit log' },
        { name: 'Operations', description: 'Health checks' },
      ],
    },
    transformObject: (generated) => {
      const { openapiObject } = generated as { openapiObject: Record<string, unknown> };
      return { ...withCommonResponses(withNamedSchemas(openapiObject)), 'x-error-catalogue': errorCatalogue() } as typeof openapiObject;
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    // No calls to an online validator: the page makes requests to this server only.
    uiConfig: { validatorUrl: null, deepLinking: true, tryItOutEnabled: false },
    staticCSP: true,
  });
}

export async function openApiRoute(app: FastifyInstance): Promise<void> {
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
