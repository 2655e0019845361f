// The one place that says which clients may sign people in, and how. Every use (the authorization
// endpoint, the authorization_code and refresh_token grants) reads a client through here.
import type { AuthorizationContext } from './context.js';
import { findAppById, type AppRow } from '../oauth-apps/store.js';
import type { SettingsReader } from '../oauth-apps/settings.js';
import { appOrgRoles } from '../oauth-apps/grants.js';
import { CONSOLE_CLIENT_ID, consoleClient } from '../console/client.js';

export interface AuthorizationClient {
  readonly clientId: string;
  /** Which creation of the app: codes and refresh tokens of a deleted app never work for a new one of the same id. */
  readonly appInstance: string;
  readonly displayName: string;
  /** Organizations whose members may sign in to this client; 'any' for a client of every org (a built-in one). */
  readonly servesOrgs: readonly string[] | 'any';
  readonly publicClient: boolean;
  /** PKCE S256 required (always for public clients). */
  readonly requiresPkce: boolean;
  readonly redirectUris: readonly string[];
  readonly allowOpenRedirectUris: boolean;
  readonly postLogoutRedirectUris: readonly string[];
  readonly issuesRefreshTokens: boolean;
  readonly accessTokenTTL: number;
  readonly refreshTokenTTL: number;
  /** Plain OAuth scopes the client may ask for besides `openid`. */
  readonly generalScopes: readonly string[];
  /** Org roles a person's token may carry through this client; 'all' = every role the person holds. */
  readonly roleFilter: readonly string[] | 'all';
}

/**
 * The client with this id when it may use authorization_code, else undefined. The issuer places the
 * built-in console's redirect URI on this deployment's public origin.
 */
export async function findAuthorizationClient(ctx: AuthorizationContext, clientId: string): Promise<AuthorizationClient | undefined> {
  if (clientId.length === 0 || clientId.length > 256) return undefined;
  if (clientId === CONSOLE_CLIENT_ID) return consoleAuthorizationClient(ctx.issuer);
  const app = await findAppById(ctx.db, clientId);
  return app ? authorizationClientOf(ctx.settings, app) : undefined;
}

export function authorizationClientOf(settingsReader: SettingsReader, app: AppRow): AuthorizationClient | undefined {
  if (app.state !== 'active') return undefined;
  const settings = settingsReader.read(app);
  if (!settings.grantTypes.includes('authorization_code')) return undefined;
  const publicClient = app.public_client === 1;
  return {
    clientId: app.id,
    appInstance: app.instance_id,
    displayName: app.display_name,
    servesOrgs: [app.org_id, ...settings.allowedOrgs],
    publicClient,
    requiresPkce: publicClient || settings.forcePkce,
    redirectUris: settings.redirectUris,
    allowOpenRedirectUris: settings.allowOpenRedirectUris,
    postLogoutRedirectUris: settings.postLogoutRedirectUris,
    issuesRefreshTokens: settings.grantTypes.includes('refresh_token'),
    accessTokenTTL: settings.accessTokenTTL,
    refreshTokenTTL: settings.refreshTokenTTL,
    generalScopes: settings.allowedScopes.generalScopes,
    roleFilter: settings.allowedScopes.organizationScopes.allRoles ? 'all' : appOrgRoles(settings),
  };
}

/** The built-in console: a public PKCE client of every org, with the person's own roles (see console/client.ts). */
export function consoleAuthorizationClient(issuer: string): AuthorizationClient {
  const console = consoleClient(issuer);
  return {
    clientId: console.id,
    // Constant: the console is never deleted or re-created, so its codes and refresh tokens stay bound to it.
    appInstance: console.id,
    displayName: console.displayName,
    servesOrgs: 'any',
    publicClient: true,
    requiresPkce: true,
    redirectUris: console.redirectUris,
    allowOpenRedirectUris: false,
    postLogoutRedirectUris: console.postLogoutRedirectUris,
    issuesRefreshTokens: true,
    accessTokenTTL: console.accessTokenTTL,
    refreshTokenTTL: console.refreshTokenTTL,
    generalScopes: [],
    roleFilter: 'all',
  };
}
