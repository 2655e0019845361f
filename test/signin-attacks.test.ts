// Attacks on people's sign-in and their tokens: replayed and concurrent codes, replayed and
// concurrent refresh tokens, a member removed mid-session, another org's client, an old secret,
// revokeTokens, app deletion and revocation. Every refresh token and code seen is remembered, so
// stop() fails the file if one reached a log line or is stored in plaintext.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser, assertCspError, assertTokenResponse, bootstrapAdmin, startServer, type Admin, type HttpResult, type TestServer } from './helpers/index.js';
import { authorizeQuery, codeOf, createSignInApp, newPassword, pkcePair, PlainBrowser, redeemCode, refresh, setPassword } from './helpers/signin.js';

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

interface SignedIn { app: { clientId: string; clientSecret: string }; tokens: HttpResult; browser: PlainBrowser }

async function signedIn(username = admin.username, pass = password, overrides: Record<string, unknown> = {}): Promise<SignedIn> {
  const app = await createSignInApp(server, admin.accessToken, admin.orgId, overrides);
  const pkce = pkcePair();
  const browser = new PlainBrowser(server);
  const code = codeOf(server, await browser.signIn(authorizeQuery(app.clientId, pkce), username, pass));
  const tokens = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
  assertTokenResponse(tokens);
  return { app, tokens, browser };
}

function assertInvalidGrant(res: HttpResult): void {
  assertCspError(res, 400);
  assert.equal(res.body.error, 'invalid_grant');
}

const managementCall = (token: string) => server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token });

describe('authorization codes', () => {
  it('of 12 concurrent redemptions of one code exactly one wins, and its tokens are revoked', async () => {
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkce), admin.username, password));
    const results = await Promise.all(Array.from({ length: 12 }, () => redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier)));
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const loser of results.filter((r) => r.status !== 200)) assertInvalidGrant(loser);
    // The losers were second uses: what the winner got is revoked.
    assert.equal((await managementCall(winners[0]!.body.access_token)).status, 401);
    assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, winners[0]!.body.refresh_token));
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; a reused one is invalid_grant and kills the whole family', async () => {
    const { app, tokens } = await signedIn();
    const first = tokens.body.refresh_token as string;
    const second = await refresh(server, app.clientId, app.clientSecret, first);
    assertTokenResponse(second);
    const third = await refresh(server, app.clientId, app.clientSecret, second.body.refresh_token);
    assertTokenResponse(third);
    assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, first));
    // The newest member, never used, dies with its family.
    assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, third.body.refresh_token));
  });

  it('of concurrent uses of one refresh token at most one succeeds, and the family dies', async () => {
    const { app, tokens } = await signedIn();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token)));
    const winners = results.filter((r) => r.status === 200);
    assert.ok(winners.length <= 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const winner of winners) assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, winner.body.refresh_token));
  });

  it('work only for the client they were issued to', async () => {
    const { tokens } = await signedIn();
    const other = await createSignInApp(server, admin.accessToken, admin.orgId);
    assertInvalidGrant(await refresh(server, other.clientId, other.clientSecret, tokens.body.refresh_token));
  });

  it('honour the app\'s refreshTokenTTL, and rotation never extends it', async () => {
    const { app, tokens } = await signedIn(admin.username, password, { accessTokenTTL: 300, refreshTokenTTL: 900 });
    const look = async (token: string) => (await server.req('POST', '/auth/introspect', { form: { token }, basic: [app.clientId, app.clientSecret] })).body;
    const first = await look(tokens.body.refresh_token);
    assert.equal(first.active, true);
    assert.equal(first.token_type, 'refresh_token');
    assert.equal(first.exp - first.iat, 900);
    const rotated = await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token);
    const second = await look(rotated.body.refresh_token);
    assert.equal(second.exp, first.exp, 'the family keeps its end of life');
    assert.equal((await look(tokens.body.refresh_token)).active, false, 'a used token is inactive');
  });

  it('regenerating the secret: the old secret cannot refresh; the new one can; revokeTokens=true kills them', async () => {
    const { app, tokens } = await signedIn();
    const regen = await server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {} });
    assert.equal(regen.status, 200);
    const old = await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token);
    assert.equal(old.status, 401);
    assert.equal(old.body.error, 'invalid_client');
    const rotated = await refresh(server, app.clientId, regen.body.clientSecret, tokens.body.refresh_token);
    assertTokenResponse(rotated);

    const killed = await server.req('PUT', `/orgs/${admin.orgId}/oauth-apps/${app.clientId}/secret`, { token: admin.accessToken, json: {}, query: { revokeTokens: 'true' } });
    assert.equal(killed.status, 200);
    assertInvalidGrant(await refresh(server, app.clientId, killed.body.clientSecret, rotated.body.refresh_token));
    assert.equal((await managementCall(rotated.body.access_token)).status, 401, 'the person\'s access token minted with the killed secret');
  });

  it('die with the app: after deletion neither the refresh token nor the access token works', async () => {
    const { app, tokens } = await signedIn();
    const del = await server.req('DELETE', `/orgs/${admin.orgId}/oauth-apps`, { token: admin.accessToken, json: { clientIdsToDelete: [app.clientId] } });
    assert.deepEqual(del.body.succeeded, [app.clientId]);
    const res = await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token);
    assert.ok(res.status === 400 || res.status === 401, `${res.status}`);
    assert.equal((await managementCall(tokens.body.access_token)).status, 401);
  });

  it('die with POST /auth/revoke, from a confidential client and from a public one', async () => {
    const { app, tokens } = await signedIn();
    const revoked = await server.req('POST', '/auth/revoke', { form: { token: tokens.body.refresh_token, token_type_hint: 'refresh_token' }, basic: [app.clientId, app.clientSecret] });
    assert.equal(revoked.status, 200);
    assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token));

    const pub = await createSignInApp(server, admin.accessToken, admin.orgId, { publicClient: true });
    const pkce = pkcePair();
    const code = codeOf(server, await new PlainBrowser(server).signIn(authorizeQuery(pub.clientId, pkce), admin.username, password));
    const pubTokens = await redeemCode(server, pub.clientId, undefined, code, pkce.verifier);
    assertTokenResponse(pubTokens);
    const stranger = await server.req('POST', '/auth/revoke', { form: { token: pubTokens.body.refresh_token }, basic: [app.clientId, ''] });
    assert.equal(stranger.status, 401, 'a confidential client cannot pose as public');
    const pubRevoke = await server.req('POST', '/auth/revoke', { form: { token: pubTokens.body.refresh_token }, basic: [pub.clientId, ''] });
    assert.equal(pubRevoke.status, 200);
    assertInvalidGrant(await refresh(server, pub.clientId, undefined, pubTokens.body.refresh_token));
  });
});

