// CSP paging: `pageStart` is the 1-based index of the first item, `pageLimit` the page size;
// `nextLink`/`prevLink` are relative URLs with the same query, omitted at the ends.
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import Type from 'typebox';
import { fail } from '../errors/errors.js';
import type { Page } from '../db/page.js';

export interface PagingLimits {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

/** The largest pageStart accepted: beyond it no organization has items. */
const MAX_PAGE_START = 1_000_000_000;

/**
 * The paging parameters as the OpenAPI document shows them: integers, so a generated client passes
 * `pageLimit: 10`. On the wire they are query text; `pagingQuery` turns that text into these
 * integers before validation, so the route handler and the document agree.
 */
export function PagingQuery(limits: PagingLimits) {
  return {
    pageStart: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_START, default: 1, description: '1-based index of the first item (default 1)' })),
    pageLimit: Type.Optional(Type.Integer({
      minimum: 1, maximum: limits.maxLimit, default: limits.defaultLimit,
      description: `Page size: 1 to ${limits.maxLimit} (default ${limits.defaultLimit})`,
    })),
  };
}

/**
 * A route's preValidation hook: an empty `pageStart=` or `pageLimit=` means "absent" (what CSP
 * clients send when the user gave none); any other value must be a whole number within the limits,
 * else the CSP paging error says which limits.
 */
export function pagingQuery(limits: PagingLimits): preValidationAsyncHookHandler {
  return async function parsePagingQuery(request: FastifyRequest): Promise<void> {
    const query = request.query as Record<string, unknown>;
    for (const name of ['pageStart', 'pageLimit'] as const) {
      const raw = query[name];
      if (raw === undefined) continue;
      if (raw === '') {
        delete query[name];
        continue;
      }
      query[name] = pagingNumber(name, typeof raw === 'string' ? wholeNumber(raw) : Number.NaN, limits);
    }
  };
}

/** Checks one paging value (from a query or a JSON body); throws the CSP paging error naming the limits. */
export function pagingNumber(name: 'pageStart' | 'pageLimit', value: unknown, limits: PagingLimits): number {
  const [min, max] = name === 'pageStart' ? [1, MAX_PAGE_START] : [1, limits.maxLimit];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw fail('PAGING_INVALID', `Invalid paging parameters: ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** The page asked for, after `pagingQuery` has checked it. */
export function pageOf(query: { pageStart?: number | undefined; pageLimit?: number | undefined }, limits: PagingLimits): Page {
  return { start: query.pageStart ?? 1, limit: query.pageLimit ?? limits.defaultLimit };
}

function wholeNumber(text: string): number {
  return /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
}

export function pageLinks(path: string, page: Page, total: number, extra: Record<string, string | undefined> = {}): { nextLink?: string; prevLink?: string } {
  const link = (start: number): string => {
    const params = new URLSearchParams();
    params.set('pageStart', String(start));
    params.set('pageLimit', String(page.limit));
    for (const [name, value] of Object.entries(extra)) if (value !== undefined) params.set(name, value);
    return `${path}?${params.toString()}`;
  };
  const links: { nextLink?: string; prevLink?: string } = {};
  if (page.start - 1 + page.limit < total) links.nextLink = link(page.start + page.limit);
  // Past the end, the previous page is the last one that has items, not another empty one.
  if (page.start > 1) links.prevLink = link(Math.max(1, Math.min(page.start - page.limit, total - page.limit + 1)));
  return links;
}
