// The apps pages: the list (search, paging), one app (settings, secrets, actions), create and edit.
import { checkbox, field, formatDuration, formatTime, h, replace } from './dom.js';
import { api, orgPath } from './api.js';
import { announce, confirmAction, errorBox, openModal, pageHeading, pager, showSecretOnce, tableWrap } from './ui.js';
import { navigate, link } from './router.js';

const PAGE = 20;

interface AppView {
  id: string; displayName: string; description: string; grantTypes: string[]; redirectUris: string[];
  postLogoutRedirectUris: string[]; allowOpenRedirectUris: boolean; accessTokenTTL: number; refreshTokenTTL: number;
  allowedScopes: { organizationScopes: { allRoles: boolean; roles: Array<{ name: string }> }; servicesScopes: Array<{ serviceDefinitionId: string; roles: Array<{ name: string }> }> };
  allowedOrgs: Array<{ id: string }>; forcePkce: boolean; publicClient: boolean; maxGroupsInIdToken: number; isHidden: boolean;
  ownerOnlySecretRotation: boolean; secretRotationExpirationInSeconds: number; createdAt: number; createdBy: string;
  lastUpdatedAt: number; lastUpdatedBy: string; lastUsedAt?: number; secretAge?: number;
}
interface SecretView { secretId: string; hint?: string; status: string; createdAt: number; createdBy?: string; expiresAt?: number; lastUsedAt?: number }

const appPath = (id: string) => orgPath(`/oauth-apps/${encodeURIComponent(id)}`);

export async function appsPage(main: HTMLElement, query: URLSearchParams): Promise<void> {
  const start = Number(query.get('pageStart') ?? '1') || 1;
  const term = query.get('q') ?? '';
  const errors = errorBox();
  const search = h('input', { type: 'search', name: 'q', value: term, autocomplete: 'off' });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e: Event) => {
    e.preventDefault();
    navigate(`/console/?${new URLSearchParams(search.value ? { q: search.value } : {}).toString()}`);
  } }, field('Search apps', search, 'Part of the name or the client id'), h('button', { type: 'submit', class: 'secondary' }, 'Search'));
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, pageHeading('OAuth apps', link('/console/apps/new', 'Create app', 'button primary')), errors.el, form, body);
  try {
    const params = new URLSearchParams({ pageStart: String(start), pageLimit: String(PAGE) });
    if (term) params.set('searchTerm', term);
    const page = await api<{ results: AppView[]; totalResults: number }>('GET', `${orgPath('/oauth-apps')}?${params.toString()}`);
    const go = (s: number) => navigate(`/console/?${new URLSearchParams({ ...(term ? { q: term } : {}), pageStart: String(s) }).toString()}`);
    replace(body,
      page.results.length === 0
        ? h('p', { class: 'empty' }, term ? `No app matches “${term}”.` : 'No apps yet. Create the first one.')
        : tableWrap(h('table', {},
          h('caption', { class: 'visually-hidden' }, 'OAuth apps of this organization'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Client id'), h('th', { scope: 'col' }, 'Grant types'), h('th', { scope: 'col' }, 'Last used'))),
          h('tbody', {}, page.results.map((app) => h('tr', {},
            h('th', { scope: 'row' }, link(`/console/apps/${encodeURIComponent(app.id)}`, app.displayName)),
            h('td', {}, h('code', {}, app.id)),
            h('td', {}, app.grantTypes.join(', ')),
            h('td', {}, formatTime(app.lastUsedAt))))))),
      page.totalResults > PAGE || start > 1 ? pager(start, PAGE, page.totalResults, go, 'Apps pages') : null);
  } catch (error) {
    replace(body);
    errors.show(error);
  }
}

