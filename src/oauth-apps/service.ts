// Decisions about OAuth apps: create, read, update, delete (docs/design.md §5).
import { readThroughCopy, type EpochCopies, type EpochSeen } from '../redis/epoch-trust.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { isReservedClientId } from '../console/client.js';
import { fail } from '../errors/errors.js';
import { recordAudit, type RequestActor } from '../audit/record.js';
import { findOrganization } from '../identity/store.js';
import { newGeneratedSecret, newSuppliedSecret, secretRow, type NewSecret } from './secret-service.js';
import { checkSecretChange, planLockedChange, writeSecretChange } from './secret-change.js';
import type { OAuthAppsContext } from './context.js';
import { insertSecret } from './secret-store.js';
import type { ExpandedAuthClient, OrgOAuthAppRequest, OrgOAuthAppResponse, OrgOAuthAppUpdateRequest, SearchClientsByRoleNamesRequest } from './schemas.js';
import { searchCriteria, searchHit } from './search.js';
import type { Page } from '../db/page.js';
import { draftFromCreate, draftFromUpdate, type AppDraft } from './rules.js';
import { decide, enforce, holdingOf } from './policy.js';
import * as store from './store.js';
import { appResponse } from './view.js';

export interface CreatedApp {
  clientId: string;
  clientSecret?: string;
}

/** The rules and the no-escalation check a create must pass; returns the app to store. */
export function checkMayCreateApp(actor: RequestActor, body: OrgOAuthAppRequest): AppDraft {
  const draft = draftFromCreate(body, actor.roles);
  enforce({ operation: 'create', callerRoles: actor.roles, after: holdingOf(draft.settings) });
  return draft;
}

export async function createApp(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, body: OrgOAuthAppRequest): Promise<CreatedApp> {
  const { db } = ctx;
  const draft = checkMayCreateApp(actor, body);
  const id = body.id ?? generateAppId();
  if (isReservedClientId(id)) throw fail('APP_ALREADY_EXISTS', `The id '${id}' is reserved for orgauth's built-in console`);
  // The KDF runs before the transaction so no lock is held while it works.
  const secret: NewSecret | undefined = draft.publicClient ? undefined
    : typeof body.secret === 'string' ? await newSuppliedSecret(body.secret) : await newGeneratedSecret(ctx.keys.currentPepper());

  await writeTransaction(db, async (trx) => {
    if (!(await findOrganization(trx, orgId))) throw fail('ORG_NOT_FOUND', `Organization ${orgId} not found`);
    const existing = await store.findAppById(trx, id);
    if (existing?.state === 'deleting') throw fail('APP_BEING_DELETED');
    if (existing) throw fail('APP_ALREADY_EXISTS', `An OAuth app with id '${id}' already exists`);
    const now = nowSeconds();
    await store.insertApp(trx, {
      id,
      org_id: orgId,
      instance_id: randomUUID(),
      display_name: draft.displayName,
      public_client: draft.publicClient ? 1 : 0,
      state: 'active',
      settings: JSON.stringify(draft.settings),
      created_at: now,
      created_by: actor.subject,
      updated_at: now,
      updated_by: actor.subject,
      last_used_at: null,
      secret_set_at: secret ? now : null,
      version: 0,
    }).catch((error: unknown) => {
      // Two creates racing for one id: the loser gets the same 409 as a sequential duplicate.
      if (isUniqueViolation(error)) throw fail('APP_ALREADY_EXISTS', `An OAuth app with id '${id}' already exists`);
      throw error;
    });
    let secretId: string | null = null;
    if (secret) {
      const row = secretRow(id, secret, actor.subject, now);
      await insertSecret(trx, row);
      secretId = row.id;
    }
    await recordAudit(trx, actor, 'app.create', id, secretId, { displayName: draft.displayName, publicClient: draft.publicClient });
  });
  return secret ? { clientId: id, clientSecret: secret.plaintext } : { clientId: id };
}

