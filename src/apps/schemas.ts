// TypeBox schemas of the OAuth-app API: they validate requests, shape responses and feed the
// OpenAPI document. Optional fields also accept null (Java CSP clients send nulls) meaning "absent".
import Type, { type TSchema } from 'typebox';
import { MAX_ACCESS_TOKEN_TTL } from './settings.js';

function Opt<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()]));
}

export const AppId = Type.String({ pattern: '^[A-Za-z0-9_-]{5,256}$', description: 'Client id: 5–256 characters of A–Z a–z 0–9 _ -' });
export const OrgId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'Organization id (GUID)' });

const Strings = (max = 100) => Type.Array(Type.String({ maxLength: 2048 }), { maxItems: max });

export const RoleBinding = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  resource: Opt(Type.String({ maxLength: 200 })),
}, { additionalProperties: true });

const ScopeRoles = {
  allRoles: Opt(Type.Boolean()),
  allPermissions: Opt(Type.Boolean()),
  keptInToken: Opt(Type.Array(Type.Union([Type.Literal('ROLES'), Type.Literal('PERMISSIONS')]), { maxItems: 2 })),
  roles: Opt(Type.Array(RoleBinding, { maxItems: 100 })),
  permissions: Opt(Type.Array(Type.Unknown(), { maxItems: 100 })),
};

export const AllowedScopes = Type.Object({
  generalScopes: Opt(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  organizationScopes: Opt(Type.Object(ScopeRoles, { additionalProperties: false })),
  servicesScopes: Opt(Type.Array(Type.Object({
    serviceDefinitionId: Type.String({ minLength: 1, maxLength: 200 }),
    ...ScopeRoles,
  }, { additionalProperties: false }), { maxItems: 50 })),
}, { additionalProperties: false });

const TTL = (max: number) => Type.Integer({ minimum: 1, maximum: max });

const DisplayName = Type.String({ minLength: 1, maxLength: 256 });
const Description = Type.String({ maxLength: 4096 });
const GrantTypes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 10 });

const optionalFields = {
  secret: Opt(Type.String({ maxLength: 1024, description: 'Caller-supplied secret (8–256 characters, lower, upper, digit, special)' })),
  redirectUris: Opt(Strings()),
  postLogoutRedirectUris: Opt(Strings()),
  allowOpenRedirectUris: Opt(Type.Boolean()),
  accessTokenTTL: Opt(TTL(MAX_ACCESS_TOKEN_TTL)),
  refreshTokenTTL: Opt(TTL(315_360_000)),
  allowedOrgs: Opt(Strings()),
  forcePkce: Opt(Type.Boolean()),
  publicClient: Opt(Type.Boolean()),
  maxGroupsInIdToken: Opt(Type.Integer({ minimum: 0, maximum: 100_000 })),
  maxCharactersInAccessToken: Opt(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  maxAdditionalAttributesInIdToken: Opt(Type.Integer({ minimum: 0, maximum: 100_000 })),
  additionalAttributeMasks: Opt(Strings()),
  groupDomainAppendedInIDToken: Opt(Type.Boolean()),
  allowedActorsClientDelegate: Opt(Strings()),
  allowedActorsAudienceExchange: Opt(Strings()),
  crossOrgAccessClaimsSupported: Opt(Type.Boolean()),
  isHidden: Opt(Type.Boolean()),
  ownerOnlySecretRotation: Opt(Type.Boolean()),
  secretRotationExpirationInSeconds: Opt(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
  useCspIssuerUrl: Opt(Type.Boolean()),
  serviceDefinitionId: Opt(Type.String({ maxLength: 200 })),
};

export const OrgOAuthAppRequest = Type.Object({
  id: Opt(AppId),
  displayName: DisplayName,
  description: Description,
  grantTypes: GrantTypes,
  allowedScopes: AllowedScopes,
  ...optionalFields,
}, {
  additionalProperties: false, title: 'OrgOAuthAppRequest',
  examples: [{
    id: 'ci-bot', displayName: 'CI bot', description: 'Deploys from the pipeline', grantTypes: ['client_credentials'],
    allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } }, accessTokenTTL: 600, secretRotationExpirationInSeconds: 172800,
  }],
});
export type OrgOAuthAppRequest = Type.Static<typeof OrgOAuthAppRequest>;

