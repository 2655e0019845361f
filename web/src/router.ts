// Path-based routing under /console with the History API; links stay real links (keyboard, new tab).
import { h } from './dom.js';

let onNavigate: (() => void) | undefined;

export function setNavigateHandler(handler: () => void): void {
  onNavigate = handler;
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  onNavigate?.();
}

export function link(path: string, text: string, className?: string): HTMLAnchorElement {
  return h('a', { href: path, class: className, 'data-nav': true }, text);
}

/** Same-origin console links are handled here; modified clicks keep the browser's behaviour. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    const anchor = (event.target as Element).closest?.('a[data-nav]') as HTMLAnchorElement | null;
    if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  });
}
