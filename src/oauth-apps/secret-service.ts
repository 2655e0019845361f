// Decisions about an app's secrets other than changing them (secret-change.ts): making a new
// secret, listing the valid ones, and matching a presented secret.
import { randomUUID } from 'node:crypto';
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { credentialHint } from '../crypto/opaque.js';
import type { RequestActor } from '../audit/record.js';
import { findAppInOrg } from './store.js';
import type { SecretMetadata } from './secret-schemas.js';
import { enforce, holdingOf } from './policy.js';
import { generateClientSecret } from './secret-generation.js';
import { isValidAt } from './lifecycle.js';
import { generatedSecretVerifier, suppliedSecretVerifier, verifySecret, type SecretVerifier, type VerifyContext } from './secret-verifier.js';
import { meetsComplexityRule } from './secret-rules.js';
import * as store from './secret-store.js';
import type { SecretRow } from './secret-store.js';
import type { Pepper } from '../keys/keyring.js';
import type { OAuthAppsContext } from './context.js';

export interface NewSecret {
  readonly plaintext: string;
  readonly verifier: SecretVerifier;
  readonly generated: boolean;
}

export async function newGeneratedSecret(pepper: Pepper): Promise<NewSecret> {
  const plaintext = generateClientSecret();
  return { plaintext, verifier: generatedSecretVerifier(plaintext, pepper), generated: true };
}

/** Checks the complexity rule and derives the memory-hard verifier (before any lock is taken). */
export async function newSuppliedSecret(plaintext: string): Promise<NewSecret> {
  if (!meetsComplexityRule(plaintext)) throw fail('SECRET_TOO_WEAK');
  return { plaintext, verifier: await suppliedSecretVerifier(plaintext), generated: false };
}

export function secretRow(appId: string, secret: NewSecret, createdBy: string, now: number): SecretRow {
  return {
    id: randomUUID(),
    app_id: appId,
    verifier: secret.verifier,
    // No character of a caller-supplied secret is kept: it may be short, and 4 of 8 characters help a guesser.
    hint: secret.generated ? credentialHint(secret.plaintext) : '',
    status: 'current',
    created_at: now,
    created_by: createdBy,
    expires_at: null,
    last_used_at: null,
  };
}

/**
 * A replay (Idempotency-Key) of a change whose secret has since been replaced would hand out a dead
 * secret: 409 instead. `secret` is the one the replayed change set.
 */
export async function checkReplayStillCurrent(ctx: OAuthAppsContext, orgId: string, appId: string, secret: string): Promise<void> {
  const { db, verify: context } = ctx;
  const app = await findAppInOrg(db, orgId, appId);
  if (!app) throw fail('IDEMPOTENT_CHANGE_SUPERSEDED');
  if (!(await matchSecret(await store.listSecrets(db, app.id), secret, context, nowSeconds()))) throw fail('IDEMPOTENT_CHANGE_SUPERSEDED');
}

/** The valid secrets of an app, newest first, without verifiers (docs/design.md §6.4). */
export async function listValidSecrets(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, appId: string): Promise<SecretMetadata[]> {
  const { db } = ctx;
  const app = await findAppInOrg(db, orgId, appId);
  if (!app || app.state !== 'active') throw fail('APP_NOT_FOUND', `OAuth app '${appId}' not found in organization ${orgId}`);
  enforce({ operation: 'listSecrets', callerRoles: actor.roles, before: holdingOf(ctx.settings.read(app)) });
  const now = nowSeconds();
  return (await store.listSecrets(db, app.id)).filter((s) => isValidAt(s, now)).map((s) => ({
    secretId: s.id,
    ...(s.hint !== '' ? { hint: s.hint } : {}),
    status: s.status,
    createdAt: s.created_at,
    createdBy: s.created_by,
    ...(s.status === 'previous' && s.expires_at !== null ? { expiresAt: s.expires_at } : {}),
    ...(s.last_used_at !== null ? { lastUsedAt: s.last_used_at } : {}),
  }));
}

/**
 * The secret among `secrets` that the presented value matches, if it is valid at `now`. Constant
 * time per secret; the rows are read fresh for each request (findAppWithSecrets), never cached.
 */
export async function matchSecret(secrets: readonly SecretRow[], presented: string, context: VerifyContext, now: number): Promise<SecretRow | undefined> {
  for (const secret of secrets) {
    if (isValidAt(secret, now) && await verifySecret(presented, secret.id, secret.verifier, context)) return secret;
  }
  return undefined;
}