/** PATCH merges: every field is optional and an absent field keeps its value (SPEC §5.1 op 4). */
export const OrgOAuthAppUpdateRequest = Type.Object({
  displayName: Type.Optional(DisplayName),
  description: Type.Optional(Description),
  grantTypes: Type.Optional(GrantTypes),
  allowedScopes: Type.Optional(AllowedScopes),
  ...optionalFields,
}, { additionalProperties: false, title: 'OrgOAuthAppUpdateRequest', examples: [{ description: 'Deploys from the release pipeline', accessTokenTTL: 300 }] });
export type OrgOAuthAppUpdateRequest = Type.Static<typeof OrgOAuthAppUpdateRequest>;

export const ClientIdAndSecretResponse = Type.Object({
  clientId: Type.String(),
  clientSecret: Type.Optional(Type.String({ description: 'Shown this once; absent for public clients' })),
}, { title: 'ClientIdAndSecretResponse', examples: [{ clientId: 'ci-bot', clientSecret: 'ocs_3q2-7wEXAMPLEonlyNotARealSecret0000000000000AbCdEf' }] });

const ResponseRoleBinding = Type.Object({ name: Type.String(), resource: Type.Optional(Type.String()) });
const ResponseScopes = {
  allRoles: Type.Boolean(),
  allPermissions: Type.Boolean(),
  keptInToken: Type.Optional(Type.Array(Type.String())),
  roles: Type.Array(ResponseRoleBinding),
  permissions: Type.Array(Type.Unknown()),
};

export const OrgOAuthAppResponse = Type.Object({
  id: Type.String(),
  organizationId: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  grantTypes: Type.Array(Type.String()),
  redirectUris: Type.Array(Type.String()),
  postLogoutRedirectUris: Type.Array(Type.String()),
  allowOpenRedirectUris: Type.Boolean(),
  accessTokenTTL: Type.Integer(),
  refreshTokenTTL: Type.Integer(),
  allowedScopes: Type.Object({
    generalScopes: Type.Array(Type.String()),
    organizationScopes: Type.Object(ResponseScopes),
    servicesScopes: Type.Array(Type.Object({ serviceDefinitionId: Type.String(), ...ResponseScopes })),
  }),
  allowedOrgs: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() })),
  forcePkce: Type.Boolean(),
  publicClient: Type.Boolean(),
  immutable: Type.Boolean(),
  maxGroupsInIdToken: Type.Integer(),
  maxCharactersInAccessToken: Type.Integer(),
  maxAdditionalAttributesInIdToken: Type.Integer(),
  additionalAttributeMasks: Type.Array(Type.String()),
  groupDomainAppendedInIDToken: Type.Boolean(),
  allowedActorsClientDelegate: Type.Array(Type.String()),
  allowedActorsAudienceExchange: Type.Array(Type.String()),
  crossOrgAccessClaimsSupported: Type.Boolean(),
  isHidden: Type.Boolean(),
  ownerOnlySecretRotation: Type.Boolean(),
  secretRotationExpirationInSeconds: Type.Integer(),
  useCspIssuerUrl: Type.Boolean(),
  serviceDefinitionId: Type.Optional(Type.String()),
  createdAt: Type.Integer({ description: 'Epoch seconds' }),
  createdBy: Type.String(),
  lastUpdatedAt: Type.Integer({ description: 'Epoch seconds' }),
  lastUpdatedBy: Type.String(),
  lastUsedAt: Type.Optional(Type.Integer({ description: 'Epoch seconds of the last token issued (recorded coarsely); absent if never used' })),
  secretAge: Type.Optional(Type.Integer({ description: 'Seconds since the current secret was set; absent for public clients' })),
}, { title: 'OrgOAuthAppResponse' });
export type OrgOAuthAppResponse = Type.Static<typeof OrgOAuthAppResponse>;

/** The seed's body: exactly `{}`. */
export const EmptyObject = Type.Object({}, { additionalProperties: false, title: 'EmptyObject', description: 'The empty JSON object {}', examples: [{}] });

