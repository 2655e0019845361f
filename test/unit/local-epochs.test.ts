// Local epochs of one SQLite node (src/db/local-epochs.ts): an epoch a copy was tagged with never
// comes back after a change — not after a bump, not after another connection's commit, not after
// the app was forgotten by the bounded map.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalEpochs } from '../../src/db/local-epochs.js';

describe('local epochs', () => {
  it('an app bump moves that app and nothing else; a revocation bump moves the revocations epoch', () => {
    const epochs = createLocalEpochs(() => 7);
    const a = epochs.app('a');
    const b = epochs.app('b');
    const r = epochs.revocations();
    epochs.bumpApps(['a']);
    assert.notEqual(epochs.app('a'), a);
    assert.equal(epochs.app('b'), b);
    assert.equal(epochs.revocations(), r, 'bumpApps alone leaves revocations (the bumper moves both)');
    epochs.bumpRevocations();
    assert.notEqual(epochs.revocations(), r);
  });

  it('another connection\'s commit (a new data_version) moves every epoch', () => {
    let version = 1;
    const epochs = createLocalEpochs(() => version);
    const a = epochs.app('a');
    const r = epochs.revocations();
    version = 2;
    assert.notEqual(epochs.app('a'), a);
    assert.notEqual(epochs.revocations(), r);
    assert.equal(epochs.app('a', 1), a, 'an explicit version is the one used');
  });

  it('an app forgotten by the bounded map never returns to an epoch it had before its last bump', () => {
    const epochs = createLocalEpochs(() => 1, 2);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    // Epochs each app was read with before its latest bump: a copy tagged with one must stay stale.
    const read = new Map(ids.map((id) => [id, new Set<string>()]));
    const dead = new Map(ids.map((id) => [id, new Set<string>()]));
    for (let round = 0; round < 40; round++) {
      for (const id of ids) read.get(id)?.add(epochs.app(id));
      const bumped = ids[(round * 3) % ids.length] ?? 'a';
      epochs.bumpApps([bumped]);
      for (const value of read.get(bumped) ?? []) dead.get(bumped)?.add(value);
      for (const id of ids) assert.ok(!dead.get(id)?.has(epochs.app(id)), `round ${round}: ${id} returned to an epoch from before its bump`);
    }
  });
});
