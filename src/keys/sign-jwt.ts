// Compact RS256 JWTs signed with node:crypto's callback form, which runs RSA on the libuv pool.
// Both tokens this service mints (access and ID tokens, RFC 7519) go through here: jose's WebCrypto
// path cost 50–100 % more main-thread time per signature (bench/results/history.md), and signing is
// the token endpoint's main cost. Everything that reads untrusted tokens stays with jose.
import { sign } from 'node:crypto';
import { SIGNING_ALGORITHM } from './generate.js';
import type { SigningKey } from './keyring.js';

/** Each key's encoded header, which never changes: one less JSON and base64url per token. */
const encodedHeaders = new WeakMap<SigningKey, string>();

/** `claims` is serialized as is: the caller sets iss, iat, exp and the rest. */
export async function signJwt(key: SigningKey, claims: object): Promise<string> {
  let header = encodedHeaders.get(key);
  if (header === undefined) {
    header = base64url({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' });
    encodedHeaders.set(key, header);
  }
  const signingInput = `${header}.${base64url(claims)}`;
  const signature = await new Promise<Buffer>((resolve, reject) => {
    // Base64url and '.' only: latin1 gives the same bytes as UTF-8 without scanning for multi-byte characters.
    sign('sha256', Buffer.from(signingInput, 'latin1'), key.privateKey, (error, result) => (error ? reject(error) : resolve(result)));
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
