// Steps the hardening tests share: raw HTTP over a keep-alive agent (paths, methods and bytes that
// fetch would normalise or refuse), the server's process id and memory, kill -9, and a snapshot of
// the stored state that a rejected request must leave unchanged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { Json, TestServer } from './server.js';

export interface RawRequest {
  method: string;
  /** Sent as is: not normalised, not percent-encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: Json;
}

/** One request over a keep-alive agent (node:http sends the path and the body bytes unchanged). */
export function rawRequest(server: TestServer, agent: http.Agent, r: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
    const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
      headers['content-length'] = body.length;
    }
    const req = http.request({ host: '127.0.0.1', port: server.port, method: r.method, path: r.path, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Json;
        try { parsed = text.length ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes straight onto a fresh socket; resolves with everything the server wrote before closing. */
export function socketRequest(server: TestServer, bytes: Buffer | string, waitMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => socket.end(), waitMs);
    socket.on('data', (d) => { out += d.toString('utf8'); });
    socket.on('close', () => { clearTimeout(timer); resolve(out); });
    socket.on('error', () => { /* reset after the response: keep what was read */ });
    socket.write(bytes);
  });
}

/** Splits a raw HTTP/1.1 response into status, lower-cased headers and the parsed JSON body. */
export function parseRawResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const text = split < 0 ? '' : raw.slice(split + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body: Json;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, text, body };
}

/** The CSP error body of docs/design.md §4 with requestId equal to X-Request-Id; returns what is wrong, or undefined. */
export function cspBodyProblem(res: RawResponse): string | undefined {
  const b = res.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return `not a JSON object: ${res.text.slice(0, 200)}`;
  if (b.statusCode !== res.status) return `statusCode ${b.statusCode} ≠ HTTP ${res.status}`;
  if (!Number.isInteger(b.moduleCode)) return 'moduleCode is not an integer';
  if (typeof b.cspErrorCode !== 'string' || !/^\d+\.\d+$/.test(b.cspErrorCode) || !b.cspErrorCode.startsWith(`${b.moduleCode}.`)) return `bad cspErrorCode ${b.cspErrorCode}`;
  if (typeof b.errorCode !== 'string' || b.errorCode === '') return 'no errorCode';
  if (typeof b.message !== 'string' || b.message === '') return 'no message';
  if (typeof b.requestId !== 'string' || b.requestId === '') return 'no requestId';
  if (b.requestId !== res.headers['x-request-id']) return `requestId ${b.requestId} ≠ X-Request-Id ${String(res.headers['x-request-id'])}`;
  if ('stack' in b || /\n\s+at |node_modules/.test(b.message)) return 'stack trace in the body';
  return undefined;
}

/** The process id of a test server, found by its unique data folder in /proc/<pid>/environ (Linux). */
export function serverPid(server: TestServer): number {
  const wanted = `PORT=${server.port}\0`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (cmdline.includes('start.cjs') && environ.includes(wanted) && environ.includes(`ORGAUTH_DATA_DIR=${server.dataDir}\0`)) return Number(entry);
    } catch { /* gone or not ours */ }
  }
  throw new Error(`no process found for the server on port ${server.port}`);
}

/** Resident set size in KiB from /proc/<pid>/status. */
export function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  assert.ok(kb, `VmRSS of ${pid}`);
  return Number(kb);
}

/** kill -9, then wait until the process is gone. */
export async function killHard(pid: number): Promise<void> {
  await signalAndWait(pid, 'SIGKILL');
}

/** A graceful stop (SIGTERM), as an operator's service manager sends it; waits until the process is gone. */
export async function terminate(pid: number): Promise<void> {
  await signalAndWait(pid, 'SIGTERM');
}

async function signalAndWait(pid: number, signal: NodeJS.Signals): Promise<void> {
  process.kill(pid, signal);
  for (let i = 0; i < 400; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process ${pid} survived ${signal}`);
}

/** Everything a rejected request must not change: the apps (minus the clock-driven secretAge), each app's secrets, the audit count. */
export async function stateSnapshot(server: TestServer, token: string, orgId: string): Promise<Json> {
  const apps = await server.req('GET', `/orgs/${orgId}/oauth-apps`, { token, query: { pageLimit: '200' } });
  assert.equal(apps.status, 200, `list apps: ${apps.status} ${apps.text}`);
  // secretAge grows and lastUsedAt is written by token requests (at most once a minute): neither is a change.
  const results = (apps.body.results as Json[]).map(({ secretAge: _age, lastUsedAt: _used, ...rest }) => rest)
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const secrets: Record<string, Json> = {};
  for (const app of results) {
    const res = await server.req('GET', `/orgs/${orgId}/oauth-apps/${app.id}/secrets`, { token });
    assert.equal(res.status, 200, `list secrets: ${res.status} ${res.text}`);
    secrets[app.id] = (res.body as Json[]).map(({ lastUsedAt: _used, ...rest }) => rest);
  }
  const audit = await server.req('GET', `/orgs/${orgId}/audit-events`, { token, query: { pageLimit: '1' } });
  assert.equal(audit.status, 200, `audit events: ${audit.status} ${audit.text}`);
  return { totalApps: apps.body.totalResults, apps: results, secrets, auditEvents: audit.body.totalResults };
}
