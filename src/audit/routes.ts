// HTTP for the audit log [ours] (SPEC §6.4): organization owners and admins only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BASE_PATH } from '../config.js';
import { errorResponses, MANAGEMENT_SECURITY } from '../http/schemas.js';
import { PagingQuery, pageLinks, pageOf, pagingQuery, type PagingLimits } from '../http/paging.js';
import type { Services } from '../runtime.js';
import { OrgPathParams } from '../apps/schemas.js';
import { ORG_MANAGER_ROLES, rolesToPerms } from '../identity/roles.js';
import { countAuditEvents, listAuditEvents } from './store.js';

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

const AUDIT_PAGING: PagingLimits = { defaultLimit: 200, maxLimit: 200 };

export async function auditRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/orgs/:orgId/audit-events', {
    config: { access: { anyOf: rolesToPerms(ORG_MANAGER_ROLES) } },
    schema: {
      tags: ['Audit'], operationId: 'getOrganizationAuditEvents', summary: '[ours] Every app and secret change and every token revocation, newest first',
      description: 'Actor, action, app, secret id, request id, source address and time. Never a secret.',
      security: MANAGEMENT_SECURITY, params: OrgPathParams, querystring: Type.Object(PagingQuery(AUDIT_PAGING)),
      response: {
        200: Type.Object({ results: Type.Array(AuditEvent), totalResults: Type.Integer(), nextLink: Type.Optional(Type.String()), prevLink: Type.Optional(Type.String()) }, { title: 'PagedResponseAuditEvent' }),
        ...errorResponses(400, 401, 403, 429, 500),
      },
    },
    preValidation: pagingQuery(AUDIT_PAGING),
  }, async (request) => {
    const { orgId } = request.params;
    const page = pageOf(request.query, AUDIT_PAGING);
    const [rows, total] = await Promise.all([listAuditEvents(services.db, orgId, page.start - 1, page.limit), countAuditEvents(services.db, orgId)]);
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
      ...pageLinks(`${BASE_PATH}/orgs/${orgId}/audit-events`, page, total),
    };
  });
}