/**
 * `copy`: this node's copies of apps with the app's epoch this request read before any database
 * read; the app is served from a copy tagged with that epoch (docs/reliability.md), else read.
 */
export async function getApp(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, appId: string, copy?: { readonly copies: EpochCopies<store.AppRow>; readonly seen: EpochSeen }): Promise<OrgOAuthAppResponse> {
  const row = copy ? await readThroughCopy(copy, appId, () => store.findAppById(ctx.db, appId)) : await store.findAppInOrg(ctx.db, orgId, appId);
  const app = row?.org_id === orgId ? row : undefined;
  // An app being deleted is already gone for the API, as it is for the listing.
  if (!app || app.state !== 'active') throw fail('APP_NOT_FOUND', `OAuth app '${appId}' not found in organization ${orgId}`);
  enforce({ operation: 'get', callerRoles: actor.roles, before: holdingOf(ctx.settings.read(app)) });
  return appResponse(ctx.settings, app, nowSeconds());
}

/** Applies a PATCH's fields other than `secret` to the locked app, judged by the access policy. */
async function applyFields(ctx: OAuthAppsContext, trx: Queryable, actor: RequestActor, app: store.AppRow, body: OrgOAuthAppUpdateRequest): Promise<void> {
  const setsSecret = typeof body.secret === 'string';
  const existing: AppDraft = { displayName: app.display_name, publicClient: app.public_client === 1, settings: ctx.settings.read(app) };
  // The app as it is is judged first: a caller may not even shape an app it could not manage.
  enforce({ operation: 'update', callerRoles: actor.roles, before: holdingOf(existing.settings), setsSecret });
  const draft = draftFromUpdate(existing, body);
  enforce({
    operation: 'update', callerRoles: actor.roles, before: holdingOf(existing.settings), after: holdingOf(draft.settings), setsSecret,
  });
  await store.updateApp(trx, app.id, {
    display_name: draft.displayName,
    settings: JSON.stringify(draft.settings),
    updated_at: nowSeconds(),
    updated_by: actor.subject,
  });
  await recordAudit(trx, actor, 'app.update', app.id, null, { fields: Object.keys(body).filter((k) => k !== 'secret') });
}

/**
 * PATCH: the fields, and with `secret` also a secret change that resets rotation exactly like
 * regenerate (docs/design.md §5.3), in one transaction under the app's lock. The secret change's
 * checks run first: the caller is authorized for it before the secret's KDF runs.
 */
export async function updateApp(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, appId: string, body: OrgOAuthAppUpdateRequest): Promise<OrgOAuthAppResponse> {
  const checked = typeof body.secret === 'string'
    ? await checkSecretChange(ctx, actor, { orgId, appId, change: 'replace', suppliedSecret: body.secret })
    : undefined;
  await writeTransaction(ctx.db, async (trx) => {
    const app = await store.lockAppInOrg(trx, orgId, appId);
    const secretChange = checked ? await planLockedChange(ctx, trx, actor, checked, app) : undefined;
    if (!app) throw fail('APP_NOT_FOUND', `OAuth app '${appId}' not found in organization ${orgId}`);
    if (app.state === 'deleting') throw fail('APP_BEING_DELETED');
    await applyFields(ctx, trx, actor, app, body);
    if (secretChange) await writeSecretChange(trx, actor, secretChange);
  });
  if (checked) ctx.metrics.secretChanged('replace');
  return getApp(ctx, actor, orgId, appId);
}

export interface AppPage {
  results: OrgOAuthAppResponse[];
  totalResults: number;
}

export async function listApps(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, page: Page, searchTerm: string | undefined): Promise<AppPage> {
  const { db } = ctx;
  enforce({ operation: 'list', callerRoles: actor.roles });
  const { rows, total } = await store.listAppsInOrg(db, {
    orgId, searchTerm: searchTerm?.trim().toLowerCase() || undefined, offset: page.start - 1, limit: page.limit,
  });
  const now = nowSeconds();
  return { results: rows.map((row) => appResponse(ctx.settings, row, now)), totalResults: total };
}

