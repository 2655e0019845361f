// Access tokens whose signature this process has already verified. An RS256 verification is the
// largest single cost of a management call or an introspection, and a client presents the same
// token for its whole lifetime; whether a signature is valid never changes, so it is remembered.
// Everything that can change — expiry, the denylist, the live app or membership, the key being
// retired — is still checked on every request by the caller.

import { setBounded } from '../bounded-map.js';

/** Enough for every token in use on a busy node; about 2 KB each. */
const MAX_ENTRIES = 10_000;

export interface VerifiedToken<Claims> {
  readonly claims: Claims;
  /** The key that signed it: a hit counts only while that key is still a verification key. */
  readonly kid: string;
}

export interface VerifiedTokenCache<Claims> {
  get(token: string): VerifiedToken<Claims> | undefined;
  remember(token: string, entry: VerifiedToken<Claims>): void;
}

export function createVerifiedTokenCache<Claims>(maxEntries = MAX_ENTRIES): VerifiedTokenCache<Claims> {
  const entries = new Map<string, VerifiedToken<Claims>>();
  return {
    get: (token) => entries.get(token),
    remember: (token, entry) => setBounded(entries, maxEntries, token, entry),
  };
}
