// Idempotency-Key (docs/design.md §6.4): a retry with the same key and body within 10 minutes replays the
// first response, so a lost response no longer forces another regeneration. The replay is sealed
// with the master key (it may hold a secret); the request fingerprint is an HMAC, not the body.
import type { Db } from '../db/database.js';
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { hmacSha256 } from '../crypto/hash.js';
import { seal, unseal } from '../crypto/seal.js';
import * as store from './store.js';

export const REPLAY_WINDOW_SECONDS = 600;
/** A pending record older than this belongs to a request that died; a retry may take it over. */
export const ABANDONED_AFTER_SECONDS = 60;

export interface IdempotencyScope {
  /** Who is asking and for what: org, caller, method and path. */
  readonly scope: string;
  readonly key: string;
  /** Method, path, query and body: what must be the same for a replay. */
  readonly fingerprint: string;
}

export type Claimed =
  | { readonly kind: 'proceed'; readonly scopeKey: string }
  | { readonly kind: 'replay'; readonly statusCode: number; readonly body: string };

export interface IdempotencyKeys {
  /** Keys the fingerprints and scope keys (the pepper). */
  readonly hmacKey: Buffer;
  /** Seals the replayed responses (the master key). */
  readonly sealKey: Buffer;
}

export async function claimKey(db: Db, keys: IdempotencyKeys, request: IdempotencyScope): Promise<Claimed> {
  const scopeKey = hmacSha256(keys.hmacKey, `${request.scope}\n${request.key}`).toString('base64url');
  const requestHash = hmacSha256(keys.hmacKey, request.fingerprint).toString('base64url');
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = nowSeconds();
    if (await store.claim(db, { scope_key: scopeKey, request_hash: requestHash, status_code: null, response_sealed: null, created_at: now, expires_at: now + REPLAY_WINDOW_SECONDS })) {
      return { kind: 'proceed', scopeKey };
    }
    const existing = await store.find(db, scopeKey);
    if (!existing) continue;
    const abandoned = existing.status_code === null && existing.created_at + ABANDONED_AFTER_SECONDS <= now;
    if (existing.expires_at <= now || abandoned) {
      await store.removeIfCreatedAt(db, scopeKey, existing.created_at);
      continue;
    }
    if (existing.request_hash !== requestHash) throw fail('IDEMPOTENCY_KEY_REUSED');
    if (existing.status_code === null || existing.response_sealed === null) throw fail('IDEMPOTENCY_KEY_IN_FLIGHT');
    const body = unseal(keys.sealKey, existing.response_sealed, `idempotency:${scopeKey}`).toString('utf8');
    return { kind: 'replay', statusCode: existing.status_code, body };
  }
  throw fail('IDEMPOTENCY_KEY_IN_FLIGHT');
}

export async function recordResponse(db: Db, keys: IdempotencyKeys, scopeKey: string, statusCode: number, body: string): Promise<void> {
  await store.complete(db, scopeKey, statusCode, seal(keys.sealKey, body, `idempotency:${scopeKey}`));
}

/** A failed request leaves no record: the retry runs again. */
export async function releaseKey(db: Db, scopeKey: string): Promise<void> {
  await store.remove(db, scopeKey);
}
