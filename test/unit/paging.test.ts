// CSP paging arithmetic (docs/design.md §5.1): pageStart is the 1-based index of the first item,
// pageLimit the page size; nextLink/prevLink keep the query and are omitted at the ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageLinks, parsePaging } from '../../src/http/paging.js';
import { isOrgAuthError } from '../../src/errors/errors.js';

const pagingError = (error: unknown) => isOrgAuthError(error) && error.errorName === 'PAGING_INVALID';

describe('parsePaging', () => {
  it('defaults to the first item and the default page size', () => {
    assert.deepEqual(parsePaging({}, 200, 200), { start: 1, limit: 200 });
    assert.deepEqual(parsePaging({ pageStart: '3', pageLimit: '15' }, 15, 15), { start: 3, limit: 15 });
  });

  it('refuses anything but a whole number from 1, and a page size above the maximum', () => {
    for (const query of [{ pageStart: '0' }, { pageStart: '-1' }, { pageStart: '1.5' }, { pageStart: '' }, { pageStart: '1e3' },
      { pageStart: '9999999999' }, { pageLimit: '0' }, { pageLimit: '201' }, { pageLimit: ' 5' }]) {
      assert.throws(() => parsePaging(query, 200, 200), pagingError, JSON.stringify(query));
    }
    assert.throws(() => parsePaging({ pageLimit: '16' }, 15, 15), pagingError);
  });
});

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
