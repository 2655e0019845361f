// Creating key material: RS256 signing keys and the HMAC pepper, sealed for storage.
import { generateKeyPairSync, randomBytes, randomUUID, createPublicKey } from 'node:crypto';
import { seal } from '../crypto/seal.js';
import { nowSeconds } from '../db/database.js';
import type { KeyRow } from './store.js';

export const SIGNING_ALGORITHM = 'RS256';
/** The pepper has a fixed id so that nodes starting together agree on one. */
export const FIRST_PEPPER_ID = 'pepper-1';

export function newSigningKey(masterKey: Buffer): KeyRow {
  const kid = randomUUID();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  return {
    kid,
    purpose: 'signing',
    algorithm: SIGNING_ALGORITHM,
    public_jwk: JSON.stringify(publicJwk),
    private_sealed: seal(masterKey, pem, `signing:${kid}`),
    created_at: nowSeconds(),
    retired_at: null,
  };
}

export function newPepper(masterKey: Buffer, kid: string): KeyRow {
  return {
    kid,
    purpose: 'pepper',
    algorithm: 'HMAC-SHA256',
    public_jwk: null,
    private_sealed: seal(masterKey, randomBytes(32), `pepper:${kid}`),
    created_at: nowSeconds(),
    retired_at: null,
  };
}
