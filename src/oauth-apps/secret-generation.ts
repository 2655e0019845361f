// Server-generated client secrets: `ocs_` + 256 random bits + checksum (see crypto/opaque.ts).
import { generateOpaqueCredential } from '../crypto/opaque.js';

export function generateClientSecret(): string {
  return generateOpaqueCredential('ocs');
}