function dl(rows: Array<[string, Node | string]>): HTMLElement {
  return h('dl', { class: 'props' }, rows.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

function list(items: string[]): Node | string {
  return items.length ? h('ul', { class: 'plain' }, items.map((i) => h('li', {}, h('code', {}, i)))) : '—';
}

export async function appPage(main: HTMLElement, id: string): Promise<void> {
  const errors = errorBox();
  replace(main, pageHeading('OAuth app'), errors.el, h('p', { class: 'muted' }, 'Loading…'));
  let app: AppView;
  try {
    app = await api<AppView>('GET', appPath(id));
  } catch (error) {
    replace(main, pageHeading('OAuth app'), errors.el, link('/console/', '← All apps'));
    errors.show(error);
    return;
  }
  const secretsBody = h('div', {});
  const refreshSecrets = async () => {
    if (app.publicClient) {
      replace(secretsBody, h('p', { class: 'muted' }, 'A public client has no secret; it proves itself with PKCE.'));
      return;
    }
    const secrets = await api<SecretView[]>('GET', `${appPath(id)}/secrets`);
    replace(secretsBody, tableWrap(h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Valid secrets of this app'),
      h('thead', {}, h('tr', {}, ['Status', 'Hint', 'Created', 'Expires', 'Last used'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, secrets.map((s) => h('tr', {},
        h('td', {}, h('span', { class: `badge ${s.status}` }, s.status)),
        // Only a generated secret has a hint: no character of a secret someone chose is ever shown.
        h('td', {}, s.hint !== undefined ? h('code', {}, `…${s.hint}`) : h('span', { class: 'muted' }, 'none (chosen secret)')),
        h('td', { class: 'nowrap' }, formatTime(s.createdAt)),
        h('td', { class: 'nowrap' }, s.expiresAt ? formatTime(s.expiresAt) : 'never'),
        h('td', { class: 'nowrap' }, formatTime(s.lastUsedAt))))))));
  };

  const act = async (work: () => Promise<void>) => {
    errors.clear();
    try {
      await work();
    } catch (error) {
      errors.show(error);
    }
  };

  const regenerate = () => act(async () => {
    const ok = await confirmAction({
      title: `Regenerate the secret of ${app.displayName}?`,
      body: 'A new secret replaces every secret of this app at once. Clients still using an old secret are refused from now on.',
      action: 'Regenerate secret',
    });
    if (!ok) return;
    const result = await api<{ clientSecret: string }>('PUT', `${appPath(id)}/secret`, {});
    await refreshSecrets();
    await showSecretOnce({ title: 'New client secret', label: 'Client secret', value: result.clientSecret, note: 'Copy it now and store it where your client reads it; orgauth keeps only a hash.' });
    announce('Secret regenerated');
  });

  const rotateDialog = () => act(async () => {
    const secretInput = h('input', { type: 'password', name: 'newClientSecret', required: true, autocomplete: 'new-password', minlength: 8, maxlength: 256 });
    const graceInput = h('input', { type: 'number', name: 'grace', min: 1, max: 31536000, value: app.secretRotationExpirationInSeconds, required: true });
    const dialogErrors = errorBox();
    const titleId = 'rotate-title';
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
    const form = h('form', { onsubmit: (e: Event) => {
      e.preventDefault();
      void (async () => {
        dialogErrors.clear();
        try {
          await api('POST', `${appPath(id)}/secret`, { newClientSecret: secretInput.value, secretRotationExpirationInSeconds: Number(graceInput.value) });
          secretInput.value = '';
          dialog.close();
          await refreshSecrets();
          announce('Rotation started: the old secret works until its expiry');
        } catch (error) {
          dialogErrors.show(error);
        }
      })();
    } },
    h('h2', { id: titleId }, 'Rotate the secret'),
    h('p', {}, 'The new secret becomes current; the old one keeps working for the grace period, then stops by itself.'),
    dialogErrors.el,
    field('New secret', secretInput, '8–256 characters with a lower-case and an upper-case letter, a digit and a special character'),
    field('Grace period (seconds)', graceInput, `The old secret stays valid this long (default ${formatDuration(app.secretRotationExpirationInSeconds)})`),
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Start rotation')));
    dialog.append(form);
    openModal(dialog, () => { secretInput.value = ''; });
  });

  const deleteOld = () => act(async () => {
    const ok = await confirmAction({ title: 'Delete the old secret?', body: 'The previous secret of the rotation stops working at once; only the current one remains.', action: 'Delete old secret' });
    if (!ok) return;
    await api('DELETE', `${appPath(id)}/secret`);
    await refreshSecrets();
    announce('Old secret deleted');
  });

  const deleteApp = () => act(async () => {
    const ok = await confirmAction({ title: `Delete ${app.displayName}?`, body: 'The app, its secrets and its tokens stop working at once. This cannot be undone.', action: 'Delete app' });
    if (!ok) return;
    const result = await api<{ succeeded: string[]; failed: string[] }>('DELETE', orgPath('/oauth-apps'), { clientIdsToDelete: [id] });
    // Bulk delete answers 200 and lists refused ids under `failed`, without a reason.
    if (!result.succeeded.includes(id)) throw new Error('The API did not delete this app: it is listed under "failed" (an app holding a role above yours, or one already gone).');
    announce('App deleted');
    navigate('/console/');
  });

  const scopes = app.allowedScopes.organizationScopes;
  replace(main,
    pageHeading(app.displayName,
      link(`/console/apps/${encodeURIComponent(id)}/edit`, 'Edit', 'button secondary'),
      h('button', { type: 'button', class: 'danger-outline', onclick: () => void deleteApp() }, 'Delete app')),
    h('p', {}, link('/console/', '← All apps')),
    errors.el,
    h('section', { 'aria-labelledby': 'secrets-h', class: 'card' },
      h('div', { class: 'card-head' }, h('h2', { id: 'secrets-h' }, 'Secrets'),
        app.publicClient ? null : h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', onclick: () => void regenerate() }, 'Regenerate secret'),
          h('button', { type: 'button', class: 'secondary', onclick: () => void rotateDialog() }, 'Rotate secret'),
          h('button', { type: 'button', class: 'secondary', onclick: () => void deleteOld() }, 'Delete old secret'))),
      secretsBody),
    h('section', { 'aria-labelledby': 'settings-h', class: 'card' },
      h('h2', { id: 'settings-h' }, 'Settings'),
      dl([
        ['Client id', h('code', {}, app.id)],
        ['Description', app.description || '—'],
        ['Client type', app.publicClient ? 'Public (PKCE, no secret)' : 'Confidential'],
        ['Grant types', app.grantTypes.join(', ')],
        ['Organization roles', scopes.allRoles ? 'All roles' : scopes.roles.map((r) => r.name).join(', ') || '—'],
        ['Service scopes', list(app.allowedScopes.servicesScopes.map((s) => `${s.serviceDefinitionId}: ${s.roles.map((r) => r.name).join(', ')}`))],
        ['Redirect URIs', list(app.redirectUris)],
        ['Post-logout redirect URIs', list(app.postLogoutRedirectUris)],
        ['Access token lifetime', formatDuration(app.accessTokenTTL)],
        ['Refresh token lifetime', formatDuration(app.refreshTokenTTL)],
        ['Rotation grace period', formatDuration(app.secretRotationExpirationInSeconds)],
        ['Force PKCE', app.forcePkce ? 'Yes' : 'No'],
        ['Owner-only secret rotation', app.ownerOnlySecretRotation ? 'Yes' : 'No'],
        ['Created', `${formatTime(app.createdAt)} by ${app.createdBy}`],
        ['Last updated', `${formatTime(app.lastUpdatedAt)} by ${app.lastUpdatedBy}`],
        ['Last used', formatTime(app.lastUsedAt)],
      ])));
  await act(refreshSecrets);
}

const ORG_ROLE_NAMES = ['org_owner', 'org_admin', 'org_member', 'developer'];
const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'];
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);
const names = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** Create (no app) or edit (an app): every field of the API, validated by the API. */
export async function appFormPage(main: HTMLElement, id?: string): Promise<void> {
  const editing = id !== undefined;
  const errors = errorBox();
  let app: AppView | undefined;
  if (editing) {
    try {
      app = await api<AppView>('GET', appPath(id));
    } catch (error) {
      replace(main, pageHeading('Edit app'), errors.el);
      errors.show(error);
      return;
    }
  }
  const val = <T>(pick: (a: AppView) => T, fallback: T): T => (app ? pick(app) : fallback);
  const idInput = h('input', { name: 'id', pattern: '[A-Za-z0-9_\\-]{5,256}', autocomplete: 'off', spellcheck: 'false' });
  const nameInput = h('input', { name: 'displayName', required: true, maxlength: 256, value: val((a) => a.displayName, '') });
  const descInput = h('textarea', { name: 'description', rows: 2, maxlength: 4096 });
  descInput.value = val((a) => a.description, '');
  const grants = h('fieldset', {}, h('legend', {}, 'Grant types'),
    GRANTS.map((g) => checkbox(g, `grant-${g}`, val((a) => a.grantTypes.includes(g), g === 'client_credentials'))));
  const roles = h('fieldset', {}, h('legend', {}, 'Organization roles the app holds'),
    checkbox('All roles (every org role you hold)', 'allRoles', val((a) => a.allowedScopes.organizationScopes.allRoles, false)),
    ORG_ROLE_NAMES.map((r) => checkbox(r, `role-${r}`, val((a) => a.allowedScopes.organizationScopes.roles.some((x) => x.name === r), r === 'developer'))));
  // Any other role the app holds (an add-on such as billing_read_only) is shown here and sent back
  // on Save: allowedScopes is replaced whole, so a role the form left out would be removed.
  const addOns = h('input', { name: 'addOnRoles', autocomplete: 'off', spellcheck: 'false',
    value: val((a) => a.allowedScopes.organizationScopes.roles.map((r) => r.name).filter((n) => !ORG_ROLE_NAMES.includes(n)).join(', '), '') });
  const services = h('textarea', { name: 'servicesScopes', rows: 2, spellcheck: 'false' });
  services.value = val((a) => a.allowedScopes.servicesScopes.map((s) => `${s.serviceDefinitionId}: ${s.roles.map((r) => r.name).join(', ')}`).join('\n'), '');
  const redirects = h('textarea', { name: 'redirectUris', rows: 2, spellcheck: 'false' });
  redirects.value = val((a) => a.redirectUris.join('\n'), '');
  const postLogout = h('textarea', { name: 'postLogoutRedirectUris', rows: 2, spellcheck: 'false' });
  postLogout.value = val((a) => a.postLogoutRedirectUris.join('\n'), '');
  const allowedOrgs = h('textarea', { name: 'allowedOrgs', rows: 2, spellcheck: 'false' });
  allowedOrgs.value = val((a) => a.allowedOrgs.map((o) => o.id).join('\n'), '');
  const num = (name: string, value: number | undefined) => h('input', { type: 'number', name, min: 0, value: value ?? '', inputmode: 'numeric' });
  const accessTtl = num('accessTokenTTL', val((a) => a.accessTokenTTL, 600));
  const refreshTtl = num('refreshTokenTTL', val((a) => a.refreshTokenTTL, 7776000));
  const grace = num('secretRotationExpirationInSeconds', val((a) => a.secretRotationExpirationInSeconds, 172800));
  const maxGroups = num('maxGroupsInIdToken', val((a) => a.maxGroupsInIdToken, undefined as unknown as number));
  const secretInput = h('input', { type: 'password', name: 'secret', autocomplete: 'new-password', maxlength: 256 });

  const checked = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement | null)?.checked ?? false;
  const submit = async (event: Event) => {
    event.preventDefault();
    errors.clear();
    const form = event.currentTarget as HTMLFormElement;
    const body: Record<string, unknown> = {
      displayName: nameInput.value,
      description: descInput.value,
      grantTypes: GRANTS.filter((g) => checked(form, `grant-${g}`)),
      allowedScopes: {
        organizationScopes: { allRoles: checked(form, 'allRoles'), roles: [...ORG_ROLE_NAMES.filter((r) => checked(form, `role-${r}`)), ...names(addOns.value)].map((name) => ({ name })) },
        servicesScopes: lines(services.value).map((line) => {
          const [serviceDefinitionId = '', roleText = ''] = line.split(':');
          return { serviceDefinitionId: serviceDefinitionId.trim(), roles: roleText.split(',').map((r) => r.trim()).filter(Boolean).map((name) => ({ name })) };
        }),
      },
      redirectUris: lines(redirects.value),
      postLogoutRedirectUris: lines(postLogout.value),
      allowedOrgs: lines(allowedOrgs.value),
      forcePkce: checked(form, 'forcePkce'),
      isHidden: checked(form, 'isHidden'),
      ownerOnlySecretRotation: checked(form, 'ownerOnlySecretRotation'),
    };
    const numbers: Array<[string, HTMLInputElement]> = [['accessTokenTTL', accessTtl], ['refreshTokenTTL', refreshTtl], ['secretRotationExpirationInSeconds', grace], ['maxGroupsInIdToken', maxGroups]];
    for (const [name, input] of numbers) if (input.value !== '') body[name] = Number(input.value);
    if (!editing) {
      if (idInput.value) body.id = idInput.value;
      body.publicClient = checked(form, 'publicClient');
      body.allowOpenRedirectUris = checked(form, 'allowOpenRedirectUris');
    }
    if (secretInput.value) body.secret = secretInput.value;
    try {
      if (editing) {
        await api('PATCH', appPath(id), body);
        secretInput.value = '';
        announce('App saved');
        navigate(`/console/apps/${encodeURIComponent(id)}`);
      } else {
        const created = await api<{ clientId: string; clientSecret?: string }>('POST', orgPath('/oauth-apps'), body);
        const supplied = secretInput.value !== '';
        secretInput.value = '';
        if (created.clientSecret && !supplied) {
          await showSecretOnce({ title: `${nameInput.value} created`, label: 'Client secret', value: created.clientSecret, note: 'Copy it now; orgauth keeps only a hash and cannot show it again.' });
        }
        announce('App created');
        navigate(`/console/apps/${encodeURIComponent(created.clientId)}`);
      }
    } catch (error) {
      errors.show(error);
      errors.el.focus();
    }
  };

  errors.el.setAttribute('tabindex', '-1');
  replace(main,
    pageHeading(editing ? `Edit ${app?.displayName ?? ''}` : 'Create an OAuth app'),
    h('p', {}, link(editing ? `/console/apps/${encodeURIComponent(id)}` : '/console/', '← Back')),
    errors.el,
    h('form', { class: 'card form', onsubmit: (e: Event) => void submit(e), novalidate: true },
      h('div', { class: 'grid' },
        editing ? null : field('Client id (optional)', idInput, '5–256 letters, digits, _ or -; generated when empty'),
        field('Display name', nameInput),
        field('Description', descInput)),
      h('div', { class: 'grid' }, grants, roles),
      field('Add-on roles', addOns, 'Other organization roles the app holds, comma-separated (billing_read_only, support_user, access_log_auditor, software_installer)'),
      editing ? null : checkbox('Public client', 'publicClient', false, 'No secret; authorization_code with PKCE only'),
      h('div', { class: 'grid' },
        field('Redirect URIs', redirects, 'One per line'),
        field('Post-logout redirect URIs', postLogout, 'One per line'),
        field('Service scopes', services, 'One per line: serviceDefinitionId: role, role'),
        field('Allowed orgs', allowedOrgs, 'Organization ids, one per line')),
      h('div', { class: 'grid' },
        field('Access token lifetime (seconds)', accessTtl),
        field('Refresh token lifetime (seconds)', refreshTtl),
        field('Rotation grace period (seconds)', grace),
        field('Max groups in ID token', maxGroups)),
      h('div', { class: 'checks' },
        checkbox('Force PKCE', 'forcePkce', val((a) => a.forcePkce, false)),
        checkbox('Owner-only secret rotation', 'ownerOnlySecretRotation', val((a) => a.ownerOnlySecretRotation, false)),
        checkbox('Hidden', 'isHidden', val((a) => a.isHidden, false)),
        editing ? null : checkbox('Allow open redirect URIs', 'allowOpenRedirectUris', false, 'Cannot be turned on later')),
      field(editing ? 'New secret (optional)' : 'Secret (optional)', secretInput, editing
        ? 'Setting a secret here replaces every secret of the app, like Regenerate'
        : 'Leave empty to have orgauth generate one and show it once'),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'primary' }, editing ? 'Save changes' : 'Create app'))));
}
