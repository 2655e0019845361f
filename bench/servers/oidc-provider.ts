// node-oidc-provider peer: N static clients (client_secret_basic, client_credentials only),
// JWT (RS256, 2048-bit key) access tokens with orgauth's extra claims, introspection on.
// Clients come from the JSON file named by BENCH_CLIENTS_FILE: [{ clientId, secret }].
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';
import { extraClaims } from '../claims.js';

interface Cred {
  clientId: string;
  secret: string;
}

const port = Number(process.env.PORT ?? 0);
const creds = JSON.parse(readFileSync(process.env.BENCH_CLIENTS_FILE ?? '', 'utf8')) as Cred[];
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-key-1', alg: 'RS256', use: 'sig' };
const resource = 'urn:orgauth:bench';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: creds.map((c) => ({
    client_id: c.clientId,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [jwk] },
  scopes: ['csp:developer'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'csp:developer',
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (_ctx: unknown, token: { clientId: string }) => extraClaims(token.clientId),
});

const server = http.createServer(provider.callback());
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
