// The benchmark's own rules (bench/README.md): how the paced generator frames responses and counts
// them, how a node process's threads are grouped for CPU per token, and how targets are judged
// (error-free medians, n/a when a side was not measured, the measured value on a miss).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { splitInstructions } from '../../bench/callgrind.js';
import { classifyNodeThreads, difference } from '../../bench/cpu.js';
import { completeResponse, measurePaced, type Measurement } from '../../bench/load.js';
import { LIST_GOAL, summarize, targets, type Sample, type Summary } from '../../bench/report.js';

describe('bench: response framing of the paced generator', () => {
  const head = (extra: string): string => `HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n${extra}\r\n`;

  it('waits for a Content-Length body, then gives the length, the status and whether the server closes', () => {
    const whole = Buffer.from(head('Content-Length: 5\r\n') + 'hello');
    assert.equal(completeResponse(whole.subarray(0, whole.length - 1)), undefined);
    assert.deepEqual(completeResponse(whole), { length: whole.length, status: 201, close: false });
    const closing = Buffer.from(head('Connection: close\r\nContent-Length: 0\r\n'));
    assert.deepEqual(completeResponse(closing), { length: closing.length, status: 201, close: true });
    const two = Buffer.concat([whole, whole]);
    assert.deepEqual(completeResponse(two), { length: whole.length, status: 201, close: false });
  });

  it('waits for the last chunk of a chunked body, wherever a read split it', () => {
    const body = '5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n';
    const whole = Buffer.from(head('Transfer-Encoding: chunked\r\n') + body);
    for (let cut = 1; cut < whole.length; cut++) assert.equal(completeResponse(whole.subarray(0, cut)), undefined, `cut at ${cut}`);
    assert.deepEqual(completeResponse(whole), { length: whole.length, status: 201, close: false });
  });
});

describe('bench: open-loop run against a server that closes some connections', () => {
  it('counts every answer by status and loses none when a server closes after responding', async () => {
    let n = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        n += 1;
        if (n % 7 === 0) res.writeHead(500, { connection: 'close' }).end('no');
        else if (n % 2) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        else {
          res.writeHead(200);
          res.write('chunk');
          res.end('ed');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const requests = [{ method: 'POST', path: '/t', headers: { 'content-type': 'text/plain', 'Content-Length': '999' }, body: 'x=1' }];
      const m: Measurement = await measurePaced({ url: `http://127.0.0.1:${port}`, connections: 4, durationS: 0.5, requests, overallRate: 200 });
      assert.equal(m.socketErrors, 0);
      assert.equal(m.total, n, 'every request the server answered was counted once');
      assert.equal((m.ok ?? NaN) + m.non2xx, m.total);
      assert.equal(m.statusCodes['500'], Math.floor(n / 7));
      assert.equal(m.errors, m.non2xx);
      assert.ok(m.total >= 90, `sent ${m.total} of about 100 due`);
    } finally {
      server.close();
    }
  });
});

describe('bench: open-loop run against a server slower than the arrivals its sockets can carry', () => {
  it('counts the requests that fell due while every socket was busy, and only those', async () => {
    // 20 ms per response on 2 sockets carries 100/s: at 200/s about half the requests must wait.
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(200).end('ok'), 20));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      const requests = [{ method: 'GET', path: '/t' }];
      const slow = await measurePaced({ url, connections: 2, durationS: 0.5, requests, overallRate: 200 });
      assert.ok((slow.waitedForSocket ?? 0) >= slow.total / 3, `${slow.waitedForSocket} of ${slow.total} waited for a socket`);
      assert.ok(slow.p50 >= 20, `latency counts the wait from the due time: p50 ${slow.p50} ms`);
      assert.ok((slow.max ?? 0) >= slow.p99, `the slowest response ${slow.max} ms is at least the p99 ${slow.p99} ms`);
      const roomy = await measurePaced({ url, connections: 20, durationS: 0.5, requests, overallRate: 50 });
      assert.equal(roomy.waitedForSocket, 0, 'with sockets to spare no request waits');
    } finally {
      server.close();
    }
  });
});

