// What OIDC ID tokens need from the node, built once in the composition root (runtime.ts) and passed
// first to the functions that sign or read them.
import type { KeyRing } from '../keys/keyring.js';

export interface OidcContext {
  readonly keys: Pick<KeyRing, 'currentSigningKey' | 'findVerificationKey'>;
  readonly issuer: string;
}
