// The budget of failed client authentications (docs/design.md §7), in-process store: settled
// failures and attempts in flight per key: at most `max - failures` checks in flight, the rest wait,
// so a concurrent burst of guesses gets exactly the budget and a burst of right secrets is only queued.
// Time is a mocked clock, not waited for.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ignoreMetrics } from '../../src/metrics/metrics.js';
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
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined, ignoreMetrics);
    await fail(budget, 'app|1.2.3.4', 3);
    mock.timers.tick(15_000);
    assert.deepEqual(await budget.reserve('app|1.2.3.4'), { retryAfter: 45 });
  });

  it('keeps keys apart: a stranger spraying guesses does not lock out the client at its own address', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined, ignoreMetrics);
    await fail(budget, 'app|6.6.6.6', 3);
    assert.ok('retryAfter' in await budget.reserve('app|6.6.6.6'));
    assert.ok('reserved' in await budget.reserve('app|1.2.3.4'));
  });

  it('queues a burst of right secrets beyond the budget and refuses none of them', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined, ignoreMetrics);
    let inFlight = 0;
    let mostInFlight = 0;
    const attempt = async () => {
      const held = reservation(await budget.reserve('busy|1.2.3.4'));
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      await budget.settle('busy|1.2.3.4', held, false);
    };
    await Promise.all(Array.from({ length: 50 }, attempt));
    assert.equal(mostInFlight, 3, 'no more checks in flight than the budget');
    assert.ok('reserved' in await budget.reserve('busy|1.2.3.4'));
  });

  it('gives a concurrent burst of wrong secrets exactly the budget of checks', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined, ignoreMetrics);
    await fail(budget, 'app|6.6.6.6', 1);
    let checked = 0;
    const results = await Promise.all(Array.from({ length: 10 }, async () => {
      const result = await budget.reserve('app|6.6.6.6');
      if ('reserved' in result) {
        checked += 1;
        await new Promise((resolve) => setImmediate(resolve));
        await budget.settle('app|6.6.6.6', result.reserved, true);
      }
      return result;
    }));
    assert.equal(checked, 2, 'one earlier failure + two checked now = the budget of 3');
    assert.equal(results.filter((result) => 'retryAfter' in result).length, 8);
  });

  it('frees a place in flight when the attempt succeeds', async () => {
    const budget = createFailureBudget({ max: 3, windowSeconds: 60 }, undefined, ignoreMetrics);
    await fail(budget, 'app|1.2.3.4', 2);
    const first = reservation(await budget.reserve('app|1.2.3.4'));
    const waiting = budget.reserve('app|1.2.3.4');
    await budget.settle('app|1.2.3.4', first, false);
    assert.ok('reserved' in await waiting, 'the waiting attempt takes the freed place');
  });

  it('opens a fresh window when the old one ends, and a late settle does not touch the new window', async () => {
    const budget = createFailureBudget({ max: 2, windowSeconds: 60 }, undefined, ignoreMetrics);
    await fail(budget, 'app|1.2.3.4', 1);
    const late = reservation(await budget.reserve('app|1.2.3.4'));
    mock.timers.tick(60_000);
    const fresh = reservation(await budget.reserve('app|1.2.3.4'));
    await budget.settle('app|1.2.3.4', late, false);
    await budget.settle('app|1.2.3.4', fresh, true);
    await budget.settle('app|1.2.3.4', reservation(await budget.reserve('app|1.2.3.4')), true);
    assert.ok('retryAfter' in await budget.reserve('app|1.2.3.4'), 'two failures in the new window');
  });
});

/**
 * A stand-in for the Redis link with the RESERVE and SETTLE scripts' rules over a map (no expiry:
 * these tests stay within one window). A command `answers()` does not answer times out: it ran late
 * or never reached Redis, by `runsLate`, and the caller gets no answer, as with the real link.
 */
