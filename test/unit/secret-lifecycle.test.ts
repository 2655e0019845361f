// The secret lifecycle table and the state it reads off the stored secrets: pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidAt, LIFECYCLE, planChange, stateOf, transitionFor, type RowOperation, type SecretChange, type SecretLike, type SecretState,
} from '../../src/oauth-apps/lifecycle.js';

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

/** The secret rows after a plan's operations, applied the way the secret store applies them. */
function applyOperations(secrets: readonly SecretLike[], operations: readonly RowOperation[]): SecretLike[] {
  let rows = [...secrets];
  for (const operation of operations) {
    switch (operation.op) {
      case 'demote': rows = rows.map((s) => (s.id === operation.id ? { id: s.id, status: 'previous', expires_at: operation.expiresAt } : s)); break;
      case 'delete': rows = rows.filter((s) => !operation.ids.includes(s.id)); break;
      case 'insertCurrent': rows = [...rows, { id: 'new', status: 'current', expires_at: null }]; break;
    }
  }
  return rows;
}

function accepted(plan: ReturnType<typeof planChange>): Exclude<ReturnType<typeof planChange>, { refuse: unknown }> {
  if ('refuse' in plan) assert.fail(`refused: ${plan.refuse}`);
  return plan;
}

describe('row operations planned from the lifecycle table', () => {
  it('rotate demotes the current secret until the grace ends, then adds the new one', () => {
    const plan = accepted(planChange([current], 'rotate', now, 60));
    assert.deepEqual(plan.operations, [{ op: 'demote', id: 'c', expiresAt: now + 60 }, { op: 'insertCurrent' }]);
    assert.deepEqual(plan.killedIds, []);
  });

  it('regenerate during a rotation deletes both valid secrets and reports both as killed', () => {
    const plan = accepted(planChange([current, previousLive], 'regenerate', now, 0));
    assert.deepEqual(plan.operations, [{ op: 'delete', ids: ['c', 'p'] }, { op: 'insertCurrent' }]);
    assert.deepEqual(plan.killedIds, ['c', 'p']);
  });

  it('deleteOld deletes only the previous secret, and without one writes nothing', () => {
    assert.deepEqual(accepted(planChange([current, previousLive], 'deleteOld', now, 0)).operations, [{ op: 'delete', ids: ['p'] }]);
    const noop = accepted(planChange([current], 'deleteOld', now, 0));
    assert.deepEqual(noop.operations, []);
    assert.deepEqual(noop.killedIds, []);
  });

  it('every change sweeps a previous secret whose grace ended, without counting it as killed', () => {
    for (const change of ['regenerate', 'replace', 'rotate', 'deleteOld'] as const) {
      const plan = accepted(planChange([current, previousExpired], change, now, 60));
      const deleted = plan.operations.flatMap((o) => (o.op === 'delete' ? o.ids : []));
      assert.ok(deleted.includes('x'), change);
      assert.ok(!plan.killedIds.includes('x'), change);
    }
  });

  it('passes the table\'s refusal through without operations', () => {
    assert.deepEqual(planChange([current, previousLive], 'rotate', now, 60), { refuse: 'ROTATION_IN_PROGRESS' });
  });
});

describe('the lifecycle table as a whole', () => {
  const examples: Record<SecretState, SecretLike[]> = { single: [current], rotating: [current, previousLive] };
  const changes: SecretChange[] = ['regenerate', 'replace', 'rotate', 'deleteOld'];

  it('leads every accepted change to the state its row names, with exactly one current secret', () => {
    for (const state of ['single', 'rotating'] as const) {
      for (const change of changes) {
        const plan = planChange(examples[state], change, now, 60);
        if ('refuse' in plan) continue;
        const after = applyOperations(examples[state], plan.operations);
        assert.equal(stateOf(after, now), plan.next, `${state} + ${change}`);
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
