// The console at /console in a real Chromium (Debian's package, driven by playwright-core), against
// a started server: a person signs in through the login page, manages apps, secrets and API tokens,
// reads the audit log; axe-core on every page; no credential in web storage; strict CSP, no
// request to another origin. Skips, saying why, when chromium is not installed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addUser, createApp, exchangeApiToken, type Admin, type TestServer, type UserCred } from './helpers/index.js';
import { assertSecretRefused, assertSecretWorks, startRoomyServer, suppliedSecret } from './helpers/lifecycle.js';
import { newPassword, setPassword } from './helpers/signin.js';
import { assertAccessible, chromiumPath, consoleContext, launchChromium, NO_CHROMIUM, webStorageText, type ConsoleWatch } from './helpers/browser.js';

const skip = chromiumPath() ? false : NO_CHROMIUM;

let server: TestServer;
let admin: Admin;
let adminPassword: string;
let developer: UserCred;
let developerPassword: string;

before(async () => {
  server = await startRoomyServer();
  // The first owner gets everything they need from `orgauth bootstrap`: a username, and the password they typed.
  adminPassword = newPassword();
  server.rememberSecret(adminPassword, 'clientSecret');
  const boot = await server.cliRaw(['bootstrap', '--json', '--password-stdin'], `${adminPassword}\n`);
  assert.equal(boot.code, 0, `bootstrap --password-stdin: ${boot.stderr}`);
  const out = JSON.parse(boot.stdout) as { orgId: string; username: string; apiToken: string };
  server.rememberSecret(out.apiToken, 'apiToken');
  admin = { ...out, accessToken: await exchangeApiToken(server, out.apiToken) };
  developer = await addUser(server, admin.orgId, 'org_member', { developer: true });
  developerPassword = newPassword();
  await setPassword(server, developer.username, developerPassword);
});

after(async () => {
  await server?.stop();
});

describe('console responses (plain HTTP)', () => {
  it('every console response carries a strict Content-Security-Policy and is never framed', async () => {
    for (const path of ['/console/', '/console/apps/x', '/console/callback?code=x&state=y', '/console/assets/app.js', '/console/assets/app.css', '/console/assets/nope.js']) {
      const res = await server.req('GET', path, { root: true });
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, `${path}: scripts only from this origin, no inline, no eval`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    const page = await server.req('GET', '/console/', { root: true });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(page.text, /<script>|<script [^>]*>[^<]|\son\w+="|\sstyle="/, 'no inline script, handler or style');
    assert.match(page.text, /<script type="module" src="\/console\/assets\/app\.js"><\/script>/);
    assert.equal((await server.req('GET', '/console/assets/app.js', { root: true })).headers.get('content-type'), 'text/javascript; charset=utf-8');
    const root = await server.req('GET', '/', { root: true });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/console/');
  });
});

/** Through the login page, as a person does: the labelled fields and the Sign in button. */
async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(server.url('/console/'));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'OAuth apps', level: 1 }).waitFor();
}

/** The one-time dialog: reads the value, copies it, checks the clipboard and the note, closes it. */
async function copyOnce(page: Page, label: string): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await assertAccessible(page, `one-time ${label} dialog`);
  assert.match(await dialog.innerText(), /only time/i, 'the dialog says this is the only time');
  const value = await dialog.getByLabel(label).inputValue();
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await dialog.getByText('Copied to the clipboard').waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), value, 'Copy puts the value on the clipboard');
  await dialog.getByRole('button', { name: 'Close' }).click();
  // The dialog is removed by its close event, a task after it stops being shown: wait for that.
  await page.waitForFunction((v) => document.querySelectorAll('dialog').length === 0
    && !document.documentElement.outerHTML.includes(v)
    && !Array.from(document.querySelectorAll('input, textarea')).some((el) => (el as HTMLInputElement).value.includes(v)), value, { timeout: 5000 })
    .catch(() => assert.fail('closing the dialog forgets the value'));
  return value;
}

