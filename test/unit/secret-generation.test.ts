// Generated secrets and what is stored instead of a secret (docs/design.md §6.2): the prefix and
// checksum that let scanners recognise one, the URL-unreserved alphabet, the verifier formats, the
// constant-time comparison and the verified-secret cache.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateClientSecret } from '../../src/oauth-apps/secret-generation.js';
import { credentialHint, generateOpaqueCredential, isOpaqueCredential } from '../../src/crypto/opaque.js';
import { generatedSecretVerifier, suppliedSecretVerifier, verifySecret, type VerifyContext } from '../../src/oauth-apps/secret-verifier.js';
import { createVerifiedSecretCache } from '../../src/oauth-apps/verified-secret-cache.js';
import { constantTimeEqual } from '../../src/crypto/compare.js';
import type { Pepper } from '../../src/keys/keyring.js';

const URL_UNRESERVED = /^[A-Za-z0-9._~-]+$/;

function context(peppers: Pepper[] = []): VerifyContext {
  return { pepper: (kid) => peppers.find((p) => p.kid === kid), cache: createVerifiedSecretCache(10) };
}

describe('generated client secrets', () => {
  it('are ocs_ + 43 characters of 256 random bits + a 6-character checksum, URL-unreserved only', () => {
    for (let i = 0; i < 200; i++) {
      const secret = generateClientSecret();
      assert.match(secret, /^ocs_[A-Za-z0-9_-]{49}$/);
      assert.match(secret, URL_UNRESERVED);
      assert.equal(encodeURIComponent(secret), secret, 'raw and form-urlencoded Basic credentials decode alike');
      assert.ok(isOpaqueCredential(secret, 'ocs'));
    }
  });

  it('never repeat', () => {
    const seen = new Set(Array.from({ length: 1000 }, generateClientSecret));
    assert.equal(seen.size, 1000);
  });

  it('carry a checksum: one changed character, a wrong prefix or length is not a secret we issued', () => {
    const secret = generateClientSecret();
    const flipped = secret.slice(0, 10) + (secret[10] === 'A' ? 'B' : 'A') + secret.slice(11);
    assert.equal(isOpaqueCredential(flipped, 'ocs'), false);
    assert.equal(isOpaqueCredential(secret.slice(0, -1), 'ocs'), false);
    assert.equal(isOpaqueCredential(secret, 'oat'), false);
    assert.equal(isOpaqueCredential(generateOpaqueCredential('oat'), 'oat'), true);
  });

  it('are hinted by their last four characters only', () => {
    const secret = generateClientSecret();
    assert.equal(credentialHint(secret), secret.slice(-4));
  });
});

describe('verifiers of generated secrets: peppered HMAC-SHA-256', () => {
  const pepper: Pepper = { kid: 'p1', key: randomBytes(32) };

  it('name the algorithm and the pepper, and never contain the secret', () => {
    const secret = generateClientSecret();
    const verifier = generatedSecretVerifier(secret, pepper);
    assert.match(verifier, /^hmac-sha256\$p1\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!verifier.includes(secret.slice(4)));
  });

  it('accept the secret and refuse any other value, another pepper or an unknown pepper id', async () => {
    const secret = generateClientSecret();
    const verifier = generatedSecretVerifier(secret, pepper);
    assert.equal(await verifySecret(secret, 's1', verifier, context([pepper])), true);
    assert.equal(await verifySecret(generateClientSecret(), 's1', verifier, context([pepper])), false);
    assert.equal(await verifySecret(secret, 's1', verifier, context([{ kid: 'p1', key: randomBytes(32) }])), false);
    assert.equal(await verifySecret(secret, 's1', verifier, context([])), false);
  });

  it('refuse, without throwing, a stored MAC of the wrong length (constant-time compare of unequal lengths)', async () => {
    const secret = generateClientSecret();
    const truncated = generatedSecretVerifier(secret, pepper).slice(0, -4);
    assert.equal(await verifySecret(secret, 's1', truncated, context([pepper])), false);
    assert.equal(await verifySecret(secret, 's1', 'hmac-sha256$p1', context([pepper])), false);
    assert.equal(await verifySecret(secret, 's1', 'plaintext', context([pepper])), false);
  });
});

describe('verifiers of caller-supplied secrets: Argon2id', () => {
  it('name the algorithm and its parameters, are salted, and verify only the secret', async () => {
    const secret = 'Correct-Horse-1';
    const [a, b] = await Promise.all([suppliedSecretVerifier(secret), suppliedSecretVerifier(secret)]);
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.notEqual(a, b, 'a fresh salt per verifier');
    assert.ok(!a.includes(secret));
    assert.equal(await verifySecret(secret, 's1', a, context()), true);
    assert.equal(await verifySecret('Correct-Horse-2', 's1', a, context()), false);
  });

  it('pay the KDF once per secret: a verified value is remembered per secret id, a wrong one never', async () => {
    const verifier = await suppliedSecretVerifier('Correct-Horse-1');
    const ctx = context();
    assert.equal(await verifySecret('Wrong-Horse-1', 's1', verifier, ctx), false);
    assert.equal(ctx.cache.size, 0);
    assert.equal(await verifySecret('Correct-Horse-1', 's1', verifier, ctx), true);
    assert.equal(ctx.cache.check('s1', 'Correct-Horse-1'), true);
    assert.equal(ctx.cache.check('s1', 'Wrong-Horse-1'), false);
    assert.equal(ctx.cache.check('s2', 'Correct-Horse-1'), undefined, 'another secret id is unknown');
    // The cached answer is the one used: a wrong value is refused without the KDF being asked.
    assert.equal(await verifySecret('Wrong-Horse-1', 's1', verifier, ctx), false);
  });
});

describe('constantTimeEqual', () => {
  it('compares bytes, including buffers of different lengths, without throwing', () => {
    assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc')), true);
    assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd')), false);
    assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd')), false);
    assert.equal(constantTimeEqual(Buffer.alloc(0), Buffer.from('a')), false);
  });
});
