// The dependency-direction rules of scripts/check-deps.ts, on made-up import edges, and the
// baseline matching today's code exactly (the ratchet CI runs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { importEdges, violations } from '../../scripts/check-deps.js';

describe('dependency-direction rules', () => {
  it('lets http/ import domains and a domain routes.ts import http/, nothing else in a domain', () => {
    assert.deepEqual(violations([
      { from: 'http/server.ts', to: 'apps/routes.ts' },
      { from: 'http/auth.ts', to: 'tokens/caller.ts' },
      { from: 'apps/routes.ts', to: 'http/schemas.ts' },
      { from: 'apps/secret-routes.ts', to: 'http/schemas.ts' },
    ]), []);
    assert.deepEqual(violations([{ from: 'apps/routes-helper.ts', to: 'http/paging.ts' }]), ['http-import apps/routes-helper.ts -> http/paging.ts']);
    assert.deepEqual(violations([{ from: 'apps/service.ts', to: 'http/paging.ts' }]), ['http-import apps/service.ts -> http/paging.ts']);
  });

  it('reports a pair of domain folders importing each other once, whichever files do it', () => {
    const edges = [
      { from: 'apps/service.ts', to: 'secrets/service.ts' },
      { from: 'apps/service.ts', to: 'secrets/store.ts' },
      { from: 'secrets/service.ts', to: 'apps/store.ts' },
    ];
    assert.deepEqual(violations(edges), ['two-way apps <-> secrets']);
    assert.deepEqual(violations(edges.slice(0, 2)), []);
  });

  it('does not count routes.ts imports or the composition root at the top of src/ as domain edges', () => {
    assert.deepEqual(violations([
      { from: 'apps/routes.ts', to: 'secrets/service.ts' },
      { from: 'secrets/service.ts', to: 'apps/store.ts' },
      { from: 'runtime.ts', to: 'http/logging.ts' },
      { from: 'apps/service.ts', to: 'runtime.ts' },
    ]), []);
  });

  it('finds in the code exactly the violations the baseline lists', () => {
    const baseline = readFileSync(new URL('../../scripts/dependency-baseline.txt', import.meta.url), 'utf8')
      .split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    assert.deepEqual(violations(importEdges()), [...baseline].sort());
  });
});
