// The one table of every error a caller can see: HTTP status, CSP module and code, and, for the
// token endpoints, the RFC 6749 error name. Codes come from the public CSP catalogue where one
// exists; the rest are ours and are listed in the OpenAPI document.

export interface CatalogueEntry {
  readonly status: number;
  /** CSP module: 250 generic, 330 OAuth apps (account management), 340 token issuance. */
  readonly moduleCode: number;
  readonly code: number;
  readonly errorCode: string;
  /** Default message, used when the thrower gives none. Never contains caller input verbatim. */
  readonly message: string;
  /** RFC 6749 §5.2 / RFC 7009 error name, added to token-endpoint error bodies. */
  readonly oauthError?: string;
}

export const catalogue = {
  // --- generic (module 250) ---
  SERVICE_ERROR: { status: 500, moduleCode: 250, code: 101, errorCode: 'SERVICE_ERROR', message: 'An unexpected error has occurred while processing the request' },
  BAD_REQUEST: { status: 400, moduleCode: 250, code: 102, errorCode: 'BAD_REQUEST_ERROR', message: 'The request is invalid' },
  MALFORMED_JSON: { status: 400, moduleCode: 250, code: 103, errorCode: 'MALFORMED_JSON_ERROR', message: 'The request body is not valid JSON' },
  UNAUTHORIZED: { status: 401, moduleCode: 250, code: 104, errorCode: 'AUTH_UNAUTHORIZED_ERROR', message: 'The user is not authorized to use the API' },
  FORBIDDEN: { status: 403, moduleCode: 250, code: 105, errorCode: 'AUTH_FORBIDDEN_ERROR', message: 'The user is forbidden to use the API' },
  NOT_FOUND: { status: 404, moduleCode: 250, code: 106, errorCode: 'RESOURCE_NOT_FOUND_ERROR', message: 'The requested resource could not be found' },
  INVALID_JWT_SIGNATURE: { status: 401, moduleCode: 250, code: 108, errorCode: 'INVALID_JWT_SIGNATURE_ERROR', message: 'The access token is invalid' },
  EXPIRED_JWT: { status: 401, moduleCode: 250, code: 109, errorCode: 'EXPIRED_JWT_ERROR', message: 'The access token has expired' },
  METHOD_NOT_ALLOWED: { status: 405, moduleCode: 250, code: 110, errorCode: 'METHOD_NOT_ALLOWED_ERROR', message: 'The method is not allowed on this resource' },
  REQUEST_TIMEOUT: { status: 408, moduleCode: 250, code: 111, errorCode: 'REQUEST_TIMEOUT_ERROR', message: 'The request was not received in time' },
  PAYLOAD_TOO_LARGE: { status: 413, moduleCode: 250, code: 113, errorCode: 'PAYLOAD_TOO_LARGE_ERROR', message: 'The request body is larger than 65536 bytes' },
  EXPECTATION_FAILED: { status: 417, moduleCode: 250, code: 117, errorCode: 'EXPECTATION_FAILED_ERROR', message: 'The only Expect value supported is 100-continue' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, moduleCode: 250, code: 115, errorCode: 'UNSUPPORTED_MEDIA_TYPE_ERROR', message: 'The request body must be application/json' },
  HEADERS_TOO_LARGE: { status: 431, moduleCode: 250, code: 131, errorCode: 'REQUEST_HEADERS_TOO_LARGE_ERROR', message: 'The request headers are too large' },
  TOO_MANY_REQUESTS: { status: 429, moduleCode: 250, code: 129, errorCode: 'TOO_MANY_REQUESTS_ERROR', message: 'The user has sent too many requests' },
  SERVICE_UNAVAILABLE: { status: 503, moduleCode: 250, code: 130, errorCode: 'SERVICE_UNAVAILABLE_ERROR', message: 'A backing service is unavailable' },

  // --- organization-managed OAuth apps (module 330) ---
  ESCALATION_ORG_ROLE: { status: 403, moduleCode: 330, code: 106, errorCode: 'OAUTH_ORG_CLIENT_ROLE_ESCALATION_ERROR', message: 'An app cannot be granted an organization role above the caller\'s own' },
  ESCALATION_ALL_ROLES: { status: 403, moduleCode: 330, code: 107, errorCode: 'OAUTH_ORG_CLIENT_ALL_ROLES_ESCALATION_ERROR', message: 'With allRoles the app would hold organization roles above the caller\'s own' },
  SECRET_CHANGE_OWNER_ONLY: { status: 403, moduleCode: 330, code: 108, errorCode: 'OAUTH_ORG_CLIENT_OWNER_ONLY_SECRET_ROTATION_ERROR', message: 'Only an organization owner may change the secrets of this app (ownerOnlySecretRotation)' },
  APP_RULE_VIOLATION: { status: 400, moduleCode: 330, code: 114, errorCode: 'OAUTH_ORG_CLIENT_UPDATE_ERROR', message: 'The OAuth app is invalid' },
  APP_NOT_OWNED: { status: 404, moduleCode: 330, code: 116, errorCode: 'OAUTH_ORG_CLIENT_DELETE_NOT_OWNED_BY_THE_ORG', message: 'The OAuth app is not owned by the organization' },
  INVALID_GRANT_TYPE: { status: 400, moduleCode: 330, code: 120, errorCode: 'OAUTH_ORG_CLIENT_INVALID_GRANT_TYPE_ERROR', message: 'Unsupported grant type' },
  PASSWORD_GRANT_NOT_SUPPORTED: { status: 400, moduleCode: 330, code: 121, errorCode: 'OAUTH_ORG_CLIENT_SUPPORT_PASSWORD_GRANT_TYPE_ERROR', message: 'The password grant type is not supported' },
  PUBLIC_CLIENT_RULE: { status: 400, moduleCode: 330, code: 128, errorCode: 'OAUTH_ORG_PUBLIC_CLIENT_ERROR', message: 'A public client must use authorization_code with PKCE and has no secret' },
  ORG_NOT_FOUND: { status: 404, moduleCode: 330, code: 132, errorCode: 'ORGANIZATION_NOT_FOUND_ERROR', message: 'The organization could not be found' },
  APP_NOT_FOUND: { status: 404, moduleCode: 330, code: 133, errorCode: 'OAUTH_ORGANIZATION_CLIENT_NOT_FOUND_ERROR', message: 'The OAuth app could not be found' },
  INVALID_TOKEN_TTL: { status: 400, moduleCode: 330, code: 134, errorCode: 'OAUTH_ORG_CLIENT_INVALID_ACCESS_TOKEN_TTL_ERROR', message: 'The refresh token TTL must exceed the access token TTL' },
  OPEN_REDIRECT_RULE: { status: 400, moduleCode: 330, code: 136, errorCode: 'OAUTH_ORG_CLIENT_OPEN_REDIRECT_ERROR', message: 'allowOpenRedirectUris excludes redirectUris and can never be enabled after creation' },
  ROTATION_IN_PROGRESS: { status: 409, moduleCode: 330, code: 140, errorCode: 'OAUTH_ORG_CLIENT_SECRET_ROTATION_IN_PROGRESS_ERROR', message: 'A secret rotation is already in progress; delete the old secret first' },
  PUBLIC_CLIENT_HAS_NO_SECRET: { status: 409, moduleCode: 330, code: 141, errorCode: 'OAUTH_ORG_PUBLIC_CLIENT_HAS_NO_SECRET_ERROR', message: 'A public client has no secret' },
  APP_BEING_DELETED: { status: 409, moduleCode: 330, code: 142, errorCode: 'OAUTH_ORG_CLIENT_DELETION_IN_PROGRESS_ERROR', message: 'The OAuth app is being deleted; try again later' },
  APP_ALREADY_EXISTS: { status: 409, moduleCode: 330, code: 143, errorCode: 'OAUTH_ORG_CLIENT_ALREADY_EXISTS_ERROR', message: 'An OAuth app with this id already exists' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, moduleCode: 330, code: 144, errorCode: 'IDEMPOTENCY_KEY_REUSED_ERROR', message: 'The Idempotency-Key was already used with a different request' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, moduleCode: 330, code: 145, errorCode: 'IDEMPOTENCY_KEY_IN_FLIGHT_ERROR', message: 'A request with this Idempotency-Key is still being processed' },
  IDEMPOTENT_CHANGE_SUPERSEDED: { status: 409, moduleCode: 330, code: 146, errorCode: 'IDEMPOTENT_CHANGE_SUPERSEDED_ERROR', message: 'The change made with this Idempotency-Key has been superseded by a later one; its secret no longer works' },
  SECRET_NOT_DIFFERENT: { status: 400, moduleCode: 330, code: 222, errorCode: 'NEW_CLIENT_SECRET_AND_CURRENT_SECRET_NOT_DIFFERENT', message: 'The new secret must differ from the current secret' },
  SECRET_TOO_WEAK: { status: 400, moduleCode: 330, code: 223, errorCode: 'OAUTH_ORG_CLIENT_SECRET_COMPLEXITY_ERROR', message: 'A secret needs 8 to 256 characters with a lower-case letter, an upper-case letter, a digit and a special character' },
  API_TOKEN_LIMIT: { status: 400, moduleCode: 330, code: 1701, errorCode: 'API_TOKEN_LIMIT_REACHED_ERROR', message: 'Max number of 50 user API tokens reached' },
  PAGING_INVALID: { status: 400, moduleCode: 330, code: 1600, errorCode: 'PAGING_INVALID_PARAMETERS', message: 'Invalid paging parameters' },

  // --- token endpoints (module 340): RFC 6749 errors with CSP fields ---
  OAUTH_INVALID_REQUEST: { status: 400, moduleCode: 340, code: 801, errorCode: 'INVALID_REQUEST', message: 'The token request is malformed', oauthError: 'invalid_request' },
  OAUTH_INVALID_CLIENT: { status: 401, moduleCode: 340, code: 802, errorCode: 'INVALID_CLIENT', message: 'Client authentication failed', oauthError: 'invalid_client' },
  OAUTH_INVALID_GRANT: { status: 400, moduleCode: 340, code: 803, errorCode: 'INVALID_GRANT', message: 'The grant is invalid, expired or revoked', oauthError: 'invalid_grant' },
  OAUTH_UNAUTHORIZED_CLIENT: { status: 400, moduleCode: 340, code: 804, errorCode: 'UNAUTHORIZED_CLIENT', message: 'The client may not use this grant type', oauthError: 'unauthorized_client' },
  OAUTH_UNSUPPORTED_GRANT_TYPE: { status: 400, moduleCode: 340, code: 805, errorCode: 'UNSUPPORTED_GRANT_TYPE', message: 'The grant type is not supported', oauthError: 'unsupported_grant_type' },
  OAUTH_INVALID_SCOPE: { status: 400, moduleCode: 340, code: 807, errorCode: 'INVALID_SCOPE', message: 'The requested scope is invalid or exceeds what was granted', oauthError: 'invalid_scope' },
  API_TOKEN_INVALID: { status: 400, moduleCode: 340, code: 808, errorCode: 'INVALID_GRANT', message: 'invalid_grant: Invalid refresh token: the API token is invalid, expired or revoked', oauthError: 'invalid_grant' },

  // --- people signing in (module 340): shown as HTML pages by the authorization endpoint ---
  AUTHORIZATION_CLIENT_UNKNOWN: { status: 400, moduleCode: 340, code: 820, errorCode: 'AUTHORIZATION_CLIENT_UNKNOWN', message: 'This application is unknown or may not sign people in' },
  AUTHORIZATION_REDIRECT_URI_MISMATCH: { status: 400, moduleCode: 340, code: 821, errorCode: 'AUTHORIZATION_REDIRECT_URI_MISMATCH', message: 'The redirect URI is not registered for this application' },
  AUTHORIZATION_BAD_PARAMETER: { status: 400, moduleCode: 340, code: 822, errorCode: 'AUTHORIZATION_BAD_PARAMETER', message: 'The sign-in request is malformed' },
  SIGNIN_FORM_EXPIRED: { status: 403, moduleCode: 340, code: 823, errorCode: 'SIGNIN_FORM_EXPIRED', message: 'The sign-in form has expired or was not sent by this browser; go back to the application and start again' },
  SIGNIN_NO_ORGANIZATION: { status: 403, moduleCode: 340, code: 824, errorCode: 'SIGNIN_NO_ORGANIZATION', message: 'You are not a member of an organization this application serves' },
  SIGNIN_TOO_MANY_FAILURES: { status: 429, moduleCode: 340, code: 825, errorCode: 'SIGNIN_TOO_MANY_FAILURES', message: 'Too many failed sign-ins; try again later' },
  PASSWORD_RULE: { status: 400, moduleCode: 340, code: 826, errorCode: 'PASSWORD_RULE_ERROR', message: 'The password does not meet the rules' },
  OAUTH_UNSUPPORTED_TOKEN_TYPE: { status: 400, moduleCode: 340, code: 806, errorCode: 'UNSUPPORTED_TOKEN_TYPE', message: 'The token type is not supported', oauthError: 'unsupported_token_type' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof catalogue;

/** `"<module>.<code>"`, as CSP writes it. */
export function cspErrorCode(entry: CatalogueEntry): string {
  return `${entry.moduleCode}.${entry.code}`;
}
