// TypeBox schemas of the OAuth-app API: they validate requests, shape responses and feed the
// OpenAPI document. Optional fields also accept null (Java CSP clients send nulls) meaning "absent".
// Create and update bodies name every field they know; members they do not know (read-only fields
// of a GET response, fields CSP added later) are dropped before validation (http/known-fields.ts).
import Type, { type TSchema } from 'typebox';
import { MAX_ACCESS_TOKEN_TTL, MAX_ROTATION_GRACE_SECONDS } from './settings.js';

function Opt<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()]));
}

export const APP_ID_PATTERN = /^[A-Za-z0-9_-]{5,256}$/;
export const AppId = Type.String({ pattern: APP_ID_PATTERN.source, description: 'Client id: 5–256 characters of A–Z a–z 0–9 _ -' });
export const OrgId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'Organization id (GUID)' });

const Strings = (max = 100) => Type.Array(Type.String({ maxLength: 2048 }), { maxItems: max });

export const RoleBinding = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  resource: Opt(Type.String({ maxLength: 200 })),
});

const ScopeRoles = {
  allRoles: Opt(Type.Boolean()),
  allPermissions: Opt(Type.Boolean()),
  keptInToken: Opt(Type.Array(Type.Union([Type.Literal('ROLES'), Type.Literal('PERMISSIONS')]), { maxItems: 2 })),
  roles: Opt(Type.Array(RoleBinding, { maxItems: 100 })),
  permissions: Opt(Type.Array(Type.Unknown(), { maxItems: 100 })),
};

export const AllowedScopes = Type.Object({
  generalScopes: Opt(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  organizationScopes: Opt(Type.Object(ScopeRoles)),
  servicesScopes: Opt(Type.Array(Type.Object({
    serviceDefinitionId: Type.String({ minLength: 1, maxLength: 200 }),
    ...ScopeRoles,
  }), { maxItems: 50 })),
});

const TTL = (max: number) => Type.Integer({ minimum: 1, maximum: max });

const DisplayName = Type.String({
  minLength: 1, maxLength: 256,
  description: 'Letters (international included), digits, spaces and - _ . \' ’ : @ &',
});
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
  secretRotationExpirationInSeconds: Opt(Type.Integer({ minimum: 1, maximum: MAX_ROTATION_GRACE_SECONDS, description: 'Grace period of a rotation in seconds: 1 to 31536000 (365 days); default 172800 (48 hours)' })),
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
  title: 'OrgOAuthAppRequest',
  description: 'Members the server does not know, and the read-only members of OrgOAuthAppResponse, are accepted and ignored.',
  examples: [{
    id: 'ci-bot', displayName: 'CI bot', description: 'Deploys from the pipeline', grantTypes: ['client_credentials'],
    allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } }, accessTokenTTL: 600, secretRotationExpirationInSeconds: 172800,
  }],
});
export type OrgOAuthAppRequest = Type.Static<typeof OrgOAuthAppRequest>;

/** PATCH merges: every field is optional and an absent field keeps its value (docs/design.md §5.1, update). */
export const OrgOAuthAppUpdateRequest = Type.Object({
  displayName: Type.Optional(DisplayName),
  description: Type.Optional(Description),
  grantTypes: Type.Optional(GrantTypes),
  allowedScopes: Type.Optional(AllowedScopes),
  ...optionalFields,
}, {
  title: 'OrgOAuthAppUpdateRequest',
  description: 'Members the server does not know, and the read-only members of OrgOAuthAppResponse (id, organizationId, createdAt, lastUsedAt…), are accepted and ignored: a GET response can be sent back as it is.',
  examples: [{ description: 'Deploys from the release pipeline', accessTokenTTL: 300 }] });
export type OrgOAuthAppUpdateRequest = Type.Static<typeof OrgOAuthAppUpdateRequest>;

export const ClientIdAndSecretResponse = Type.Object({
  clientId: Type.String(),
  clientSecret: Type.Optional(Type.String({ description: 'Shown this once; absent for public clients' })),
}, { title: 'ClientIdAndSecretResponse', examples: [{ clientId: 'ci-bot', clientSecret: 'ocs_3q2-7wEXAMPLEonlyNotARealSecret0000000000000AbCdEf' }] });

// Responses carry every field CSP shows, with CSP's default (null or false) when orgauth has no value:
// typed clients and diffing tools expect one stable shape.
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const ResponseRoleBinding = Type.Object({ name: Type.String(), resource: Nullable(Type.String()) });
const ResponseScopes = {
  allRoles: Type.Boolean(),
  allPermissions: Type.Boolean(),
  keptInToken: Nullable(Type.Array(Type.String())),
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
  serviceDefinitionId: Nullable(Type.String()),
  createdAt: Type.Integer({ description: 'Epoch seconds' }),
  createdBy: Type.String(),
  lastUpdatedAt: Type.Integer({ description: 'Epoch seconds' }),
  lastUpdatedBy: Type.String(),
  lastUsedAt: Nullable(Type.Integer({ description: 'Epoch seconds of the last token issued (recorded coarsely); null if never used' })),
  secretAge: Nullable(Type.Integer({ description: 'Seconds since the current secret was set; null for public clients' })),
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
  failures: Type.Optional(Type.Array(Type.Object({ clientId: Type.String(), reason: Type.String() }), { description: 'Beyond CSP: The ids in `failed` that the access policy refused, and why; present only when there are any' })),
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

// CSP's RoleBinding of a search hit types its dates as strings (epoch seconds as text) and
// `expiresAt` as int64; organization roles also carry a display name.
const ExpandedRoleBinding = Type.Object({
  name: Type.String(),
  resource: Nullable(Type.String()),
  membershipType: Type.String({ examples: ['DIRECT'] }),
  createdBy: Type.String(),
  createdDate: Type.String({ description: 'Epoch seconds, as a string', examples: ['1718000000'] }),
  lastUpdatedBy: Type.String(),
  lastUpdatedDate: Type.String({ description: 'Epoch seconds, as a string', examples: ['1718000500'] }),
  expiresAt: Nullable(Type.Integer({ description: 'Epoch seconds; null: the role does not expire' })),
});
export type ExpandedRoleBinding = Type.Static<typeof ExpandedRoleBinding>;
const ExpandedOrgRoleBinding = Type.Object({ ...ExpandedRoleBinding.properties, displayName: Type.String({ examples: ['Organization Owner'] }) });
export type ExpandedOrgRoleBinding = Type.Static<typeof ExpandedOrgRoleBinding>;

export const ExpandedAuthClient = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  isHidden: Type.Boolean(),
  sourceOrg: Type.Object({ orgId: Type.String(), shortId: Type.String({ description: 'Short form of the organization id' }), displayName: Type.String() }),
  organizationRoles: Type.Array(ExpandedOrgRoleBinding),
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
