// Fast hashes for high-entropy values (API tokens, request fingerprints). Never for passwords.
import { createHash, createHmac } from 'node:crypto';

export function sha256Base64url(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function hmacSha256(key: Buffer, value: string | Buffer): Buffer {
  return createHmac('sha256', key).update(value).digest();
}
