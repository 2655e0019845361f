// The console at /console in a real Chromium (Debian's package, driven by playwright-core), against
// a started server: a person signs in through the login page, manages apps, secrets and API tokens,
// reads the audit log; axe-core on every page; no credential in web storage; strict CSP, no
// request to another origin. Skips, saying why, when chromium is not installed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
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

/** The 375 px check: no horizontal scrolling, and each named control lies inside the viewport's width. */
async function assertFits375(page: Page, what: string, ...controls: Locator[]): Promise<void> {
  const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
  // On failure, name the outermost elements that stick out, so the message points at the CSS to fix.
  const wide = width <= 375 ? [] : await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
    .filter((el) => el.getBoundingClientRect().right > 375 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > 375))
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}`).slice(0, 5));
  assert.ok(width <= 375, `${what}: no horizontal scrolling at 375 px (page is ${String(width)} px wide; sticking out: ${wide.join(', ')})`);
  for (const control of controls) {
    const box = await control.boundingBox();
    assert.ok(box, `${what}: a main control is shown`);
    assert.ok(box.x >= 0 && box.x + box.width <= 375, `${what}: a main control lies within 375 px (x ${box.x}, width ${box.width})`);
  }
}

/** What a screen reader would call the focused element: its label, or its text. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length) return labels[0]!.textContent!.trim();
    return (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  });
}

/** Tab (only Tab) until the named control has focus. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if (await focusedName(page) === name) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached "${name}"`);
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
      await rotate.waitFor();
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
      // The unfiltered list shows this link too: wait for the search's own address first.
      await page.waitForURL(/[?&]q=CI\+bot/);
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
  it('an owner at 375 px: sign-in pages, create and edit forms with add-on roles, dialogs, API tokens, the audit log and Not found', { timeout: 300_000 }, async () => {
    const token = await exchangeApiToken(server, admin.apiToken);
    const billing = await createApp(server, token, admin.orgId, {
      id: 'console-billing', displayName: 'Billing reader',
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }, { name: 'billing_read_only' }] } },
    });
    const rolesOf = async (id: string) => {
      const res = await server.req('GET', `/orgs/${admin.orgId}/oauth-apps/${id}`, { token });
      assert.equal(res.status, 200);
      return (res.body.allowedScopes.organizationScopes.roles as Array<{ name: string }>).map((r) => r.name).sort();
    };
    const { context, page, watch } = await consoleContext(browser, server, 375);
    try {
      // A callback the console did not start: "Sign-in failed", accessible.
      await page.goto(server.url('/console/callback?code=forged&state=forged'));
      await page.getByRole('heading', { name: 'Sign-in failed', level: 1 }).waitFor();
      await assertAccessible(page, 'Sign-in failed');
      await assertFits375(page, 'Sign-in failed', page.getByRole('button', { name: 'Sign in again' }));
      // orgauth's own login page.
      await page.goto(server.url('/console/'));
      await page.getByLabel('Password').waitFor();
      await assertAccessible(page, 'login page');
      await assertFits375(page, 'login page', page.getByLabel('Username'), page.getByRole('button', { name: 'Sign in' }));
      await page.getByLabel('Username').fill(admin.username);
      await page.getByLabel('Password').fill(adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'OAuth apps', level: 1 }).waitFor();

      // Edit an app holding an add-on role: the form shows it, and Save keeps it.
      await page.goto(server.url('/console/apps/console-billing/edit'));
      await page.getByRole('heading', { name: 'Edit Billing reader' }).waitFor();
      assert.equal(await page.getByLabel('Add-on roles').inputValue(), 'billing_read_only', 'the form shows the add-on role');
      await assertAccessible(page, 'edit app at 375 px');
      await assertFits375(page, 'edit app', page.getByLabel('Display name'), page.getByLabel('Add-on roles'), page.getByRole('button', { name: 'Save changes' }));
      await page.getByLabel('Description').fill('Reads invoices');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Reads invoices').waitFor();
      assert.deepEqual(await rolesOf('console-billing'), ['billing_read_only', 'developer'], 'an edit in the console keeps the add-on role');
      await assertSecretWorks(server, billing.clientId, billing.clientSecret, 'the secret after the edit');
      // Adding one by name: a bad name meets the API's message and changes nothing; a good one is kept.
      await page.getByRole('link', { name: 'Edit' }).click();
      await page.getByLabel('Add-on roles').fill('billing_read_only, no_such_role');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('alert').getByText(/'no_such_role' is not an organization role/).waitFor();
      assert.deepEqual(await rolesOf('console-billing'), ['billing_read_only', 'developer'], 'a refused save changes nothing');
      await page.getByLabel('Add-on roles').fill('billing_read_only, support_user');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('heading', { name: 'Billing reader', level: 1, exact: true }).waitFor();
      assert.deepEqual(await rolesOf('console-billing'), ['billing_read_only', 'developer', 'support_user'], 'the added role is stored');

      // Create with an add-on role, at 375 px; the one-time dialog fits too.
      await page.getByRole('link', { name: 'Apps', exact: true }).click();
      await page.getByRole('link', { name: 'Create app' }).click();
      await page.getByRole('heading', { name: 'Create an OAuth app' }).waitFor();
      await assertAccessible(page, 'create app at 375 px');
      await assertFits375(page, 'create app', page.getByLabel('Display name'), page.getByRole('button', { name: 'Create app' }));
      await page.getByLabel('Client id (optional)').fill('console-auditor');
      await page.getByLabel('Display name').fill('Log auditor');
      await page.getByLabel('Add-on roles').fill('access_log_auditor');
      await page.getByRole('button', { name: 'Create app' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await assertFits375(page, 'one-time secret dialog', dialog.getByRole('button', { name: 'Copy' }), dialog.getByRole('button', { name: 'Close' }));
      server.rememberSecret(await dialog.getByLabel('Client secret').inputValue(), 'clientSecret');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await page.getByRole('heading', { name: 'Log auditor', level: 1 }).waitFor();
      assert.deepEqual(await rolesOf('console-auditor'), ['access_log_auditor', 'developer'], 'create gives the add-on role');

      // The confirmation and rotate dialogs fit.
      await page.getByRole('button', { name: 'Regenerate secret' }).click();
      const confirmation = page.getByRole('dialog');
      await confirmation.waitFor();
      await assertFits375(page, 'confirmation dialog', confirmation.getByRole('button', { name: 'Cancel' }), confirmation.getByRole('button', { name: 'Regenerate secret' }));
      await confirmation.getByRole('button', { name: 'Cancel' }).click();
      await confirmation.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const rotate = page.getByRole('dialog');
      await rotate.getByLabel('New secret').waitFor();
      await assertAccessible(page, 'rotate dialog at 375 px');
      await assertFits375(page, 'rotate dialog', rotate.getByLabel('New secret'), rotate.getByRole('button', { name: 'Start rotation' }));
      await rotate.getByRole('button', { name: 'Cancel' }).click();
      await rotate.waitFor({ state: 'detached' });

      // API tokens and the token's one-time dialog.
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
      await assertAccessible(page, 'API tokens at 375 px');
      await assertFits375(page, 'API tokens', page.getByLabel('Token name'), page.getByRole('button', { name: 'Create token' }));
      await page.getByLabel('Token name').fill('phone token');
      await page.getByRole('button', { name: 'Create token' }).click();
      await dialog.waitFor();
      await assertFits375(page, 'one-time token dialog', dialog.getByRole('button', { name: 'Copy' }));
      server.rememberSecret(await dialog.getByLabel('API token').inputValue(), 'apiToken');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('row', { name: /phone token/ }).waitFor();
      await assertFits375(page, 'API tokens with a token', page.getByRole('region', { name: 'Your API tokens' }));

      // The audit log with data, then filtered.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await page.getByRole('cell', { name: 'app.update' }).first().waitFor();
      await assertAccessible(page, 'audit log at 375 px');
      await assertFits375(page, 'audit log', page.getByLabel('Action'), page.getByRole('button', { name: 'Apply filters' }));
      await page.getByLabel('Action').selectOption('app.update');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/action=app\.update/);
      await page.getByRole('cell', { name: 'app.update' }).first().waitFor();
      await assertAccessible(page, 'filtered audit log at 375 px');
      await assertFits375(page, 'filtered audit log', page.getByRole('button', { name: 'Apply filters' }));

      // A console path with no page.
      await page.goto(server.url('/console/no-such-page'));
      await page.getByRole('heading', { name: 'Not found', level: 1 }).waitFor();
      await assertAccessible(page, 'Not found');
      await assertFits375(page, 'Not found', page.getByRole('link', { name: 'Go to the apps' }));
      assertClean(watch);
    } finally {
      await context.close();
    }
  });

  it('keyboard alone: sign in, skip link, focus on the heading, regenerate a secret, Escape closes a dialog and focus returns', { timeout: 240_000 }, async () => {
    const token = await exchangeApiToken(server, admin.apiToken);
    const app = await createApp(server, token, admin.orgId, { id: 'console-keys', displayName: 'Keyboard app' });
    const { context, page, watch } = await consoleContext(browser, server, 1280);
    try {
      await page.goto(server.url('/console/'));
      await page.getByLabel('Password').waitFor();
      await tabTo(page, 'Username');
      await page.keyboard.type(admin.username);
      await tabTo(page, 'Password');
      await page.keyboard.type(adminPassword);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'OAuth apps', level: 1 }).waitFor();

      // The first Tab reaches the skip link; Enter puts focus on the page's heading.
      await page.keyboard.press('Tab');
      assert.equal(await focusedName(page), 'Skip to content', 'the first stop is the skip link');
      await page.keyboard.press('Enter');
      assert.equal(await focusedName(page), 'OAuth apps', 'the skip link leads to the content');

      // Navigation by a link moves focus to the new page's main heading.
      await tabTo(page, 'Keyboard app');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Keyboard app', level: 1 }).waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'page-title');
      assert.equal(await focusedName(page), 'Keyboard app', 'focus is on the main heading after navigation');

      // Escape closes the confirmation; focus returns to the button that opened it.
      await tabTo(page, 'Regenerate secret');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal(await focusedName(page), 'Regenerate secret', 'focus back on Regenerate secret after Escape');
      await assertSecretWorks(server, app.clientId, app.clientSecret, 'the secret after an Escaped confirmation');

      // Regenerate with the keyboard: Enter, Tab to the confirm button, Enter; Escape closes the secret.
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await tabTo(page, 'Regenerate secret');
      assert.equal(await page.evaluate(() => document.activeElement?.closest('dialog') !== null), true, 'the confirm button inside the dialog');
      await page.keyboard.press('Enter');
      const secretDialog = page.getByRole('dialog', { name: 'New client secret' });
      await secretDialog.waitFor();
      const secret = await secretDialog.getByLabel('Client secret').inputValue();
      server.rememberSecret(secret, 'clientSecret');
      await page.keyboard.press('Escape');
      await secretDialog.waitFor({ state: 'detached' });
      assert.equal(await focusedName(page), 'Regenerate secret', 'focus back on Regenerate secret after the secret dialog');
      await assertSecretWorks(server, app.clientId, secret, 'the secret regenerated with the keyboard');
      await assertSecretRefused(server, app.clientId, app.clientSecret, 'the secret before the keyboard regenerate');

      // The rotate dialog too.
      await tabTo(page, 'Rotate secret');
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal(await focusedName(page), 'Rotate secret', 'focus back on Rotate secret after Escape');
      assertClean(watch);
    } finally {
      await context.close();
    }
  });
});
