// CPU time per response, read from /proc before and after a run (Linux). CPU time rather than wall
// time: on a machine shared with other work, a slower run still costs the same CPU per token, so
// these figures compare builds where rates cannot.
//
// Node processes are split by thread: the event loop (the main thread), libuv's pool (where RS256
// signing and Argon2 run), V8's platform threads (GC, compilation) and the rest. Node 20 does not
// name its threads (every one is "node"); there the split follows creation order, checked on
// Node 20.20 with /proc: the main thread; then, at start-up, V8's four platform workers, its
// delayed-task thread and the inspector's signal thread; then libuv's pool, created in one go on
// the first asynchronous job; threads started later count as "other". Named threads (newer Node: "libuv-worker", "V8 …") go by name.
// Other processes (PostgreSQL backends, redis-server, the proxy) count whole.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const GROUPS = ['event loop', 'libuv pool', 'V8 platform', 'other threads'] as const;

/** µs of CPU per group over a run. */
export type CpuUse = Record<string, number>;

/** Processes whose CPU a run counts, each under a group name (node processes split by thread). */
export interface CpuSource {
  /** Group for a whole process; node processes are split into GROUPS instead. */
  group: string;
  node: boolean;
  pids: () => Promise<number[]>;
}

/** Unnamed threads started with the process before libuv's pool (see above). */
const NODE20_PLATFORM_THREADS = 6;
/**
 * libuv starts all its pool threads in one loop; a thread started later than this many clock
 * ticks after the first of them is something else (e.g. the module-loader thread `--import tsx`
 * starts in the peers).
 */
const POOL_BURST_TICKS = 5;

const TICK_US = ((): number => {
  try {
    return 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  } catch {
    return 1e6 / 100;
  }
})();

interface Task {
  tid: number;
  comm: string;
  ticks: number;
  start: number;
}

function readTask(pid: number, tid: number): Task | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    // Fields after "(comm) ": state is [0]; utime [11], stime [12], starttime [19] (proc(5)).
    const f = stat.slice(close + 2).split(' ');
    return { tid, comm: stat.slice(open + 1, close), ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

function tasks(pid: number): Task[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.map((t) => readTask(pid, Number(t))).filter((t): t is Task => t !== undefined);
}

/** The group of every thread of a node process. */
export function classifyNodeThreads(pid: number, list: Task[]): Map<number, string> {
  const out = new Map<number, string>();
  const mainComm = list.find((t) => t.tid === pid)?.comm;
  const unnamed: Task[] = [];
  for (const t of list) {
    if (t.tid === pid) out.set(t.tid, 'event loop');
    else if (/^libuv/i.test(t.comm)) out.set(t.tid, 'libuv pool');
    else if (/^V8 /.test(t.comm)) out.set(t.tid, 'V8 platform');
    else if (t.comm === mainComm) unnamed.push(t);
    else out.set(t.tid, 'other threads');
  }
  const anyNamed = list.some((t) => t.tid !== pid && t.comm !== mainComm);
  unnamed.sort((a, b) => a.start - b.start || a.tid - b.tid);
  const poolStart = unnamed[NODE20_PLATFORM_THREADS]?.start ?? 0;
  unnamed.forEach((t, i) => {
    if (anyNamed) out.set(t.tid, 'other threads');
    else if (i < NODE20_PLATFORM_THREADS) out.set(t.tid, 'V8 platform');
    else out.set(t.tid, t.start - poolStart <= POOL_BURST_TICKS ? 'libuv pool' : 'other threads');
  });
  return out;
}

/** Ticks per group, summed over the sources' processes (threads keyed so a run can subtract). */
export type Snapshot = Map<string, { group: string; ticks: number }>;

export async function snapshot(sources: CpuSource[]): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  for (const s of sources) {
    for (const pid of await s.pids()) {
      const list = tasks(pid);
      const groups = s.node ? classifyNodeThreads(pid, list) : undefined;
      for (const t of list) snap.set(`${pid}/${t.tid}/${t.start}`, { group: groups?.get(t.tid) ?? s.group, ticks: t.ticks });
    }
  }
  return snap;
}

/** µs per group between two snapshots; a thread that started in between counts from zero. */
export function difference(before: Snapshot, after: Snapshot): CpuUse {
  const use: CpuUse = {};
  for (const [key, a] of after) {
    const ticks = a.ticks - (before.get(key)?.ticks ?? 0);
    use[a.group] = (use[a.group] ?? 0) + ticks * TICK_US;
  }
  return use;
}

export function totalUs(use: CpuUse, groups: readonly string[] = GROUPS): number {
  return groups.reduce((n, g) => n + (use[g] ?? 0), 0);
}
