// A change of an app's secrets (docs/design.md §6.1): every check before the app's lock in one
// place, then under the lock the lifecycle table's row for the app's state, turned into row
// operations (lifecycle.ts), applied with the audit record and the token denylist.
import type { Queryable } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { executeWrites, type RowWrite } from '../db/writes.js';
import { fail } from '../errors/errors.js';
import { credentialHint } from '../crypto/opaque.js';
import { auditWrite, type AuditAction, type RequestActor } from '../audit/record.js';
import { denyTokensOfSecretsWrite } from '../revocation/denylist.js';
import type { OAuthAppsContext } from './context.js';
import { findAppInOrg, lockAppInOrg, updateAppWrite, type AppRow } from './store.js';
import { MAX_ACCESS_TOKEN_TTL, type SettingsReader } from './settings.js';
import { enforce, holdingOf, type AppOperation } from './policy.js';
import { isValidAt, planChange, transitionFor, type SecretChange, type SecretPlan } from './lifecycle.js';
import { verifySecret } from './secret-verifier.js';
import { newSuppliedSecret, secretRow, type NewSecret } from './secret-service.js';
import * as store from './secret-store.js';

interface ChangeTarget {
  readonly orgId: string;
  readonly appId: string;
}

/** One change of an app's secrets, keyed by its kind; each kind carries only what it needs. */
export type SecretChangeRequest =
  /** PUT …/secret: a generated secret becomes the only valid one. */
  | ChangeTarget & {
      readonly change: 'regenerate';
      readonly newSecret: NewSecret;
      /** Deny access tokens minted with the secrets this change kills (docs/design.md §6.4). */
      readonly revokeTokens: boolean;
    }
  /** PATCH with `secret`: the caller's secret becomes the only valid one. */
  | ChangeTarget & { readonly change: 'replace'; readonly suppliedSecret: string }
  /** POST …/secret: the caller's secret becomes current, the old one stays valid for the grace. */
  | ChangeTarget & {
      readonly change: 'rotate';
      readonly suppliedSecret: string;
      /** Defaults to the app's secretRotationExpirationInSeconds. */
      readonly graceSeconds?: number;
    }
  /** DELETE …/secret: a rotation ends now. */
  | ChangeTarget & { readonly change: 'deleteOld' };

/** A request that passed every check before the lock. */
export interface CheckedChange {
  readonly request: SecretChangeRequest;
  /** The app row the caller was authorized against (read without the lock); undefined when nothing was read. */
  readonly app: AppRow | undefined;
  /** The new current secret, for every change that adds one. */
  readonly newSecret: NewSecret | undefined;
  /** The id of the current secret a supplied secret was compared with before the lock. */
  readonly comparedWith: string | undefined;
}

