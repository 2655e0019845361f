// Child-process plumbing: free ports, start/stop a server, wait until it answers, read its RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync, truncateSync } from 'node:fs';
import net from 'node:net';

export interface Server {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Last lines of stderr/stdout, for error messages. */
  readonly output: () => string;
  /** Where stdout goes when it is not piped (see StartOptions.stdoutFile). */
  readonly stdoutFile?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  /** Path answering 2xx once the server is ready. */
  readyPath: string;
  cwd: string;
  timeoutMs?: number;
  /**
   * Send stdout to this file (opened for appending) instead of a pipe into the bench: a server
   * logging every request at `info` then pays for its log lines as it does in production, and the
   * bench process, which also generates the load, does not read them.
   */
  stdoutFile?: string;
}

/** Logs above this size are emptied between runs (the writer appends, so it carries on at 0). */
const LOG_FILE_LIMIT = 64 * 2 ** 20;

/** Empties a server's stdout file when it has grown past LOG_FILE_LIMIT. */
export function trimLog(file: string | undefined): void {
  if (!file) return;
  try {
    if (statSync(file).size > LOG_FILE_LIMIT) truncateSync(file, 0);
  } catch {
    // gone with its temporary folder
  }
}

function fileTail(file: string, bytes: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = statSync(file).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString();
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

export async function startServer(opts: StartOptions): Promise<Server> {
  const stdoutFd = opts.stdoutFile ? openSync(opts.stdoutFile, 'a') : undefined;
  const child = spawn(process.execPath, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
  });
  if (stdoutFd !== undefined) closeSync(stdoutFd);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${opts.port}`;
  const output = (): string => (opts.stdoutFile ? fileTail(opts.stdoutFile, 4000) + '\n' : '') + tail;
  const server: Server = { name: opts.name, url, child, output, ...(opts.stdoutFile ? { stdoutFile: opts.stdoutFile } : {}) };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url + opts.readyPath, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stopServer(server);
  throw new Error(`${opts.name} did not become ready within ${opts.timeoutMs ?? 60_000} ms:\n${output()}`);
}

export async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process in MB, from /proc/<pid>/status (Linux only). */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion and returns stdout; throws with stderr on failure. */
export async function runNode(args: string[], env: Record<string, string>, cwd: string): Promise<string> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}: ${err.trim() || out.trim()}`);
  return out;
}
