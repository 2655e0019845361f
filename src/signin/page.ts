// The pages a person sees: the sign-in form and the error page. Plain server-rendered HTML with no
// script; every value is escaped. The headers forbid framing, referrers and caching (RFC 9700 §4.16).

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}
main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin-top:1rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}
button{margin-top:1.5rem;width:100%;padding:.6rem;font-size:1rem;background:#0b5cad;color:#fff;border:0;border-radius:4px}
.error{background:#fdecea;color:#8a1c12;padding:.75rem;border-radius:4px}.muted{color:#555;font-size:.9rem}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`
    + `<body><main>${body}</main></body></html>`;
}

export interface SignInPage {
  /** Where the form posts. */
  readonly action: string;
  /** The authorization request, carried through the form unchanged. */
  readonly hidden: Readonly<Record<string, string>>;
  readonly csrfToken: string;
  readonly appName: string;
  readonly username?: string;
  readonly error?: string;
}

export function signInPage(page: SignInPage): string {
  const hidden = Object.entries(page.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  return layout('Sign in', `<h1>Sign in</h1><p class="muted">to continue to ${escapeHtml(page.appName)}</p>`
    + (page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>` : '')
    + `<form method="post" action="${escapeHtml(page.action)}">${hidden}`
    + `<input type="hidden" name="csrf_token" value="${escapeHtml(page.csrfToken)}">`
    + `<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(page.username ?? '')}">`
    + `<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>`
    + `<button type="submit">Sign in</button></form>`);
}

export function errorPage(title: string, message: string, requestId: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`
    + `<p class="muted">Request id: ${escapeHtml(requestId)}</p>`);
}

export function signedOutPage(): string {
  return layout('Signed out', '<h1>Signed out</h1><p>You are signed out. You can close this window.</p>');
}