describe('bench: thread groups of a node process', () => {
  const task = (tid: number, comm: string, start: number) => ({ tid, comm, ticks: 0, start });

  it('on unnamed threads: main is the event loop, the six start-up threads V8, the next burst the libuv pool, later ones other', () => {
    const list = [task(100, 'node', 1), ...[101, 102, 103, 104, 105].map((t) => task(t, 'node', 5)), task(107, 'node', 6), task(120, 'node', 40), task(121, 'node', 41), task(130, 'node', 120)];
    const groups = classifyNodeThreads(100, [...list].reverse());
    assert.equal(groups.get(100), 'event loop');
    for (const t of [101, 102, 103, 104, 105, 107]) assert.equal(groups.get(t), 'V8 platform');
    assert.equal(groups.get(120), 'libuv pool');
    assert.equal(groups.get(121), 'libuv pool');
    assert.equal(groups.get(130), 'other threads', 'started well after the pool');
  });

  it('goes by name where Node names its threads', () => {
    const list = [task(1, 'node', 1), task(2, 'V8 DefaultWorke', 2), task(3, 'libuv-worker', 3), task(4, 'node', 2)];
    const groups = classifyNodeThreads(1, list);
    assert.deepEqual([1, 2, 3, 4].map((t) => groups.get(t)), ['event loop', 'V8 platform', 'libuv pool', 'other threads']);
  });

  it('counts a thread that started during the run from zero and drops none that ran throughout', () => {
    const before = new Map([['1/1/5', { group: 'event loop', ticks: 100 }]]);
    const after = new Map([['1/1/5', { group: 'event loop', ticks: 150 }], ['1/9/70', { group: 'libuv pool', ticks: 20 }]]);
    const use = difference(before, after);
    assert.ok(Math.abs((use['event loop'] ?? 0) / (use['libuv pool'] ?? 1) - 50 / 20) < 1e-9);
  });
});

