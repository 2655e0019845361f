// lastUsedAt on SQLite (src/oauth-apps/secret-usage.ts), on a real in-memory better-sqlite3 database
// with the two columns it writes: the minute's flush writes every use, including uses of thousands
// of apps, and lets other work run between its steps instead of stopping the server until it is done.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { nowSeconds, type Db } from '../../src/db/database.js';
import { withCommitQueue } from '../../src/db/group-commit.js';
import { createUsageRecorder } from '../../src/oauth-apps/secret-usage.js';

interface Harness {
  db: Db;
  file: SQLite.Database;
  /** 'write' for every UPDATE the recorder sends, 'turn' each time a 1 ms timer got the event loop. */
  events: string[];
}

/** `apps` apps with one secret each, stored in an order unlike their ids' (as apps are created over time). */
function openHarness(apps: number): Harness {
  const file = new SQLite(':memory:');
  file.exec(`CREATE TABLE oauth_apps (id TEXT PRIMARY KEY, last_used_at BIGINT);
    CREATE TABLE app_secrets (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, last_used_at BIGINT);`);
  const insertApp = file.prepare('INSERT INTO oauth_apps (id) VALUES (?)');
  const insertSecret = file.prepare('INSERT INTO app_secrets (id, app_id) VALUES (?, ?)');
  file.transaction(() => {
    for (let i = 0; i < apps; i++) {
      const n = (i * 7919) % apps;
      insertApp.run(`app-${n}`);
      insertSecret.run(`secret-${n}`, `app-${n}`);
    }
  })();
  const events: string[] = [];
  const logged: SqliteDatabase = {
    close: () => file.close(),
    prepare(text: string) {
      if (/^\s*update\b/i.test(text)) events.push('write');
      return file.prepare(text);
    },
  };
  return { db: withCommitQueue(new Kysely({ dialect: new SqliteDialect({ database: logged }) })), file, events };
}

const usedRows = (file: SQLite.Database, table: 'oauth_apps' | 'app_secrets') =>
  file.prepare(`SELECT id, last_used_at AS at FROM ${table} WHERE last_used_at IS NOT NULL`).all() as { id: string; at: number }[];

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('lastUsedAt on SQLite: the flush', () => {
  it('writes the use of every secret and of its app, also when the secret was deleted since', async () => {
    const { db, file } = openHarness(1300);
    const usage = createUsageRecorder(db, 1);
    const from = nowSeconds();
    for (let i = 0; i < 1200; i++) usage.record(`app-${i}`, `secret-${i}`);
    // A second secret of app-0, created after the apps above, and a use of a secret that is gone.
    file.prepare("INSERT INTO app_secrets (id, app_id) VALUES ('secret-0b', 'app-0')").run();
    usage.record('app-0', 'secret-0b');
    usage.record('app-1250', 'secret-deleted');
    file.prepare("DELETE FROM app_secrets WHERE id = 'secret-1250'").run();
    await until(() => usedRows(file, 'oauth_apps').length === 1201, 5000);
    const until_ = nowSeconds();
    const secrets = usedRows(file, 'app_secrets');
    const apps = usedRows(file, 'oauth_apps');
    assert.equal(apps.length, 1201, 'the apps used, and no other');
    for (const row of [...secrets, ...apps]) assert.ok(row.at >= from && row.at <= until_, `${row.id} at ${row.at} within [${from}, ${until_}]`);
    assert.ok(apps.some((a) => a.id === 'app-1250'), 'an app whose used secret was deleted since still records the use');
    await usage.stop();
    await db.destroy();
  });

  it('lets other work run between its steps while writing the uses of thousands of apps', async () => {
    const { db, file, events } = openHarness(5000);
    const usage = createUsageRecorder(db, 1);
    for (let i = 0; i < 5000; i++) usage.record(`app-${i}`, `secret-${i}`);
    const timer = setInterval(() => events.push('turn'), 1);
    try {
      await until(() => usedRows(file, 'app_secrets').length === 5000, 10_000);
    } finally {
      clearInterval(timer);
    }
    const first = events.indexOf('write');
    const last = events.lastIndexOf('write');
    const turns = events.slice(first, last).filter((e) => e === 'turn').length;
    const writes = events.filter((e) => e === 'write').length;
    assert.ok(writes >= 4, `the flush wrote in several steps (${writes} statements)`);
    assert.ok(turns >= writes / 2 - 1, `the event loop ran other work between the steps: ${turns} turns during ${writes} statements`);
    await usage.stop();
    await db.destroy();
  });

  it('a graceful stop writes the uses still held in memory', async () => {
    const { db, file } = openHarness(10);
    const usage = createUsageRecorder(db, 3600);
    usage.record('app-3', 'secret-3');
    await usage.stop();
    assert.deepEqual(usedRows(file, 'oauth_apps').map((r) => r.id), ['app-3']);
    await db.destroy();
  });
});
