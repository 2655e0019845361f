// The configuration of several nodes: the epoch cache's trust period and the test-only fault hook,
// which a production node must refuse (a node that loses its epoch bumps on purpose would serve a
// replaced secret for the whole trust period).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('ORGAUTH_TEST_FAULTS', () => {
  it('is off unless named', () => {
    assert.deepEqual(loadConfig({}).testFaults, { loseEpochBumps: false });
  });

  it('lose-epoch-bumps is accepted outside production', () => {
    assert.equal(loadConfig({ ORGAUTH_TEST_FAULTS: 'lose-epoch-bumps' }).testFaults.loseEpochBumps, true);
    assert.equal(loadConfig({ ORGAUTH_TEST_FAULTS: 'lose-epoch-bumps', NODE_ENV: 'test' }).testFaults.loseEpochBumps, true);
  });

  it('is refused when NODE_ENV=production', () => {
    assert.throws(() => loadConfig({ ORGAUTH_TEST_FAULTS: 'lose-epoch-bumps', NODE_ENV: 'production' }), ConfigError);
    assert.throws(() => loadConfig({ ORGAUTH_TEST_FAULTS: 'lose-epoch-bumps', NODE_ENV: ' production ' }), ConfigError);
  });

  it('refuses a fault it does not know', () => {
    assert.throws(() => loadConfig({ ORGAUTH_TEST_FAULTS: 'lose-everything' }), /may name only lose-epoch-bumps/);
  });
});

describe('ORGAUTH_CLIENT_CACHE_SECONDS', () => {
  it('defaults to 10 s; 0 switches the cache off', () => {
    assert.equal(loadConfig({}).clientCacheSeconds, 10);
    assert.equal(loadConfig({ ORGAUTH_CLIENT_CACHE_SECONDS: '0' }).clientCacheSeconds, 0);
  });

  it('refuses what is not a whole number of seconds up to 300', () => {
    for (const value of ['-1', '1.5', 'ten', '301', '1e3']) {
      assert.throws(() => loadConfig({ ORGAUTH_CLIENT_CACHE_SECONDS: value }), ConfigError, value);
    }
  });
});

describe('ORGAUTH_EVENT_LOOP_STOP_MS', () => {
  it('is off unless set; a whole number of milliseconds turns the stop monitor on', () => {
    assert.equal(loadConfig({}).eventLoopStopMs, undefined);
    assert.equal(loadConfig({ ORGAUTH_EVENT_LOOP_STOP_MS: ' 10 ' }).eventLoopStopMs, 10);
  });

  it('refuses what is not a whole number from 2 to 10000', () => {
    for (const value of ['0', '1', '-5', '2.5', 'ten', '10001']) {
      assert.throws(() => loadConfig({ ORGAUTH_EVENT_LOOP_STOP_MS: value }), ConfigError, value);
    }
  });
});
