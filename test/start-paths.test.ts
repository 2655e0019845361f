// The ways a user starts orgauth run the same configuration: `orgauth serve` and `npm start` size
// libuv's thread pool alike (RS256 signing runs there) and run it below the event loop's priority,
// and `npm start` builds only when the sources changed (a fresh clone still builds; an unchanged
// tree starts at once).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from './helpers/index.js';

const skip = process.env.ORGAUTH_TEST_BACKEND === 'postgres' ? 'ran in the SQLite pass' : process.env.ORGAUTH_TEST_DIST ? 'tests the tree\'s own build' : false;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-start-'));
const children: ChildProcess[] = [];
/** SIGTERM to the child's whole process group: `npm start` does not pass it on to the server it runs. */
function stopGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

after(() => {
  for (const child of children) stopGroup(child);
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** The environment of a started server: only what it needs, no UV_THREADPOOL_SIZE unless given. */
function serverEnv(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? workDir, PORT: String(port), LOG_LEVEL: 'warn', ORGAUTH_DATA_DIR: fs.mkdtempSync(path.join(workDir, 'data-')), ...extra };
}

function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      return false; // exited meanwhile
    }
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
  }).map(Number);
}

/** The process among `root` and its descendants whose command line names `entry`. */
function findProcess(root: number, entry: string): number | undefined {
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // A node process (not the shell npm runs it through) with the entry among its arguments.
    if (path.basename(cmdline[0] ?? '').startsWith('node') && cmdline.slice(1).some((arg) => arg.endsWith(entry))) return pid;
    queue.push(...childrenOf(pid));
  }
  return undefined;
}

/** A thread's niceness, read off /proc (field 19 of its stat). */
function nicenessOf(pid: number, tid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

interface ServerThreads {
  count: number;
  /** The event loop's (the main thread's) niceness. */
  eventLoop: number;
  /** How many threads run at each niceness. */
  byNiceness: Map<number, number>;
}

/**
 * Starts a server, makes it sign (the pool starts at its first job), and reads the server
 * process's threads: everything but the pool is the same whichever way it was started.
 */
async function threadsOfServer(command: string[], entry: string, env: NodeJS.ProcessEnv): Promise<ServerThreads> {
  // Its own process group, so that the server under `npm start` stops with it.
  const child = spawn(command[0]!, command.slice(1), { cwd: REPO_ROOT, env, stdio: 'ignore', detached: true });
  children.push(child);
  const base = `http://127.0.0.1:${env.PORT}`;
  try {
    let up = false;
    for (let i = 0; i < 600 && !up; i++) {
      up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, `${command.join(' ')} answers /healthz`);
    const boot = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'orgauth'), 'bootstrap', '--json'], { env, encoding: 'utf8' });
    const { apiToken } = JSON.parse(boot.stdout) as { apiToken: string };
    const exchanged = await fetch(`${base}/csp/gateway/am/api/auth/api-tokens/authorize`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ api_token: apiToken }) });
    assert.equal(exchanged.status, 200, 'a token was signed');
    const pid = findProcess(child.pid!, entry);
    assert.ok(pid, `found the server process (${entry}) under ${command.join(' ')}`);
    const tids = fs.readdirSync(`/proc/${pid}/task`).map(Number);
    const byNiceness = new Map<number, number>();
    for (const tid of tids) {
      const n = nicenessOf(pid, tid);
      byNiceness.set(n, (byNiceness.get(n) ?? 0) + 1);
    }
    return { count: tids.length, eventLoop: nicenessOf(pid, pid), byNiceness };
  } finally {
    const exited = child.exitCode === null ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
    stopGroup(child);
    await exited;
  }
}

/** The pool size orgauth picks on this machine (src/thread-pool.cts). */
const POOL_SIZE = Math.max(2, os.availableParallelism());
/** How much nicer than the event loop the pool runs (src/thread-pool.cts), capped at Linux's 19. */
const POOL_NICENESS = 5;

/**
 * Exactly the pool's threads run nicer than the event loop, by POOL_NICENESS; every other thread
 * (V8's, the inspector's) keeps the event loop's priority.
 */
function assertPoolBelowEventLoop(threads: ServerThreads, poolSize: number, how: string): void {
  const pool = Math.min(19, threads.eventLoop + POOL_NICENESS);
  assert.deepEqual(
    [...threads.byNiceness].sort(([a], [b]) => a - b),
    [[threads.eventLoop, threads.count - poolSize], [pool, poolSize]],
    `${how}: threads by niceness (event loop at ${threads.eventLoop})`,
  );
}

