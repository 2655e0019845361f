// The one trust rule of every epoch copy (docs/reliability.md, "Management requests: the members
// epoch"): a copy read through `readThroughCopy` is served only under the epoch it was tagged with,
// the same link generation and within the trust period; anything else reads the database again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEpochCopies, readThroughCopy, trustClock, type EpochSeen } from '../../src/redis/epoch-trust.js';

const TRUST_MS = 10_000;

function seenNow(epoch = 'e1', generation = 1): EpochSeen {
  return { epoch, generation, startedAt: trustClock() };
}

/** A database that counts its reads and answers the current value. */
function database(initial: string | undefined) {
  const db = { value: initial, reads: 0, read: async () => { db.reads += 1; return db.value; } };
  return db;
}

describe('epoch copies', () => {
  it('serves the copy under the epoch it was read under, and reads again under another', async () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const db = database('member');
    assert.equal(await readThroughCopy({ copies, seen: seenNow('e1') }, 'k', db.read), 'member');
    db.value = undefined; // removed, and the epoch bumped
    assert.equal(await readThroughCopy({ copies, seen: seenNow('e1') }, 'k', db.read), 'member', 'same epoch: the copy');
    assert.equal(db.reads, 1);
    assert.equal(await readThroughCopy({ copies, seen: seenNow('e2') }, 'k', db.read), undefined, 'bumped: the database');
    assert.equal(await readThroughCopy({ copies, seen: seenNow('e1') }, 'k', db.read), undefined, 'the old epoch again: still the database');
    assert.equal(db.reads, 3);
  });

  it('another link generation or an expired trust period reads the database', async () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const db = database('v1');
    await readThroughCopy({ copies, seen: seenNow('e1', 1) }, 'k', db.read);
    db.value = 'v2';
    assert.equal(await readThroughCopy({ copies, seen: seenNow('e1', 2) }, 'k', db.read), 'v2');
    copies.set('k', 'v1', { epoch: 'e1', generation: 2, startedAt: trustClock() - TRUST_MS });
    assert.equal(await readThroughCopy({ copies, seen: seenNow('e1', 2) }, 'k', db.read), 'v2');
    assert.equal(db.reads, 3, 'each of the two distrusted copies cost a read');
  });

  it('without an epoch read (Redis did not answer) every read goes to the database and nothing is copied', async () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const db = database('v1');
    await readThroughCopy(undefined, 'k', db.read);
    assert.equal(copies.size, 0);
  });
});
