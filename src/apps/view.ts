// OrgOAuthAppResponse from a stored app. Never includes a secret.
import type { OrgOAuthAppResponse } from './schemas.js';
import { readSettings } from './settings.js';
import type { AppRow } from './store.js';

export function appResponse(app: AppRow, now: number): OrgOAuthAppResponse {
  const s = readSettings(app);
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
    allowedScopes: s.allowedScopes,
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
    ...(s.serviceDefinitionId ? { serviceDefinitionId: s.serviceDefinitionId } : {}),
    createdAt: app.created_at,
    createdBy: app.created_by,
    lastUpdatedAt: app.updated_at,
    lastUpdatedBy: app.updated_by,
    ...(app.last_used_at !== null ? { lastUsedAt: app.last_used_at } : {}),
    ...(app.secret_set_at !== null ? { secretAge: Math.max(0, now - app.secret_set_at) } : {}),
  };
}
