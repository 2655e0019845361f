// The console's shell: sign-in on arrival, the header (org switcher, navigation, sign out) and the router.
import { h, replace } from './dom.js';
import { api } from './api.js';
import { completeSignIn, current, hasRole, signIn, signOut } from './auth.js';
import { interceptLinks, link, navigate, setNavigateHandler } from './router.js';
import { appFormPage, appPage, appsPage } from './apps.js';
import { tokensPage } from './tokens.js';
import { auditPage } from './audit.js';
import { errorBox, pageHeading } from './ui.js';

interface OrgItem { id: string; displayName: string; roles: string[] }

const main = h('main', { id: 'main', tabindex: '-1' });
const header = h('header', { class: 'topbar' });
let orgs: OrgItem[] = [];

function navItem(path: string, text: string, active: boolean): HTMLElement {
  const a = link(path, text);
  if (active) a.setAttribute('aria-current', 'page');
  return h('li', {}, a);
}

function renderHeader(path: string): void {
  const session = current();
  if (!session) {
    replace(header, h('a', { class: 'brand', href: '/console/' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'orgauth'));
    return;
  }
  const select = h('select', { id: 'org-switcher', onchange: () => {
    if (select.value !== session.orgId) void signIn('/console/', select.value);
  } }, (orgs.length ? orgs : [{ id: session.orgId, displayName: session.orgId, roles: [] }]).map((o) => h('option', { value: o.id, selected: o.id === session.orgId }, o.displayName)));
  const role = ['org_owner', 'org_admin', 'org_member'].find((r) => hasRole(r)) ?? '';
  replace(header,
    h('a', { class: 'brand', href: '/console/', 'data-nav': true }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'orgauth'),
    h('nav', { 'aria-label': 'Main' }, h('ul', {},
      navItem('/console/', 'Apps', path === '/console/' || path.startsWith('/console/apps')),
      navItem('/console/tokens', 'API tokens', path === '/console/tokens'),
      navItem('/console/audit', 'Audit log', path === '/console/audit'))),
    h('div', { class: 'who' },
      h('div', { class: 'org' }, h('label', { for: 'org-switcher' }, 'Organization'), select),
      h('span', { class: 'user', title: role ? `${session.username} (${role.replace('org_', '')}${hasRole('developer') ? ', developer' : ''})` : session.username }, session.username),
      h('button', { type: 'button', class: 'secondary small', onclick: () => void doSignOut() }, 'Sign out')));
}

async function doSignOut(): Promise<void> {
  await signOut();
  navigate('/console/signed-out', { replace: true });
}

async function render(focus: boolean): Promise<void> {
  const url = new URL(location.href);
  const path = url.pathname;
  if (path === '/console/signed-out') {
    renderHeader(path);
    replace(main, pageHeading('Signed out'), h('p', {}, 'You have signed out of orgauth. Tokens this page held are gone.'),
      h('button', { type: 'button', class: 'primary', onclick: () => void signIn('/console/') }, 'Sign in'));
    return;
  }
  if (!current()) return void signIn(path + url.search);
  renderHeader(path);
  const appMatch = /^\/console\/apps\/([^/]+)(\/edit)?$/.exec(path);
  if (path === '/console/' || path === '/console') await appsPage(main, url.searchParams);
  else if (path === '/console/apps/new') await appFormPage(main);
  else if (appMatch?.[1] && appMatch[2]) await appFormPage(main, decodeURIComponent(appMatch[1]));
  else if (appMatch?.[1]) await appPage(main, decodeURIComponent(appMatch[1]));
  else if (path === '/console/tokens') await tokensPage(main);
  else if (path === '/console/audit') await auditPage(main, url.searchParams);
  else replace(main, pageHeading('Not found'), h('p', {}, 'There is no such page. '), link('/console/', 'Go to the apps'));
  if (focus) (document.getElementById('page-title') ?? main).focus();
}

async function start(): Promise<void> {
  document.body.append(
    // Handled here: a plain #main would change the URL, and the router would render the page again.
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => {
      e.preventDefault();
      (document.getElementById('page-title') ?? main).focus();
    } }, 'Skip to content'),
    header, main,
    h('div', { id: 'status', class: 'toast', role: 'status', 'aria-live': 'polite' }));
  interceptLinks(document.body);
  setNavigateHandler(() => void render(true));
  window.addEventListener('popstate', () => void render(true));
  const url = new URL(location.href);
  if (url.pathname === '/console/callback') {
    try {
      const returnTo = await completeSignIn(url);
      history.replaceState(null, '', returnTo.startsWith('/console/') && !returnTo.startsWith('/console/callback') ? returnTo : '/console/');
    } catch (error) {
      history.replaceState(null, '', '/console/signed-out');
      const errors = errorBox();
      renderHeader('');
      replace(main, pageHeading('Sign-in failed'), errors.el, h('button', { type: 'button', class: 'primary', onclick: () => void signIn('/console/') }, 'Sign in again'));
      errors.show(error);
      return;
    }
    try {
      orgs = (await api<{ items: OrgItem[] }>('GET', '/loggedin/user/orgs')).items;
    } catch {
      orgs = [];
    }
  }
  await render(false);
}

void start();
