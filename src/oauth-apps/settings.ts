// The stored shape of an app's settings (the JSON column) and its defaults (docs/design.md §5.3).
import type { AppRow } from './store.js';

export interface RoleBinding {
  name: string;
  resource?: string;
}

export interface OrganizationScopes {
  allRoles: boolean;
  allPermissions: boolean;
  keptInToken?: string[];
  roles: RoleBinding[];
  permissions: unknown[];
}

export interface ServiceScope {
  serviceDefinitionId: string;
  allRoles: boolean;
  allPermissions: boolean;
  keptInToken?: string[];
  roles: RoleBinding[];
  permissions: unknown[];
}

export interface AllowedScopes {
  generalScopes: string[];
  organizationScopes: OrganizationScopes;
  servicesScopes: ServiceScope[];
}

export interface AppSettings {
  description: string;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowOpenRedirectUris: boolean;
  accessTokenTTL: number;
  refreshTokenTTL: number;
  allowedScopes: AllowedScopes;
  allowedOrgs: string[];
  forcePkce: boolean;
  maxGroupsInIdToken: number;
  maxCharactersInAccessToken: number;
  maxAdditionalAttributesInIdToken: number;
  additionalAttributeMasks: string[];
  groupDomainAppendedInIDToken: boolean;
  allowedActorsClientDelegate: string[];
  allowedActorsAudienceExchange: string[];
  crossOrgAccessClaimsSupported: boolean;
  isHidden: boolean;
  ownerOnlySecretRotation: boolean;
  secretRotationExpirationInSeconds: number;
  useCspIssuerUrl: boolean;
  serviceDefinitionId?: string;
  /** Org roles the creator held: what `allRoles` grants (docs/design.md §2). */
  creatorRoles: string[];
}

export const DEFAULT_ACCESS_TOKEN_TTL = 600;
/** The longest accessTokenTTL an app may have (30 days). */
export const MAX_ACCESS_TOKEN_TTL = 2_592_000;
export const DEFAULT_REFRESH_TOKEN_TTL = 7_776_000;
export const DEFAULT_ROTATION_GRACE_SECONDS = 172_800;
/** The longest grace period of a rotation (365 days). */
export const MAX_ROTATION_GRACE_SECONDS = 31_536_000;

export const DEFAULT_SETTINGS: Readonly<Omit<AppSettings, 'description' | 'grantTypes' | 'allowedScopes' | 'creatorRoles'>> = {
  redirectUris: [],
  postLogoutRedirectUris: [],
  allowOpenRedirectUris: false,
  accessTokenTTL: DEFAULT_ACCESS_TOKEN_TTL,
  refreshTokenTTL: DEFAULT_REFRESH_TOKEN_TTL,
  allowedOrgs: [],
  forcePkce: false,
  maxGroupsInIdToken: 0,
  maxCharactersInAccessToken: 0,
  maxAdditionalAttributesInIdToken: 0,
  additionalAttributeMasks: [],
  groupDomainAppendedInIDToken: false,
  allowedActorsClientDelegate: [],
  allowedActorsAudienceExchange: [],
  crossOrgAccessClaimsSupported: false,
  isHidden: false,
  ownerOnlySecretRotation: false,
  secretRotationExpirationInSeconds: DEFAULT_ROTATION_GRACE_SECONDS,
  useCspIssuerUrl: false,
};

/** Reads an app's settings column. One per node (runtime.ts); it owns the memo of parsed settings. */
export interface SettingsReader {
  read(app: Pick<AppRow, 'id' | 'settings'>): AppSettings;
}

/**
 * Settings are read on every token request and every call made with an app's token; parsing a
 * typical 1 KB column costs over a hundred times a map lookup, so parsed settings are kept per app
 * with the text they were parsed from, and used only while the column holds that same text (a
 * changed app is never served stale settings). Keyed by the id, not the text: a column read afresh
 * from the database is a new string, and hashing 1 KB for every row of a listing cost more than
 * comparing it with the kept text.
 */
export function createSettingsReader(maxEntries = 10_000): SettingsReader {
  const parsed = new Map<string, { readonly text: string; readonly settings: AppSettings }>();
  return {
    read(app) {
      const kept = parsed.get(app.id);
      if (kept && kept.text === app.settings) return kept.settings;
      const settings = JSON.parse(app.settings) as AppSettings;
      if (!kept && parsed.size >= maxEntries) parsed.clear();
      parsed.set(app.id, { text: app.settings, settings });
      return settings;
    },
  };
}
