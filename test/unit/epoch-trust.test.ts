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

describe('renewal of copies in use', () => {
  it('lists only copies at least the given age that were served lately, and drops untrusted ones', () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const now = trustClock();
    copies.set('served', 'a', { epoch: 'e1', generation: 1, startedAt: now - 6_000 });
    copies.set('young', 'b', { epoch: 'e1', generation: 1, startedAt: now - 1_000 });
    copies.set('idle', 'c', { epoch: 'e1', generation: 1, startedAt: now - 6_000 });
    copies.set('other-link', 'd', { epoch: 'e1', generation: 0, startedAt: now - 6_000 });
    copies.set('expired', 'e', { epoch: 'e1', generation: 1, startedAt: now - TRUST_MS - 1 });
    assert.ok(copies.get('served', 1));
    assert.ok(copies.get('young', 1));
    const due = copies.dueForRenewal(1, 5_000, 60_000).map((d) => d.key);
    // 'idle' was last served when it was copied, 6 s ago: within 60 s it is still due; within 1 s it is not.
    assert.deepEqual(due.sort(), ['idle', 'served']);
    assert.deepEqual(copies.dueForRenewal(1, 5_000, 1_000).map((d) => d.key), ['served']);
    assert.equal(copies.size, 3, 'the copies of another link generation and past the trust period are dropped');
  });

  it('a renewed copy holds the rows read again and is trusted from the moment before that read', () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    copies.set('k', 'old rows', { epoch: 'e1', generation: 1, startedAt: trustClock() - TRUST_MS + 50 });
    copies.get('k', 1);
    const [due] = copies.dueForRenewal(1, 5_000, 60_000);
    assert.ok(due);
    assert.equal(copies.renew(due, 'new rows', 1, trustClock()), true);
    assert.equal(copies.get('k', 1, 'e1')?.value, 'new rows');
    assert.equal(copies.get('k', 1, 'e2'), undefined, 'the epoch tag is kept: a bump still distrusts it');
  });

  it('a copy set again or dropped after it was listed, or under another link generation, is not renewed', () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const old = (): EpochSeen => ({ epoch: 'e1', generation: 1, startedAt: trustClock() - 6_000 });
    copies.set('replaced', 'v1', old());
    copies.set('dropped', 'v1', old());
    copies.set('relinked', 'v1', old());
    const due = new Map(copies.dueForRenewal(1, 5_000, 60_000).map((d) => [d.key, d]));
    assert.equal(due.size, 3);
    // A request copied rows under an epoch that may have been read after the renewal's read began.
    copies.set('replaced', 'v2', { epoch: 'e2', generation: 1, startedAt: trustClock() - 6_000 });
    copies.delete('dropped');
    const startedAt = trustClock();
    assert.equal(copies.renew(due.get('replaced')!, 'renewed', 1, startedAt), false);
    assert.equal(copies.get('replaced', 1, 'e2')?.value, 'v2');
    assert.equal(copies.renew(due.get('dropped')!, 'renewed', 1, startedAt), false);
    assert.equal(copies.get('dropped', 1), undefined);
    assert.equal(copies.renew(due.get('relinked')!, 'renewed', 2, startedAt), false);
    assert.equal(copies.get('relinked', 1, 'e1')?.value, 'v1');
  });
});
