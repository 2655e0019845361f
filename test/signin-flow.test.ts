// People sign in (authorization endpoint at CSP's GET /csp/gateway/discovery, authorization_code
// with PKCE, refresh tokens): the whole flow with plain requests, then every rule of the flow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCspError, assertTokenResponse, bootstrapAdmin, discovery, startServer, verifyAccessToken, type Admin, type TestServer } from './helpers/index.js';
import {
  AUTHORIZE_PATH, authorizeQuery, codeOf, createSignInApp, formFields, newPassword, pkcePair, PlainBrowser, redeemCode, redirectParams, refresh, setPassword, REDIRECT_URI,
} from './helpers/signin.js';
import type { HttpResult } from './helpers/index.js';

/** The security headers of every page a person sees (RFC 9700 §4.16, §4.2.4). */
function assertPageHeaders(res: HttpResult): void {
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

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

describe('the sign-in page', () => {
  it('is a plain form: labelled Username and Password, a Sign in button, no script, framing and caching forbidden', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const res = await new PlainBrowser(server).get(authorizeQuery(app.clientId, pkcePair()));
    assert.equal(res.status, 200);
    assertPageHeaders(res);
    assert.match(res.text, /<label for="username">Username<\/label><input type="text" id="username" name="username"/);
    assert.match(res.text, /<label for="password">Password<\/label><input type="password" id="password" name="password"/);
    assert.match(res.text, /<button type="submit">Sign in<\/button>/);
    assert.match(res.text, /<form method="post" action="\/csp\/gateway\/discovery">/);
    assert.doesNotMatch(res.text, /<script/i);
    assert.ok(formFields(res.text).csrf_token, 'the form carries a CSRF token');
  });

  it('sets an HttpOnly, SameSite=Lax cookie, not Secure on an http issuer; the session cookie likewise', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const browser = new PlainBrowser(server);
    const page = await browser.get(authorizeQuery(app.clientId, pkcePair()));
    const login = page.headers.getSetCookie().find((c) => c.startsWith('orgauth_login='));
    assert.ok(login, 'a login cookie is set');
    assert.match(login, /HttpOnly/);
    assert.match(login, /SameSite=Lax/);
    assert.doesNotMatch(login, /Secure/);
    const res = await browser.post({ ...formFields(page.text), username: admin.username, password });
    const session = res.headers.getSetCookie().find((c) => c.startsWith('orgauth_session='));
    assert.ok(session, 'a session cookie is set at sign-in');
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
    assert.match(session, /Path=\/csp\/gateway/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  });

  it('a wrong password shows the same page with a generic error, never a redirect; an unknown user gets the same words', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const wrong = await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkcePair()), admin.username, 'not the password at all');
    const unknown = await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkcePair()), 'nobody@example.com', 'not the password at all');
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('location'), null);
      assertPageHeaders(res);
      assert.match(res.text, /role="alert">Wrong username or password\.</);
      assert.match(res.text, /<button type="submit">Sign in<\/button>/);
      assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('orgauth_session=')), false, 'no session');
    }
  });

  it('a user without a password cannot sign in', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    await server.cli(['user', 'add', '--org', admin.orgId, '--username', 'nopassword@example.com', '--role', 'org_member']);
    const res = await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkcePair()), 'nopassword@example.com', '');
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });
});

