// `npm test`: the black-box suite on the embedded default (SQLite), then the same files again on
// PostgreSQL + Redis when TEST_DATABASE_URL and TEST_REDIS_URL are set and reachable (CI sets both).
// The second run gives every test server its own database (`orgauth_{uniq}`, created and dropped by
// helpers/server.ts) and its own ORGAUTH_REDIS_PREFIX through TEST_SERVER_ENV_JSON.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseUrlFor, postgresAndRedis } from './helpers/postgres.js';

const testDir = path.dirname(fileURLToPath(import.meta.url));
// Node 20 does not expand globs for --test: list the files (or take them from the command line).
const files = process.argv.slice(2).length > 0
  ? process.argv.slice(2)
  : fs.readdirSync(testDir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(testDir, f));
// --test-timeout also bounds each whole file, and a file cannot raise it: it is the cap for a hung
// file, not a speed limit. Two files run at once on a shared machine, where a long file (the
// console's browser tests) can take minutes; a test that wants a tighter bound sets its own timeout.
const nodeArgs = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=900000', ...files];

function run(label: string, env: NodeJS.ProcessEnv): boolean {
  process.stdout.write(`\n== ${label}\n`);
  const result = spawnSync(process.execPath, nodeArgs, { stdio: 'inherit', env });
  return result.status === 0;
}

const sqliteOk = run('black-box suite on SQLite (embedded default)', { ...process.env, TEST_SERVER_ENV_JSON: '' });

let postgresOk = true;
const available = await postgresAndRedis();
if (!available.backend) {
  process.stdout.write(`\n== skipping the PostgreSQL + Redis run: ${available.skip}\n`);
} else {
  const serverEnv = {
    // Built with a placeholder: URL would percent-encode the braces of `{uniq}`.
    DATABASE_URL: databaseUrlFor(available.backend.databaseUrl, 'orgauth_UNIQ').replace('orgauth_UNIQ', 'orgauth_{uniq}'),
    REDIS_URL: available.backend.redisUrl,
    ORGAUTH_REDIS_PREFIX: 'orgauth-test:{uniq}:',
    ORGAUTH_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  postgresOk = run('black-box suite on PostgreSQL + Redis', {
    ...process.env,
    TEST_SERVER_ENV_JSON: JSON.stringify(serverEnv),
    // Files that pick their own backend (multinode-postgres) ran in the first pass already.
    ORGAUTH_TEST_BACKEND: 'postgres',
  });
}
process.exit(sqliteOk && postgresOk ? 0 : 1);
