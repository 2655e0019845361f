// Pure rules behind the console: where the built-in client may redirect, which id is reserved, and
// CSP's rule for API-token names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consoleClient, isReservedClientId, CONSOLE_CLIENT_ID } from '../../src/console/client.js';
import { consoleAuthorizationClient } from '../../src/authorization/clients.js';
import { checkTokenName } from '../../src/identity/personal-tokens.js';

describe('the built-in console client', () => {
  it('redirects only to /console/callback on the issuer\'s public origin', () => {
    assert.deepEqual(consoleClient('http://127.0.0.1:8080/csp/gateway/am/api').redirectUris, ['http://127.0.0.1:8080/console/callback']);
    assert.deepEqual(consoleClient('https://auth.example.com/csp/gateway/am/api').redirectUris, ['https://auth.example.com/console/callback']);
    // An issuer that is not the gateway URL (CSP's tokens name another host): its origin.
    assert.deepEqual(consoleClient('https://gaz.example.com').redirectUris, ['https://gaz.example.com/console/callback']);
  });

  it('is a public PKCE client of every org, carrying the person\'s own roles, without open redirects', () => {
    const client = consoleAuthorizationClient('http://127.0.0.1:8080/csp/gateway/am/api');
    assert.equal(client.clientId, CONSOLE_CLIENT_ID);
    assert.equal(client.publicClient, true);
    assert.equal(client.requiresPkce, true);
    assert.equal(client.allowOpenRedirectUris, false);
    assert.equal(client.servesOrgs, 'any');
    assert.equal(client.roleFilter, 'all');
    assert.ok(client.accessTokenTTL <= 1800);
  });

  it('reserves its id and nothing else', () => {
    assert.equal(isReservedClientId('orgauth-console'), true);
    assert.equal(isReservedClientId('orgauth-console2'), false);
    assert.equal(isReservedClientId('ORGAUTH-CONSOLE'), false);
  });
});

describe('API token names (CSP tokenName)', () => {
  it('accepts letters of any script, digits, spaces and -_.`\':@&, up to 64', () => {
    for (const name of ['', 'release pipeline', "Ünïcode ok-_.`':@&", '日本語のトークン', 'x'.repeat(64)]) assert.doesNotThrow(() => checkTokenName(name), name);
  });
  it('refuses other characters and longer names', () => {
    for (const name of ['<script>', 'a/b', 'tab\there', 'x'.repeat(65), 'semi;colon', 'new\nline']) assert.throws(() => checkTokenName(name), name);
  });
});
