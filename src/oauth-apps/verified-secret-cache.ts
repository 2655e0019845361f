// Verified-secret cache: remembers, per secret id, a keyed digest of the value that last passed the
// memory-hard KDF, so the token endpoint pays the KDF once per secret. It can never outlive the
// secret: it is consulted only for secrets the database still lists as valid, and a secret's
// verifier never changes (a new secret is a new id).
import { randomBytes } from 'node:crypto';
import { hmacSha256 } from '../crypto/hash.js';
import { constantTimeEqual } from '../crypto/compare.js';
import { setBounded } from '../bounded-map.js';

export interface VerifiedSecretCache {
  /** true: this value verified before; false: a different value verified before; undefined: unknown. */
  check(secretId: string, presented: string): boolean | undefined;
  remember(secretId: string, presented: string): void;
  readonly size: number;
}

export function createVerifiedSecretCache(maxEntries = 100_000): VerifiedSecretCache {
  const processKey = randomBytes(32); // digests mean nothing outside this process
  const entries = new Map<string, Buffer>();
  return {
    check(secretId, presented) {
      const known = entries.get(secretId);
      if (!known) return undefined;
      return constantTimeEqual(hmacSha256(processKey, presented), known);
    },
    remember(secretId, presented) {
      setBounded(entries, maxEntries, secretId, hmacSha256(processKey, presented));
    },
    get size() {
      return entries.size;
    },
  };
}
