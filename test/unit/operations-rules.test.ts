// Pure rules behind the operator's surface: configuration checks, signing-key retirement times,
// naming schemas in the OpenAPI document, the RFC 6750 challenge and the CLI's failure names.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeSigningKeys, leavesJwksAt, MAX_TOKEN_LIFETIME_SECONDS } from '../../src/tokens/key-retirement.js';
import type { KeyRow } from '../../src/keys/store.js';
import { SchemaNameConflictError, withCommonResponses, withNamedSchemas } from '../../src/http/openapi-components.js';
import { bearerChallenge } from '../../src/http/auth.js';
import { describeFailure } from '../../src/cli-support.js';
import { fail } from '../../src/errors/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orgauth-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const KEY = 'a'.repeat(64);

describe('configuration', () => {
  it('a wildcard HOST needs ORGAUTH_ISSUER; with one it is accepted', () => {
    for (const host of ['0.0.0.0', '::', '[::]']) {
      assert.throws(() => loadConfig({ HOST: host }), (e: unknown) => e instanceof ConfigError && /ORGAUTH_ISSUER/.test(e.message));
      assert.equal(loadConfig({ HOST: host, ORGAUTH_ISSUER: 'https://auth.example.com/x/' }).issuer, 'https://auth.example.com/x');
    }
    assert.equal(loadConfig({ HOST: '10.0.0.5', PORT: '9000' }).issuer, 'http://10.0.0.5:9000/csp/gateway/am/api');
  });

  it('ORGAUTH_MASTER_KEY_FILE: read when private, refused when readable by others, never together with ORGAUTH_MASTER_KEY', () => {
    const file = path.join(dir, 'key');
    fs.writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
    const config = loadConfig({ ORGAUTH_MASTER_KEY_FILE: file });
    assert.deepEqual(config.masterKey, Buffer.from(KEY, 'hex'));
    assert.equal(config.masterKeySource, 'ORGAUTH_MASTER_KEY_FILE');
    assert.equal(loadConfig({ ORGAUTH_MASTER_KEY_FILE: file, DATABASE_URL: 'postgres://db/x' }).databaseUrl, 'postgres://db/x', 'satisfies DATABASE_URL\'s need for a shared key');
    fs.chmodSync(file, 0o640);
    assert.throws(() => loadConfig({ ORGAUTH_MASTER_KEY_FILE: file }), /readable by group or others \(mode 0640\)/);
    fs.chmodSync(file, 0o600);
    assert.throws(() => loadConfig({ ORGAUTH_MASTER_KEY_FILE: file, ORGAUTH_MASTER_KEY: KEY }), /not both/);
    assert.equal(loadConfig({ ORGAUTH_MASTER_KEY: KEY }).masterKeySource, 'ORGAUTH_MASTER_KEY');
  });
});

describe('signing-key retirement', () => {
  const row = (kid: string, createdAt: number, retiredAt: number | null = null): KeyRow => ({
    kid, purpose: 'signing', algorithm: 'RS256', public_jwk: null, private_sealed: '', created_at: createdAt, retired_at: retiredAt,
  });

  it('a key leaves JWKS the longest token lifetime (plus a key-ring refresh) after it was superseded, never before now', () => {
    const now = 10_000_000;
    assert.ok(MAX_TOKEN_LIFETIME_SECONDS >= 1799, 'at least a user token\'s lifetime');
    assert.ok(leavesJwksAt(now - 60, now) > now - 60 + MAX_TOKEN_LIFETIME_SECONDS);
    assert.equal(leavesJwksAt(now - 10 * MAX_TOKEN_LIFETIME_SECONDS, now), now);
  });

  it('statuses: the newest live key is current; a retiring one until its time; retired after', () => {
    const now = 5_000;
    const keys = describeSigningKeys([row('a', 1, now - 1), row('b', 2, now + 100), row('c', 3), row('d', 4)], now);
    assert.deepEqual(keys.map((k) => [k.kid, k.status]), [['a', 'retired'], ['b', 'retiring'], ['c', 'active'], ['d', 'current']]);
    assert.equal(keys[1]?.leavesJwksAt, now + 100);
  });
});

describe('OpenAPI schema names', () => {
  const Thing = { type: 'object', title: 'Thing', properties: { id: { type: 'string' } } };
  const docWith = (...schemas: unknown[]) => ({
    openapi: '3.0.3',
    paths: Object.fromEntries(schemas.map((schema, i) => [`/p${i}`, { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema } } } } } }])),
  });

  it('a titled schema, also nested, moves to components and each use becomes a $ref', () => {
    const out = withNamedSchemas(docWith(Thing, { type: 'object', title: 'Page', properties: { results: { type: 'array', items: { ...Thing, description: 'one thing' } } } })) as any;
    assert.deepEqual(out.paths['/p0'].get.responses[200].content['application/json'].schema, { $ref: '#/components/schemas/Thing' });
    assert.deepEqual(out.components.schemas.Page.properties.results.items, { $ref: '#/components/schemas/Thing' });
    assert.deepEqual(Object.keys(out.components.schemas), ['Page', 'Thing']);
  });

  it('two different schemas under one title are an error, not a silently wrong type', () => {
    assert.throws(() => withNamedSchemas(docWith(Thing, { ...Thing, properties: { id: { type: 'integer' } } })), SchemaNameConflictError);
  });

  it('an operation without security is declared public, and every operation can get 431', () => {
    const out = withCommonResponses(docWith(Thing)) as any;
    assert.deepEqual(out.paths['/p0'].get.security, []);
    assert.ok(out.paths['/p0'].get.responses['431']);
  });
});

describe('RFC 6750 challenge', () => {
  it('bare without an error; error and a description without quotes or backslashes otherwise', () => {
    assert.equal(bearerChallenge(), 'Bearer realm="orgauth"');
    assert.equal(bearerChallenge('invalid_token', 'bad "token" \\ here'), 'Bearer realm="orgauth", error="invalid_token", error_description="bad token  here"');
  });
});

describe('CLI failure names', () => {
  it('catalogue errors by their errorCode, configuration and usage errors by kind', () => {
    assert.deepEqual(describeFailure(fail('ORG_NOT_FOUND', 'Organization x not found')), { error: 'ORGANIZATION_NOT_FOUND_ERROR', message: 'Organization x not found' });
    assert.equal(describeFailure(new ConfigError('PORT must be…')).error, 'configuration_error');
    assert.equal(describeFailure(Object.assign(new Error("error: unknown command 'x'"), { code: 'commander.unknownCommand' })).message, "unknown command 'x'");
    assert.equal(describeFailure('odd').error, 'error');
  });
});