/** Confirms in the <dialog> whose confirm button repeats the action's name. */
async function confirm(page: Page, action: string): Promise<void> {
  // This confirmation, not any dialog: the one-time secret dialog may open as soon as this one closes.
  const dialog = page.getByRole('dialog').filter({ has: page.getByRole('button', { name: action, exact: true }) });
  await dialog.waitFor();
  await assertAccessible(page, `confirmation of ${action}`);
  await dialog.getByRole('button', { name: action, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

function assertClean(watch: ConsoleWatch): void {
  assert.deepEqual(watch.foreignRequests, [], 'no request leaves the origin');
  assert.deepEqual(watch.cspViolations, [], 'no Content-Security-Policy violation');
  assert.deepEqual(watch.pageErrors, [], 'no uncaught error in the page');
}

describe('the console in Chromium', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('an owner signs in, creates an app, regenerates and rotates its secret, manages API tokens and reads the audit log', { timeout: 240_000 }, async () => {
    const { context, page, watch } = await consoleContext(browser, server, 1280);
    const seen: string[] = [];
    try {
      await signIn(page, admin.username, adminPassword);
      assert.equal(new URL(page.url()).pathname, '/console/', 'back on the console after the callback');
      await assertAccessible(page, 'apps list');

      // Create an app; its secret is shown once and copied.
      await page.getByRole('link', { name: 'Create app' }).click();
      await page.getByRole('heading', { name: 'Create an OAuth app' }).waitFor();
      await assertAccessible(page, 'create app');
      await page.getByLabel('Client id (optional)').fill('console-ci-bot');
      await page.getByLabel('Display name').fill('Console CI bot');
      await page.getByLabel('Description').fill('Deploys from the pipeline');
      // The API's validation message is shown as it is: a refresh TTL below the access TTL.
      await page.getByLabel('Refresh token lifetime (seconds)').fill('60');
      await page.getByRole('button', { name: 'Create app' }).click();
      await page.getByRole('alert').getByText(/refresh token TTL must exceed/i).waitFor();
      await page.getByLabel('Refresh token lifetime (seconds)').fill('7776000');
      await page.getByRole('button', { name: 'Create app' }).click();
      const first = await copyOnce(page, 'Client secret');
      seen.push(first);
      server.rememberSecret(first, 'clientSecret');
      await page.getByRole('heading', { name: 'Console CI bot', level: 1 }).waitFor();
      await assertSecretWorks(server, 'console-ci-bot', first, 'the secret the console showed');
      await page.getByRole('cell', { name: `…${first.slice(-4)}` }).waitFor();
      await assertAccessible(page, 'app page');

      // Regenerate: confirmed by name; the old secret is refused by the token endpoint at once.
      await page.getByRole('button', { name: 'Regenerate secret' }).click();
      await confirm(page, 'Regenerate secret');
      const second = await copyOnce(page, 'Client secret');
      seen.push(second);
      server.rememberSecret(second, 'clientSecret');
      assert.notEqual(second, first);
      await assertSecretRefused(server, 'console-ci-bot', first, 'the secret before Regenerate');
      await assertSecretWorks(server, 'console-ci-bot', second, 'the regenerated secret');

      // Rotate with a grace period: both work; Delete old secret ends it.
      const rotated = suppliedSecret('console');
      server.rememberSecret(rotated, 'clientSecret');
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const rotate = page.getByRole('dialog');
      await assertAccessible(page, 'rotate dialog');
      await rotate.getByLabel('New secret').fill(rotated);
      await rotate.getByLabel('Grace period (seconds)').fill('3600');
      await rotate.getByRole('button', { name: 'Start rotation' }).click();
      await rotate.waitFor({ state: 'detached' });
      await page.getByRole('cell', { name: 'previous' }).waitFor();
      // A chosen secret has no hint: the table says so, never a character of it (nor "undefined").
      await page.getByRole('cell', { name: 'none (chosen secret)' }).waitFor();
      const secretsTable = await page.getByRole('table', { name: 'Valid secrets of this app' }).innerText();
      assert.equal(secretsTable.includes('undefined'), false, 'no hint shown as "undefined"');
      assert.equal(secretsTable.includes(rotated.slice(-4)), false, 'no character of the chosen secret');
      await assertSecretWorks(server, 'console-ci-bot', rotated, 'the new secret of the rotation');
      await assertSecretWorks(server, 'console-ci-bot', second, 'the old secret during the grace period');
      await page.getByRole('button', { name: 'Delete old secret' }).click();
      await confirm(page, 'Delete old secret');
      await page.getByRole('cell', { name: 'previous' }).waitFor({ state: 'detached' });
      await assertSecretRefused(server, 'console-ci-bot', second, 'the old secret after Delete old secret');
      await assertSecretWorks(server, 'console-ci-bot', rotated, 'the current secret');

      // Edit merges the change; the settings show it.
      await page.getByRole('link', { name: 'Edit' }).click();
      await page.getByRole('heading', { name: 'Edit Console CI bot' }).waitFor();
      await assertAccessible(page, 'edit app');
      await page.getByLabel('Description').fill('Deploys from the release pipeline');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Deploys from the release pipeline').waitFor();
      await assertSecretWorks(server, 'console-ci-bot', rotated, 'the secret after an edit without one');

      // Delete app, confirmed by name: the app and its secret are gone.
      const doomed = await createApp(server, admin.accessToken, admin.orgId, { id: 'console-doomed', displayName: 'Doomed app' });
      await page.goto(server.url('/console/apps/console-doomed'));
      await page.getByRole('heading', { name: 'Doomed app', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Delete app' }).click();
      await confirm(page, 'Delete app');
      await page.getByRole('heading', { name: 'OAuth apps', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'Console CI bot' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Doomed app' }).count(), 0);
      await assertSecretRefused(server, doomed.clientId, doomed.clientSecret, 'the secret of the deleted app');

      // Search and paging on the list.
      await page.getByRole('link', { name: 'Apps', exact: true }).click();
      await page.getByLabel('Search apps').fill('CI bot');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: 'Console CI bot' }).waitFor();
      await page.getByLabel('Search apps').fill('no such app');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('No app matches').waitFor();

      // API tokens: created (shown once), it works, revoked, it stops.
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
      await assertAccessible(page, 'API tokens');
      await page.getByLabel('Token name').fill('release pipeline');
      await page.getByRole('button', { name: 'Create token' }).click();
      const apiToken = await copyOnce(page, 'API token');
      seen.push(apiToken);
      server.rememberSecret(apiToken, 'apiToken');
      assert.equal((await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: apiToken } })).status, 200);
      await page.getByRole('button', { name: 'Revoke release pipeline' }).click();
      await confirm(page, 'Revoke token');
      await page.getByRole('row', { name: /release pipeline.*revoked/ }).waitFor();
      assert.equal((await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: apiToken } })).status, 400, 'the revoked token is refused');

      // The audit log shows what was done, and filters.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await page.getByRole('cell', { name: 'secret.delete_old' }).waitFor();
      await assertAccessible(page, 'audit log');
      const log = await page.getByRole('table').innerText();
      for (const action of ['app.create', 'secret.regenerate', 'secret.rotate', 'secret.delete_old', 'api_token.create', 'api_token.revoke']) {
        assert.ok(log.includes(action), `the audit log shows ${action}`);
      }
      await page.getByLabel('Action').selectOption('secret.regenerate');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/action=secret\.regenerate/);
      await page.getByRole('cell', { name: 'secret.regenerate' }).first().waitFor();
      assert.ok(!(await page.getByRole('table').innerText()).includes('app.create'), 'the filter narrows the log');

      // A reload signs in again through the session cookie, without the login page.
      await page.reload();
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();

      // No credential in web storage at any point we can see.
      const storage = await webStorageText(page);
      for (const value of seen) assert.ok(!storage.includes(value), 'no secret or token in web storage');
      assert.doesNotMatch(storage, /eyJ[\w-]+\.[\w-]+\./, 'no JWT in web storage');
      assert.doesNotMatch(storage, /oat_|ocs_/, 'no API token or client secret in web storage');
      assert.equal(storage.trim(), '', `web storage and readable cookies are empty: ${JSON.stringify(storage)}`);

      // Sign out ends the session: the next visit shows the login page again.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Signed out' }).waitFor();
      await assertAccessible(page, 'signed out');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Password').waitFor();
      assertClean(watch);
    } finally {
      await context.close();
    }
  });

  it('a developer meets the API\'s refusal on an owner\'s app, and the console shows the API\'s message', { timeout: 240_000 }, async () => {
    const ownersApp = await createApp(server, admin.accessToken, admin.orgId, {
      id: 'owners-deployer', displayName: 'Owner\'s deployer', allowedScopes: { organizationScopes: { roles: [{ name: 'org_owner' }] } },
    });
    const { context, page, watch } = await consoleContext(browser, server, 375);
    try {
      await signIn(page, developer.username, developerPassword);
      await assertAccessible(page, 'apps list at 375 px');
      await page.getByRole('link', { name: 'Owner\'s deployer' }).click();
      await page.getByRole('heading', { name: 'Owner\'s deployer', level: 1 }).waitFor();
      await assertAccessible(page, 'app page at 375 px');
      await page.getByRole('button', { name: 'Regenerate secret' }).click();
      await confirm(page, 'Regenerate secret');
      const alert = page.getByRole('alert');
      await alert.getByText(/Refused \(403\)/).waitFor();
      assert.match(await alert.innerText(), /The app holds the role 'org_owner', which is above the caller's own/, 'the API\'s own message');
      await assertSecretWorks(server, ownersApp.clientId, ownersApp.clientSecret, 'the owner\'s secret after the refused regenerate');

      // The audit log is for owners and admins: the API's refusal again.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('alert').getByText(/Refused \(403\).*org_owner, org_admin/).waitFor();
      await assertAccessible(page, 'refused audit log at 375 px');
      const width = await page.evaluate('document.documentElement.scrollWidth');
      assert.ok(Number(width) <= 375, `no horizontal scrolling at 375 px (page is ${String(width)} px wide)`);
      assertClean(watch);
    } finally {
      await context.close();
    }
  });

  it('a person in two orgs switches org: a new authorization for the other org, and its apps', { timeout: 240_000 }, async () => {
    const second = await server.cli(['org', 'create', '--name', 'Second org']);
    await server.cli(['user', 'add', '--org', second.id, '--username', admin.username, '--role', 'org_owner']);
    const other = await server.cli(['api-token', 'create', '--org', second.id, '--username', admin.username]);
    const access = (await server.req('POST', '/auth/api-tokens/authorize', { form: { api_token: other.apiToken } })).body.access_token as string;
    await createApp(server, access, second.id, { displayName: 'Only in the second org' });
    for (let i = 1; i <= 21; i++) await createApp(server, access, second.id, { displayName: `Paged app ${String(i).padStart(2, '0')}` });
    const { context, page, watch } = await consoleContext(browser, server, 1280);
    try {
      await signIn(page, admin.username, adminPassword);
      await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'Second org' });
      // The switch has landed when the second org's list shows: only that org has 22 apps, hence a pager.
      // Apps list by creation second, then by id; these ids are random and the 22 apps are created
      // within a second or two, so which page holds 'Only in the second org' is chance: both pages are read.
      const pages = page.getByRole('navigation', { name: 'Apps pages' });
      await pages.getByText('1–20 of 22').waitFor();
      assert.equal(new URL(page.url()).pathname, '/console/', 'back on the console after the callback');
      assert.equal(await page.getByLabel('Organization', { exact: true }).inputValue(), second.id);
      await assertAccessible(page, 'apps of the second org');
      // 22 apps, 20 a page: Next shows the rest.
      assert.equal(await pages.getByRole('button', { name: 'Previous' }).isDisabled(), true);
      const firstPage = await page.getByRole('table').getByRole('link').allInnerTexts();
      assert.equal(firstPage.length, 20);
      await pages.getByRole('button', { name: 'Next' }).click();
      await pages.getByText('21–22 of 22').waitFor();
      const secondPage = await page.getByRole('table').getByRole('link').allInnerTexts();
      assert.equal(secondPage.length, 2);
      const listed = [...firstPage, ...secondPage];
      assert.equal(new Set(listed).size, 22, 'the two pages together show every app once');
      assert.ok(listed.includes('Only in the second org'), 'the second org\'s own app is listed');
      for (const name of ['Console CI bot', 'Owner\'s deployer']) assert.ok(!listed.includes(name), `the first org's ${name} is not shown`);
      assert.equal(await pages.getByRole('button', { name: 'Next' }).isDisabled(), true);
      await pages.getByRole('button', { name: 'Previous' }).click();
      await pages.getByText('1–20 of 22').waitFor();
      assertClean(watch);
    } finally {
      await context.close();
    }
  });
});
