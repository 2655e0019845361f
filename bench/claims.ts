// The claim set of an orgauth service-account access token (docs/design.md §3.3), so the ceiling and
// node-oidc-provider sign JWTs of the same size as orgauth does.
import { randomUUID } from 'node:crypto';

/** Fixed org for the peers; orgauth uses its own bootstrap org id (also a GUID). */
export const PEER_ORG_ID = '5c0f8a3e-2b1d-4c7e-9f60-1a2b3c4d5e6f';

/** Claims orgauth adds on top of iss/sub/iat/exp/jti. */
export function extraClaims(clientId: string): Record<string, unknown> {
  return {
    azp: clientId,
    context_name: PEER_ORG_ID,
    context: randomUUID(),
    perms: ['csp:developer'],
    username: clientId,
    domain: 'orgauth',
    cid: clientId,
    sid: randomUUID(),
  };
}

export function fullClaims(issuer: string, clientId: string, ttl = 600): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: issuer, sub: clientId, iat, exp: iat + ttl, jti: randomUUID(), ...extraClaims(clientId) };
}

/** The peer's resource server (its JWT access tokens) and the scope it grants. */
export const PEER_RESOURCE = 'urn:orgauth:bench';
export const PEER_SCOPE = 'csp:developer';

/** Claims orgauth adds to a person's access token (src/tokens/person-tokens.ts) for its bootstrapped owner. */
export function personClaims(username: string, clientId: string): Record<string, unknown> {
  return {
    azp: clientId,
    cid: clientId,
    context_name: PEER_ORG_ID,
    context: PEER_ORG_ID,
    perms: ['csp:org_owner'],
    username,
    acct: username,
    domain: username.includes('@') ? username.slice(username.lastIndexOf('@') + 1) : 'orgauth',
    app_instance: randomUUID(),
    sid: randomUUID(),
  };
}

/** Claims orgauth adds to a person's ID token (src/oidc/id-token.ts) besides the protocol ones. */
export function personIdTokenClaims(username: string): Record<string, unknown> {
  return { context_name: PEER_ORG_ID, username, acct: username, ...(username.includes('@') ? { email: username } : {}) };
}
