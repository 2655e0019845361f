// Forged, stale and withdrawn tokens on the management API (docs/design.md §4: 401 for no token, bad
// signature, wrong issuer, expired, revoked, an alg other than ours). Each attack is tried with
// `Authorization: Bearer` and with the legacy `csp-auth-token` header.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8 } from 'jose';
import {
  addUser, assertCspError, bootstrapAdmin, clientCredentials, createApp, exchangeApiToken, serviceAccountToken, sleep,
  type Admin, type HttpResult, type TestServer,
} from './helpers/index.js';
import { introspect, startRoomyServer } from './helpers/lifecycle.js';

let server: TestServer;
let admin: Admin;
/** Nodes on the same database (same signing keys) with another issuer, and with a clock an hour ahead. */
let otherIssuerNode: TestServer | undefined;
let fastClockNode: TestServer | undefined;
let preloadDir: string;
const OTHER_ISSUER = 'http://impostor.example/csp/gateway/am/api';

before(async () => {
  server = await startRoomyServer();
  admin = await bootstrapAdmin(server);
});

after(async () => {
  await otherIssuerNode?.stop();
  await fastClockNode?.stop();
  await server?.stop();
  if (preloadDir) fs.rmSync(preloadDir, { recursive: true, force: true });
});

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

/** A JWS with any header and payload, and a signature from `sign` (or none). */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, sign?: (input: string) => Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${sign ? b64url(sign(input)) : ''}`;
}

/** A real token's claims, refreshed so only the attack under test can be wrong. */
function claimsOf(token: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { ...decodeJwt(token), iat: now, exp: now + 600 };
}

function appUrl(orgId = admin.orgId): string {
  return `/orgs/${orgId}/oauth-apps`;
}

/** The token on the management API, with both header styles: both must be 401 with the CSP body. */
async function assertRefused(token: string, what: string, status = 401): Promise<void> {
  const bearer = await server.req('GET', appUrl(), { token });
  assertCspError(bearer, status, {}, server);
  const legacy = await server.req('GET', appUrl(), { headers: { 'csp-auth-token': token } });
  assertCspError(legacy, status, {}, server);
  // A change is refused the same way.
  const put = await server.req('PUT', `${appUrl()}/no-such-app/secret`, { token, json: {} });
  assert.equal(put.status, status, `${what}: PUT …/secret answered ${put.status} ${put.text}`);
}

async function assertAccepted(token: string, what: string): Promise<void> {
  const res: HttpResult = await server.req('GET', appUrl(), { token });
  assert.equal(res.status, 200, `${what} is a working token (control): ${res.status} ${res.text}`);
}

describe('forged tokens → 401', () => {
  it('control: the real token works, so each 401 below comes from the attack alone', async () => {
    await assertAccepted(admin.accessToken, 'the admin token');
  });

  it('alg none (with and without our kid, with and without a signature part)', async () => {
    const { kid } = decodeProtectedHeader(admin.accessToken);
    const claims = claimsOf(admin.accessToken);
    await assertRefused(forge({ alg: 'none', kid }, claims), 'alg none, our kid');
    await assertRefused(forge({ alg: 'none', typ: 'JWT' }, claims), 'alg none, no kid');
    await assertRefused(forge({ alg: 'None', kid }, claims), 'alg None');
    await assertRefused(`${forge({ alg: 'none', kid }, claims)}c2ln`, 'alg none with a signature part');
  });

  it('HS256 signed with our public key: the PEM bytes, the JWK JSON bytes and the modulus', async () => {
    const { kid } = decodeProtectedHeader(admin.accessToken);
    const pem = await server.req('GET', '/auth/token-public-key');
    assert.equal(pem.status, 200, pem.text);
    const jwks = await server.req('GET', '/auth/keys');
    const jwk = (jwks.body.keys as Array<Record<string, string>>).find((k) => k.kid === kid);
    assert.ok(jwk, 'our key is in the JWKS');
    const claims = claimsOf(admin.accessToken);
    const keys: Array<[string, Buffer]> = [
      ['PEM', Buffer.from(pem.body.value as string)],
      ['PEM without trailing newline', Buffer.from((pem.body.value as string).trim())],
      ['JWK JSON', Buffer.from(JSON.stringify(jwk))],
      ['modulus bytes', Buffer.from(jwk.n!, 'base64url')],
    ];
    for (const [what, key] of keys) {
      for (const alg of ['HS256', 'HS512']) {
        const hash = alg === 'HS256' ? 'sha256' : 'sha512';
        await assertRefused(forge({ alg, kid, typ: 'JWT' }, claims, (input) => createHmac(hash, key).update(input).digest()), `${alg} with ${what}`);
      }
    }
  });

  it('a key we never published: unknown kid, our kid, no kid, and other RSA algorithms', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { kid } = decodeProtectedHeader(admin.accessToken);
    const claims = claimsOf(admin.accessToken);
    const sign = async (alg: string, header: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(await importPKCS8(pkcs8, alg));
    await assertRefused(await sign('RS256', { kid: 'unknown-kid-0001' }), 'unknown kid');
    await assertRefused(await sign('RS256', { kid }), 'our kid, foreign key (another issuer\'s signature)');
    await assertRefused(await sign('RS256', {}), 'no kid');
    await assertRefused(await sign('RS384', { kid }), 'RS384');
    await assertRefused(await sign('PS256', { kid }), 'PS256');
  });

  it('another issuer: a foreign key with its own iss, and our own key with another iss (a node on our database with ORGAUTH_ISSUER set elsewhere)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = await new SignJWT({ ...claimsOf(admin.accessToken), iss: OTHER_ISSUER })
      .setProtectedHeader({ alg: 'RS256', kid: 'impostor-1' })
      .sign(privateKey);
    await assertRefused(foreign, 'foreign issuer and key');

    otherIssuerNode = await startRoomyServer({ shareWith: server, env: { ORGAUTH_ISSUER: OTHER_ISSUER } });
    const token = await exchangeApiToken(otherIssuerNode, admin.apiToken);
    server.rememberSecret(token, 'accessToken');
    assert.equal(decodeJwt(token).iss, OTHER_ISSUER);
    assert.equal(decodeProtectedHeader(token).kid, decodeProtectedHeader(admin.accessToken).kid, 'same signing key: only iss differs');
    const onItsNode = await otherIssuerNode.req('GET', appUrl(), { token });
    assert.equal(onItsNode.status, 200, `the token works where it was issued: ${onItsNode.text}`);
    await assertRefused(token, 'our key, another iss');
  });

  it('tampered payload: another org, more perms, a later exp — each with the original signature', async () => {
    const [h, p, s] = admin.accessToken.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const other = await server.cli(['org', 'create', '--name', 'tamper target']);
    const variants: Array<Record<string, unknown>> = [
      { ...payload, context_name: other.id },
      { ...payload, perms: ['csp:org_owner', 'csp:org_admin', 'csp:developer'] },
      { ...payload, exp: (payload.exp as number) + 86_400 },
      { ...payload, sub: 'someone-else@example.com' },
    ];
    for (const v of variants) await assertRefused(`${h}.${b64url(JSON.stringify(v))}.${s}`, 'tampered payload');
    // Flipped signature bits and a truncated signature.
    await assertRefused(`${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`, 'flipped signature');
    await assertRefused(`${h}.${p}.${s.slice(0, 20)}`, 'truncated signature');
    await assertRefused(`${h}.${p}`, 'two parts');
  });
});

describe('stale tokens → 401', () => {
  it('expired: a real token of an app with accessTokenTTL 1, presented 2 s later', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { accessTokenTTL: 1 });
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    const payload = decodeJwt(token);
    assert.equal((payload.exp as number) - (payload.iat as number), 1);
    await sleep(2100);
    await assertRefused(token, 'expired');
    const res = await server.req('GET', appUrl(), { token });
    assert.equal(res.body.errorCode, 'EXPIRED_JWT_ERROR', res.text);
  });

  it('expired after use: a token accepted while valid is refused once it expires (the remembered signature does not outlive exp)', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId, { accessTokenTTL: 3 });
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    const exp = decodeJwt(token).exp as number;
    for (let i = 0; i < 3; i++) assert.equal((await server.req('GET', appUrl(), { token })).status, 200, 'accepted while valid');
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 1100);
    const res = await server.req('GET', appUrl(), { token });
    assertCspError(res, 401, {}, server);
    assert.equal(res.body.errorCode, 'EXPIRED_JWT_ERROR', res.text);
    assert.equal((await introspect(server, app, token)).active, false);
  });

  it('not yet valid: nbf in the future on a token not signed by us reduces to a signature failure', async () => {
    // We never put nbf in our tokens, and no one but us can sign with our key: a future nbf can
    // only arrive on a forged token, which fails on its signature first.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    const { kid } = decodeProtectedHeader(admin.accessToken);
    const future = await new SignJWT({ ...claimsOf(admin.accessToken), nbf: now + 3600 }).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
    await assertRefused(future, 'nbf in the future, foreign key');
  });

  it('not yet valid: a token of our key issued an hour ahead (a node on our database whose clock runs fast)', async () => {
    // The one way our key signs a token "from the future": a node with a skewed clock. Its iat is
    // an hour ahead; a verifier must not accept a token issued later than now (60 s of skew allowed).
    preloadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-clock-'));
    const preload = path.join(preloadDir, 'fast-clock.mjs');
    fs.writeFileSync(preload, 'const realNow = Date.now; Date.now = () => realNow() + 3_600_000;\n');
    fastClockNode = await startRoomyServer({ shareWith: server, env: { NODE_OPTIONS: `--import=${preload}`, ORGAUTH_ISSUER: server.api('') } });
    const token = await exchangeApiToken(fastClockNode, admin.apiToken);
    server.rememberSecret(token, 'accessToken');
    const iat = decodeJwt(token).iat as number;
    assert.ok(iat > Date.now() / 1000 + 3000, `the fast node issued the token an hour ahead (iat ${iat})`);
    const onItsNode = await fastClockNode.req('GET', appUrl(), { token });
    assert.equal(onItsNode.status, 200, `the fast node itself accepts it: ${onItsNode.text}`);
    await assertRefused(token, 'issued an hour in the future');
    assert.equal((await server.req('GET', appUrl(), { token })).body.message, 'The access token is not valid yet');
  });
});

describe('withdrawn tokens → 401 (403 where a credential stays valid with fewer rights)', () => {
  it('revoked through RFC 7009 by its own client', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    await assertAccepted(token, 'service-account token');
    const revoked = await server.req('POST', '/auth/revoke', { basic: [app.clientId, app.clientSecret], form: { token } });
    assert.equal(revoked.status, 200, revoked.text);
    await assertRefused(token, 'revoked access token');
  });

  it('token of a deleted app', async () => {
    const app = await createApp(server, admin.accessToken, admin.orgId);
    const token = await serviceAccountToken(server, app.clientId, app.clientSecret);
    await assertAccepted(token, 'service-account token');
    const del = await server.req('DELETE', appUrl(), { token: admin.accessToken, json: { clientIdsToDelete: [app.clientId] } });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.body.succeeded, [app.clientId], del.text);
    await assertRefused(token, 'token of a deleted app');
    // A new app under the same id does not revive the old token (app instance id).
    await createApp(server, admin.accessToken, admin.orgId, { id: app.clientId });
    await assertRefused(token, 'token of a deleted app whose id was reused');
  });

  it('token of a user whose membership lost every management role → 403 (the CLI cannot remove a member; downgraded to org_member instead)', async () => {
    const user = await addUser(server, admin.orgId, 'org_admin');
    await assertAccepted(user.accessToken, 'org_admin token');
    await server.cli(['user', 'add', '--org', admin.orgId, '--username', user.username, '--role', 'org_member']);
    // The membership is re-read on every request: the still-valid token carries no rights now.
    await assertRefused(user.accessToken, 'token of a downgraded user', 403);
  });

  it('access token exchanged from an API token that was revoked (`orgauth api-token revoke`)', async () => {
    const user = await addUser(server, admin.orgId, 'org_owner');
    await assertAccepted(user.accessToken, 'owner token');
    await server.cli(['api-token', 'revoke', '--token', user.apiToken]);
    await assertRefused(user.accessToken, 'token of a revoked API token');
    const exchange = await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: user.apiToken } });
    assertCspError(exchange, 400, { oauthError: 'invalid_grant' }, server);
  });

  it('client_credentials with the secret of another app → 401 invalid_client (every credential shape)', async () => {
    const a = await createApp(server, admin.accessToken, admin.orgId);
    const b = await createApp(server, admin.accessToken, admin.orgId);
    for (const shape of ['basic', 'basic-urlencoded', 'basic-query', 'post'] as const) {
      assertCspError(await clientCredentials(server, a.clientId, b.clientSecret, shape), 401, { oauthError: 'invalid_client' }, server);
      assertCspError(await clientCredentials(server, b.clientId, a.clientSecret, shape), 401, { oauthError: 'invalid_client' }, server);
    }
    // An app of another org too.
    const org = await server.cli(['org', 'create', '--name', 'cross-secret org']);
    const owner = await addUser(server, org.id, 'org_owner');
    const c = await createApp(server, owner.accessToken, org.id);
    assertCspError(await clientCredentials(server, a.clientId, c.clientSecret), 401, { oauthError: 'invalid_client' }, server);
  });
});
