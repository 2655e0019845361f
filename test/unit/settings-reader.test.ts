// The node's reader of apps' settings columns: a changed app is read with its new settings at once,
// however many parsed settings the reader keeps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSettingsReader } from '../../src/oauth-apps/settings.js';

const column = (accessTokenTTL: number) => JSON.stringify({ grantTypes: ['client_credentials'], accessTokenTTL });

describe('settings reader', () => {
  it('reads the settings a column holds', () => {
    const reader = createSettingsReader();
    assert.equal(reader.read({ id: 'app-1', settings: column(900) }).accessTokenTTL, 900);
  });

  it('reads an app changed after a read with its new settings', () => {
    const reader = createSettingsReader();
    assert.equal(reader.read({ id: 'app-1', settings: column(600) }).accessTokenTTL, 600);
    assert.equal(reader.read({ id: 'app-1', settings: column(1200) }).accessTokenTTL, 1200);
    assert.equal(reader.read({ id: 'app-1', settings: column(600) }).accessTokenTTL, 600);
  });

  it('reads each app with its own settings, and an equal column read afresh as the same', () => {
    const reader = createSettingsReader();
    assert.equal(reader.read({ id: 'app-1', settings: column(600) }).accessTokenTTL, 600);
    assert.equal(reader.read({ id: 'app-2', settings: column(900) }).accessTokenTTL, 900);
    const first = reader.read({ id: 'app-1', settings: column(600) });
    assert.equal(reader.read({ id: 'app-1', settings: [column(600)].join('') }), first);
    assert.equal(reader.read({ id: 'app-2', settings: column(900) }).accessTokenTTL, 900);
  });

  it('keeps reading correctly past its size bound', () => {
    const reader = createSettingsReader(4);
    for (let ttl = 1; ttl <= 20; ttl++) assert.equal(reader.read({ id: `app-${ttl % 7}`, settings: column(ttl) }).accessTokenTTL, ttl);
    assert.equal(reader.read({ id: 'app-3', settings: column(3) }).accessTokenTTL, 3);
    assert.equal(reader.read({ id: 'app-6', settings: column(20) }).accessTokenTTL, 20);
  });

  it('apps with the same settings share one parse; an app changed to another app\'s settings reads those', () => {
    const reader = createSettingsReader();
    const shared = reader.read({ id: 'app-1', settings: column(600) });
    assert.equal(reader.read({ id: 'app-2', settings: column(600) }), shared);
    assert.equal(reader.read({ id: 'app-2', settings: column(900) }).accessTokenTTL, 900);
    assert.equal(reader.read({ id: 'app-1', settings: column(900) }).accessTokenTTL, 900);
    assert.equal(reader.read({ id: 'app-2', settings: column(600) }), shared, 'back to the shared text');
  });

  it('readers made apart share nothing', () => {
    const first = createSettingsReader();
    const second = createSettingsReader();
    assert.notEqual(first.read({ id: 'app-1', settings: column(600) }), second.read({ id: 'app-1', settings: column(600) }));
  });
});