/** A change decided under the app's lock, ready to be written. */
export interface LockedChange {
  readonly request: SecretChangeRequest;
  readonly app: AppRow;
  readonly newSecret: NewSecret | undefined;
  readonly plan: Exclude<SecretPlan, { refuse: unknown }>;
  readonly now: number;
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
export function authorizeSecretChange(settings: SettingsReader, actor: RequestActor, app: AppRow | undefined, orgId: string, appId: string, change: SecretChange): asserts app is AppRow {
  if (!app) throw fail('APP_NOT_FOUND', `OAuth app '${appId}' not found in organization ${orgId}`);
  if (app.state === 'deleting') throw fail('APP_BEING_DELETED');
  if (app.public_client === 1) throw fail('PUBLIC_CLIENT_HAS_NO_SECRET');
  // Whoever sets a secret can act as the app (docs/design.md §2, no escalation).
  enforce({ operation: POLICY_OPERATION[change], callerRoles: actor.roles, before: holdingOf(settings.read(app)) });
}

/** The same checks, read without the app's lock: for replays and before the lock. */
export async function checkMayChangeSecrets(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, appId: string, change: SecretChange): Promise<AppRow> {
  const app = await findAppInOrg(ctx.db, orgId, appId);
  authorizeSecretChange(ctx.settings, actor, app, orgId, appId, change);
  return app;
}

/**
 * Every check before the lock, in one place. For a caller-supplied secret the caller is authorized
 * first, so a caller who will get 403 costs no memory-hard KDF and this is no oracle for guessing
 * the current secret; then the complexity rule and the KDF run here, so concurrent changes of the
 * app do not queue behind them, and a secret equal to the current one is refused (docs/design.md
 * §5.3). A change without a supplied secret has nothing slow to keep out of the lock: it reads
 * nothing here and is authorized under the lock (planLockedChange), one read fewer.
 */
export async function checkSecretChange(ctx: OAuthAppsContext, actor: RequestActor, request: SecretChangeRequest): Promise<CheckedChange> {
  switch (request.change) {
    case 'deleteOld': return { request, app: undefined, newSecret: undefined, comparedWith: undefined };
    case 'regenerate': return { request, app: undefined, newSecret: request.newSecret, comparedWith: undefined };
    case 'rotate':
    case 'replace': break;
  }
  const app = await checkMayChangeSecrets(ctx, actor, request.orgId, request.appId, request.change);
  const newSecret = await newSuppliedSecret(request.suppliedSecret);
  const now = nowSeconds();
  const valid = (await store.listSecrets(ctx.db, app.id)).filter((s) => isValidAt(s, now));
  // A change the lifecycle table refuses gets its own error (e.g. 409 rotation in progress) under the lock.
  if ('refuse' in transitionFor(valid, request.change, now)) return { request, app, newSecret, comparedWith: undefined };
  const current = valid.find((s) => s.status === 'current');
  if (!current) return { request, app, newSecret, comparedWith: undefined };
  if (await verifySecret(newSecret.plaintext, current.id, current.verifier, ctx.verify)) throw fail('SECRET_NOT_DIFFERENT');
  return { request, app, newSecret, comparedWith: current.id };
}

function isUnchangedSinceCheck(checked: CheckedChange, locked: AppRow | undefined): locked is AppRow {
  return locked !== undefined && checked.app !== undefined
    && locked.instance_id === checked.app.instance_id && locked.version === checked.app.version + 1;
}

/**
 * Under the app's lock (`locked` is the row lockAppInOrg returned): the lifecycle table's plan for
 * the app's secrets as they are now, or the error that refuses the change. The caller is authorized
 * here unless checkSecretChange authorized it against the same app: locking adds one to the
 * version, so any other version (or another instance of the id) means a change came in between.
 */
export async function planLockedChange(ctx: OAuthAppsContext, trx: Queryable, actor: RequestActor, checked: CheckedChange, locked: AppRow | undefined): Promise<LockedChange> {
  const { request, newSecret } = checked;
  if (!isUnchangedSinceCheck(checked, locked)) authorizeSecretChange(ctx.settings, actor, locked, request.orgId, request.appId, request.change);
  const app = locked;
  const now = nowSeconds();
  const secrets = await store.listSecrets(trx, app.id);
  const grace = request.change === 'rotate' ? request.graceSeconds ?? ctx.settings.read(app).secretRotationExpirationInSeconds : 0;
  const plan = planChange(secrets, request.change, now, grace);
  if ('refuse' in plan) throw fail(plan.refuse);
  if (plan.addsCurrent) {
    if (!newSecret) throw new Error(`change ${request.change} needs a new secret`);
    const current = secrets.find((s) => s.status === 'current' && isValidAt(s, now));
    // Rare: the current secret changed between the check and the lock.
    if (!newSecret.generated && current && current.id !== checked.comparedWith
      && await verifySecret(newSecret.plaintext, current.id, current.verifier, ctx.verify)) {
      throw fail('SECRET_NOT_DIFFERENT');
    }
  }
  return { request, app, newSecret, plan, now };
}

/**
 * Writes a planned change: its row operations, the app's stamps, the denylist and the audit record,
 * as one statement on PostgreSQL (db/writes.ts). They touch distinct rows and none depends on
 * another's effect: a demoted, a deleted and the inserted secret are never the same row.
 */
export async function writeSecretChange(trx: Queryable, actor: RequestActor, change: LockedChange): Promise<SecretChangeResult> {
  const { request, app, newSecret, plan, now } = change;
  const writes: RowWrite[] = [];
  let newSecretId: string | undefined;
  for (const operation of plan.operations) {
    switch (operation.op) {
      case 'demote': writes.push(store.demoteToPreviousWrite(trx, operation.id, operation.expiresAt)); break;
      case 'delete': if (operation.ids.length > 0) writes.push(store.deleteSecretsWrite(trx, operation.ids)); break;
      case 'insertCurrent': {
        if (!newSecret) throw new Error(`change ${request.change} needs a new secret`);
        const row = secretRow(app.id, newSecret, actor.subject, now);
        writes.push(store.insertSecretWrite(trx, row));
        newSecretId = row.id;
        break;
      }
    }
  }
  writes.push(updateAppWrite(trx, app.id, {
    updated_at: now,
    updated_by: actor.subject,
    ...(newSecretId ? { secret_set_at: now } : {}),
  }));
  const revokeTokens = request.change === 'regenerate' && request.revokeTokens;
  if (revokeTokens && plan.killedIds.length > 0) {
    // Until the longest lifetime any token can have: a later PATCH may shorten the app's TTL.
    writes.push(denyTokensOfSecretsWrite(trx, plan.killedIds, now + MAX_ACCESS_TOKEN_TTL));
  }
  writes.push(auditWrite(trx, actor, AUDIT_ACTION[request.change], app.id, newSecretId ?? null, {
    killedSecretIds: plan.killedIds,
    newSecretHint: newSecret?.generated ? credentialHint(newSecret.plaintext) : undefined,
    revokeTokens,
  }));
  await executeWrites(trx, writes);
  return { app, newSecretId, killedSecretIds: plan.killedIds };
}

/** Applies one secret change in one transaction; concurrent changes to one app queue on its lock. */
export async function changeSecrets(ctx: OAuthAppsContext, actor: RequestActor, request: SecretChangeRequest): Promise<SecretChangeResult> {
  const checked = await checkSecretChange(ctx, actor, request);
  const result = await writeTransaction(ctx.db, async (trx) => {
    const locked = await lockAppInOrg(trx, request.orgId, request.appId);
    return writeSecretChange(trx, actor, await planLockedChange(ctx, trx, actor, checked, locked));
  });
  ctx.metrics.secretChanged(request.change);
  return result;
}