describe('CSRF and session fixation', () => {
  it('a form without its CSRF token, with a wrong one, or with another browser\'s is refused with a page, never a redirect', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const query = authorizeQuery(app.clientId, pkcePair());
    const mine = new PlainBrowser(server);
    const fields = formFields((await mine.get(query)).text);
    const theirs = new PlainBrowser(server);
    const theirFields = formFields((await theirs.get(query)).text);
    const { csrf_token: _dropped, ...withoutToken } = fields;
    const attempts = [
      await mine.post({ ...withoutToken, username: admin.username, password }),
      await mine.post({ ...fields, csrf_token: 'A'.repeat(43), username: admin.username, password }),
      await mine.post({ ...fields, csrf_token: theirFields.csrf_token!, username: admin.username, password }),
      // The attacker's own form, posted from the victim's browser without the attacker's cookie.
      await new PlainBrowser(server).post({ ...theirFields, username: admin.username, password }),
    ];
    for (const res of attempts) {
      assert.equal(res.status, 403, res.text.slice(0, 200));
      assert.equal(res.headers.get('location'), null);
      assertPageHeaders(res);
      assert.match(res.text, /sign-in form has expired/);
    }
  });

  it('signing in always starts a new session id: a planted session cookie is neither kept nor valid', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const browser = new PlainBrowser(server);
    const planted = 'P'.repeat(43);
    browser.cookies.set('orgauth_session', planted);
    const page = await browser.get(authorizeQuery(app.clientId, pkcePair()));
    assert.equal(page.status, 200, 'a planted session id is no session');
    await browser.post({ ...formFields(page.text), username: admin.username, password });
    const fresh = browser.cookies.get('orgauth_session');
    assert.ok(fresh && fresh !== planted, 'a new session id');
  });

  it('a session cookie held before the form is posted is ended, and the person gets a new id', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const attacker = new PlainBrowser(server);
    await attacker.signIn(authorizeQuery(app.clientId, pkcePair()), admin.username, password);
    const attackerSession = attacker.cookies.get('orgauth_session')!;
    const victim = new PlainBrowser(server);
    const page = await victim.get(authorizeQuery(app.clientId, pkcePair()));
    victim.cookies.set('orgauth_session', attackerSession);
    const res = await victim.post({ ...formFields(page.text), username: admin.username, password });
    assert.equal(res.status, 303);
    assert.notEqual(victim.cookies.get('orgauth_session'), attackerSession);
    const reuse = await attacker.get(authorizeQuery(app.clientId, pkcePair()));
    assert.equal(reuse.status, 200, 'the fixed session id no longer works');
  });
});

