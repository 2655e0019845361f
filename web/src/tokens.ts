// Your API tokens in this org: create (shown once), list, revoke.
import { field, formatTime, h, replace } from './dom.js';
import { api } from './api.js';
import { announce, confirmAction, errorBox, pageHeading, showSecretOnce, tableWrap } from './ui.js';

interface TokenView { tokenId: string; tokenName?: string; hint: string; createdAt: number; expiresAt: number; lastUsedAt?: number; status: string }

const LIFETIMES: Array<[string, number]> = [['30 days', 30 * 86400], ['90 days', 90 * 86400], ['1 year', 365 * 86400], ['6 hours', 6 * 3600]];

export async function tokensPage(main: HTMLElement): Promise<void> {
  const errors = errorBox();
  const nameInput = h('input', { name: 'tokenName', maxlength: 64, required: true, autocomplete: 'off' });
  const ttl = h('select', { name: 'refreshTokenTTL' }, LIFETIMES.map(([label, seconds]) => h('option', { value: seconds, selected: seconds === 90 * 86400 }, label)));
  const listBody = h('div', {});

  const load = async () => {
    const page = await api<{ results: TokenView[] }>('GET', '/loggedin/user/api-tokens');
    replace(listBody, page.results.length === 0 ? h('p', { class: 'empty' }, 'You have no API tokens in this organization.')
      : tableWrap(h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Your API tokens'),
        h('thead', {}, h('tr', {}, ['Name', 'Hint', 'Status', 'Created', 'Expires', 'Last used', ''].map((c, i) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, i ? 'Actions' : ''))))),
        h('tbody', {}, page.results.map((t) => h('tr', {},
          h('th', { scope: 'row' }, t.tokenName ?? '(unnamed)'),
          h('td', {}, h('code', {}, `…${t.hint}`)),
          h('td', {}, h('span', { class: `badge ${t.status}` }, t.status)),
          h('td', { class: 'nowrap' }, formatTime(t.createdAt)),
          h('td', { class: 'nowrap' }, formatTime(t.expiresAt)),
          h('td', { class: 'nowrap' }, formatTime(t.lastUsedAt)),
          h('td', {}, t.status === 'active' ? h('button', { type: 'button', class: 'danger-outline small', 'aria-label': `Revoke ${t.tokenName ?? t.hint}`, onclick: () => void revoke(t) }, 'Revoke') : null)))))));
  };

  const revoke = async (t: TokenView) => {
    errors.clear();
    const ok = await confirmAction({ title: `Revoke ${t.tokenName ?? 'this token'}?`, body: 'The API token and every access token exchanged from it stop working at once.', action: 'Revoke token' });
    if (!ok) return;
    try {
      await api('DELETE', `/loggedin/user/api-tokens/${encodeURIComponent(t.tokenId)}`);
      announce('API token revoked');
      await load();
    } catch (error) {
      errors.show(error);
    }
  };

  const create = async (event: Event) => {
    event.preventDefault();
    errors.clear();
    try {
      const result = await api<{ apiToken: string }>('POST', '/loggedin/user/api-tokens', { tokenName: nameInput.value, refreshTokenTTL: Number(ttl.value) });
      nameInput.value = '';
      await load();
      await showSecretOnce({ title: 'New API token', label: 'API token', value: result.apiToken, note: 'Exchange it at /auth/api-tokens/authorize for access tokens. orgauth keeps only a hash.' });
      announce('API token created');
    } catch (error) {
      errors.show(error);
    }
  };

  replace(main,
    pageHeading('API tokens'),
    h('p', { class: 'muted' }, 'Long-lived tokens for scripts and CLIs, bound to you and this organization. They act with your roles here for as long as you hold them.'),
    errors.el,
    h('form', { class: 'card inline-form', onsubmit: (e: Event) => void create(e) },
      h('h2', {}, 'Create a token'),
      h('div', { class: 'row' }, field('Token name', nameInput), field('Lifetime', ttl), h('button', { type: 'submit', class: 'primary' }, 'Create token'))),
    h('section', { class: 'card', 'aria-labelledby': 'tokens-h' }, h('h2', { id: 'tokens-h' }, 'Your tokens'), listBody));
  try {
    await load();
  } catch (error) {
    errors.show(error);
  }
}
