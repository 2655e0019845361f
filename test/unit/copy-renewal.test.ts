// Renewal of copies in use (redis/copy-renewal.ts): which copies a pass reads again, in how many
// statements, and what becomes of a copy whose row is gone; the key of the memory of tokens not
// denied, which a pass turns back into denylist entries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEpochCopies, trustClock } from '../../src/redis/epoch-trust.js';
import { RENEWAL_BATCH, renewCopies, type RenewableCopies } from '../../src/redis/copy-renewal.js';
import { denialKey, entriesOfDenialKey } from '../../src/revocation/denial-cache.js';

const TRUST_MS = 10_000;

function family(copies: ReturnType<typeof createEpochCopies<string>>, rows: Map<string, string>) {
  const counts = { statements: 0, renewed: 0, dropped: 0, keysRead: [] as string[][] };
  const renewable: RenewableCopies<string> = {
    copies,
    async read(keys) {
      counts.keysRead.push([...keys]);
      return new Map(keys.filter((k) => rows.has(k)).map((k) => [k, rows.get(k)!]));
    },
    counted: {
      statement: () => { counts.statements += 1; },
      renewed: (n) => { counts.renewed += n; },
      dropped: (n) => { counts.dropped += n; },
    },
  };
  return { renewable, counts };
}

describe('renewal of copies in use', () => {
  it('reads the copies in use past half the trust period again, RENEWAL_BATCH keys per statement, and keeps them trusted', async () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const old = trustClock() - 6_000;
    const rows = new Map<string, string>();
    for (let i = 0; i < RENEWAL_BATCH * 2 + 1; i++) {
      copies.set(`k${i}`, 'before', { epoch: 'e', generation: 1, startedAt: old });
      rows.set(`k${i}`, 'after');
    }
    copies.set('young', 'before', { epoch: 'e', generation: 1, startedAt: trustClock() });
    const { renewable, counts } = family(copies, rows);
    const pass = await renewCopies(renewable, () => 1, TRUST_MS);
    assert.deepEqual(pass, { renewed: RENEWAL_BATCH * 2 + 1, dropped: 0, statements: 3 });
    assert.deepEqual(counts.keysRead.map((keys) => keys.length), [RENEWAL_BATCH, RENEWAL_BATCH, 1]);
    assert.ok(!counts.keysRead.flat().includes('young'), 'a copy younger than half the period is left alone');
    const renewed = copies.get('k0', 1, 'e');
    assert.equal(renewed?.value, 'after', 'the copy holds the rows read again');
    assert.ok(renewed.tag.startedAt > old, 'and is trusted from the moment before that read');
  });

  it('drops a copy whose row is gone, and renews nothing under another link generation', async () => {
    const copies = createEpochCopies<string>(TRUST_MS);
    const old = trustClock() - 6_000;
    copies.set('gone', 'x', { epoch: 'e', generation: 1, startedAt: old });
    copies.set('kept', 'x', { epoch: 'e', generation: 1, startedAt: old });
    const { renewable, counts } = family(copies, new Map([['kept', 'y']]));
    assert.deepEqual(await renewCopies(renewable, () => 1, TRUST_MS), { renewed: 1, dropped: 1, statements: 1 });
    assert.equal(copies.get('gone', 1), undefined);
    assert.deepEqual([counts.renewed, counts.dropped], [1, 1]);
    // Redis trouble since: the generation moved, no copy is listed, nothing is read.
    assert.deepEqual(await renewCopies(renewable, () => 2, TRUST_MS), { renewed: 0, dropped: 0, statements: 0 });
  });
});

describe('the key of the memory of tokens not denied', () => {
  it('turns back into the entries it was made from', () => {
    const entries = [{ kind: 'jti', value: '3f0c9b2e-1d7a-4c55-9a70-2b9e8d6f4a11' }, { kind: 'sid', value: 's-1' }, { kind: 'api_token', value: 'a:b' }] as const;
    assert.deepEqual(entriesOfDenialKey(denialKey(entries)), entries);
  });
});
