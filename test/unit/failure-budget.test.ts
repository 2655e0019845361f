// The budget of failed client authentications (docs/design.md §7), in-process store: settled
// failures and attempts in flight per key, so a concurrent burst of guesses cannot slip past it,
// while a burst of right secrets is never refused. Time is a mocked clock, not waited for.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createFailureBudget, type FailureBudget, type Reservation, type ReserveResult } from '../../src/http/failure-budget.js';

const reservation = (result: ReserveResult): Reservation => {
  assert.ok('reserved' in result, `expected a reservation, got ${JSON.stringify(result)}`);
  return result.reserved;
};

async function fail(budget: FailureBudget, key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await budget.settle(key, reservation(await budget.reserve(key)), true);
}

describe('failed-authentication budget (in process)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('refuses a key once it has used up its failures, with the seconds left in its window', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined);
    await fail(budget, 'app|1.2.3.4', 3);
    mock.timers.tick(15_000);
    assert.deepEqual(await budget.reserve('app|1.2.3.4'), { retryAfter: 45 });
  });

  it('keeps keys apart: a stranger spraying guesses does not lock out the client at its own address', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined);
    await fail(budget, 'app|6.6.6.6', 3);
    assert.ok('retryAfter' in await budget.reserve('app|6.6.6.6'));
    assert.ok('reserved' in await budget.reserve('app|1.2.3.4'));
  });

  it('never limits a key without failures, however many attempts are in flight', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined);
    const results = await Promise.all(Array.from({ length: 50 }, () => budget.reserve('busy|1.2.3.4')));
    assert.ok(results.every((result) => 'reserved' in result));
    await Promise.all(results.map((result) => budget.settle('busy|1.2.3.4', reservation(result), false)));
    assert.ok('reserved' in await budget.reserve('busy|1.2.3.4'));
  });

  it('counts attempts in flight as failures once a key has failed, so a concurrent burst cannot pass', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined);
    await fail(budget, 'app|6.6.6.6', 1);
    const burst = await Promise.all(Array.from({ length: 10 }, () => budget.reserve('app|6.6.6.6')));
    assert.equal(burst.filter((result) => 'reserved' in result).length, 2, 'one failure + two in flight = the budget of 3');
  });

  it('frees an attempt in flight that succeeds', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined);
    await fail(budget, 'app|1.2.3.4', 2);
    const first = reservation(await budget.reserve('app|1.2.3.4'));
    assert.ok('retryAfter' in await budget.reserve('app|1.2.3.4'), '2 failures + 1 in flight');
    await budget.settle('app|1.2.3.4', first, false);
    assert.ok('reserved' in await budget.reserve('app|1.2.3.4'));
  });

  it('opens a fresh window when the old one ends, and a late settle does not touch the new window', async () => {
    const budget = createFailureBudget({ max: 2, windowSeconds: 60 }, undefined);
    await fail(budget, 'app|1.2.3.4', 1);
    const late = reservation(await budget.reserve('app|1.2.3.4'));
    mock.timers.tick(60_000);
    const fresh = reservation(await budget.reserve('app|1.2.3.4'));
    await budget.settle('app|1.2.3.4', late, false);
    // The fresh window still counts its own attempt in flight: one failure now makes 1 + 1 = 2.
    await budget.settle('app|1.2.3.4', reservation(await budget.reserve('app|1.2.3.4')), true);
    assert.ok('retryAfter' in await budget.reserve('app|1.2.3.4'));
    await budget.settle('app|1.2.3.4', fresh, false);
  });
});
