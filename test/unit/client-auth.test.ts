// Reading client credentials in the shapes real CSP clients send (docs/design.md §3.1): HTTP Basic,
// raw or form-urlencoded (RFC 6749 §2.3.1), and client_id/client_secret in the form body.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presentedClient } from '../../src/tokens/client-auth.js';
import { generateClientSecret } from '../../src/oauth-apps/secret-generation.js';
import { isOrgAuthError } from '../../src/errors/errors.js';
import type { ErrorName } from '../../src/errors/catalogue.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const formEncoded = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

function refused(errorName: ErrorName, run: () => unknown): void {
  assert.throws(run, (error: unknown) => isOrgAuthError(error) && error.errorName === errorName);
}

describe('client_secret_basic', () => {
  it('reads a generated secret one way: its characters need no encoding', () => {
    const secret = generateClientSecret();
    assert.deepEqual(presentedClient(basic('ci-bot', secret), {}), { clientId: 'ci-bot', secretCandidates: [secret], method: 'client_secret_basic' });
    assert.deepEqual(presentedClient(basic('ci-bot', formEncoded(secret)), {})?.secretCandidates, [secret]);
  });

  it('tries the form-urlencoded reading first, then the raw one, for a caller-supplied secret', () => {
    const secret = 'Pa ss%w0rd+!';
    const encoded = presentedClient(basic('ci-bot', formEncoded(secret)), {});
    assert.deepEqual(encoded?.secretCandidates, [secret, formEncoded(secret)]);
    // Sent raw, the '%w0' is no valid escape: only the raw reading is left.
    assert.deepEqual(presentedClient(basic('ci-bot', secret), {})?.secretCandidates, [secret]);
  });

  it('reads a plus or a percent escape alone as form-urlencoded too', () => {
    assert.deepEqual(presentedClient(basic('ci-bot', 'a+b'), {})?.secretCandidates, ['a b', 'a+b']);
    assert.deepEqual(presentedClient(basic('ci-bot', 'a%2Bb'), {})?.secretCandidates, ['a+b', 'a%2Bb']);
    assert.deepEqual(presentedClient(basic('ci%2Dbot', 's'), { client_id: 'ci-bot' })?.clientId, 'ci-bot');
  });

  it('keeps everything after the first colon as the secret', () => {
    assert.deepEqual(presentedClient(basic('ci-bot', 'a:b:c'), {})?.secretCandidates, ['a:b:c']);
  });

  it('accepts a form client_id that matches the Basic id, and refuses one that does not', () => {
    assert.equal(presentedClient(basic('ci-bot', 's'), { client_id: 'ci-bot' })?.clientId, 'ci-bot');
    refused('OAUTH_INVALID_REQUEST', () => presentedClient(basic('ci-bot', 's'), { client_id: 'other-app' }));
  });

  it('refuses Basic and client_secret together: one method per request', () => {
    refused('OAUTH_INVALID_REQUEST', () => presentedClient(basic('ci-bot', 's'), { client_secret: 's' }));
  });

  it('answers malformed Basic credentials with invalid_client', () => {
    refused('OAUTH_INVALID_CLIENT', () => presentedClient('Basic !!!', {}));
    refused('OAUTH_INVALID_CLIENT', () => presentedClient(`Basic ${Buffer.from('no-colon').toString('base64')}`, {}));
    refused('OAUTH_INVALID_CLIENT', () => presentedClient('Basic', {}));
  });

  it('accepts the scheme name in any case', () => {
    assert.equal(presentedClient(basic('ci-bot', 's').replace('Basic', 'basic'), {})?.clientId, 'ci-bot');
  });
});

describe('client_secret_post', () => {
  it('reads client_id and client_secret from the form', () => {
    assert.deepEqual(presentedClient(undefined, { client_id: 'ci-bot', client_secret: 'Pa ss' }), { clientId: 'ci-bot', secretCandidates: ['Pa ss'], method: 'client_secret_post' });
  });

  it('presents a client without a secret when only client_id is sent, so it fails authentication', () => {
    assert.deepEqual(presentedClient(undefined, { client_id: 'ci-bot' })?.secretCandidates, []);
  });
});

describe('no client credentials', () => {
  it('presents no client for a request without Basic or client_id (the API-token exchange)', () => {
    assert.equal(presentedClient(undefined, { api_token: 'x' }), undefined);
    assert.equal(presentedClient('Bearer abc', {}), undefined);
  });
});
