// The pure rules of signing people in: redirect URI matching, PKCE S256, password rules, the CSRF token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redirectUriAllowed, redirectWith } from '../../src/authorization/redirect-uri.js';
import { isValidChallenge, verifierMatches } from '../../src/authorization/pkce.js';
import { candidateOrganizations } from '../../src/authorization/service.js';
import { passwordProblem } from '../../src/signin/passwords.js';
import { csrfKey, csrfToken, csrfTokenMatches, readCookie } from '../../src/signin/sessions.js';

describe('redirect URI matching', () => {
  const registered = ['https://app.example.com/cb', 'http://127.0.0.1:8765/callback', 'http://[::1]:9000/cb'];
  const cases: Array<[string, boolean]> = [
    ['https://app.example.com/cb', true],
    ['https://app.example.com/cb/', false],
    ['https://app.example.com/CB', false],
    ['https://app.example.com/cb?x=1', false],
    ['https://app.example.com/cb#frag', false],
    ['https://app.example.com:444/cb', false],
    ['http://app.example.com/cb', false],
    ['https://app.example.com.evil.example/cb', false],
    ['http://127.0.0.1:50000/callback', true],
    ['http://127.0.0.1/callback', true],
    ['http://127.0.0.1:50000/callback/x', false],
    ['http://localhost:8765/callback', false],
    ['https://127.0.0.1:8765/callback', false],
    ['http://[::1]:1234/cb', true],
    ['http://user@127.0.0.1:50000/callback', false],
    ['', false],
  ];
  for (const [uri, allowed] of cases) {
    it(`${uri || '(empty)'} → ${allowed}`, () => assert.equal(redirectUriAllowed(registered, false, uri), allowed));
  }
  it('allowOpenRedirectUris admits any http(s) URI without a fragment, nothing else', () => {
    assert.equal(redirectUriAllowed([], true, 'https://anything.example/x'), true);
    assert.equal(redirectUriAllowed([], true, 'javascript:alert(1)'), false);
    assert.equal(redirectUriAllowed([], true, 'https://a.example/#x'), false);
  });
  it('response parameters are added to the redirect URI\'s own query', () => {
    assert.equal(redirectWith('https://a.example/cb?keep=1', { code: 'c', state: 's&t', iss: undefined }), 'https://a.example/cb?keep=1&code=c&state=s%26t');
  });
});

describe('PKCE S256', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  it('accepts the RFC 7636 example and nothing close to it', () => {
    assert.equal(isValidChallenge(challenge), true);
    assert.equal(verifierMatches(challenge, verifier), true);
    assert.equal(verifierMatches(challenge, `${verifier.slice(0, -1)}l`), false);
    assert.equal(verifierMatches(challenge, challenge), false, 'plain: the challenge itself is no verifier');
    assert.equal(verifierMatches(challenge, 'short'), false);
    assert.equal(verifierMatches(challenge, 'a'.repeat(129)), false);
    assert.equal(isValidChallenge('short'), false);
  });
});

describe('password rules', () => {
  const cases: Array<[string, string, RegExp | undefined]> = [
    ['alice@example.com', 'correct horse battery', undefined],
    ['alice@example.com', 'Sh0rt!', /at least 12/],
    ['alice@example.com', 'alice@example.com!!', /username/],
    ['alice@example.com', 'xx ALICE yy zz 12', /username/],
    ['bob@example.com', 'bob is my long password', undefined],
    ['alice@example.com', 'aaaaaaaaaaaaaaaa', /different characters/],
    ['alice@example.com', 'x'.repeat(257), /at most 256/],
  ];
  for (const [username, password, problem] of cases) {
    it(`${username} / ${password.slice(0, 24)} → ${problem ?? 'ok'}`, () => {
      const found = passwordProblem(username, password);
      if (problem) assert.match(found ?? '', problem);
      else assert.equal(found, undefined);
    });
  }
});

describe('CSRF token and cookies', () => {
  const key = csrfKey(Buffer.alloc(32, 7));
  const cookie = 'A'.repeat(43);
  it('the token is bound to the cookie and the key', () => {
    const token = csrfToken(key, cookie);
    assert.equal(csrfTokenMatches(key, cookie, token), true);
    assert.equal(csrfTokenMatches(key, 'B'.repeat(43), token), false);
    assert.equal(csrfTokenMatches(csrfKey(Buffer.alloc(32, 8)), cookie, token), false);
    assert.equal(csrfTokenMatches(key, undefined, token), false);
    assert.equal(csrfTokenMatches(key, cookie, undefined), false);
  });
  it('only well-formed cookie values are read', () => {
    assert.equal(readCookie(`a=b; orgauth_session=${cookie}; c=d`, 'orgauth_session'), cookie);
    assert.equal(readCookie('orgauth_session=short', 'orgauth_session'), undefined);
    assert.equal(readCookie(`xorgauth_session=${cookie}`, 'orgauth_session'), undefined);
  });
});

describe('which organizations a person may sign in to through a client', () => {
  it('the person\'s orgs the client serves, oldest membership first; every one of them for a client of any org', () => {
    assert.deepEqual(candidateOrganizations(['b', 'a', 'c'], ['a', 'c']), ['a', 'c']);
    assert.deepEqual(candidateOrganizations(['b'], ['a']), []);
    assert.deepEqual(candidateOrganizations(['b', 'a'], 'any'), ['b', 'a']);
  });
});
