// A real browser for the console tests: Debian's chromium driven by playwright-core (no browser
// download), axe-core injected from node_modules, and the checks every console page shares.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestServer } from './server.js';

/** The chromium binary, or undefined when the machine has none (the browser tests then skip). */
export function chromiumPath(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

export const NO_CHROMIUM = 'chromium is not installed (Debian: apt-get install chromium); the browser tests need it';

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  assert.ok(executablePath, NO_CHROMIUM);
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface ConsoleWatch {
  /** Requests to any origin other than the server's. */
  readonly foreignRequests: string[];
  /** Content-Security-Policy violations the page reported. */
  readonly cspViolations: string[];
  /** Uncaught errors of the page. */
  readonly pageErrors: string[];
}

/** A context at the given width, with the clipboard allowed and every request and CSP violation watched. */
export async function consoleContext(browser: Browser, server: TestServer, width = 1280): Promise<{ context: BrowserContext; page: Page; watch: ConsoleWatch }> {
  const origin = new URL(server.baseUrl).origin;
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 812 : 900 }, deviceScaleFactor: 1 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  // Generous waits: CI runs two test files at once, and a sign-in is three page loads and a token call.
  context.setDefaultTimeout(90_000);
  context.setDefaultNavigationTimeout(90_000);
  const watch: ConsoleWatch = { foreignRequests: [], cspViolations: [], pageErrors: [] };
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol !== 'data:' && url.origin !== origin) watch.foreignRequests.push(request.url());
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) watch.cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => watch.pageErrors.push(String(error)));
  return { context, page, watch };
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }

/**
 * axe-core on the current page; fails on any serious or critical violation. The script is evaluated
 * through the DevTools protocol, so the page's own CSP (no inline script) stays in force.
 */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(`${axeSource}\n;undefined`);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) }));
  });
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(grave, [], `${what}: axe-core serious/critical violations: ${JSON.stringify(grave, null, 2)}`);
}

/** Every value of localStorage, sessionStorage and document.cookie, as the page's own script sees them. */
export async function webStorageText(page: Page): Promise<string> {
  // A string, not a closure: the test runner's transpiler would wrap a closure's helpers in names the page lacks.
  return page.evaluate(`[localStorage, sessionStorage]
    .map((s) => Array.from({ length: s.length }, (_, i) => s.key(i) + '=' + s.getItem(s.key(i))).join('\\n'))
    .concat(document.cookie).join('\\n')`);
}
