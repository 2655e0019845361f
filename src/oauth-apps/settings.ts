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
 * typical 1 KB column costs over a hundred times a map lookup, so parsed settings are kept, keyed by
 * the JSON text (a changed app has a new text, so it is never served stale settings), and apps with
 * the same text share one parse. In front of that, the text each app was last read with, by id: a
 * column read afresh from the database is a new string, whose 1 KB is hashed on its first lookup by
 * text (6.7 % of a listing's event loop), while comparing it with the kept text is a memory compare.
 * A copy of an app (tokens/client-cache.ts) passes the same string every time, whose hash V8 keeps.
 */
export function createSettingsReader(maxEntries = 10_000): SettingsReader {
  const byText = new Map<string, AppSettings>();
  const lastRead = new Map<string, { readonly text: string; readonly settings: AppSettings }>();
  const parse = (text: string): AppSettings => {
    let settings = byText.get(text);
    if (!settings) {
      settings = JSON.parse(text) as AppSettings;
      if (byText.size >= maxEntries) byText.clear();
      byText.set(text, settings);
    }
    return settings;
  };
  return {
    read(app) {
      const kept = lastRead.get(app.id);
      if (kept && kept.text === app.settings) return kept.settings;
      const settings = parse(app.settings);
      if (!kept && lastRead.size >= maxEntries) lastRead.clear();
      lastRead.set(app.id, { text: app.settings, settings });
      return settings;
    },
  };
}
