// A person signs in through a real browser: Debian's chromium driven by playwright-core (no browser
// download). The form is found by its accessible names, works with script disabled, and the code
// that reaches the app's callback is redeemed. Skips, saying so, when chromium is not installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addUser, assertTokenResponse, bootstrapAdmin, startServer, type Admin, type TestServer } from './helpers/index.js';
import { AUTHORIZE_PATH, createSignInApp, newPassword, pkcePair, redeemCode, refresh, setPassword } from './helpers/signin.js';

function chromiumPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const executablePath = chromiumPath();
const skip = executablePath ? false : 'chromium is not installed here (`command -v chromium` found nothing); CI installs the chromium apt package';

let server: TestServer;
let admin: Admin;
let password: string;
let browser: Browser;
/** The app's side: a callback that answers every redirect and remembers the codes it received. */
let callbackServer: http.Server;
let redirectUri: string;

describe('sign-in in a real Chromium', { skip }, () => {
  before(async () => {
    server = await startServer();
    admin = await bootstrapAdmin(server);
    password = newPassword();
    await setPassword(server, admin.username, password);
    callbackServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>callback</title><p>back at the app</p>'));
    callbackServer.listen(0, '127.0.0.1');
    await once(callbackServer, 'listening');
    redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    browser = await chromium.launch({
      executablePath: executablePath!,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    callbackServer?.close();
    await server?.stop();
  });

  async function newApp(overrides: Record<string, unknown> = {}) {
    return createSignInApp(server, admin.accessToken, admin.orgId, { redirectUris: [redirectUri], ...overrides });
  }

  function authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}): string {
    const url = new URL(server.url(AUTHORIZE_PATH));
    for (const [k, v] of Object.entries({ client_id: clientId, redirect_uri: redirectUri, state: 'st-1', scope: 'openid', nonce: 'nonce-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra })) {
      url.searchParams.set(k, v);
    }
    return url.toString();
  }

  async function signInOnPage(page: Page, username: string, pass: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(pass);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** The code in the URL the browser landed on (the app's callback); remembered as a secret. */
  function codeAt(page: Page): string {
    const url = new URL(page.url());
    assert.equal(`${url.origin}${url.pathname}`, redirectUri, `landed on ${page.url()}`);
    assert.equal(url.searchParams.get('state'), 'st-1');
    const code = url.searchParams.get('code');
    assert.ok(code, `a code in ${page.url()}`);
    server.rememberSecret(code, 'apiToken');
    return code;
  }

  it('a person signs in with script disabled; the code is redeemed; the session spares the next password prompt', async () => {
    const app = await newApp();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const pkce = pkcePair();
    await page.goto(authorizeUrl(app.clientId, pkce.challenge));
    assert.equal(await page.title(), 'Sign in');
    await signInOnPage(page, admin.username, password);
    await page.waitForURL((url) => url.pathname === '/callback');
    const tokens = await redeemCode(server, app.clientId, app.clientSecret, codeAt(page), pkce.verifier, redirectUri);
    assertTokenResponse(tokens);
    assert.equal((await server.req('GET', `/orgs/${admin.orgId}/oauth-apps`, { token: tokens.body.access_token })).status, 200);

    // Code reuse: invalid_grant, and the first redemption's refresh token is dead.
    const reuse = await redeemCode(server, app.clientId, app.clientSecret, codeAt(page), pkce.verifier, redirectUri);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.equal((await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token)).body.error, 'invalid_grant');

    const again = pkcePair();
    await page.goto(authorizeUrl(app.clientId, again.challenge));
    await page.waitForURL((url) => url.pathname === '/callback');
    const second = await redeemCode(server, app.clientId, app.clientSecret, codeAt(page), again.verifier, redirectUri);
    assertTokenResponse(second);
    // Refresh reuse kills the family.
    const rotated = await refresh(server, app.clientId, app.clientSecret, second.body.refresh_token);
    assertTokenResponse(rotated);
    assert.equal((await refresh(server, app.clientId, app.clientSecret, second.body.refresh_token)).body.error, 'invalid_grant');
    assert.equal((await refresh(server, app.clientId, app.clientSecret, rotated.body.refresh_token)).body.error, 'invalid_grant');
    await context.close();
  });

  it('a wrong password stays on the page with a generic error', async () => {
    const app = await newApp();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl(app.clientId, pkcePair().challenge));
    await signInOnPage(page, admin.username, 'certainly not the password');
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByRole('alert').textContent(), 'Wrong username or password.');
    assert.equal(new URL(page.url()).pathname, AUTHORIZE_PATH);
    assert.equal(await page.getByLabel('Username').inputValue(), admin.username);
    await context.close();
  });

  it('an unregistered redirect URI shows an error page and the browser stays on orgauth', async () => {
    const app = await newApp();
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(authorizeUrl(app.clientId, pkcePair().challenge, { redirect_uri: 'https://attacker.example/steal' }));
    assert.equal(response?.status(), 400);
    assert.equal(new URL(page.url()).origin, server.baseUrl);
    assert.match((await page.getByRole('alert').textContent()) ?? '', /redirect URI is not registered/);
    await context.close();
  });

  it('a member removed mid-session: the next authorization is refused and the refresh token dies', async () => {
    const member = await addUser(server, admin.orgId, 'org_member');
    const memberPassword = newPassword();
    await setPassword(server, member.username, memberPassword);
    const app = await newApp();
    const context = await browser.newContext();
    const page = await context.newPage();
    const pkce = pkcePair();
    await page.goto(authorizeUrl(app.clientId, pkce.challenge));
    await signInOnPage(page, member.username, memberPassword);
    await page.waitForURL((url) => url.pathname === '/callback');
    const tokens = await redeemCode(server, app.clientId, app.clientSecret, codeAt(page), pkce.verifier, redirectUri);
    assertTokenResponse(tokens);
    await server.cli(['user', 'remove', '--org', admin.orgId, '--username', member.username]);
    const response = await page.goto(authorizeUrl(app.clientId, pkcePair().challenge));
    assert.equal(response?.status(), 403);
    assert.equal(new URL(page.url()).origin, server.baseUrl);
    assert.equal((await refresh(server, app.clientId, app.clientSecret, tokens.body.refresh_token)).body.error, 'invalid_grant');
    await context.close();
  });

  it('the sign-in page cannot be framed by another site', async () => {
    const app = await newApp();
    const context = await browser.newContext();
    const page = await context.newPage();
    const appOrigin = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
    await page.goto(`${appOrigin}/framing`);
    // The load event waits for both frames; the second, the app's own page, shows that frames do load here.
    await page.setContent(`<iframe name="signin" src="${authorizeUrl(app.clientId, pkcePair().challenge)}"></iframe><iframe name="control" src="${appOrigin}/control"></iframe>`, { waitUntil: 'load' });
    const control = page.frame({ name: 'control' });
    assert.match((await control?.locator('p').textContent()) ?? '', /back at the app/, 'an unprotected page renders in a frame');
    const signin = page.frame({ name: 'signin' });
    assert.equal(signin ? await signin.locator('form').count() : 0, 0, 'the sign-in form does not render inside a frame');
    await context.close();
  });
});
