// The node's view of the keys in the database: signs with the newest signing key, verifies with
// any non-retired one, and re-reads the table when it meets a kid it does not know (a key added
// by `orgauth keys rotate` or by another node) and every KEY_RING_REFRESH_SECONDS.
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject, type JsonWebKey } from 'node:crypto';
import { unseal } from '../crypto/seal.js';
import type { Db } from '../db/database.js';
import { FIRST_PEPPER_ID, newPepper, newSigningKey } from './generate.js';
import { insertKey, listActiveKeys, listActiveKids, listAllKeys, type KeyRow } from './store.js';
import { withStartupLock } from '../db/startup-lock.js';

/** How often a node re-reads its keys even without a reason to. */
export const KEY_RING_REFRESH_SECONDS = 30;
const MIN_SECONDS_BETWEEN_UNKNOWN_KID_REFRESHES = 1;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key imported once into WebCrypto, which jose verifies with. */
  readonly verifyKey: CryptoKey;
  readonly publicJwk: JsonWebKey & { kid: string };
}

export interface Pepper {
  readonly kid: string;
  readonly key: Buffer;
}

export interface KeyRing {
  currentSigningKey(): SigningKey;
  /** The verification key for a kid, re-reading the database once if it is not known yet. */
  findVerificationKey(kid: string): Promise<SigningKey | undefined>;
  signingKeys(): readonly SigningKey[];
  currentPepper(): Pepper;
  pepper(kid: string): Pepper | undefined;
  refresh(): Promise<void>;
  /** Re-reads the keys only if the set of active kids in the database differs from this node's. */
  syncWithDatabase(): Promise<void>;
  /** Adds a signing key; it becomes the current one. */
  rotateSigningKey(): Promise<string>;
}

export async function openKeyRing(db: Db, masterKey: Buffer): Promise<KeyRing> {
  // First start: create what is missing. On PostgreSQL nodes starting together queue on a lock and
  // create one signing key; elsewhere a second key would be harmless (both valid), and the pepper's
  // fixed id lets only one insert win.
  await withStartupLock(db, async (q) => {
    if ((await listActiveKeys(q, 'signing')).length === 0) await insertKey(q, newSigningKey(masterKey));
    if ((await listActiveKeys(q, 'pepper')).length === 0) await insertKey(q, newPepper(masterKey, FIRST_PEPPER_ID));
  });

  let signing: SigningKey[] = [];
  let peppers: Pepper[] = [];
  let loadedAt = 0;
  let lastUnknownKidRefresh = 0;

  let refreshesStarted = 0;
  let newestApplied = 0;
  async function refresh(): Promise<void> {
    const started = ++refreshesStarted;
    const openedSigning = await Promise.all((await listActiveKeys(db, 'signing')).map((row) => openSigningKey(masterKey, row)));
    const openedPeppers = (await listActiveKeys(db, 'pepper')).map((row) => ({ kid: row.kid, key: unseal(masterKey, row.private_sealed, `pepper:${row.kid}`) }));
    // Refreshes may overlap (a periodic one and one after a key change): one that read the database
    // earlier must not put back a key that a later one saw retired.
    if (started < newestApplied) return;
    newestApplied = started;
    signing = openedSigning;
    peppers = openedPeppers;
    loadedAt = Date.now();
  }
  await refresh();

  function refreshIfStale(): void {
    if (Date.now() - loadedAt > KEY_RING_REFRESH_SECONDS * 1000) {
      loadedAt = Date.now(); // one refresh in flight at a time
      refresh().catch(() => { loadedAt = 0; });
    }
  }

  return {
    currentSigningKey() {
      refreshIfStale();
      const key = signing[signing.length - 1];
      if (!key) throw new Error('no signing key');
      return key;
    },
    async findVerificationKey(kid) {
      refreshIfStale();
      const known = signing.find((k) => k.kid === kid);
      if (known) return known;
      const now = Date.now();
      if (now - lastUnknownKidRefresh < MIN_SECONDS_BETWEEN_UNKNOWN_KID_REFRESHES * 1000) return undefined;
      lastUnknownKidRefresh = now;
      await refresh();
      return signing.find((k) => k.kid === kid);
    },
    signingKeys() {
      refreshIfStale();
      return signing;
    },
    currentPepper() {
      const pepper = peppers[peppers.length - 1];
      if (!pepper) throw new Error('no pepper');
      return pepper;
    },
    pepper(kid) {
      return peppers.find((p) => p.kid === kid);
    },
    refresh,
    async syncWithDatabase() {
      const kids = await listActiveKids(db);
      const known = new Set([...signing.map((k) => k.kid), ...peppers.map((p) => p.kid)]);
      if (kids.length !== known.size || kids.some((kid) => !known.has(kid))) await refresh();
    },
    async rotateSigningKey() {
      // The newest key signs, and keys are ordered by created_at (seconds): a key made in the same
      // second as the one it replaces would tie with it, so it is stamped one second later.
      const generated = newSigningKey(masterKey);
      const newest = (await listAllKeys(db, 'signing')).at(-1)?.created_at ?? 0;
      const row = { ...generated, created_at: Math.max(generated.created_at, newest + 1) };
      await insertKey(db, row);
      await refresh();
      return row.kid;
    },
  };
}

async function openSigningKey(masterKey: Buffer, row: KeyRow): Promise<SigningKey> {
  const privateKey = createPrivateKey(unseal(masterKey, row.private_sealed, `signing:${row.kid}`));
  const publicKey = createPublicKey(privateKey);
  const publicJwk = JSON.parse(row.public_jwk ?? '{}') as JsonWebKey & { kid: string };
  const verifyKey = await webcrypto.subtle.importKey('spki', publicKey.export({ format: 'der', type: 'spki' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
  return { kid: row.kid, privateKey, publicKey, verifyKey, publicJwk };
}
