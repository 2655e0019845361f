// The console's own OAuth client, built in: a public client using authorization_code with PKCE,
// redirecting only to `<issuer origin>/console/callback`. It is not a row of oauth_apps, so the
// management API can neither see, change, delete nor widen it, and its id is reserved.
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
}

/** The console client for the deployment whose token issuer is `issuer`. */
export function consoleClient(issuer: string): BuiltInClient {
  const origin = new URL(issuer).origin;
  return {
    id: CONSOLE_CLIENT_ID,
    displayName: 'orgauth console',
    publicClient: true,
    forcePkce: true,
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [`${origin}${CONSOLE_PATH}/callback`],
    postLogoutRedirectUris: [`${origin}${CONSOLE_PATH}/signed-out`],
  };
}

/** Client ids that no app of any org may take. */
export function isReservedClientId(id: string): boolean {
  return id === CONSOLE_CLIENT_ID;
}
