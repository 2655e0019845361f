// The OpenAPI 3 document, generated from the route schemas, with the error catalogue listed.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { BASE_PATH } from '../config.js';
import { catalogue, cspErrorCode } from '../errors/catalogue.js';

export const OPENAPI_PATH = `${BASE_PATH}/openapi.json`;

function catalogueTable(): string {
  const rows = Object.values(catalogue).map((e) => `| ${e.status} | ${cspErrorCode(e)} | ${e.errorCode} | ${e.message} |`);
  return ['| HTTP | cspErrorCode | errorCode | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'orgauth — Organization Managed OAuth Apps',
        version: '1.0.0',
        description: `CSP IAM-compatible management of organization-managed OAuth apps and their secrets, and the token endpoints that use them.\n\nEvery error under the base path has the CSP error body. The error catalogue:\n\n${catalogueTable()}`,
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cspAuthToken: { type: 'apiKey', in: 'header', name: 'csp-auth-token' },
          basicAuth: { type: 'http', scheme: 'basic' },
        },
      },
      tags: [
        { name: 'Organization Managed OAuth Apps (clients)' },
        { name: 'Authentication' },
        { name: 'Operations' },
      ],
    },
  });
}

export async function openApiRoute(app: FastifyInstance): Promise<void> {
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => {
    const document = app.swagger() as { 'x-error-catalogue'?: unknown };
    return { ...document, 'x-error-catalogue': Object.values(catalogue).map((e) => ({ status: e.status, cspErrorCode: cspErrorCode(e), errorCode: e.errorCode, message: e.message })) };
  });
}
