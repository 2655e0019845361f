// This node's memory that a service account's token is not denied (docs/reliability.md, "Introspection:
// the revocations epoch"): trusted only under the epoch, link generation and trust period it was read
// under; anything else is a database read. Ages come from the `startedAt` the caller passes, not waited for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDenialCache, denialCacheClock, type EpochSeen } from '../../src/revocation/denial-cache.js';

const TRUST_MS = 10_000;
const KEY = 'jti:t1 sid:s1';

function seenNow(epoch = 'e1', generation = 1): EpochSeen {
  return { epoch, generation, startedAt: denialCacheClock() };
}

describe('denial cache', () => {
  it('remembers a token read as not denied under the same epoch and generation', () => {
    const cache = createDenialCache(TRUST_MS);
    assert.equal(cache.knownNotDenied(KEY, seenNow()), false, 'nothing is known before a read');
    cache.rememberNotDenied(KEY, seenNow());
    assert.equal(cache.knownNotDenied(KEY, seenNow()), true);
    assert.equal(cache.knownNotDenied('jti:t2 sid:s1', seenNow()), false, 'another token is not known');
  });

  it('a bumped epoch distrusts it, and it stays forgotten when the old epoch is seen again', () => {
    const cache = createDenialCache(TRUST_MS);
    cache.rememberNotDenied(KEY, seenNow('e1'));
    assert.equal(cache.knownNotDenied(KEY, seenNow('e2')), false);
    assert.equal(cache.knownNotDenied(KEY, seenNow('e1')), false);
  });

  it('Redis trouble since it was read (another link generation) distrusts it', () => {
    const cache = createDenialCache(TRUST_MS);
    cache.rememberNotDenied(KEY, seenNow('e1', 1));
    assert.equal(cache.knownNotDenied(KEY, seenNow('e1', 2)), false);
  });

  it('it is not trusted once the trust period has passed since the epoch was read', () => {
    const cache = createDenialCache(TRUST_MS);
    cache.rememberNotDenied(KEY, { epoch: 'e1', generation: 1, startedAt: denialCacheClock() - TRUST_MS });
    assert.equal(cache.knownNotDenied(KEY, seenNow('e1', 1)), false);
    cache.rememberNotDenied(KEY, { epoch: 'e1', generation: 1, startedAt: denialCacheClock() - TRUST_MS + 5_000 });
    assert.equal(cache.knownNotDenied(KEY, seenNow('e1', 1)), true);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = createDenialCache(TRUST_MS, 2);
    for (const key of ['a', 'b', 'c']) cache.rememberNotDenied(key, seenNow());
    assert.deepEqual(['a', 'b', 'c'].map((key) => cache.knownNotDenied(key, seenNow())), [false, true, true]);
  });
});
