// CSP paging: `pageStart` is the 1-based index of the first item, `pageLimit` the page size;
// `nextLink`/`prevLink` are relative URLs with the same query, omitted at the ends.
import Type from 'typebox';
import { fail } from '../errors/errors.js';
import type { Page } from '../db/page.js';

// Strings checked by parsePaging, not by a schema pattern, so a bad page is CSP's paging error.
export const PagingQuery = {
  pageStart: Type.Optional(Type.String({ maxLength: 20, description: '1-based index of the first item (default 1)' })),
  pageLimit: Type.Optional(Type.String({ maxLength: 20, description: 'Page size (default and maximum 200)' })),
};

export function parsePaging(query: { pageStart?: string | undefined; pageLimit?: string | undefined }, defaultLimit: number, maxLimit: number): Page {
  const start = query.pageStart === undefined ? 1 : wholeNumber(query.pageStart);
  const limit = query.pageLimit === undefined ? defaultLimit : wholeNumber(query.pageLimit);
  if (!Number.isInteger(start) || start < 1) throw fail('PAGING_INVALID', 'pageStart must be a whole number of at least 1');
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) throw fail('PAGING_INVALID', `pageLimit must be a whole number from 1 to ${maxLimit}`);
  return { start, limit };
}

function wholeNumber(text: string): number {
  return /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
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