function fakeRedis(answers: () => boolean, runsLate: () => boolean) {
  const hashes = new Map<string, { f: number; p: number; w: string }>();
  const run = (script: string, key: string, args: string[]): unknown => {
    const h = hashes.get(key);
    if (script.includes("'p', 1)")) {
      const [, max, newWindow] = args;
      const f = h?.f ?? 0;
      const p = h?.p ?? 0;
      if (f >= Number(max)) return [0, 30_000, ''];
      if (f + p >= Number(max)) return [2, 0, ''];
      const entry = h ?? { f: 0, p: 0, w: newWindow! };
      entry.p += 1;
      hashes.set(key, entry);
      return [1, 0, entry.w];
    }
    const [window, failed, , newWindow] = args;
    if (h && h.w === window && h.p > 0) h.p -= 1;
    if (failed === '1') {
      const entry = hashes.get(key) ?? { f: 0, p: 0, w: newWindow! };
      entry.f += 1;
      hashes.set(key, entry);
    }
    return 0;
  };
  const client = { eval: async (script: string, _n: number, key: string, ...args: string[]) => run(script, key, args) };
  const link = {
    prefix: 'test:',
    client,
    async budgetCommand<T>(_topic: string, command: (c: typeof client) => Promise<T>): Promise<T | undefined> {
      await new Promise((resolve) => setImmediate(resolve));
      if (answers()) return command(client);
      if (runsLate()) void command(client);
      return undefined;
    },
  };
  /** Places Redis holds in flight for `key` (none may be left once every attempt has settled). */
  const inFlight = (key: string) => hashes.get(`test:rl:auth_failures:${key}`)?.p ?? 0;
  return { link, hashes, inFlight };
}

describe('failed-authentication budget with Redis that does not always answer', () => {
  const budgetWith = (link: ReturnType<typeof fakeRedis>['link'], max: number) =>
    createFailureBudget({ max, windowSeconds: 60 }, link as unknown as Parameters<typeof createFailureBudget>[1], ignoreMetrics);

  it('failures this node checked while Redis did not answer still count once it answers again', async () => {
    let answering = false;
    const { link, hashes } = fakeRedis(() => answering, () => false);
    const budget = budgetWith(link, 3);
    await fail(budget, 'app|1.2.3.4', 3);
    answering = true;
    assert.ok('retryAfter' in await budget.reserve('app|1.2.3.4'), 'Redis alone knows no failure; this node knows three');
    assert.equal(hashes.size, 0, 'refused on this node\'s count, without asking Redis');
    assert.deepEqual(budget.countHere('app|1.2.3.4'), { retryAfter: 60 });
  });

  it('a burst of wrong secrets gets exactly the budget of checks while Redis answers, stalls and answers again', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      // A small deterministic generator: each seed is a different pattern of answers.
      let state = seed;
      const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
      const { link } = fakeRedis(() => random() > 0.3, () => random() < 0.5);
      const budget = budgetWith(link, 5);
      let checked = 0;
      await Promise.all(Array.from({ length: 200 }, async () => {
        const result = await budget.reserve('app|6.6.6.6');
        if (!('reserved' in result)) return;
        checked += 1;
        await new Promise((resolve) => setImmediate(resolve));
        await budget.settle('app|6.6.6.6', result.reserved, true);
      }));
      assert.equal(checked, 5, `seed ${seed}`);
    }
  });

  it('a burst of right secrets while Redis stalls: every attempt gets its check, and no place is left taken in Redis', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      let state = seed;
      const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
      const { link, inFlight } = fakeRedis(() => random() > 0.3, () => random() < 0.5);
      const budget = budgetWith(link, 5);
      const results = await Promise.all(Array.from({ length: 50 }, async () => {
        const result = await budget.reserve('app|7.7.7.7');
        if ('reserved' in result) {
          await new Promise((resolve) => setImmediate(resolve));
          await budget.settle('app|7.7.7.7', result.reserved, false);
        }
        return result;
      }));
      assert.equal(results.filter((r) => 'reserved' in r).length, 50, `seed ${seed}: no right secret refused`);
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(inFlight('app|7.7.7.7'), 0, `seed ${seed}: places taken by late or unsent commands were given back`);
    }
  });
});
