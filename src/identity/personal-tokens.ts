// A person's own API tokens, managed with their access token (CSP's "loggedin user" API tokens):
// create (shown once), list, revoke. Tokens are bound to the person and the org of the access token.
import { randomUUID } from 'node:crypto';
import { nowSeconds } from '../db/database.js';
import { writeTransaction } from '../db/group-commit.js';
import { credentialHint, generateOpaqueCredential } from '../crypto/opaque.js';
import { sha256Base64url } from '../crypto/hash.js';
import { fail } from '../errors/errors.js';
import { recordAudit, type RequestActor } from '../audit/record.js';
import { DEFAULT_API_TOKEN_TTL_SECONDS, revokeApiTokenRow } from './service.js';
import * as store from './store.js';
import type { IdentityContext } from './context.js';

/** CSP allows at most 50 API tokens per person; revoked and expired ones do not count. */
export const MAX_LIVE_API_TOKENS = 50;
/** CSP's minimum `refreshTokenTTL`; the maximum is ours (five years). */
export const MIN_API_TOKEN_TTL_SECONDS = 1800;
export const MAX_API_TOKEN_TTL_SECONDS = 5 * 365 * 24 * 3600;
/** CSP's rule for `tokenName`: letters and digits of any script, space and -_.`':@& — at most 64. */
const TOKEN_NAME = /^[\p{L}\p{N}\-_.`':@& ]{0,64}$/u;

export interface NewPersonalToken {
  readonly tokenName?: string | null | undefined;
  readonly refreshTokenTTL?: number | null | undefined;
}

export interface PersonalTokenView {
  tokenId: string;
  tokenName?: string;
  orgId: string;
  username: string;
  acct: string;
  hint: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt?: number;
  deactivated: boolean;
  deactivatedAt?: number;
  status: 'active' | 'expired' | 'revoked';
}

export function checkTokenName(name: string): void {
  if (!TOKEN_NAME.test(name)) {
    throw fail('BAD_REQUEST', "tokenName: at most 64 letters, digits, spaces and -_.`':@&");
  }
}

export async function createPersonalToken(ctx: IdentityContext, actor: RequestActor, request: NewPersonalToken): Promise<{ apiToken: string; tokenId: string; expiresAt: number }> {
  const tokenName = request.tokenName ?? null;
  if (tokenName !== null) checkTokenName(tokenName);
  const ttl = request.refreshTokenTTL ?? DEFAULT_API_TOKEN_TTL_SECONDS;
  const apiToken = generateOpaqueCredential('oat');
  return writeTransaction(ctx.db, async (trx) => {
    // Touching the membership row first takes its lock on PostgreSQL, so a burst of creates is
    // counted one after another and the limit holds (SQLite has one writer already).
    const locked = await store.lockMembership(trx, actor.orgId, actor.subject);
    if (!locked) throw fail('UNAUTHORIZED', 'The user of this token is no longer a member of the organization');
    const now = nowSeconds();
    if ((await store.countLiveApiTokens(trx, actor.orgId, actor.subject, now)) >= MAX_LIVE_API_TOKENS) {
      throw fail('API_TOKEN_LIMIT', `At most ${MAX_LIVE_API_TOKENS} API tokens per person; revoke one first`);
    }
    const row: store.ApiTokenRow = {
      id: randomUUID(),
      token_hash: sha256Base64url(apiToken),
      hint: credentialHint(apiToken),
      username: actor.subject,
      org_id: actor.orgId,
      created_at: now,
      expires_at: now + ttl,
      revoked_at: null,
      last_used_at: null,
      token_name: tokenName,
    };
    await store.insertApiToken(trx, row);
    await recordAudit(trx, actor, 'api_token.create', null, null, { tokenId: row.id, hint: row.hint, tokenName, expiresAt: row.expires_at });
    return { apiToken, tokenId: row.id, expiresAt: row.expires_at };
  });
}

export async function listPersonalTokens(ctx: IdentityContext, actor: RequestActor): Promise<PersonalTokenView[]> {
  const rows = await store.listApiTokensOf(ctx.db, actor.orgId, actor.subject, 200);
  const now = nowSeconds();
  return rows.map((row) => viewOf(row, now));
}

/** Revokes one of the caller's own tokens; another person's, another org's or an unknown id is "not found". */
export async function revokePersonalToken(ctx: IdentityContext, actor: RequestActor, tokenId: string): Promise<void> {
  await writeTransaction(ctx.db, async (trx) => {
    const row = await store.findApiTokenById(trx, tokenId);
    if (!row || row.org_id !== actor.orgId || row.username !== actor.subject) {
      throw fail('NOT_FOUND', 'API token not found');
    }
    // A second revoke changes nothing and records nothing.
    if (row.revoked_at !== null) return;
    await revokeApiTokenRow(trx, row);
    await recordAudit(trx, actor, 'api_token.revoke', null, null, { tokenId: row.id, hint: row.hint, tokenName: row.token_name });
  });
}

function viewOf(row: store.ApiTokenRow, now: number): PersonalTokenView {
  const status = row.revoked_at !== null ? 'revoked' : row.expires_at <= now ? 'expired' : 'active';
  return {
    tokenId: row.id,
    ...(row.token_name !== null ? { tokenName: row.token_name } : {}),
    orgId: row.org_id,
    username: row.username,
    acct: row.username,
    hint: row.hint,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.last_used_at !== null ? { lastUsedAt: row.last_used_at } : {}),
    deactivated: row.revoked_at !== null,
    ...(row.revoked_at !== null ? { deactivatedAt: row.revoked_at } : {}),
    status,
  };
}
