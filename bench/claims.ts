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