describe('bench: targets', () => {
  const m = (rps: number, errors = 0, ok = rps * 10): Measurement => ({ rps, ok, p50: 1, p99: 5, errors, non2xx: errors, socketErrors: 0, total: ok + errors, durationS: 10, statusCodes: {} });
  const s = (server: string, workload: string, rps: number, errors = 0): Summary => ({ server, workload, rounds: 3, rps, p50: 1, p99: 5, errors });
  const byName = (ts: ReturnType<typeof targets>, prefix: string) => {
    const t = ts.find((x) => x.name.startsWith(prefix));
    assert.ok(t, prefix);
    return t;
  };

  it('judges medians of the rounds and CPU per response as the median per group', () => {
    const samples: Sample[] = [5, 1, 3].map((rps, i) => ({ server: 'orgauth', workload: 'client_credentials', round: i + 1, m: m(rps * 1000), cpu: { 'event loop': rps * 1000 * 10 * 400 } }));
    const [sum] = summarize(samples);
    assert.equal(sum?.rps, 3000);
    assert.equal(sum?.cpuPerOk?.['event loop'], 400);
  });

  it('passes a ratio at its goal, misses below it with the measured value, and never passes with errors', () => {
    const base = [s('ceiling', 'client_credentials', 1000), s('oidc-provider', 'client_credentials', 600)];
    const pass = targets([...base, s('orgauth', 'client_credentials', 900)], [], 20000);
    assert.equal(byName(pass, 'client_credentials (20000 apps) vs RS256 ceiling').pass, true);
    assert.equal(byName(pass, 'client_credentials (20000 apps) vs oidc-provider').pass, true);
    const miss = targets([...base, s('orgauth', 'client_credentials', 800)], [], 20000);
    const t = byName(miss, 'client_credentials (20000 apps) vs RS256 ceiling');
    assert.equal(t.pass, false);
    assert.match(t.value, /0\.80 \(800\/s vs 1000\/s\)/);
    const dirty = targets([s('ceiling', 'client_credentials', 1000, 3), s('orgauth', 'client_credentials', 950)], [], 20000);
    assert.equal(byName(dirty, 'client_credentials (20000 apps) vs RS256 ceiling').pass, false);
  });

  it('judges the open-loop p99, the listing as a share of hello, and says n/a for PostgreSQL rows not run', () => {
    const ts = targets([
      { ...s('orgauth', 'client_credentials@80%', 800), p99: 19.9 },
      s('ceiling', 'hello', 100_000),
      s('orgauth', 'list_apps', Math.ceil(100_000 * LIST_GOAL)),
    ], [], 20000);
    assert.equal(byName(ts, 'client_credentials open-loop p99').pass, true);
    assert.equal(byName(ts, 'list of 50 apps').pass, true);
    assert.ok(Math.abs(LIST_GOAL - (2 * 932) / 86_742) < 1e-12);
    const pg = byName(ts, 'PG+Redis client_credentials vs SQLite');
    assert.equal(pg.pass, undefined);
    assert.match(pg.value, /not run/);
    const slow = targets([s('ceiling', 'hello', 100_000), s('orgauth', 'list_apps', Math.floor(100_000 * LIST_GOAL) - 1), { ...s('orgauth', 'client_credentials@80%', 800), p99: 20 }], [], 20000);
    assert.equal(byName(slow, 'list of 50 apps').pass, false);
    assert.equal(byName(slow, 'client_credentials open-loop p99').pass, false);
  });

  it('judges PostgreSQL + Redis against SQLite in the same run, and the counted calls per token', () => {
    const ts = targets([
      s('orgauth', 'client_credentials', 1000), { ...s('orgauth-pg', 'client_credentials', 950), calls: { redis: 1, queries: 0, selects: 0 } }, s('oidc-provider', 'client_credentials', 700),
      s('orgauth', 'get_app', 2000), s('orgauth-pg', 'get_app', 1700),
    ], [], 20000);
    assert.equal(byName(ts, 'PG+Redis client_credentials vs SQLite').pass, true);
    assert.equal(byName(ts, 'PG+Redis client_credentials vs oidc-provider').pass, false);
    assert.equal(byName(ts, 'PG+Redis GET app vs SQLite').pass, false);
    assert.equal(byName(ts, 'PG+Redis client_credentials calls per token').pass, true);
  });
});

describe('instructions per request: the callgrind split (bench/callgrind.ts)', () => {
  // A thread's profile as callgrind writes it: names compressed to ids after their first use, each
  // call followed by its inclusive cost.
  const profile = [
    'events: Ir',
    'fn=(1) JS:*handleRequest',
    '0 1000',
    'cfn=(2) v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace)',
    'calls=1 0',
    '0 5000',
    'cfn=(3) v8::internal::Compiler::CompileOptimized(v8::internal::Isolate*)',
    'calls=2 0',
    '0 7000',
    'cfn=(4) node::crypto::Hmac::HmacUpdate',
    'calls=1 0',
    '+2 300',
    'fn=(2)',
    '0 4000',
    'cfn=(5) v8::internal::Scavenger::ScavengeObject',
    'calls=10 0',
    '0 1000',
    'fn=(3)',
    '0 7000',
    'fn=(4)',
    '0 300',
    'fn=(5)',
    '0 1000',
  ].join('\n');

  it('counts every instruction once, and the collector and the compilers by the calls into them', () => {
    assert.deepEqual(splitInstructions(profile), { total: 1000 + 4000 + 7000 + 300 + 1000, gc: 5000, compile: 7000 });
  });

  it('does not count a call from the collector into itself a second time', () => {
    const split = splitInstructions(profile);
    assert.equal(split.total - split.gc - split.compile, 1300, 'the request itself and the HMAC it called');
  });
});
