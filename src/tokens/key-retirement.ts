// Retiring signing keys (`orgauth keys retire`): JWKS would otherwise grow with every rotation. A
// retired key keeps verifying, and stays in JWKS, until no unexpired token can carry it. It lives with
// the tokens because only they know the longest a signed token can live.
import type { Db } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { MAX_ACCESS_TOKEN_TTL } from '../oauth-apps/settings.js';
import { USER_TOKEN_TTL_SECONDS } from '../identity/service.js';
import { listAllKeys, setRetiredAt, type KeyRow } from '../keys/store.js';
import { KEY_RING_REFRESH_SECONDS } from '../keys/keyring.js';

/** The longest a token signed by orgauth can live. */
export const MAX_TOKEN_LIFETIME_SECONDS = Math.max(MAX_ACCESS_TOKEN_TTL, USER_TOKEN_TTL_SECONDS);

export type SigningKeyStatus = 'current' | 'active' | 'retiring' | 'retired';

export interface SigningKeyListing {
  kid: string;
  status: SigningKeyStatus;
  createdAt: number;
  /** When a retired key leaves (or left) JWKS and stops verifying tokens. */
  leavesJwksAt?: number;
}

export class KeyRetirementRefusedError extends Error {
  override name = 'KeyRetirementRefusedError';
}

/**
 * When a key superseded at `supersededAt` can leave JWKS: a node may sign with it until it re-reads
 * its key ring, and the last token it signed lives at most MAX_TOKEN_LIFETIME_SECONDS after that.
 */
export function leavesJwksAt(supersededAt: number, now: number): number {
  return Math.max(now, supersededAt + KEY_RING_REFRESH_SECONDS + MAX_TOKEN_LIFETIME_SECONDS);
}

export function describeSigningKeys(rows: readonly KeyRow[], now: number): SigningKeyListing[] {
  const live = rows.filter((row) => row.retired_at === null || row.retired_at > now);
  const current = live[live.length - 1];
  return rows.map((row) => {
    const status: SigningKeyStatus = row === current ? 'current'
      : row.retired_at === null ? 'active'
        : row.retired_at > now ? 'retiring' : 'retired';
    return { kid: row.kid, status, createdAt: row.created_at, ...(row.retired_at !== null ? { leavesJwksAt: row.retired_at } : {}) };
  });
}

export async function listSigningKeys(db: Db): Promise<SigningKeyListing[]> {
  return describeSigningKeys(await listAllKeys(db, 'signing'), nowSeconds());
}

/** Marks a superseded signing key for retirement; never the current one, so one always signs. */
export async function retireSigningKey(db: Db, kid: string): Promise<SigningKeyListing> {
  return writeTransaction(db, async (trx) => {
    const rows = await listAllKeys(trx, 'signing');
    const now = nowSeconds();
    const keys = describeSigningKeys(rows, now);
    const key = keys.find((k) => k.kid === kid);
    if (!key) throw new KeyRetirementRefusedError(`no signing key ${kid}`);
    if (key.status === 'current') throw new KeyRetirementRefusedError(`${kid} is the current signing key; run \`orgauth keys rotate\` first, then retire it`);
    if (key.status === 'retiring' || key.status === 'retired') return key;
    const index = rows.findIndex((row) => row.kid === kid);
    // It stopped signing when the next key was added.
    const successor = rows[index + 1];
    const at = leavesJwksAt(successor?.created_at ?? now, now);
    await setRetiredAt(trx, kid, at);
    return { ...key, status: at > now ? 'retiring' : 'retired', leavesJwksAt: at };
  });
}
