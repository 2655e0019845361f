// node-oidc-provider peer: N static clients (client_secret_basic, client_credentials only),
// JWT (RS256, 2048-bit key) access tokens with orgauth's extra claims, introspection on.
// Clients come from the JSON file named by BENCH_CLIENTS_FILE: [{ clientId, secret }].
// BENCH_SIGNIN_CLIENT ({ clientId, secret, redirectUri, username }) adds one client that signs a
// person in (authorization_code with PKCE, rotating refresh tokens, ID tokens), like orgauth's
// sign-in app; see bench/README.md, "Grants".
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { extraClaims, personClaims, personIdTokenClaims, PEER_RESOURCE, PEER_SCOPE } from '../claims.js';

interface Cred {
  clientId: string;
  secret: string;
}

interface SignInClient extends Cred {
  redirectUri: string;
  username: string;
}

const port = Number(process.env.PORT ?? 0);
const creds = JSON.parse(readFileSync(process.env.BENCH_CLIENTS_FILE ?? '', 'utf8')) as Cred[];
const signIn = process.env.BENCH_SIGNIN_CLIENT ? (JSON.parse(process.env.BENCH_SIGNIN_CLIENT) as SignInClient) : undefined;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-key-1', alg: 'RS256', use: 'sig' };
// The default adapter (in memory) with a larger store: its own keeps 1 000 entries, fewer than the
// codes the bench mints before a run, so older codes would be evicted before they are redeemed.
const store = new LRU({ maxSize: 2_000_000 });

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: (model: string) => new MemoryAdapter(model, store),
  clients: [
    ...creds.map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    ...(signIn
      ? [{
        client_id: signIn.clientId,
        client_secret: signIn.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [signIn.redirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
        // orgauth's ID tokens always carry auth_time.
        require_auth_time: true,
      }]
      : []),
  ],
  jwks: { keys: [jwk] },
  scopes: ['openid', PEER_SCOPE],
  // The ID token carries orgauth's person claims (context_name, username, acct, email) with code
  // responses too, not only with response_type=id_token.
  claims: { openid: ['sub', 'context_name', 'username', 'acct', 'email'] },
  conformIdTokenClaims: false,
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub, ...personIdTokenClaims(sub) }) }),
  // orgauth issues a refresh token whenever the app may use the grant, independent of the browser
  // session, and rotates it at every use.
  issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed: (g: string) => boolean }) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: () => false,
  rotateRefreshToken: true,
  // orgauth asks no consent: every authorization gets a grant of its own (a refresh-token family
  // per sign-in, as orgauth's), covering what the sign-in client asks for.
  loadExistingGrant: async (ctx: GrantContext) => {
    const { Grant } = ctx.oidc.provider;
    const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(`openid ${PEER_SCOPE}`);
    grant.addResourceScope(PEER_RESOURCE, PEER_SCOPE);
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => PEER_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: PEER_SCOPE,
        audience: PEER_RESOURCE,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (_ctx: unknown, token: { clientId: string; accountId?: string }) =>
    token.accountId ? personClaims(token.accountId, token.clientId) : extraClaims(token.clientId),
});

interface GrantContext {
  oidc: {
    provider: { Grant: new (init: { clientId: string; accountId: string }) => { addOIDCScope(s: string): void; addResourceScope(r: string, s: string): void; save(): Promise<string> } };
    client: { clientId: string };
    session: { accountId: string };
  };
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  // The login step of the first sign-in: the bench's person, without a form (orgauth's password
  // check happens once too, before the measured runs).
  if (signIn && req.method === 'GET' && req.url?.startsWith('/interaction/')) {
    provider.interactionFinished(req, res, { login: { accountId: signIn.username } }, { mergeWithLastSubmission: false }).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
