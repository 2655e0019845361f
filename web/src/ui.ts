// Shared pieces of every page: headings, the error banner, the status line, and the two dialogs —
// the confirmation of a destructive action and the one-time display of a new secret or token.
import { h, replace } from './dom.js';
import { ApiError } from './api.js';

export function pageHeading(title: string, ...actions: Node[]): HTMLElement {
  document.title = `${title} · orgauth console`;
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', id: 'page-title' }, title), actions.length ? h('div', { class: 'actions' }, ...actions) : null);
}

/** An error region; `show` puts the API's own message in it and announces it. */
export function errorBox(): { el: HTMLElement; show(error: unknown): void; clear(): void } {
  const el = h('div', { class: 'error', role: 'alert', hidden: true });
  return {
    el,
    show(error: unknown) {
      const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
      const code = error instanceof ApiError && typeof error.body.errorCode === 'string' ? error.body.errorCode : undefined;
      replace(el, h('strong', {}, error instanceof ApiError ? `Refused (${error.status}): ` : 'Error: '), message, code ? h('span', { class: 'code' }, ` ${code}`) : null);
      el.hidden = false;
    },
    clear() {
      el.hidden = true;
      replace(el);
    },
  };
}

export function announce(message: string): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = message;
  status.classList.add('visible');
  window.setTimeout(() => status.classList.remove('visible'), 4000);
}

/**
 * Shows a modal dialog and, once it closes (button, Escape or code), removes it and puts focus back
 * on the control that opened it, so a keyboard user continues where they were.
 */
export function openModal(dialog: HTMLDialogElement, onClose?: () => void): void {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialog.addEventListener('close', () => {
    onClose?.();
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
}

/** Asks before a destructive action; the confirm button repeats the action's name. */
export function confirmAction(opts: { title: string; body: string; action: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = 'confirm-title';
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, opts.title),
      h('p', {}, opts.body),
      h('form', { method: 'dialog', class: 'dialog-actions' },
        h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
        h('button', { type: 'submit', value: 'confirm', class: 'danger' }, opts.action)));
    openModal(dialog, () => resolve(dialog.returnValue === 'confirm'));
  });
}

/** Shows a secret once. Closing removes the dialog and with it the only copy the page had. */
export function showSecretOnce(opts: { title: string; label: string; value: string; note: string }): Promise<void> {
  return new Promise((resolve) => {
    const titleId = 'secret-title';
    const input = h('input', { id: 'secret-value', type: 'text', readonly: true, class: 'secret', value: opts.value, spellcheck: 'false', autocomplete: 'off' });
    const copied = h('span', { class: 'copied', role: 'status' });
    const copy = h('button', { type: 'button', class: 'primary', onclick: () => {
      void navigator.clipboard.writeText(input.value).then(
        () => { copied.textContent = 'Copied to the clipboard'; },
        () => { input.select(); copied.textContent = 'Select the text and copy it (Ctrl+C)'; },
      );
    } }, 'Copy');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, opts.title),
      h('p', { class: 'once' }, h('strong', {}, 'This is the only time it is shown. '), opts.note),
      h('div', { class: 'field' }, h('label', { for: 'secret-value' }, opts.label), h('div', { class: 'copy-row' }, input, copy)),
      copied,
      h('form', { method: 'dialog', class: 'dialog-actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Close')));
    openModal(dialog, () => {
      input.value = '';
      resolve();
    });
    copy.focus();
  });
}

/** Paging controls in CSP's pageStart/pageLimit terms. */
export function pager(start: number, limit: number, total: number, go: (start: number) => void, label: string): HTMLElement {
  const last = Math.min(total, start + limit - 1);
  return h('nav', { class: 'pager', 'aria-label': label },
    h('span', {}, total === 0 ? 'No results' : `${start}–${last} of ${total}`),
    h('button', { type: 'button', class: 'secondary', disabled: start <= 1, onclick: () => go(Math.max(1, start - limit)) }, 'Previous'),
    h('button', { type: 'button', class: 'secondary', disabled: last >= total, onclick: () => go(start + limit) }, 'Next'));
}

/** A table that may scroll sideways on a narrow screen: a named region reachable by keyboard. */
export function tableWrap(table: HTMLTableElement): HTMLElement {
  const caption = table.querySelector('caption')?.textContent ?? 'Table';
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption }, table);
}
