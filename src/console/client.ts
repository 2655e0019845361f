// The console's own OAuth client, built in: a public client using authorization_code with PKCE,
// redirecting only to `<issuer origin>/console/callback`. It is not a row of oauth_apps, so the
// management API can neither see, change, delete nor widen it, and its id is reserved.
import { BASE_PATH } from '../config.js';

export const CONSOLE_CLIENT_ID = 'orgauth-console';
export const CONSOLE_PATH = '/console';

export interface BuiltInClient {
  readonly id: string;
  readonly displayName: string;
  readonly publicClient: true;
  readonly forcePkce: true;
  readonly grantTypes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** CSP's lifetime of a person's access token. */
  readonly accessTokenTTL: number;
  /** The refresh token lives in the page's memory only; it spares a redirect every half hour of a working day. */
  readonly refreshTokenTTL: number;
}

/** The console client for the deployment whose token issuer is `issuer`. */
export function consoleClient(issuer: string): BuiltInClient {
  const origin = publicBaseUrl(issuer);
  return {
    id: CONSOLE_CLIENT_ID,
    displayName: 'orgauth console',
    publicClient: true,
    forcePkce: true,
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [`${origin}${CONSOLE_PATH}/callback`],
    postLogoutRedirectUris: [`${origin}${CONSOLE_PATH}/signed-out`],
    accessTokenTTL: 1799,
    refreshTokenTTL: 12 * 3600,
  };
}

/** Client ids that no app of any org may take. */
export function isReservedClientId(id: string): boolean {
  return id === CONSOLE_CLIENT_ID;
}

/** Where browsers reach this server: the issuer without the API base path. */
export function publicBaseUrl(issuer: string): string {
  return issuer.endsWith(BASE_PATH) ? issuer.slice(0, -BASE_PATH.length) : new URL(issuer).origin;
}