export const AppPathParams = Type.Object({ orgId: OrgId, oauthAppId: AppId });
export const OrgPathParams = Type.Object({ orgId: OrgId });

export const PagedResponseOrgOAuthAppResponse = Type.Object({
  results: Type.Array(OrgOAuthAppResponse),
  totalResults: Type.Integer(),
  nextLink: Type.Optional(Type.String()),
  prevLink: Type.Optional(Type.String()),
}, { title: 'PagedResponseOrgOAuthAppResponse' });

export const DeleteClientsRequest = Type.Object({
  clientIdsToDelete: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 15, description: 'At most 15 client ids' }),
}, { additionalProperties: false, title: 'DeleteClientsRequest', examples: [{ clientIdsToDelete: ['ci-bot', 'old-report-job'] }] });

export const PartialSuccessResponse = Type.Object({
  succeeded: Type.Array(Type.String()),
  failed: Type.Array(Type.String()),
  failures: Type.Optional(Type.Array(Type.Object({ clientId: Type.String(), reason: Type.String() }), { description: '[ours] The ids in `failed` that the access policy refused, and why; present only when there are any' })),
}, { title: 'PartialSuccessResponseString', examples: [{ succeeded: ['ci-bot'], failed: ['old-report-job'] }] });

const RoleName = Type.Object({ roleName: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const SearchClientsByRoleNamesRequest = Type.Object({
  pageStart: Opt(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  pageLimit: Opt(Type.Integer({ minimum: 1, maximum: 15 })),
  resource: Opt(Type.String({ maxLength: 200 })),
  resourceStartsWith: Opt(Type.String({ maxLength: 200, description: 'Deprecated; excludes `resource`' })),
  searchType: Opt(Type.Union([Type.Literal('EXACT_MATCH'), Type.Literal('CONTAINS'), Type.Literal('STARTS_WITH'), Type.Literal('ENDS_WITH')])),
  rolesSearchTerm: Opt(Type.Object({
    orgRoles: Opt(Type.Array(RoleName, { maxItems: 50 })),
    customRoles: Opt(Type.Array(RoleName, { maxItems: 50 })),
    serviceRoles: Opt(Type.Array(Type.Object({
      serviceDefinitionId: Type.String({ minLength: 1, maxLength: 200 }),
      serviceRoles: Opt(Type.Array(RoleName, { maxItems: 50 })),
    }, { additionalProperties: false }), { maxItems: 50 })),
  }, { additionalProperties: false })),
}, { additionalProperties: false, title: 'SearchClientsByRoleNamesRequest', examples: [{ pageStart: 1, pageLimit: 15, searchType: 'EXACT_MATCH', rolesSearchTerm: { orgRoles: [{ roleName: 'developer' }] } }] });
export type SearchClientsByRoleNamesRequest = Type.Static<typeof SearchClientsByRoleNamesRequest>;

const ExpandedRoleBinding = Type.Object({
  name: Type.String(),
  resource: Type.Optional(Type.String()),
  membershipType: Type.String(),
  createdBy: Type.String(),
  createdDate: Type.Integer(),
  lastUpdatedBy: Type.String(),
  lastUpdatedDate: Type.Integer(),
});
export type ExpandedRoleBinding = Type.Static<typeof ExpandedRoleBinding>;

export const ExpandedAuthClient = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  isHidden: Type.Boolean(),
  sourceOrg: Type.Object({ orgId: Type.String(), displayName: Type.String() }),
  organizationRoles: Type.Array(ExpandedRoleBinding),
  serviceRoles: Type.Array(Type.Object({ serviceDefinitionId: Type.String(), serviceRoleNames: Type.Array(Type.String()), serviceRoles: Type.Array(ExpandedRoleBinding) })),
  customRoles: Type.Array(ExpandedRoleBinding),
}, { title: 'ExpandedAuthClientDto' });
export type ExpandedAuthClient = Type.Static<typeof ExpandedAuthClient>;

export const PagedPostResponseExpandedAuthClient = Type.Object({
  results: Type.Array(ExpandedAuthClient),
  totalResults: Type.Integer(),
  startIndex: Type.Integer(),
  itemsPerPage: Type.Integer(),
}, { title: 'PagedPostResponseExpandedAuthClientDto' });
