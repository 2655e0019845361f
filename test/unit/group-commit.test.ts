// Group commit on SQLite (src/db/group-commit.ts), on a real in-memory better-sqlite3 database whose
// statements are logged: changes queued together share one commit, each in its own savepoint; a
// refused change undoes only itself; a caller is answered only after the commit that holds its
// change; a failed commit fails the whole batch and applies none of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type { Db, Tx } from '../../src/db/database.js';
import { withCommitQueue, writeTransaction } from '../../src/db/group-commit.js';

interface Harness {
  db: Db;
  /** Every transaction-control statement run, plus the events the test adds, in order. */
  log: string[];
  rows(): number[];
}

function openHarness(): Harness {
  const file = new SQLite(':memory:');
  file.pragma('foreign_keys = ON');
  file.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE item (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
    INSERT INTO parent (id) VALUES (1);`);
  const log: string[] = [];
  const logged: SqliteDatabase = {
    close: () => file.close(),
    prepare(text: string) {
      const verb = /^\s*(begin|commit|rollback|savepoint|release)\b/i.exec(text)?.[1];
      if (verb) log.push(verb.toLowerCase());
      return file.prepare(text);
    },
  };
  const db = withCommitQueue(new Kysely({ dialect: new SqliteDialect({ database: logged }) }));
  return { db, log, rows: () => (file.prepare('SELECT id FROM item ORDER BY id').all() as { id: number }[]).map((r) => r.id) };
}

const insert = (trx: Tx, id: number, parent = 1) => sql`INSERT INTO item (id, parent) VALUES (${id}, ${parent})`.execute(trx);
const count = async (trx: Tx) => Number((await sql<{ n: number }>`SELECT count(*) AS n FROM item`.execute(trx)).rows[0]?.n);

describe('writeTransaction on SQLite', () => {
  it('commits changes queued together once, each in its own savepoint', async () => {
    const { db, log, rows } = openHarness();
    await Promise.all([1, 2, 3].map((id) => writeTransaction(db, (trx) => insert(trx, id))));
    assert.deepEqual(rows(), [1, 2, 3]);
    assert.equal(log.filter((verb) => verb === 'begin').length, 1);
    assert.equal(log.filter((verb) => verb === 'commit').length, 1);
    assert.equal(log.filter((verb) => verb === 'savepoint').length, 3);
    await db.destroy();
  });

  it('runs each change against the state the earlier ones left', async () => {
    const { db } = openHarness();
    const seen = await Promise.all([1, 2, 3].map((id) => writeTransaction(db, async (trx) => {
      const before = await count(trx);
      await insert(trx, id);
      return before;
    })));
    assert.deepEqual(seen, [0, 1, 2]);
    await db.destroy();
  });

  it('undoes only the refused change: the others in its commit stay applied and are answered', async () => {
    const { db, rows } = openHarness();
    const refusal = new Error('refused');
    const results = await Promise.allSettled([
      writeTransaction(db, (trx) => insert(trx, 1)),
      writeTransaction(db, async (trx) => {
        await insert(trx, 2);
        await insert(trx, 3);
        throw refusal;
      }),
      writeTransaction(db, async (trx) => {
        await insert(trx, 4);
        return 'four';
      }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((results[1] as PromiseRejectedResult).reason, refusal);
    assert.equal((results[2] as PromiseFulfilledResult<string>).value, 'four');
    assert.deepEqual(rows(), [1, 4]);
    await db.destroy();
  });

  it('answers a caller only after the commit that holds its change', async () => {
    const { db, log } = openHarness();
    const first = writeTransaction(db, (trx) => insert(trx, 1)).then(() => log.push('first answered'));
    const second = writeTransaction(db, async (trx) => {
      log.push('second runs');
      await insert(trx, 2);
    }).then(() => log.push('second answered'));
    await Promise.all([first, second]);
    const at = (event: string) => log.indexOf(event);
    assert.ok(at('second runs') < at('commit'), 'both changes are in one commit');
    assert.ok(at('commit') < at('first answered'), `answered before its commit: ${log.join(', ')}`);
    assert.ok(at('commit') < at('second answered'));
    await db.destroy();
  });

  it('fails every change of a batch whose commit fails, and applies none of them', async () => {
    const { db, rows } = openHarness();
    // A deferred foreign key is checked at COMMIT: the dangling row makes the commit itself fail.
    const results = await Promise.allSettled([
      writeTransaction(db, (trx) => insert(trx, 1)),
      writeTransaction(db, (trx) => insert(trx, 2, 99)),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((results[0] as PromiseRejectedResult).reason), /FOREIGN KEY/i);
    assert.deepEqual(rows(), []);
    // The writer is free again afterwards.
    await writeTransaction(db, (trx) => insert(trx, 5));
    assert.deepEqual(rows(), [5]);
    await db.destroy();
  });

  it('starts a new commit for changes that arrive after a batch has committed', async () => {
    const { db, log, rows } = openHarness();
    await writeTransaction(db, (trx) => insert(trx, 1));
    await writeTransaction(db, (trx) => insert(trx, 2));
    assert.deepEqual(rows(), [1, 2]);
    assert.equal(log.filter((verb) => verb === 'commit').length, 2);
    await db.destroy();
  });
});
