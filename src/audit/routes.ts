// HTTP for the audit log, beyond CSP (docs/design.md §6.4): organization owners and admins only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BASE_PATH } from '../config.js';
import { errorResponses, MANAGEMENT_SECURITY } from '../http/schemas.js';
import { PagingQuery, pageLinks, pageOf, pagingQuery, type PagingLimits } from '../http/paging.js';
import type { Services } from '../runtime.js';
import { OrgPathParams } from '../oauth-apps/schemas.js';
import { ORG_MANAGER_ROLES, rolesToPerms } from '../identity/roles.js';
import { countAuditEvents, listAuditEvents, type AuditFilter } from './store.js';
import { fail } from '../errors/errors.js';

const AUDIT_PAGING: PagingLimits = { defaultLimit: 200, maxLimit: 200 };

const AuditQuery = Type.Object({
  ...PagingQuery(AUDIT_PAGING),
  action: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_.]*$', description: 'Only this action, e.g. secret.regenerate' })),
  actor: Type.Optional(Type.String({ maxLength: 256, description: 'Only this actor (username or client id)' })),
  appId: Type.Optional(Type.String({ maxLength: 256, description: 'Only events of this app' })),
  from: Type.Optional(Type.String({ maxLength: 12, description: 'Epoch seconds, inclusive' })),
  to: Type.Optional(Type.String({ maxLength: 12, description: 'Epoch seconds, inclusive' })),
});

/** Empty parameters mean "absent", as in the console's filter form. */
function auditFilter(query: { action?: string; actor?: string; appId?: string; from?: string; to?: string }): AuditFilter {
  const time = (name: 'from' | 'to'): number | undefined => {
    const text = query[name];
    if (text === undefined || text === '') return undefined;
    if (!/^[0-9]{1,12}$/.test(text)) throw fail('BAD_REQUEST', `${name} must be a time in epoch seconds`);
    return Number(text);
  };
  const filter = { action: query.action || undefined, actor: query.actor || undefined, appId: query.appId || undefined, from: time('from'), to: time('to') };
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) throw fail('BAD_REQUEST', 'from must not be after to');
  return filter;
}

const AuditEvent = Type.Object({
  id: Type.Integer(),
  organizationId: Type.String(),
  at: Type.Integer({ description: 'Epoch seconds' }),
  actor: Type.String(),
  action: Type.String({ examples: ['secret.regenerate'] }),
  appId: Type.Optional(Type.String()),
  secretId: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  sourceAddress: Type.Optional(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
}, { title: 'AuditEvent' });

export async function auditRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/orgs/:orgId/audit-events', {
    config: { access: { anyOf: rolesToPerms(ORG_MANAGER_ROLES) } },
    schema: {
      tags: ['Audit'], operationId: 'getOrganizationAuditEvents', summary: 'Beyond CSP: Every app and secret change, every API token created or revoked and every token revocation, newest first',
      description: 'Actor, action, app, secret id, request id, source address and time. Never a secret. Filters `action`, `actor`, `appId`, `from`, `to` (epoch seconds, inclusive) combine with AND.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams, querystring: AuditQuery,
      response: {
        200: Type.Object({ results: Type.Array(AuditEvent), totalResults: Type.Integer(), nextLink: Type.Optional(Type.String()), prevLink: Type.Optional(Type.String()) }, { title: 'PagedResponseAuditEvent' }),
        ...errorResponses(400, 401, 403, 429, 500),
      },
    },
    preValidation: pagingQuery(AUDIT_PAGING),
  }, async (request) => {
    const { orgId } = request.params;
    const page = pageOf(request.query, AUDIT_PAGING);
    const filter = auditFilter(request.query);
    const [rows, total] = await Promise.all([listAuditEvents(services.db, orgId, page.start - 1, page.limit, filter), countAuditEvents(services.db, orgId, filter)]);
    return {
      results: rows.map((row) => ({
        id: Number(row.id),
        organizationId: row.org_id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        ...(row.app_id !== null ? { appId: row.app_id } : {}),
        ...(row.secret_id !== null ? { secretId: row.secret_id } : {}),
        ...(row.request_id !== null ? { requestId: row.request_id } : {}),
        ...(row.source_address !== null ? { sourceAddress: row.source_address } : {}),
        details: JSON.parse(row.details) as Record<string, unknown>,
      })),
      totalResults: total,
      ...pageLinks(`${BASE_PATH}/orgs/${orgId}/audit-events`, page, total, {
        action: filter.action, actor: filter.actor, appId: filter.appId, from: request.query.from || undefined, to: request.query.to || undefined,
      }),
    };
  });
}