describe('membership is live', () => {
  it('a member removed mid-session: refresh fails, the access token is refused, the session signs in nowhere', async () => {
    const member = await addUser(server, admin.orgId, 'org_member', { developer: true });
    const memberPassword = newPassword();
    await setPassword(server, member.username, memberPassword);
    const { app, tokens, browser } = await signedIn(member.username, memberPassword);
    assert.equal((await managementCall(tokens.body.access_token)).status, 200);
    await server.cli(['user', 'remove', '--org', admin.orgId, '--username', member.username]);
    assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token));
    assert.equal((await managementCall(tokens.body.access_token)).status, 401);
    const page = await browser.get(authorizeQuery(app.clientId, pkcePair()));
    assert.equal(page.status, 403);
    assert.equal(page.headers.get('location'), null);
  });

  it('a refresh refused because the person left ends the sign-in: re-adding them does not bring that refresh token back', async () => {
    const member = await addUser(server, admin.orgId, 'org_member');
    const memberPassword = newPassword();
    await setPassword(server, member.username, memberPassword);
    const { app, tokens } = await signedIn(member.username, memberPassword);
    await server.cli(['user', 'remove', '--org', admin.orgId, '--username', member.username]);
    const refused = await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token);
    assertInvalidGrant(refused);
    assert.match(refused.body.error_description, /no longer a member/);
    await server.cli(['user', 'add', '--org', admin.orgId, '--username', member.username, '--role', 'org_member']);
    assertInvalidGrant(await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token));
  });

  it('another org\'s person cannot sign in to this org\'s app; a member of both lands in the app\'s org, and asking for the other is refused', async () => {
    const other = await server.cli(['org', 'create', '--name', 'Other org']);
    const outsider = 'outsider@example.com';
    await server.cli(['user', 'add', '--org', other.id, '--username', outsider, '--role', 'org_owner']);
    const outsiderPassword = newPassword();
    await setPassword(server, outsider, outsiderPassword);
    const app = await createSignInApp(server, admin.accessToken, admin.orgId);
    const refused = await new PlainBrowser(server).signIn(authorizeQuery(app.clientId, pkcePair()), outsider, outsiderPassword);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('location'), null);
    assert.match(refused.text, /not a member of an organization this application serves/);

    await server.cli(['user', 'add', '--org', admin.orgId, '--username', outsider, '--role', 'org_member']);
    const pkce = pkcePair();
    const browser = new PlainBrowser(server);
    const code = codeOf(server, await browser.signIn(authorizeQuery(app.clientId, pkce), outsider, outsiderPassword));
    const tokens = await redeemCode(server, app.clientId, app.clientSecret, code, pkce.verifier);
    const claims = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.context_name, admin.orgId);
    assert.deepEqual(claims.perms, ['csp:org_member'], 'the roles held in the app\'s org, not in the other');
    const asked = await browser.get(authorizeQuery(app.clientId, pkcePair(), { orgId: other.id }));
    assert.equal(asked.status, 403);
    const link = await browser.get(authorizeQuery(app.clientId, pkcePair(), { orgLink: `/csp/gateway/am/api/orgs/${admin.orgId}` }));
    assert.equal(link.status, 302, 'the deprecated orgLink names the org too');
  });

  it('a person\'s token carries only the roles the app may carry: an owner through a developer-only app is a developer', async () => {
    const { tokens } = await signedIn(admin.username, password, { allowedScopes: { generalScopes: ['openid'], organizationScopes: { roles: [{ name: 'developer' }] } } });
    const claims = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.perms, ['csp:developer']);
    const { tokens: memberOnly } = await signedIn(admin.username, password, { allowedScopes: { generalScopes: ['openid'], organizationScopes: { roles: [{ name: 'org_member' }] } } });
    const memberClaims = JSON.parse(Buffer.from(memberOnly.body.access_token.split('.')[1], 'base64url').toString());
    assert.deepEqual(memberClaims.perms, [], 'the owner holds no org_member role to carry');
    assert.equal((await managementCall(memberOnly.body.access_token)).status, 403, 'no way to act as owner through the app');
  });
});
