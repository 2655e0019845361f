// HTTP for keys and discovery (docs/design.md §3.4): JWKS, the CSP public-key endpoint, and the metadata
// documents (OpenID discovery and RFC 8414, also at the path-inserted form).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BASE_PATH } from '../config.js';
import { fail } from '../errors/errors.js';
import { errorResponses } from '../http/schemas.js';
import type { Services } from '../runtime.js';
import { SIGNING_ALGORITHM } from './generate.js';
import { AUTHORIZATION_PATH, publicBaseUrl } from '../authorization/routes.js';

const TAGS = ['Authentication'];
const Jwk = Type.Object({ kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String(), n: Type.String(), e: Type.String() }, { additionalProperties: true });
const Jwks = Type.Object({ keys: Type.Array(Jwk) }, { title: 'JsonWebKeysDto' });

const Metadata = Type.Object({
  issuer: Type.String(),
  authorization_endpoint: Type.String(),
  token_endpoint: Type.String(),
  userinfo_endpoint: Type.String(),
  jwks_uri: Type.String(),
  introspection_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  code_challenge_methods_supported: Type.Array(Type.String()),
  authorization_response_iss_parameter_supported: Type.Boolean(),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  subject_types_supported: Type.Array(Type.String()),
  id_token_signing_alg_values_supported: Type.Array(Type.String()),
  scopes_supported: Type.Array(Type.String()),
  claims_supported: Type.Array(Type.String()),
}, { additionalProperties: true, title: 'AuthorizationServerMetadata' });

/** Where the discovery documents are served: both at the root and under the base path. */
export const DISCOVERY_PATHS = [
  '/.well-known/openid-configuration',
  `${BASE_PATH}/.well-known/openid-configuration`,
  '/.well-known/oauth-authorization-server',
  `/.well-known/oauth-authorization-server${BASE_PATH}`,
  `${BASE_PATH}/.well-known/oauth-authorization-server`,
  // Where some CSP clients look for it.
  `${BASE_PATH}/auth/.well-known/openid-configuration`,
];

export async function keyRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { issuer } = services.config;
  // Serve keys as the database has them now, so a key rotated through any node or the CLI is
  // published at once even without Redis; a database hiccup keeps serving the keys this node has.
  scope.addHook('onRequest', async (request) => {
    if (request.routeOptions.url?.includes('/auth/')) await services.keys.syncWithDatabase().catch(() => {});
  });

  app.get(`${BASE_PATH}/auth/keys`, {
    schema: { tags: TAGS, operationId: 'getKeys', summary: 'The JSON Web Key Set of the token signing keys', response: { 200: Jwks, ...errorResponses(500) } },
  }, async () => ({ keys: services.keys.signingKeys().map((k) => k.publicJwk) as Type.Static<typeof Jwk>[] }));

  app.get(`${BASE_PATH}/auth/token-public-key`, {
    schema: {
      tags: TAGS, operationId: 'getTokenPublicKey', summary: 'The public key(s) that verify access tokens',
      querystring: Type.Object({ format: Type.Optional(Type.String({ description: 'pem (default; the current key in `value`) or jwks (all keys)' })) }),
      response: {
        200: Type.Object({ alg: Type.String(), issuer: Type.String(), keys: Type.Optional(Type.Array(Jwk)), value: Type.Optional(Type.String()) }, { title: 'PublicKeyDto' }),
        ...errorResponses(400, 500),
      },
    },
  }, async (request) => {
    const format = (request.query.format ?? 'pem').toLowerCase();
    if (format === 'jwks') return { alg: SIGNING_ALGORITHM, issuer, keys: services.keys.signingKeys().map((k) => k.publicJwk) as Type.Static<typeof Jwk>[] };
    if (format !== 'pem') throw fail('BAD_REQUEST', "format must be 'pem' or 'jwks'");
    const pem = services.keys.currentSigningKey().publicKey.export({ format: 'pem', type: 'spki' }).toString();
    return { alg: SIGNING_ALGORITHM, issuer, value: pem };
  });

  const metadata = {
    issuer,
    authorization_endpoint: `${publicBaseUrl(issuer)}${AUTHORIZATION_PATH}`,
    token_endpoint: `${issuer}/auth/token`,
    jwks_uri: `${issuer}/auth/keys`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    userinfo_endpoint: `${issuer}/userinfo`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    response_modes_supported: ['query'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    scopes_supported: ['openid'],
    claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'azp', 'auth_time', 'nonce', 'cid', 'context_name', 'context', 'perms', 'username', 'domain', 'acct', 'email', 'sid'],
  };
  for (const path of DISCOVERY_PATHS) {
    app.get(path, {
      schema: {
        tags: TAGS, summary: 'Authorization server metadata', hide: path !== DISCOVERY_PATHS[0] && path !== DISCOVERY_PATHS[3], response: { 200: Metadata },
        ...(path === DISCOVERY_PATHS[0] ? { operationId: 'getOpenIdConfiguration' } : path === DISCOVERY_PATHS[3] ? { operationId: 'getAuthorizationServerMetadata' } : {}),
      },
    }, async () => metadata);
  }
}
