// The audit log (owners and admins; the API refuses others with its own message), with filters.
import { field, formatTime, h, replace } from './dom.js';
import { api, orgPath } from './api.js';
import { errorBox, pageHeading, pager, tableWrap } from './ui.js';
import { navigate } from './router.js';

interface AuditEvent { id: number; at: number; actor: string; action: string; appId?: string; secretId?: string; sourceAddress?: string; details: Record<string, unknown> }

const ACTIONS = ['app.create', 'app.update', 'app.delete', 'secret.regenerate', 'secret.replace', 'secret.rotate', 'secret.delete_old', 'token.revoke', 'api_token.create', 'api_token.revoke'];
const PAGE = 50;

function dateToEpoch(value: string, endOfDay: boolean): string {
  if (!value) return '';
  const ms = Date.parse(`${value}T${endOfDay ? '23:59:59' : '00:00:00'}Z`);
  return Number.isNaN(ms) ? '' : String(Math.floor(ms / 1000));
}

function summary(event: AuditEvent): string {
  const parts = Object.entries(event.details).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object').map(([k, v]) => `${k}: ${String(v)}`);
  return parts.join(' · ');
}

export async function auditPage(main: HTMLElement, query: URLSearchParams): Promise<void> {
  const errors = errorBox();
  const start = Number(query.get('pageStart') ?? '1') || 1;
  const action = h('select', { name: 'action' }, h('option', { value: '' }, 'Any action'), ACTIONS.map((a) => h('option', { value: a, selected: query.get('action') === a }, a)));
  const actor = h('input', { name: 'actor', value: query.get('actor') ?? '', autocomplete: 'off' });
  const appId = h('input', { name: 'appId', value: query.get('appId') ?? '', autocomplete: 'off' });
  const from = h('input', { type: 'date', name: 'from', value: query.get('from') ?? '' });
  const to = h('input', { type: 'date', name: 'to', value: query.get('to') ?? '' });
  const current = () => {
    const params = new URLSearchParams();
    for (const [name, input] of [['action', action], ['actor', actor], ['appId', appId], ['from', from], ['to', to]] as const) if (input.value) params.set(name, input.value);
    return params;
  };
  const filters = h('form', { class: 'card filters', role: 'search', 'aria-label': 'Filter the audit log', onsubmit: (e: Event) => { e.preventDefault(); navigate(`/console/audit?${current().toString()}`); } },
    field('Action', action), field('Actor', actor), field('App id', appId), field('From (UTC)', from), field('To (UTC)', to),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('button', { type: 'button', class: 'secondary', onclick: () => navigate('/console/audit') }, 'Clear')));
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, pageHeading('Audit log'), errors.el, filters, body);
  try {
    const params = new URLSearchParams({ pageStart: String(start), pageLimit: String(PAGE) });
    if (action.value) params.set('action', action.value);
    if (actor.value) params.set('actor', actor.value);
    if (appId.value) params.set('appId', appId.value);
    if (from.value) params.set('from', dateToEpoch(from.value, false));
    if (to.value) params.set('to', dateToEpoch(to.value, true));
    const page = await api<{ results: AuditEvent[]; totalResults: number }>('GET', `${orgPath('/audit-events')}?${params.toString()}`);
    const go = (s: number) => { const p = current(); p.set('pageStart', String(s)); navigate(`/console/audit?${p.toString()}`); };
    replace(body, page.results.length === 0 ? h('p', { class: 'empty' }, 'No events match.')
      : tableWrap(h('table', { class: 'audit' },
        h('caption', { class: 'visually-hidden' }, 'Audit events, newest first'),
        h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Action', 'App', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, page.results.map((e) => h('tr', {},
          h('td', { class: 'nowrap' }, formatTime(e.at)),
          h('td', {}, e.actor),
          h('td', {}, h('code', {}, e.action)),
          h('td', {}, e.appId ? h('code', {}, e.appId) : '—'),
          h('td', { class: 'details' }, summary(e))))))),
      page.totalResults > PAGE || start > 1 ? pager(start, PAGE, page.totalResults, go, 'Audit log pages') : null);
  } catch (error) {
    replace(body);
    errors.show(error);
  }
}
