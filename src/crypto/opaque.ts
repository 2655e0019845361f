// Opaque credentials (client secrets, API tokens): 256 bits from the OS CSPRNG, a fixed prefix and
// a CRC-32 checksum, so secret scanners and our own tools can recognise one without a database.
// Only URL-unreserved characters, so raw and form-urlencoded Basic credentials decode alike.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** ocs: client secret, oat: API token, ort: refresh token of a person. */
export type CredentialPrefix = 'ocs' | 'oat' | 'ort';

const BODY_LENGTH = 43; // base64url of 32 bytes
const CHECKSUM_LENGTH = 6; // base64url of 4 bytes

export function generateOpaqueCredential(prefix: CredentialPrefix): string {
  const body = randomBytes(32).toString('base64url');
  return `${prefix}_${body}${checksum(`${prefix}_${body}`)}`;
}

/** True when the value has the prefix, the length and a valid checksum of a credential we issued. */
export function isOpaqueCredential(value: string, prefix: CredentialPrefix): boolean {
  const expectedLength = prefix.length + 1 + BODY_LENGTH + CHECKSUM_LENGTH;
  if (value.length !== expectedLength || !value.startsWith(`${prefix}_`)) return false;
  const head = value.slice(0, expectedLength - CHECKSUM_LENGTH);
  return checksum(head) === value.slice(-CHECKSUM_LENGTH);
}

/** The last four characters: enough to tell credentials apart in a listing, useless to an attacker. */
export function credentialHint(value: string): string {
  return value.slice(-4);
}

function checksum(text: string): string {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(crc32(text));
  return buffer.toString('base64url');
}
