// Redirect URI matching: exact string comparison with the registered URIs (RFC 9700 §4.1.3), except
// that a loopback redirect URI may use any port (RFC 8252 §7.3), since native apps get one from the OS.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function redirectUriAllowed(registered: readonly string[], allowOpen: boolean, presented: string): boolean {
  if (presented.length === 0 || presented.length > 2048) return false;
  if (registered.includes(presented)) return true;
  const url = parseRedirectUri(presented);
  if (!url) return false;
  // Non-production apps that opted in (CSP's allowOpenRedirectUris): any http(s) URI without a fragment.
  if (allowOpen) return url.protocol === 'https:' || url.protocol === 'http:';
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return false;
  return registered.some((candidate) => {
    const known = parseRedirectUri(candidate);
    return known !== undefined && known.protocol === 'http:' && known.hostname === url.hostname
      && withoutPort(known) === withoutPort(url);
  });
}

function parseRedirectUri(value: string): URL | undefined {
  if (value.includes('#')) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function withoutPort(url: URL): string {
  return `${url.protocol}//${url.username}:${url.password}@${url.hostname}${url.pathname}${url.search}`;
}

/** The redirect URI with the response parameters added to its query (RFC 6749 §4.1.2). */
export function redirectWith(redirectUri: string, params: Readonly<Record<string, string | undefined>>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}