describe('libuv\'s thread pool', { skip }, () => {
  it('`orgauth serve` runs with the same pool as `npm start`, and a pool of another size shows in the count', async () => {
    const viaNpm = await threadsOfServer(['npm', 'start', '--silent'], 'dist/start.cjs', serverEnv(await freePort()));
    const viaCli = await threadsOfServer([process.execPath, 'bin/orgauth', 'serve'], 'bin/orgauth', serverEnv(await freePort()));
    assert.equal(viaCli.count, viaNpm.count, `orgauth serve: ${viaCli.count} threads; npm start: ${viaNpm.count}`);
    // The count measures the pool: three more pool threads are three more threads.
    const bigger = POOL_SIZE + 3;
    const viaCliBigger = await threadsOfServer([process.execPath, 'bin/orgauth', 'serve'], 'bin/orgauth', serverEnv(await freePort(), { UV_THREADPOOL_SIZE: String(bigger) }));
    assert.equal(viaCliBigger.count, viaCli.count + 3, `UV_THREADPOOL_SIZE=${bigger}: ${viaCliBigger.count} threads`);
    assertPoolBelowEventLoop(viaNpm, POOL_SIZE, 'npm start');
    assertPoolBelowEventLoop(viaCli, POOL_SIZE, 'orgauth serve');
    assertPoolBelowEventLoop(viaCliBigger, bigger, `orgauth serve, UV_THREADPOOL_SIZE=${bigger}`);
  });

  it('`node dist/cli.js serve` (the pool already started) serves from a child that prepared it', async () => {
    const viaNpm = await threadsOfServer(['npm', 'start', '--silent'], 'dist/start.cjs', serverEnv(await freePort()));
    const viaDist = await threadsOfServer([process.execPath, 'dist/cli.js', 'serve'], 'dist/start.cjs', serverEnv(await freePort()));
    assert.equal(viaDist.count, viaNpm.count);
    assertPoolBelowEventLoop(viaDist, POOL_SIZE, 'node dist/cli.js serve');
  });

  it('a server started with `nice` keeps its pool below its event loop, not above', async () => {
    // A priority is absolute; the pool's must be lowered from the process's, not set to a fixed value.
    const niced = await threadsOfServer(['nice', '-n', '12', process.execPath, 'bin/orgauth', 'serve'], 'bin/orgauth', serverEnv(await freePort()));
    assert.equal(niced.eventLoop, 12);
    assertPoolBelowEventLoop(niced, POOL_SIZE, 'nice -n 12 orgauth serve');
  });
});

describe('npm start\'s build step (scripts/build-if-stale.cjs)', { skip }, () => {
  const script = path.join(REPO_ROOT, 'scripts', 'build-if-stale.cjs');
  const run = (cwd: string) => spawnSync(process.execPath, [script], { cwd, encoding: 'utf8' });

  it('on this tree, built by npm test, does nothing', () => {
    const stamp = path.join(REPO_ROOT, 'dist', '.build-stamp');
    const before = fs.statSync(stamp).mtimeMs;
    const result = run(REPO_ROOT);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', 'no build announced');
    assert.equal(fs.statSync(stamp).mtimeMs, before, 'dist/ untouched');
  });

  it('builds a tree without dist/, not again while nothing changes, and again after a source changes', () => {
    const project = fs.mkdtempSync(path.join(workDir, 'project-'));
    fs.mkdirSync(path.join(project, 'src'));
    fs.writeFileSync(path.join(project, 'src', 'hello.ts'), 'export const hello: string = "hello";\n');
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: 'src', module: 'NodeNext', target: 'ES2022', types: [] }, include: ['src'] }));
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'fresh-clone', type: 'module' }));
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(project, 'node_modules'));
    const output = path.join(project, 'dist', 'hello.js');

    const first = run(project);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /building dist/);
    assert.ok(fs.existsSync(output), 'a fresh clone is built');
    const builtAt = fs.statSync(output).mtimeMs;

    const second = run(project);
    assert.equal(second.status, 0);
    assert.equal(second.stderr, '', 'nothing changed: no build');
    assert.equal(fs.statSync(output).mtimeMs, builtAt);

    const later = new Date(Date.now() + 5_000);
    fs.writeFileSync(path.join(project, 'src', 'hello.ts'), 'export const hello: string = "hello again";\n');
    fs.utimesSync(path.join(project, 'src', 'hello.ts'), later, later);
    const third = run(project);
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stderr, /building dist/);
    assert.match(fs.readFileSync(output, 'utf8'), /hello again/);
  });
});
