// Writing one audit event, inside the transaction of the change it describes.
import type { Queryable } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import type { RowWrite } from '../db/writes.js';
import { insertAuditEvent, insertAuditEventWrite } from './store.js';

/** Who asked, and from where: carried from the HTTP layer into every change. */
export interface RequestActor {
  /** Username of a user, or client id of a service account. */
  readonly subject: string;
  readonly kind: 'user' | 'service' | 'cli';
  readonly orgId: string;
  /** Org roles of the caller (org_owner, org_admin, org_member, developer). */
  readonly roles: readonly string[];
  readonly requestId: string | null;
  readonly sourceAddress: string | null;
}

export type AuditAction =
  | 'app.create' | 'app.update' | 'app.delete'
  | 'secret.regenerate' | 'secret.replace' | 'secret.rotate' | 'secret.delete_old'
  | 'token.revoke'
  | 'api_token.create' | 'api_token.revoke';

export interface AuditDetails {
  readonly [key: string]: string | number | boolean | readonly string[] | null | undefined;
}

function auditRow(actor: RequestActor, action: AuditAction, appId: string | null, secretId: string | null, details: AuditDetails) {
  return {
    org_id: actor.orgId,
    at: nowSeconds(),
    actor: actor.subject,
    action,
    app_id: appId,
    secret_id: secretId,
    request_id: actor.requestId,
    source_address: actor.sourceAddress,
    details: JSON.stringify(details),
  };
}

export async function recordAudit(db: Queryable, actor: RequestActor, action: AuditAction, appId: string | null, secretId: string | null, details: AuditDetails = {}): Promise<void> {
  await insertAuditEvent(db, auditRow(actor, action, appId, secretId, details));
}

/** The audit record as a write to run with the change's other writes (db/writes.ts). */
export function auditWrite(db: Queryable, actor: RequestActor, action: AuditAction, appId: string | null, secretId: string | null, details: AuditDetails = {}): RowWrite {
  return insertAuditEventWrite(db, auditRow(actor, action, appId, secretId, details));
}
