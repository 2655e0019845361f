// Regenerates the console screenshots of the README (docs/console/*.png): `npm run screenshots`.
// Starts a server with a little data, signs in through the login page in Debian's chromium and
// photographs the main pages at 1280 px and 375 px. Not a test; nothing here asserts.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { addUser, bootstrapAdmin, createApp, REPO_ROOT } from './helpers/index.js';
import { rotateSecret, startRoomyServer, suppliedSecret } from './helpers/lifecycle.js';
import { newPassword, setPassword } from './helpers/signin.js';
import { chromiumPath, consoleContext, launchChromium, NO_CHROMIUM } from './helpers/browser.js';

if (!chromiumPath()) {
  process.stderr.write(`screenshots: ${NO_CHROMIUM}\n`);
  process.exit(1);
}
const out = path.join(REPO_ROOT, 'docs', 'console');
fs.mkdirSync(out, { recursive: true });

const server = await startRoomyServer();
const browser = await launchChromium();
try {
  const admin = await bootstrapAdmin(server, ['--username', 'ada@example.com', '--org-name', 'Example Corp']);
  const password = newPassword();
  await setPassword(server, admin.username, password);
  const dev = await addUser(server, admin.orgId, 'org_member', { developer: true, username: 'grace@example.com' });
  const apps = [
    { id: 'ci-deployer', displayName: 'CI deployer', description: 'Deploys from the release pipeline' },
    { id: 'billing-export', displayName: 'Billing export', description: 'Nightly export to the data warehouse' },
    { id: 'support-portal', displayName: 'Support portal', description: 'Customer support web app', grantTypes: ['authorization_code', 'refresh_token'], publicClient: true, redirectUris: ['https://support.example.com/callback'], allowedScopes: { organizationScopes: { roles: [{ name: 'org_member' }] } } },
    { id: 'metrics-agent', displayName: 'Metrics agent', description: 'Pushes metrics from every node' },
  ];
  for (const app of apps) await createApp(server, app.id === 'metrics-agent' ? dev.accessToken : admin.accessToken, admin.orgId, app);
  await rotateSecret(server, admin.accessToken, admin.orgId, 'ci-deployer', suppliedSecret('shot'), 86400);
  for (const tokenName of ['release pipeline', 'terraform']) {
    await server.req('POST', '/loggedin/user/api-tokens', { token: admin.accessToken, json: { tokenName, refreshTokenTTL: 90 * 86400 } });
  }

  const shoot = async (page: Page, name: string) => {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: false });
  };
  const { context, page } = await consoleContext(browser, server, 1280);
  await page.goto(server.url('/console/'));
  await page.getByLabel('Username').fill(admin.username);
  await shoot(page, 'sign-in');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'OAuth apps', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'CI deployer' }).waitFor();
  await shoot(page, 'apps');
  await page.getByRole('link', { name: 'CI deployer' }).click();
  await page.getByRole('cell', { name: 'previous' }).waitFor();
  await shoot(page, 'app');
  await page.getByRole('button', { name: 'Regenerate secret' }).click();
  await shoot(page, 'confirm-regenerate');
  await page.getByRole('dialog').getByRole('button', { name: 'Regenerate secret' }).click();
  const secretField = page.getByRole('dialog').getByLabel('Client secret');
  await secretField.waitFor();
  // A placeholder in the picture: a real secret, even of this throwaway server, never goes in a file.
  await secretField.evaluate((input) => { (input as HTMLInputElement).value = 'ocs_EXAMPLE-only-shown-once-never-stored-000000000000'; });
  await shoot(page, 'secret-once');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await page.goto(server.url('/console/apps/new'));
  await page.getByRole('heading', { name: 'Create an OAuth app' }).waitFor();
  await shoot(page, 'create-app');
  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.getByRole('cell', { name: 'terraform' }).waitFor();
  await shoot(page, 'api-tokens');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('cell', { name: 'secret.regenerate' }).first().waitFor();
  await shoot(page, 'audit-log');
  await context.close();

  const narrow = await consoleContext(browser, server, 375);
  await narrow.page.goto(server.url('/console/'));
  await narrow.page.getByLabel('Username').fill(admin.username);
  await narrow.page.getByLabel('Password').fill(password);
  await narrow.page.getByRole('button', { name: 'Sign in' }).click();
  await narrow.page.getByRole('link', { name: 'CI deployer' }).waitFor();
  await shoot(narrow.page, 'apps-375');
  await narrow.page.getByRole('link', { name: 'CI deployer' }).click();
  await narrow.page.getByRole('cell', { name: 'current' }).waitFor();
  await shoot(narrow.page, 'app-375');
  await narrow.context.close();
  process.stdout.write(`screenshots written to ${path.relative(REPO_ROOT, out)}/\n`);
} finally {
  await browser.close();
  await server.stop({ checkSecrets: false });
}
