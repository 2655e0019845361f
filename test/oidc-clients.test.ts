// The whole sign-in flow with real OpenID Connect client libraries: openid-client v6 and
// oauth4webapi — discovery, PKCE, the code, the ID token, userinfo, refresh and revocation. The
// browser step is plain requests here (test/signin-browser.test.ts drives a real Chromium).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { bootstrapAdmin, startServer, type Admin, type TestServer } from './helpers/index.js';
import { createSignInApp, newPassword, PlainBrowser, REDIRECT_URI, setPassword } from './helpers/signin.js';

let server: TestServer;
let admin: Admin;
let password: string;
let issuer: URL;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
  password = newPassword();
  await setPassword(server, admin.username, password);
  issuer = new URL(server.api(''));
});

after(async () => {
  await server?.stop();
});

/** The ID token checked independently of the libraries: RS256, our JWKS, every listed claim. */
async function assertIdToken(idToken: string, clientId: string, nonce: string | undefined): Promise<void> {
  const jwks = createRemoteJWKSet(new URL(server.api('/auth/keys')));
  const { payload, protectedHeader } = await jwtVerify(idToken, jwks, { issuer: issuer.href.replace(/\/$/, ''), audience: clientId, algorithms: ['RS256'] });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.sub, admin.username);
  assert.equal(payload.azp, clientId);
  assert.equal(payload.context_name, admin.orgId);
  assert.equal(payload.username, admin.username);
  assert.equal(typeof payload.auth_time, 'number');
  assert.ok((payload.auth_time as number) <= (payload.iat as number));
  assert.equal(payload.nonce, nonce);
  // Absent claims are left out, never null or empty.
  assert.equal(Object.hasOwn(payload, 'nonce'), nonce !== undefined);
  assert.equal(Object.hasOwn(payload, 'email'), admin.username.includes('@'));
  if (admin.username.includes('@')) assert.equal(payload.email, admin.username);
}

const remember = (...values: Array<string | undefined>) => values.forEach((v) => server.rememberSecret(v, 'apiToken'));

describe('openid-client v6', () => {
  for (const kind of ['confidential (client_secret_post)', 'public (PKCE, no secret)'] as const) {
    it(`${kind}: discovery, PKCE, code, ID token, userinfo, refresh, revocation`, async () => {
      const isPublic = kind.startsWith('public');
      const app = await createSignInApp(server, admin.accessToken, admin.orgId, isPublic ? { publicClient: true } : {});
      const config = await client.discovery(issuer, app.clientId, isPublic ? undefined : app.clientSecret, isPublic ? client.None() : undefined,
        { execute: [client.allowInsecureRequests] });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', state, nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const callback = await new PlainBrowser(server).signInAt(url, admin.username, password);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      remember(tokens.access_token, tokens.refresh_token, tokens.id_token);
      assert.equal(tokens.claims()?.sub, admin.username);
      await assertIdToken(tokens.id_token!, app.clientId, nonce);
      // The secret that authenticated the client is named (so revokeTokens reaches the people's tokens); a public client has none.
      const access = decodeJwt(tokens.access_token);
      assert.equal(Object.hasOwn(access, 'sid'), !isPublic);
      assert.equal(access.acct, admin.username);

      const info = await client.fetchUserInfo(config, tokens.access_token, admin.username);
      assert.equal(info.context_name, admin.orgId);

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      remember(refreshed.access_token, refreshed.refresh_token, refreshed.id_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.equal(refreshed.claims()?.sub, admin.username);
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), (err: unknown) => (err as { error?: string }).error === 'invalid_grant');

      const fresh = await client.authorizationCodeGrant(config,
        await new PlainBrowser(server).signInAt(client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }), admin.username, password),
        { pkceCodeVerifier: verifier, expectedState: state });
      remember(fresh.access_token, fresh.refresh_token, fresh.id_token);
      await client.tokenRevocation(config, fresh.refresh_token!, { token_type_hint: 'refresh_token' });
      await assert.rejects(client.refreshTokenGrant(config, fresh.refresh_token!), (err: unknown) => (err as { error?: string }).error === 'invalid_grant');
    });
  }
});

describe('oauth4webapi (strict)', () => {
  it('discovery, PKCE, iss in the response (RFC 9207), code, ID token, userinfo, refresh', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
    const c: oauth.Client = { client_id: app.clientId };
    const auth = oauth.ClientSecretBasic(app.clientSecret);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      client_id: app.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state, nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })) url.searchParams.set(k, v);
    const callback = await new PlainBrowser(server).signInAt(url, admin.username, password);
    const params = oauth.validateAuthResponse(as, c, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, c, auth, params, REDIRECT_URI, verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, c, response, { expectedNonce: nonce, requireIdToken: true });
    remember(result.access_token, result.refresh_token, result.id_token);
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    assert.equal(claims.sub, admin.username);
    await assertIdToken(result.id_token!, app.clientId, nonce);

    const info = await oauth.processUserInfoResponse(as, c, claims.sub, await oauth.userInfoRequest(as, c, result.access_token, insecure));
    assert.equal(info.sub, admin.username);

    const refreshed = await oauth.processRefreshTokenResponse(as, c, await oauth.refreshTokenGrantRequest(as, c, auth, result.refresh_token!, insecure));
    remember(refreshed.access_token, refreshed.refresh_token, refreshed.id_token);
    assert.equal(typeof refreshed.refresh_token, 'string');
    const me = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: refreshed.access_token });
    assert.equal(me.status, 200, 'the refreshed access token works on the management API');
  });

  it('an authorization response without the right iss is refused by the client (the server sends it)', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: true }));
    const forged = new URL(`${REDIRECT_URI}?code=x&state=s&iss=${encodeURIComponent('https://evil.example')}`);
    assert.throws(() => oauth.validateAuthResponse(as, { client_id: app.clientId }, forged, 's'));
  });
});
