// The secret lifecycle table and the state it reads off the stored secrets: pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidAt, LIFECYCLE, stateOf, transitionFor, type SecretChange, type SecretLike, type SecretState, type Transition } from '../../src/oauth-apps/lifecycle.js';

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

/** The valid secrets after a transition, written out from its `existing` and `addsCurrent` fields. */
function apply(secrets: readonly SecretLike[], transition: Exclude<Transition, { refuse: unknown }>, grace: number): SecretLike[] {
  const kept = secrets.flatMap((s): SecretLike[] => {
    switch (transition.existing) {
      case 'killAll': return [];
      case 'killPrevious': return s.status === 'current' ? [s] : [];
      case 'demoteCurrent': return s.status === 'current' ? [{ id: s.id, status: 'previous', expires_at: now + grace }] : [];
      case 'keep': return [s];
    }
  });
  return transition.addsCurrent ? [...kept, { id: 'new', status: 'current', expires_at: null }] : kept;
}

describe('the lifecycle table as a whole', () => {
  const examples: Record<SecretState, SecretLike[]> = { single: [current], rotating: [current, previousLive] };
  const changes: SecretChange[] = ['regenerate', 'replace', 'rotate', 'deleteOld'];

  it('leads every accepted change to the state its row names, with exactly one current secret', () => {
    for (const state of ['single', 'rotating'] as const) {
      for (const change of changes) {
        const transition = LIFECYCLE[state][change];
        if ('refuse' in transition) continue;
        const after = apply(examples[state], transition, 60);
        assert.equal(stateOf(after, now), transition.next, `${state} + ${change}`);
        assert.equal(after.filter((s) => s.status === 'current').length, 1, `${state} + ${change}`);
        assert.ok(after.length <= 2, 'never more than two valid secrets');
      }
    }
  });

  it('refuses only a second rotation', () => {
    const refusals = (['single', 'rotating'] as const).flatMap((state) => changes
      .filter((change) => 'refuse' in LIFECYCLE[state][change]).map((change) => `${state} + ${change}`));
    assert.deepEqual(refusals, ['rotating + rotate']);
  });

  it('regenerate and PATCH with a secret (replace) are the same change: the new secret is the only one', () => {
    for (const state of ['single', 'rotating'] as const) assert.deepEqual(LIFECYCLE[state].replace, LIFECYCLE[state].regenerate);
  });
});
