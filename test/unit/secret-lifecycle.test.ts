// The secret lifecycle table and the state it reads off the stored secrets: pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidAt, stateOf, transitionFor, type SecretLike } from '../../src/secrets/lifecycle.js';

const now = 1_000_000;
const current: SecretLike = { id: 'c', status: 'current', expires_at: null };
const previousLive: SecretLike = { id: 'p', status: 'previous', expires_at: now + 60 };
const previousExpired: SecretLike = { id: 'x', status: 'previous', expires_at: now };

describe('secret state', () => {
  it('is rotating only while a previous secret is still inside its grace period', () => {
    assert.equal(stateOf([current], now), 'single');
    assert.equal(stateOf([current, previousLive], now), 'rotating');
    assert.equal(stateOf([current, previousExpired], now), 'single');
  });

  it('treats a previous secret as dead from the second its grace ends', () => {
    assert.equal(isValidAt(previousLive, now), true);
    assert.equal(isValidAt(previousExpired, now), false);
    assert.equal(isValidAt(current, now + 10 ** 9), true);
  });
});

describe('lifecycle transitions', () => {
  it('regenerate kills every valid secret in both states and leaves one', () => {
    for (const secrets of [[current], [current, previousLive]]) {
      assert.deepEqual(transitionFor(secrets, 'regenerate', now), { existing: 'killAll', addsCurrent: true, next: 'single' });
    }
  });

  it('refuses a second rotation while one is in progress, but not after the grace ended', () => {
    assert.deepEqual(transitionFor([current, previousLive], 'rotate', now), { refuse: 'ROTATION_IN_PROGRESS' });
    assert.equal((transitionFor([current, previousExpired], 'rotate', now) as { next: string }).next, 'rotating');
  });

  it('deleting the old secret is a no-op when there is none', () => {
    assert.deepEqual(transitionFor([current], 'deleteOld', now), { existing: 'keep', addsCurrent: false, next: 'single' });
    assert.equal((transitionFor([current, previousLive], 'deleteOld', now) as { existing: string }).existing, 'killPrevious');
  });
});
