// Reading client credentials in every shape real CSP clients send (docs/design.md §3.1): HTTP Basic, raw or
// form-urlencoded (RFC 6749 §2.3.1), or client_id/client_secret in the form body (client_secret_post).
import { fail } from '../errors/errors.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface PresentedClient {
  readonly clientId: string;
  /** What the secret may be: the decoded form first, then the raw one when it differs. */
  readonly secretCandidates: readonly string[];
  readonly method: ClientAuthMethod;
}

export type TokenParams = Readonly<Record<string, string | undefined>>;

export function presentedClient(authorization: string | undefined, params: TokenParams): PresentedClient | undefined {
  const basic = authorization ? parseBasic(authorization) : undefined;
  const postId = params.client_id;
  const postSecret = params.client_secret;
  if (basic && postSecret !== undefined) {
    throw fail('OAUTH_INVALID_REQUEST', 'Use one client authentication method, not Basic and client_secret together');
  }
  if (basic) {
    if (postId !== undefined && !basic.ids.includes(postId)) throw fail('OAUTH_INVALID_REQUEST', 'client_id does not match the Basic credentials');
    return { clientId: basic.ids[0] ?? '', secretCandidates: basic.secrets, method: 'client_secret_basic' };
  }
  if (postId !== undefined && postSecret !== undefined) {
    return { clientId: postId, secretCandidates: [postSecret], method: 'client_secret_post' };
  }
  if (postId !== undefined) return { clientId: postId, secretCandidates: [], method: 'client_secret_post' };
  return undefined;
}

function parseBasic(header: string): { ids: string[]; secrets: string[] } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match?.[1]) {
    if (/^Basic\b/i.test(header)) throw fail('OAUTH_INVALID_CLIENT', 'The Basic credentials are malformed');
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw fail('OAUTH_INVALID_CLIENT', 'The Basic credentials are malformed');
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  return { ids: variants(rawId), secrets: variants(rawSecret) };
}

/** The form-urlencoded reading (RFC 6749 §2.3.1) and, when different, the raw one. */
function variants(raw: string): string[] {
  // Nothing to decode (generated ids and secrets): the same answer without the regex and decodeURIComponent.
  if (!raw.includes('%') && !raw.includes('+')) return [raw];
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    decoded = undefined;
  }
  return decoded === undefined || decoded === raw ? [raw] : [decoded, raw];
}
