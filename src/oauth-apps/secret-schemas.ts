// TypeBox schemas of the secret sub-resource: the owner rotation request and the secrets listing (beyond CSP).
import Type from 'typebox';
import { MAX_ROTATION_GRACE_SECONDS } from './settings.js';

export const ClientSecretOwnerRotationRequest = Type.Object({
  newClientSecret: Type.String({ maxLength: 1024, description: 'The new secret: 8–256 characters with a lower-case letter, an upper-case letter, a digit and a special character' }),
  secretRotationExpirationInSeconds: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ROTATION_GRACE_SECONDS }), Type.Null()], { description: 'How long the old secret stays valid, in seconds: 1 to 31536000 (365 days); defaults to the app\'s secretRotationExpirationInSeconds (172800)' })),
}, { additionalProperties: false, title: 'ClientSecretOwnerRotationRequest', examples: [{ newClientSecret: 'Example-Only-Secret-2026!', secretRotationExpirationInSeconds: 3600 }] });

export const SecretMetadata = Type.Object({
  secretId: Type.String(),
  hint: Type.Optional(Type.String({ description: 'The last 4 characters of a generated secret; absent for a caller-supplied one' })),
  status: Type.Union([Type.Literal('current'), Type.Literal('previous')]),
  createdAt: Type.Integer({ description: 'Epoch seconds' }),
  createdBy: Type.String(),
  expiresAt: Type.Optional(Type.Integer({ description: 'Epoch seconds; only for a previous secret in its grace period' })),
  lastUsedAt: Type.Optional(Type.Integer({ description: 'Epoch seconds, recorded coarsely (at most once a minute)' })),
}, { title: 'SecretMetadata' });

export const SecretList = Type.Array(SecretMetadata, { title: 'SecretMetadataList' });
export type SecretMetadata = Type.Static<typeof SecretMetadata>;
