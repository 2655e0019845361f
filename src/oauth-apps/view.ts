// OrgOAuthAppResponse from a stored app. Never includes a secret. Every field CSP shows is present,
// null (or false) where orgauth has no value, so the shape never changes with the app's history.
import type { OrgOAuthAppResponse } from './schemas.js';
import type { AllowedScopes, RoleBinding, SettingsReader } from './settings.js';
import type { ListedApp } from './store.js';

export function appResponse(settings: SettingsReader, app: ListedApp, now: number): OrgOAuthAppResponse {
  const s = settings.read(app);
  return {
    id: app.id,
    organizationId: app.org_id,
    displayName: app.display_name,
    description: s.description,
    grantTypes: s.grantTypes,
    redirectUris: s.redirectUris,
    postLogoutRedirectUris: s.postLogoutRedirectUris,
    allowOpenRedirectUris: s.allowOpenRedirectUris,
    accessTokenTTL: s.accessTokenTTL,
    refreshTokenTTL: s.refreshTokenTTL,
    allowedScopes: scopesView(s.allowedScopes),
    allowedOrgs: [],
    forcePkce: s.forcePkce,
    publicClient: app.public_client === 1,
    immutable: false,
    maxGroupsInIdToken: s.maxGroupsInIdToken,
    maxCharactersInAccessToken: s.maxCharactersInAccessToken,
    maxAdditionalAttributesInIdToken: s.maxAdditionalAttributesInIdToken,
    additionalAttributeMasks: s.additionalAttributeMasks,
    groupDomainAppendedInIDToken: s.groupDomainAppendedInIDToken,
    allowedActorsClientDelegate: s.allowedActorsClientDelegate,
    allowedActorsAudienceExchange: s.allowedActorsAudienceExchange,
    crossOrgAccessClaimsSupported: s.crossOrgAccessClaimsSupported,
    isHidden: s.isHidden,
    ownerOnlySecretRotation: s.ownerOnlySecretRotation,
    secretRotationExpirationInSeconds: s.secretRotationExpirationInSeconds,
    useCspIssuerUrl: s.useCspIssuerUrl,
    serviceDefinitionId: s.serviceDefinitionId ?? null,
    createdAt: app.created_at,
    createdBy: app.created_by,
    lastUpdatedAt: app.updated_at,
    lastUpdatedBy: app.updated_by,
    lastUsedAt: app.last_used_at,
    secretAge: app.secret_set_at !== null ? Math.max(0, now - app.secret_set_at) : null,
  };
}

const roleView = (role: RoleBinding) => ({ name: role.name, resource: role.resource ?? null });

function scopesView(scopes: AllowedScopes): OrgOAuthAppResponse['allowedScopes'] {
  const org = scopes.organizationScopes;
  return {
    generalScopes: scopes.generalScopes,
    organizationScopes: { ...org, keptInToken: org.keptInToken ?? null, roles: org.roles.map(roleView) },
    servicesScopes: scopes.servicesScopes.map((service) => ({ ...service, keptInToken: service.keptInToken ?? null, roles: service.roles.map(roleView) })),
  };
}
