// SecretVerifier: what is stored instead of a secret. The format names its algorithm and key so
// either can change later without breaking stored secrets:
//   hmac-sha256$<pepper kid>$<base64url MAC>   server-generated, 256-bit secrets (microseconds)
//   $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>   caller-supplied, possibly low-entropy secrets
import { hash as argon2Hash, verify as argon2Verify, Algorithm } from '@node-rs/argon2';
import { hmacSha256 } from '../crypto/hash.js';
import { constantTimeEqual } from '../crypto/compare.js';
import type { Pepper } from '../keys/keyring.js';
import type { VerifiedSecretCache } from './verified-secret-cache.js';

export type SecretVerifier = string;

const HMAC_PREFIX = 'hmac-sha256$';

/** OWASP's minimum Argon2id profile: 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function generatedSecretVerifier(secret: string, pepper: Pepper): SecretVerifier {
  return `${HMAC_PREFIX}${pepper.kid}$${hmacSha256(pepper.key, secret).toString('base64url')}`;
}

export async function suppliedSecretVerifier(secret: string): Promise<SecretVerifier> {
  return argon2Hash(secret, ARGON2_OPTIONS);
}

export interface VerifyContext {
  pepper(kid: string): Pepper | undefined;
  cache: VerifiedSecretCache;
}

export async function verifySecret(presented: string, secretId: string, verifier: SecretVerifier, context: VerifyContext): Promise<boolean> {
  if (verifier.startsWith(HMAC_PREFIX)) {
    const [, kid, mac] = verifier.split('$');
    const pepper = kid ? context.pepper(kid) : undefined;
    if (!pepper || !mac) return false;
    return constantTimeEqual(hmacSha256(pepper.key, presented), Buffer.from(mac, 'base64url'));
  }
  if (verifier.startsWith('$argon2')) {
    const cached = context.cache.check(secretId, presented);
    if (cached !== undefined) return cached;
    let ok = false;
    try {
      ok = await argon2Verify(verifier, presented);
    } catch {
      ok = false;
    }
    if (ok) context.cache.remember(secretId, presented);
    return ok;
  }
  return false;
}

/**
 * The answer `verifySecret` would give when it costs no memory-hard KDF: always for generated
 * secrets, and for caller-supplied ones whose value this node verified before. undefined when only
 * the KDF can tell.
 */
export function verifySecretWithoutKdf(presented: string, secretId: string, verifier: SecretVerifier, context: VerifyContext): boolean | undefined {
  if (verifier.startsWith(HMAC_PREFIX)) {
    const [, kid, mac] = verifier.split('$');
    const pepper = kid ? context.pepper(kid) : undefined;
    if (!pepper || !mac) return false;
    return constantTimeEqual(hmacSha256(pepper.key, presented), Buffer.from(mac, 'base64url'));
  }
  if (verifier.startsWith('$argon2')) return context.cache.check(secretId, presented);
  return false;
}
