// request.log (http/logging.ts, lazyRequestLogger): no pino child is made for a request that writes
// no line of its own; once it writes, its lines carry the request's bindings as a child's would.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { lazyRequestLogger } from '../../src/http/logging.js';

function capturing() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  const parent = pino({ level: 'info', base: null }, stream);
  let children = 0;
  const child = parent.child;
  parent.child = function (this: typeof parent, bindings, options) {
    children += 1;
    return child.call(this, bindings, options);
  } as typeof parent.child;
  return { parent, lines, children: () => children };
}

describe('the per-request logger', () => {
  it('makes no child until the request writes a line, then writes it with the request id', async () => {
    const { parent, lines, children } = capturing();
    const log = lazyRequestLogger(parent, { requestId: 'r-1' }, {});
    assert.equal(log.level, 'info');
    assert.equal(children(), 0, 'a request that logs nothing costs no child');
    log.warn({ code: 'X' }, 'something odd');
    log.error('and worse');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(children(), 1, 'one child, made once');
    assert.deepEqual(lines.map((l) => [l.requestId, l.msg, l.level]), [['r-1', 'something odd', 40], ['r-1', 'and worse', 50]]);
    assert.equal(lines[0]!.code, 'X');
  });

  it('honours a level set on it and a route\'s own level, and its children keep the request id', async () => {
    const { parent, lines } = capturing();
    const route = lazyRequestLogger(parent, { requestId: 'r-2' }, { level: 'warn' });
    assert.equal(route.level, 'warn');
    route.info('dropped');
    const log = lazyRequestLogger(parent, { requestId: 'r-3' }, {});
    log.level = 'debug';
    log.debug('kept');
    log.child({ part: 'p' }).info('from a child');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines.map((l) => [l.requestId, l.msg, l.part]), [['r-3', 'kept', undefined], ['r-3', 'from a child', 'p']]);
  });
});