describe('redirects are exact', () => {
  it('an unknown client or an unregistered redirect URI shows an error page and never redirects', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const cc = await server.req('POST', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { displayName: 'machine only', description: 'd', grantTypes: ['client_credentials'], allowedScopes: { organizationScopes: { roles: [{ name: 'org_member' }] } } } });
    const cases: Array<[string, Record<string, string>]> = [
      ['unknown client', authorizeQuery('no-such-client', pkcePair())],
      ['no client_id', { redirect_uri: REDIRECT_URI }],
      ['client without authorization_code', authorizeQuery(cc.body.clientId, pkcePair())],
      ['unregistered redirect URI', authorizeQuery(app.clientId, pkcePair(), { redirect_uri: 'https://evil.example/callback' })],
      ['registered URI plus a path', authorizeQuery(app.clientId, pkcePair(), { redirect_uri: `${REDIRECT_URI}/more` })],
      ['registered URI plus a query', authorizeQuery(app.clientId, pkcePair(), { redirect_uri: `${REDIRECT_URI}?x=1` })],
      ['other loopback host', authorizeQuery(app.clientId, pkcePair(), { redirect_uri: REDIRECT_URI.replace('127.0.0.1', 'localhost') })],
      ['no redirect_uri', { client_id: app.clientId, state: 's' }],
    ];
    for (const [name, query] of cases) {
      const res = await new PlainBrowser(server).get(query);
      assert.equal(res.status, 400, `${name}: ${res.status}`);
      assert.equal(res.headers.get('location'), null, `${name}: never a redirect`);
      assertPageHeaders(res);
    }
  });

  it('a loopback redirect URI may use another port (RFC 8252); a non-loopback one may not', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId, { redirectUris: [REDIRECT_URI, 'https://app.example.com:8443/cb'] });
    const browser = new PlainBrowser(server);
    const pkce = pkcePair();
    const otherPort = 'http://127.0.0.1:49152/callback';
    const res = await browser.signIn(authorizeQuery(app.clientId, pkce, { redirect_uri: otherPort }), admin.username, password);
    assert.equal(redirectParams(res, otherPort).get('error'), null);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    server.rememberSecret(code, 'apiToken');
    assertTokenResponse(await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier, otherPort));
    const httpsOtherPort = await browser.get(authorizeQuery(app.clientId, pkcePair(), { redirect_uri: 'https://app.example.com:9443/cb' }));
    assert.equal(httpsOtherPort.status, 400);
  });

  it('errors once the redirect URI is known go back with error, state and iss', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const issuer = (await discovery(server)).issuer;
    const pkce = pkcePair();
    const cases: Array<[string, Record<string, string>, string]> = [
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['PKCE plain', { code_challenge: pkce.verifier, code_challenge_method: 'plain' }, 'invalid_request'],
      ['challenge without method (plain by default)', { code_challenge_method: '' }, 'invalid_request'],
      ['malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
      ['unknown scope', { scope: 'openid admin:everything' }, 'invalid_scope'],
    ];
    for (const [name, extra, error] of cases) {
      const query = authorizeQuery(app.clientId, pkce, extra);
      const res = await new PlainBrowser(server).get(query);
      assert.equal(res.status, 302, name);
      const params = redirectParams(res);
      assert.equal(params.get('error'), error, name);
      assert.equal(params.get('state'), query.state, name);
      assert.equal(params.get('iss'), issuer, name);
      assert.equal(params.get('code'), null, name);
    }
  });

  it('a confidential client may skip PKCE unless forcePkce; S256 is accepted from it', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const browser = new PlainBrowser(server);
    const code = codeOf(server, await browser.signIn(authorizeQuery(app.clientId, undefined), admin.username, password));
    assertTokenResponse(await redeemCode(server, app.clientId, app.clientSecret, code, undefined));
    const forced = await createSignInApp(server, admin.accessToken, admin.orgId, { forcePkce: true });
    assert.equal(redirectParams(await browser.get(authorizeQuery(forced.clientId, undefined))).get('error'), 'invalid_request');
  });
});

describe('the code is bound to client, redirect URI and PKCE verifier', () => {
  it('a wrong redirect_uri, a wrong or missing verifier, or another client → invalid_grant, and the code still works for its owner', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const other = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const attempts = [
      await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier, 'http://127.0.0.1:8765/other'),
      await redeemCode(server, app.clientId, app.clientSecret, code, pkcePair().verifier),
      await redeemCode(server, app.clientId, app.clientSecret, code, undefined),
      await redeemCode(server, other.clientId, other.clientSecret, code, pkce.verifier),
      await redeemCode(server, app.clientId, undefined, code, pkce.verifier),
    ];
    for (const res of attempts.slice(0, 4)) {
      assertCspError(res, 400);
      assert.equal(res.body.error, 'invalid_grant');
    }
    assertCspError(attempts[4]!, 401, {}, server);
    assert.equal(attempts[4]!.body.error, 'invalid_client', 'a confidential client must authenticate');
    assertTokenResponse(await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier));
  });

  it('the old secret cannot redeem a code once the secret is regenerated', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const regen = await server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
    assert.equal(regen.status, 200);
    const old = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    assert.equal(old.status, 401);
    assert.equal(old.body.error, 'invalid_client');
    assertTokenResponse(await redeemCode(server, app.clientId, regen.body.clientSecret, code, pkce.verifier));
  });
});

