// CSP paging links (docs/design.md §5.1): pageStart is the 1-based index of the first item, pageLimit
// the page size; nextLink/prevLink keep the query and are omitted at the ends. The limits are in wire-rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageLinks } from '../../src/http/paging.js';

describe('pageLinks', () => {
  it('links the next page while items remain and the previous one after the first page', () => {
    assert.deepEqual(pageLinks('/apps', { start: 1, limit: 10 }, 25), { nextLink: '/apps?pageStart=11&pageLimit=10' });
    assert.deepEqual(pageLinks('/apps', { start: 11, limit: 10 }, 25), { nextLink: '/apps?pageStart=21&pageLimit=10', prevLink: '/apps?pageStart=1&pageLimit=10' });
    assert.deepEqual(pageLinks('/apps', { start: 21, limit: 10 }, 25), { prevLink: '/apps?pageStart=11&pageLimit=10' });
    assert.deepEqual(pageLinks('/apps', { start: 1, limit: 10 }, 10), {});
  });

  it('points back from past the end to the last page that has items, never below 1', () => {
    assert.equal(pageLinks('/apps', { start: 100, limit: 10 }, 25).prevLink, '/apps?pageStart=16&pageLimit=10');
    assert.equal(pageLinks('/apps', { start: 5, limit: 10 }, 25).prevLink, '/apps?pageStart=1&pageLimit=10');
    assert.equal(pageLinks('/apps', { start: 3, limit: 10 }, 0).prevLink, '/apps?pageStart=1&pageLimit=10');
  });

  it('keeps the rest of the query, encoded, and leaves out absent parameters', () => {
    assert.equal(pageLinks('/apps', { start: 1, limit: 1 }, 2, { searchTerm: 'ci bot&x', other: undefined }).nextLink,
      '/apps?pageStart=2&pageLimit=1&searchTerm=ci+bot%26x');
  });
});
