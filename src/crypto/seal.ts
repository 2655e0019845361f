// Sealing data at rest (signing keys, the HMAC pepper, idempotent replays) with the master key:
// AES-256-GCM, a fresh 96-bit nonce per seal, and associated data binding each blob to its purpose.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** A sealed value that does not open with this master key (another key sealed it, or it was altered). */
export class UnsealError extends Error {
  override name = 'UnsealError';
}

export function seal(masterKey: Buffer, plaintext: Buffer | string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

export function unseal(masterKey: Buffer, sealed: string, associatedData: string): Buffer {
  const [version, ivText, bodyText] = sealed.split('.');
  if (version !== VERSION || !ivText || !bodyText) throw new Error('sealed value has an unknown format');
  const body = Buffer.from(bodyText, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(ivText, 'base64url'));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    throw new UnsealError('the sealed value does not open with this master key');
  }
}
