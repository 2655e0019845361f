// Server-generated client secrets: `ocs_` + 256 random bits + checksum (see crypto/opaque.ts).
import { generateOpaqueCredential, isOpaqueCredential } from '../crypto/opaque.js';

export function generateClientSecret(): string {
  return generateOpaqueCredential('ocs');
}

export function looksLikeGeneratedSecret(value: string): boolean {
  return isOpaqueCredential(value, 'ocs');
}
