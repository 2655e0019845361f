// Decisions about an app's secrets: applying a lifecycle change atomically under the app's lock,
// and authenticating a client at the token endpoint.
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { fail } from '../errors/errors.js';
import { credentialHint } from '../crypto/opaque.js';
import { recordAudit, type AuditAction, type RequestActor } from '../audit/record.js';
import { findAppInOrg, lockAppInOrg, updateApp, type AppRow } from './store.js';
import type { SecretMetadata } from './secret-schemas.js';
import { MAX_ACCESS_TOKEN_TTL, readSettings } from './settings.js';
import { enforce, holdingOf, type AppOperation } from './policy.js';
import { denyTokensOfSecrets } from '../revocation/denylist.js';
import { generateClientSecret } from './secret-generation.js';
import { isValidAt, transitionFor, type SecretChange } from './lifecycle.js';
import { generatedSecretVerifier, suppliedSecretVerifier, verifySecret, type SecretVerifier, type VerifyContext } from './secret-verifier.js';
import { meetsComplexityRule } from './secret-rules.js';
import * as store from './secret-store.js';
import type { SecretRow } from './secret-store.js';
import type { Pepper } from '../keys/keyring.js';
import { metrics } from '../metrics/metrics.js';

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

export interface SecretChangeRequest {
  readonly orgId: string;
  readonly appId: string;
  readonly change: SecretChange;
  /** The new current secret, for every change that adds one: generated, or else `suppliedSecret`. */
  readonly newSecret?: NewSecret;
  /** A caller-supplied new secret: its rules and KDF run only once the caller is authorized. */
  readonly suppliedSecret?: string;
  /** Grace for the demoted secret (rotate); defaults to the app's secretRotationExpirationInSeconds. */
  readonly graceSeconds?: number;
  /** Deny access tokens minted with the secrets this change kills (docs/design.md §6.4). */
  readonly revokeTokens?: boolean;
  /** Extra checks inside the lock (e.g. PATCH applying its other fields atomically). */
  readonly alsoInside?: (trx: Queryable, app: AppRow) => Promise<void>;
}

export interface SecretChangeResult {
  readonly app: AppRow;
  readonly newSecretId: string | undefined;
  readonly killedSecretIds: readonly string[];
}

const AUDIT_ACTION: Readonly<Record<SecretChange, AuditAction>> = {
  regenerate: 'secret.regenerate',
  replace: 'secret.replace',
  rotate: 'secret.rotate',
  deleteOld: 'secret.delete_old',
};

/** The access-policy operation of each secret change (a PATCH setting `secret` replaces like regenerate). */
const POLICY_OPERATION: Readonly<Record<SecretChange, AppOperation>> = {
  regenerate: 'regenerate',
  replace: 'regenerate',
  rotate: 'rotate',
  deleteOld: 'deleteOld',
};

/**
 * May this caller change this app's secrets? The checks every secret change and every replay of one
 * (Idempotency-Key) pass, in the order a caller would want to hear about them.
 */
export function authorizeSecretChange(actor: RequestActor, app: AppRow | undefined, orgId: string, appId: string, change: SecretChange): asserts app is AppRow {
  if (!app) throw fail('APP_NOT_FOUND', `OAuth app '${appId}' not found in organization ${orgId}`);
  if (app.state === 'deleting') throw fail('APP_BEING_DELETED');
  if (app.public_client === 1) throw fail('PUBLIC_CLIENT_HAS_NO_SECRET');
  // Whoever sets a secret can act as the app (docs/design.md §2, no escalation).
  enforce({ operation: POLICY_OPERATION[change], callerRoles: actor.roles, before: holdingOf(readSettings(app)) });
}

/** The same checks, read without the app's lock: for replays and for prechecks before the lock. */
export async function checkMayChangeSecrets(db: Queryable, actor: RequestActor, orgId: string, appId: string, change: SecretChange): Promise<AppRow> {
  const app = await findAppInOrg(db, orgId, appId);
  authorizeSecretChange(actor, app, orgId, appId, change);
  return app;
}

/**
 * A replay (Idempotency-Key) of a change whose secret has since been replaced would hand out a dead
 * secret: 409 instead. `secret` is the one the replayed change set.
 */
export async function checkReplayStillCurrent(db: Queryable, context: VerifyContext, orgId: string, appId: string, secret: string): Promise<void> {
  const app = await findAppInOrg(db, orgId, appId);
  if (!app) throw fail('IDEMPOTENT_CHANGE_SUPERSEDED');
  if (!(await matchSecret(await store.listSecrets(db, app.id), secret, context, nowSeconds()))) throw fail('IDEMPOTENT_CHANGE_SUPERSEDED');
}

interface PreparedChange {
  readonly newSecret: NewSecret | undefined;
  /** The id of the current secret the supplied one was compared with before the lock. */
  readonly comparedWith: string | undefined;
}

