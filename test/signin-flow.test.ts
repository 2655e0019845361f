// People sign in (authorization endpoint at CSP's GET /csp/gateway/discovery, authorization_code
// with PKCE, refresh tokens): the whole flow with plain requests, then every rule of the flow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCspError, assertTokenResponse, bootstrapAdmin, discovery, startServer, verifyAccessToken, type Admin, type TestServer } from './helpers/index.js';
import {
  authorizeQuery, codeOf, createSignInApp, newPassword, pkcePair, PlainBrowser, redeemCode, redirectParams, refresh, setPassword, REDIRECT_URI,
} from './helpers/signin.js';

let server: TestServer;
let admin: Admin;
let password: string;

before(async () => {
  server = await startServer();
  admin = await bootstrapAdmin(server);
  password = newPassword();
  await setPassword(server, admin.username, password);
});

after(async () => {
  await server?.stop();
});

describe('sign-in through the authorization endpoint', () => {
  it('a person signs in, the redirect carries code, state and iss, and the code is redeemed for working tokens', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const browser = new PlainBrowser(server);
    const query = authorizeQuery(app.clientId, pkce, { nonce: 'n-0S6_WzA2Mj' });
    const res = await browser.signIn(query, admin.username, password);
    assert.equal(res.status, 303);
    const params = redirectParams(res);
    assert.equal(params.get('iss'), (await discovery(server)).issuer, 'RFC 9207 iss');
    const code = codeOf(server, res, query.state);

    const tokens = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    assertTokenResponse(tokens);
    assert.equal(typeof tokens.body.refresh_token, 'string');
    assert.equal(typeof tokens.body.id_token, 'string');
    const claims = await verifyAccessToken(server, tokens.body.access_token);
    assert.equal(claims.sub, admin.username);
    assert.equal(claims.context_name, admin.orgId);
    assert.equal(claims.azp, app.clientId);
    assert.ok((claims.perms as string[]).includes('csp:org_owner'));

    // The person's access token works on the management API.
    const list = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: tokens.body.access_token });
    assert.equal(list.status, 200);

    // Signed in: the next authorization needs no password.
    const again = await browser.get(authorizeQuery(app.clientId, pkcePair()));
    assert.equal(again.status, 302);
    codeOf(server, again);

    const refreshed = await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token);
    assertTokenResponse(refreshed);
    assert.notEqual(refreshed.body.refresh_token, tokens.body.refresh_token);
  });

  it('a public client needs PKCE and redeems with its client_id only', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId, { publicClient: true });
    const browser = new PlainBrowser(server);
    const noPkce = await browser.get(authorizeQuery(app.clientId, undefined));
    assert.equal(redirectParams(noPkce).get('error'), 'invalid_request');
    const pkce = pkcePair();
    const res = await browser.signIn(authorizeQuery(app.clientId, pkce), admin.username, password);
    const code = codeOf(server, res);
    const tokens = await redeemCode(server, app.clientId, undefined, code, pkce.verifier);
    assertTokenResponse(tokens);
  });

  it('a code works once; the second use is invalid_grant and revokes what the first issued', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const first = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    assertTokenResponse(first);
    const second = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    assertCspError(second, 400);
    assert.equal(second.body.error, 'invalid_grant');
    const afterReuse = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: first.body.access_token });
    assert.equal(afterReuse.status, 401, 'the access token of the first redemption is revoked');
    const refreshed = await refresh(server, app.clientId, app.clientSecret, first.body.refresh_token);
    assert.equal(refreshed.body.error, 'invalid_grant', 'the refresh token of the first redemption is revoked');
  });
});
