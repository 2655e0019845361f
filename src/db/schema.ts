// Table types for Kysely. Epoch seconds everywhere; booleans are 0/1 integers so one set of
// queries serves SQLite and PostgreSQL alike.
import type { Generated } from 'kysely';

export type OrgRole = 'org_owner' | 'org_admin' | 'org_member';
export type SecretStatus = 'current' | 'previous';
export type AppState = 'active' | 'deleting';
export type KeyPurpose = 'signing' | 'pepper' | 'replay';
export type DenylistKind = 'jti' | 'sid' | 'api_token' | 'refresh_family';

export interface OrganizationsTable {
  id: string;
  display_name: string;
  created_at: number;
}

/** An org's active apps, the listing's totalResults; no row means none (oauth-apps/store.ts). */
export interface OrgAppCountsTable {
  org_id: string;
  active_apps: number;
}

export interface UsersTable {
  username: string;
  created_at: number;
  /** Argon2id PHC string; null: no password, the user cannot sign in through the login page. */
  password_hash?: string | null;
  password_set_at?: number | null;
}

export interface SigninSessionsTable {
  /** SHA-256 of the session id held in the browser's cookie. */
  id_hash: string;
  username: string;
  auth_time: number;
  expires_at: number;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  app_instance: string;
  redirect_uri: string;
  /** PKCE S256 challenge; null when the (confidential) client sent none. */
  code_challenge: string | null;
  scope: string;
  nonce: string | null;
  username: string;
  org_id: string;
  auth_time: number;
  expires_at: number;
  used_at: number | null;
  family_id: string | null;
  access_jti: string | null;
  access_expires_at: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  client_id: string;
  app_instance: string;
  username: string;
  org_id: string;
  scope: string;
  auth_time: number;
  secret_id: string | null;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

export interface MembershipsTable {
  org_id: string;
  username: string;
  org_role: OrgRole;
  developer: number;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  /** SHA-256 of the token: tokens are 256-bit random, so a fast hash is a sound verifier. */
  token_hash: string;
  hint: string;
  username: string;
  org_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Name the person gave the token (CSP `tokenName`); null for tokens made by the CLI. */
  token_name: string | null;
}

export interface OAuthAppsTable {
  id: string;
  org_id: string;
  /** Random per creation: an id reused after a delete is another app, and the old app's tokens stay dead. */
  instance_id: string;
  display_name: string;
  public_client: number;
  state: AppState;
  /** JSON of the app's settings (OrgOAuthAppRequest fields other than id and secret). */
  settings: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
  last_used_at: number | null;
  secret_set_at: number | null;
  /** Bumped by every change; its UPDATE is also what serializes concurrent changes to one app. */
  version: number;
}

export interface AppSecretsTable {
  id: string;
  app_id: string;
  verifier: string;
  hint: string;
  status: SecretStatus;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  last_used_at: number | null;
}

export interface KeysTable {
  kid: string;
  purpose: KeyPurpose;
  algorithm: string;
  public_jwk: string | null;
  /** Private key material sealed with the master key (AES-256-GCM). */
  private_sealed: string;
  created_at: number;
  retired_at: number | null;
}

export interface TokenDenylistTable {
  kind: DenylistKind;
  value: string;
  /** When the entry can be dropped: no token it names can be valid after this. */
  expires_at: number;
}

export interface IdempotencyRecordsTable {
  /** Hash of (org, caller, operation, Idempotency-Key). */
  scope_key: string;
  request_hash: string;
  status_code: number | null;
  /** The response, sealed with the master key: it may hold a secret. */
  response_sealed: string | null;
  created_at: number;
  expires_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  org_id: string;
  at: number;
  actor: string;
  action: string;
  app_id: string | null;
  secret_id: string | null;
  request_id: string | null;
  source_address: string | null;
  details: string;
}

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
  oauth_apps: OAuthAppsTable;
  org_app_counts: OrgAppCountsTable;
  app_secrets: AppSecretsTable;
  keys: KeysTable;
  token_denylist: TokenDenylistTable;
  idempotency_records: IdempotencyRecordsTable;
  audit_events: AuditEventsTable;
  signin_sessions: SigninSessionsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
}
