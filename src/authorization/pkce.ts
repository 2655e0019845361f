// PKCE (RFC 7636): S256 only; `plain` is refused (RFC 9700 §2.1.1).
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../crypto/compare.js';

/** base64url of a SHA-256: 43 characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function isValidChallenge(challenge: string): boolean {
  return CHALLENGE.test(challenge);
}

export function verifierMatches(challenge: string, verifier: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return constantTimeEqual(Buffer.from(computed), Buffer.from(challenge));
}