describe('discovery and userinfo', () => {
  it('discovery lists the authorization and userinfo endpoints, the grants, S256 and iss support, also at …/auth/.well-known', async () => {
    const meta = await discovery(server);
    assert.equal(meta.authorization_endpoint, `${server.baseUrl}${AUTHORIZE_PATH}`);
    assert.equal(meta.userinfo_endpoint, `${meta.issuer}/userinfo`);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    for (const grant of ['authorization_code', 'refresh_token', 'client_credentials']) assert.ok(meta.grant_types_supported.includes(grant));
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    const alt = await server.req('GET', '/auth/.well-known/openid-configuration');
    assert.equal(alt.status, 200);
    assert.deepEqual(alt.body, meta);
  });

  it('userinfo answers for a person\'s access token, and 401 without one', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const tokens = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    const info = await server.req('GET', '/userinfo', { token: tokens.body.access_token });
    assert.equal(info.status, 200);
    assert.equal(info.body.sub, admin.username);
    assert.equal(info.body.context_name, admin.orgId);
    assert.ok(info.body.perms.includes('csp:org_owner'));
    const none = await server.req('GET', '/userinfo');
    assertCspError(none, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  });
});

describe('POST /auth/logout', () => {
  it('returns CSP\'s {url} and ends the session: the next authorization asks for the password again', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId, { postLogoutRedirectUris: ['http://127.0.0.1:8765/bye'] });
    const browser = new PlainBrowser(server);
    const pkce = pkcePair();
    const code = codeOf(server, await browser.signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const tokens = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    assert.equal((await browser.get(authorizeQuery(app.clientId, pkcePair()))).status, 302, 'signed in');
    const out = await server.req('POST', '/auth/logout', { json: { idToken: tokens.body.id_token, post_logout_redirect_uri: 'http://127.0.0.1:8765/bye' }, headers: { cookie: browser.cookieHeader() } });
    assert.equal(out.status, 200);
    assert.equal(out.body.url, 'http://127.0.0.1:8765/bye');
    assert.ok(out.headers.getSetCookie().some((c) => c.startsWith('orgauth_session=;') && /Max-Age=0/.test(c)), 'the cookie is cleared');
    // Even with the old cookie replayed, the session is gone.
    const replay = await browser.get(authorizeQuery(app.clientId, pkcePair()));
    assert.equal(replay.status, 200, 'the sign-in page again');
    const plain = await server.req('POST', '/auth/logout', { json: { post_logout_redirect_uri: 'https://evil.example/' } });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.url, `${server.baseUrl}/csp/gateway/signed-out`, 'an unregistered target is not used');
  });
});

describe('behind an https issuer', () => {
  it('the login and session cookies are Secure as well', async () => {
    const secure = await startServer({ env: { ORGAUTH_ISSUER: 'https://login.example.com/csp/gateway/am/api' } });
    try {
      const owner = await bootstrapAdmin(secure);
      const pass = newPassword();
      await setPassword(secure, owner.username, pass);
      const app = await createSignInApp(secure, owner.accessToken, owner.orgId);
      const browser = new PlainBrowser(secure);
      const page = await browser.get(authorizeQuery(app.clientId, pkcePair()));
      assert.match(page.headers.getSetCookie().find((c) => c.startsWith('orgauth_login=')) ?? '', /; Secure/);
      const res = await browser.post({ ...formFields(page.text), username: owner.username, password: pass });
      assert.equal(res.status, 303);
      assert.match(res.headers.getSetCookie().find((c) => c.startsWith('orgauth_session=')) ?? '', /; Secure/);
      assert.equal(redirectParams(res).get('iss'), 'https://login.example.com/csp/gateway/am/api');
      codeOf(secure, res);
    } finally {
      await secure.stop();
    }
  });

});

describe('refresh_token in grantTypes', () => {
  it('a client whose app lost refresh_token cannot refresh any more', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const tokens = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    const patched = await server.req('PATCH', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}`, { token: admin.accessToken, json: { grantTypes: ['authorization_code'] } });
    assert.equal(patched.status, 200, patched.text);
    const res = await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token);
    assertCspError(res, 400);
    assert.equal(res.body.error, 'unauthorized_client');
  });
});
