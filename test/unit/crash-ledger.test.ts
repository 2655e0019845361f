// What crash-durability.test.ts may expect of an app after a restart (test/helpers/crash-ledger.ts):
// a regeneration that committed in flight at one kill stays the app's secret through the next kill
// when the load did not reach the app again, and nothing else excuses a refused acknowledged secret.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acknowledge, judgeAfterRestart, newLedger, type AppLedger } from '../helpers/crash-ledger.js';

const CREATED = 'ocs_created_AAAA';
const FIRST = 'ocs_first_BBBB';
const UNSEEN_HINT = 'CCCC';

/** Created, one regeneration acknowledged, then one in flight at kill 1. */
function regeneratedThenInFlight(): AppLedger {
  const app = newLedger('crash-app-15', CREATED);
  acknowledge(app, FIRST);
  app.inFlight = true;
  return app;
}

describe('crash-durability ledger', () => {
  it('an in-flight regeneration that committed at kill 1 still explains a refused acknowledged secret at kill 2 when the app was not regenerated since', () => {
    const app = regeneratedThenInFlight();
    assert.equal(judgeAfterRestart(app, false, UNSEEN_HINT, 'kill 1'), 'replacedNow');
    app.inFlight = false; // the next round's loop never reached this app
    assert.equal(judgeAfterRestart(app, false, UNSEEN_HINT, 'kill 2'), 'replacedEarlier');
    assert.equal(judgeAfterRestart(app, false, UNSEEN_HINT, 'kill 3'), 'replacedEarlier');
  });

  it('a secret reported lost is really lost: the unseen secret must still be the one listed', () => {
    const app = regeneratedThenInFlight();
    judgeAfterRestart(app, false, UNSEEN_HINT, 'kill 1');
    app.inFlight = false;
    assert.throws(() => judgeAfterRestart(app, false, 'DDDD', 'kill 2'), /lost the secret an earlier in-flight regeneration committed/);
  });

  it('a refused acknowledged secret with nothing in flight, now or before, is a lost acknowledged regeneration', () => {
    const app = newLedger('a', CREATED);
    acknowledge(app, FIRST);
    assert.throws(() => judgeAfterRestart(app, false, 'BBBB', 'kill 1'), /lost its last acknowledged secret with nothing in flight/);
  });

  it('an acknowledgment after the unseen secret makes the acknowledged one required again', () => {
    const app = regeneratedThenInFlight();
    judgeAfterRestart(app, false, UNSEEN_HINT, 'kill 1');
    acknowledge(app, 'ocs_second_EEEE');
    assert.equal(judgeAfterRestart(app, true, 'EEEE', 'kill 2'), 'last');
    assert.throws(() => judgeAfterRestart(app, false, 'EEEE', 'kill 3'), /lost its last acknowledged secret with nothing in flight/);
  });

  it('a replaced secret never works again, and a working one must be the one listed', () => {
    const app = regeneratedThenInFlight();
    judgeAfterRestart(app, false, UNSEEN_HINT, 'kill 1');
    app.inFlight = false;
    assert.throws(() => judgeAfterRestart(app, true, UNSEEN_HINT, 'kill 2'), /works again/);
    const other = newLedger('b', CREATED);
    acknowledge(other, FIRST);
    assert.throws(() => judgeAfterRestart(other, true, 'ZZZZ', 'kill 1'), /not the last acknowledged one/);
  });

  it('an in-flight regeneration explains a refused secret only if the listed secret is another one', () => {
    const app = regeneratedThenInFlight();
    assert.throws(() => judgeAfterRestart(app, false, 'BBBB', 'kill 1'), /the listed secret is the refused one/);
  });
});