/**
 * A caller-supplied secret, before the lock: the caller is authorized first (a caller who will get
 * 403 costs no memory-hard KDF, and this is no oracle for guessing the current secret), then the
 * complexity rule and the KDF run here, so concurrent changes of the app do not queue behind them,
 * and a secret equal to the current one is refused (docs/design.md §5.3). Inside the lock only a
 * current secret other than `comparedWith` is compared again.
 */
async function prepareSecretChange(db: Db, actor: RequestActor, request: SecretChangeRequest, context: VerifyContext): Promise<PreparedChange> {
  if (request.suppliedSecret === undefined) return { newSecret: request.newSecret, comparedWith: undefined };
  const app = await checkMayChangeSecrets(db, actor, request.orgId, request.appId, request.change);
  const newSecret = await newSuppliedSecret(request.suppliedSecret);
  const now = nowSeconds();
  const valid = (await store.listSecrets(db, app.id)).filter((s) => isValidAt(s, now));
  // A change the state machine refuses gets its own error (e.g. 409 rotation in progress) under the lock.
  if ('refuse' in transitionFor(valid, request.change, now)) return { newSecret, comparedWith: undefined };
  const current = valid.find((s) => s.status === 'current');
  if (!current) return { newSecret, comparedWith: undefined };
  if (await verifySecret(newSecret.plaintext, current.id, current.verifier, context)) throw fail('SECRET_NOT_DIFFERENT');
  return { newSecret, comparedWith: current.id };
}

/** Applies one lifecycle change in one transaction; concurrent changes to one app queue on its lock. */
export async function changeSecrets(db: Db, actor: RequestActor, request: SecretChangeRequest, context: VerifyContext): Promise<SecretChangeResult> {
  const { newSecret, comparedWith } = await prepareSecretChange(db, actor, request, context);
  const result = await writeTransaction(db, async (trx) => {
    const app = await lockAppInOrg(trx, request.orgId, request.appId);
    authorizeSecretChange(actor, app, request.orgId, request.appId, request.change);

    const now = nowSeconds();
    const secrets = await store.listSecrets(trx, app.id);
    const valid = secrets.filter((s) => isValidAt(s, now));
    const transition = transitionFor(valid, request.change, now);
    if ('refuse' in transition) throw fail(transition.refuse);

    const current = valid.find((s) => s.status === 'current');
    if (transition.addsCurrent) {
      if (!newSecret) throw new Error(`change ${request.change} needs a new secret`);
      // Rare: the current secret changed between the precheck and the lock.
      if (!newSecret.generated && current && current.id !== comparedWith
        && await verifySecret(newSecret.plaintext, current.id, current.verifier, context)) {
        throw fail('SECRET_NOT_DIFFERENT');
      }
    }
    if (request.alsoInside) await request.alsoInside(trx, app);

    // Grace-expired previous secrets are dead already; every change sweeps them.
    const expired = secrets.filter((s) => !isValidAt(s, now));
    let killed: SecretRow[] = [];
    switch (transition.existing) {
      case 'killAll': killed = valid; break;
      case 'killPrevious': killed = valid.filter((s) => s.status === 'previous'); break;
      case 'demoteCurrent': {
        const grace = request.graceSeconds ?? readSettings(app).secretRotationExpirationInSeconds;
        if (current) await store.demoteToPrevious(trx, current.id, now + grace);
        break;
      }
      case 'keep': break;
    }
    await store.deleteSecrets(trx, [...killed, ...expired].map((s) => s.id));

    let newSecretId: string | undefined;
    if (transition.addsCurrent && newSecret) {
      const row = secretRow(app.id, newSecret, actor.subject, now);
      await store.insertSecret(trx, row);
      newSecretId = row.id;
    }
    await updateApp(trx, app.id, {
      updated_at: now,
      updated_by: actor.subject,
      ...(newSecretId ? { secret_set_at: now } : {}),
    });
    const killedIds = killed.map((s) => s.id);
    if (request.revokeTokens && killedIds.length > 0) {
      // Until the longest lifetime any token can have: a later PATCH may shorten the app's TTL.
      await denyTokensOfSecrets(trx, killedIds, now + MAX_ACCESS_TOKEN_TTL);
    }
    await recordAudit(trx, actor, AUDIT_ACTION[request.change], app.id, newSecretId ?? null, {
      killedSecretIds: killedIds,
      newSecretHint: newSecret?.generated ? credentialHint(newSecret.plaintext) : undefined,
      revokeTokens: request.revokeTokens ?? false,
    });
    return { app, newSecretId, killedSecretIds: killedIds };
  });
  metrics.secretChanged(request.change);
  return result;
}

/** The valid secrets of an app, newest first, without verifiers (docs/design.md §6.4). */
export async function listValidSecrets(db: Queryable, actor: RequestActor, orgId: string, appId: string): Promise<SecretMetadata[]> {
  const app = await findAppInOrg(db, orgId, appId);
  if (!app || app.state !== 'active') throw fail('APP_NOT_FOUND', `OAuth app '${appId}' not found in organization ${orgId}`);
  enforce({ operation: 'listSecrets', callerRoles: actor.roles, before: holdingOf(readSettings(app)) });
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