export interface DeleteFailure {
  clientId: string;
  reason: string;
}

export interface DeleteOutcome {
  succeeded: string[];
  failed: string[];
  /** Beyond CSP: the ids the access policy refused and why; present only when there are any. */
  failures?: DeleteFailure[];
}

/**
 * Bulk delete: each app the caller may delete (the access policy, judged under the app's
 * lock) is marked as being deleted — from then on its secrets and tokens are refused and its secret
 * operations answer 409 — then removed with its secrets and an audit record. Ids not owned by the
 * org, unknown, already being deleted or refused by the policy go to `failed`, the rest still succeed.
 */
export async function deleteApps(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, ids: readonly string[]): Promise<DeleteOutcome> {
  const { db } = ctx;
  const requested = [...new Set(ids)];
  const marked: string[] = [];
  const failed: string[] = [];
  const failures: DeleteFailure[] = [];
  for (const id of requested) {
    // Decided under the app's lock, so a concurrent PATCH cannot raise its roles in between.
    const outcome = await writeTransaction(db, async (trx): Promise<'marked' | 'absent' | { refused: string }> => {
      const app = await store.lockAppInOrg(trx, orgId, id);
      if (!app || app.state !== 'active') return 'absent';
      const decision = decide({ operation: 'delete', callerRoles: actor.roles, before: holdingOf(ctx.settings.read(app)) });
      if (!decision.allow) return { refused: decision.reason };
      await store.markDeleting(trx, orgId, [id]);
      return 'marked';
    });
    if (outcome === 'marked') marked.push(id);
    else failed.push(id);
    if (typeof outcome === 'object') failures.push({ clientId: id, reason: outcome.refused });
  }
  const succeeded: string[] = [];
  for (const id of marked) {
    await removeApp(db, id, actor);
    succeeded.push(id);
  }
  return { succeeded, failed, ...(failures.length > 0 ? { failures } : {}) };
}

async function removeApp(db: Db, id: string, actor: RequestActor): Promise<void> {
  await writeTransaction(db, async (trx) => {
    // Secrets go with the app (ON DELETE CASCADE). Another node finishing the same deletion
    // finds nothing to delete and writes no second audit record.
    if (await store.deleteApp(trx, id)) await recordAudit(trx, actor, 'app.delete', id, null);
  });
}

/** Finishes deletions a crash interrupted (run at start-up). */
export async function finishPendingDeletions(ctx: OAuthAppsContext): Promise<number> {
  const { db } = ctx;
  const pending = await store.appsBeingDeleted(db);
  for (const app of pending) {
    await removeApp(db, app.id, { subject: 'orgauth', kind: 'cli', orgId: app.org_id, roles: [], requestId: null, sourceAddress: null });
  }
  return pending.length;
}

export interface SearchPage {
  results: ExpandedAuthClient[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
}

export async function searchApps(ctx: OAuthAppsContext, actor: RequestActor, orgId: string, body: SearchClientsByRoleNamesRequest, filterResults: boolean): Promise<SearchPage> {
  const { db } = ctx;
  enforce({ operation: 'search', callerRoles: actor.roles });
  const criteria = searchCriteria(body);
  const org = await findOrganization(db, orgId);
  if (!org) throw fail('ORG_NOT_FOUND', `Organization ${orgId} not found`);
  const hits = (await store.allAppsInOrg(db, orgId))
    .map((app) => searchHit(ctx.settings, app, org, criteria, filterResults))
    .filter((hit): hit is ExpandedAuthClient => hit !== undefined);
  const startIndex = body.pageStart ?? 1;
  const itemsPerPage = body.pageLimit ?? 15;
  return { results: hits.slice(startIndex - 1, startIndex - 1 + itemsPerPage), totalResults: hits.length, startIndex, itemsPerPage };
}

function generateAppId(): string {
  // 128 random bits in the id alphabet; a leading letter keeps ids friendly to every tool.
  return `app-${randomBytes(16).toString('base64url')}`;
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
