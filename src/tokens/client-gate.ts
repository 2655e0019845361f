// Client authentication at the token endpoints under the budgets (rate-limit.ts), served from this
// node's copy of the app when its epoch allows (client-cache.ts) and from the database otherwise.
// The secret is checked first whenever that costs no memory-hard KDF, and the outcome is answered
// only if the budgets' one round trip allows it: a refused request learns nothing, so the failure
// budget stays exact without a reservation. Why a copy is never served after a change was
// acknowledged: docs/reliability.md, "Several nodes: the epoch cache".
import { nowSeconds } from '../db/database.js';
import { fail } from '../errors/errors.js';
import { freshEpoch } from '../redis/app-epochs.js';
import { isValidAt } from '../oauth-apps/lifecycle.js';
import { matchSecret } from '../oauth-apps/secret-service.js';
import { findAppWithSecrets, type AppWithSecrets, type SecretRow } from '../oauth-apps/secret-store.js';
import { verifySecretWithoutKdf, type VerifyContext } from '../oauth-apps/secret-verifier.js';
import { clientCacheClock } from './client-cache.js';
import type { EpochSeen } from '../revocation/denial-cache.js';
import type { PresentedClient } from './client-auth.js';
import type { AuthenticatedClient } from './service.js';
import type { TokensContext } from './context.js';

// The budgets are the HTTP layer's (http/rate-limit.ts implements ClientGate); client authentication
// only needs this port to them.
/** What client authentication learned before asking the budgets whether it may answer. */
export type KnownOutcome = 'authenticated' | 'failed';

/** `epoch`: answer only if the app's epoch is still this; `createEpoch`: set it if the app has none. */
export interface EpochCondition {
  readonly epoch?: string;
  readonly createEpoch?: string;
}

export type GateAnswer = {
  /** The revocations epoch read in the same round trip (undefined: Redis did not answer). */
  readonly revocations?: string;
} & (
  /** The epoch is not the expected one (null: none; undefined: Redis did not answer). Nothing was counted. */
  | { readonly stale: true; readonly epoch: string | null | undefined }
  /** Counted; `createdEpoch` when the condition's epoch was set. */
  | { readonly stale: false; readonly createdEpoch: boolean });

/**
 * The token-endpoint budgets of one request that claims a client. The steady state costs one Redis
 * round trip: `decide`, once the outcome of client authentication is known without a memory-hard
 * KDF, checks the app's epoch and every budget in one script. An outcome only the KDF can tell goes
 * through `checkSlowly` (a place in the failed-authentication budget first, then the check).
 */
export interface ClientGate {
  /** The Redis link's generation now (0 without Redis): see RedisLink.generation. */
  generation(): number;
  /** The app's epoch (null: none), or undefined when Redis does not answer or is not used. */
  readEpoch(appId: string): Promise<string | null | undefined>;
  /** Throws 429 when a budget refuses; a `failed` outcome is counted and the caller answers 401. */
  decide(appId: string | undefined, outcome: KnownOutcome, condition: EpochCondition): Promise<GateAnswer>;
  /** Reserves a check, runs it, counts its outcome; undefined when it failed (the caller answers 401). */
  checkSlowly<T>(appId: string, check: () => Promise<T | undefined>): Promise<T | undefined>;
}

type Outcome =
  | { readonly kind: 'authenticated'; readonly secret: SecretRow }
  | { readonly kind: 'failed' }
  /** Only the memory-hard KDF can tell. */
  | { readonly kind: 'unknown' };

export async function authenticateUnderBudgets(ctx: TokensContext, gate: ClientGate, presented: PresentedClient | undefined): Promise<AuthenticatedClient> {
  if (!presented || presented.secretCandidates.length === 0) {
    await gate.decide(undefined, 'failed', {});
    throw fail('OAUTH_INVALID_CLIENT', 'Client authentication is required');
  }
  const clientId = presented.clientId;
  const cache = ctx.clients;
  // Taken before any epoch is read: a copy made now is distrusted after any Redis trouble from here on.
  const generation = gate.generation();
  const startedAt = clientCacheClock();
  let epochBefore: string | null | undefined;
  let epochRead = false;

  const copy = cache?.get(clientId, generation);
  if (copy) {
    const outcome = outcomeWithoutKdf(copy.found, presented, ctx.verify);
    if (outcome.kind !== 'unknown') {
      const answer = await gate.decide(copy.found.app.id, outcome.kind, { epoch: copy.epoch });
      if (!answer.stale) {
        ctx.metrics.clientCopies('served');
        return finish(ctx, copy.found, outcome, seen(answer, generation, startedAt));
      }
      // The epoch this round trip read comes before the database read below: a copy tagged with it
      // is distrusted by the next change's bump.
      epochBefore = answer.epoch;
      epochRead = true;
      // Redis did not answer: nothing says the copy is stale, it only could not be checked this time.
      if (answer.epoch !== undefined) cache?.delete(clientId);
    } else {
      cache?.delete(clientId);
    }
  }

  if (cache && !epochRead) epochBefore = await gate.readEpoch(clientId);
  const found = await findAppWithSecrets(ctx.db, clientId);
  if (cache) ctx.metrics.clientCopies('read');
  let createEpoch: string | undefined;
  if (cache && found && epochBefore !== undefined) {
    if (epochBefore !== null) cache.set(clientId, { found, epoch: epochBefore }, generation, startedAt);
    else createEpoch = freshEpoch();
  }
  const outcome = outcomeWithoutKdf(found, presented, ctx.verify);
  if (outcome.kind === 'unknown' && found) {
    const secret = await gate.checkSlowly(found.app.id, () => matchPresented(found, presented, ctx.verify));
    if (!secret) throw fail('OAUTH_INVALID_CLIENT');
    return finish(ctx, found, { kind: 'authenticated', secret }, undefined);
  }
  const known: KnownOutcome = outcome.kind === 'authenticated' ? 'authenticated' : 'failed';
  // Read from the database during this request: as fresh as the database, no epoch condition.
  const answer = await gate.decide(found?.app.id ?? clientId, known, createEpoch !== undefined ? { createEpoch } : {});
  if (!answer.stale && answer.createdEpoch && cache && found && createEpoch !== undefined) {
    cache.set(clientId, { found, epoch: createEpoch }, generation, startedAt);
  }
  return finish(ctx, found, outcome, seen(answer, generation, startedAt));
}

function finish(ctx: TokensContext, found: AppWithSecrets | undefined, outcome: Outcome, revocations: EpochSeen | undefined): AuthenticatedClient {
  if (!found || outcome.kind !== 'authenticated') throw fail('OAUTH_INVALID_CLIENT');
  ctx.usage.record(found.app.id, outcome.secret.id);
  return revocations ? { app: found.app, secret: outcome.secret, revocations } : { app: found.app, secret: outcome.secret };
}

/** The revocations epoch this request read, with the generation and time taken before it was read. */
function seen(answer: GateAnswer, generation: number, startedAt: number): EpochSeen | undefined {
  return answer.revocations === undefined ? undefined : { epoch: answer.revocations, generation, startedAt };
}

function usable(found: AppWithSecrets | undefined): found is AppWithSecrets {
  return found !== undefined && found.app.state === 'active' && found.app.public_client !== 1;
}

function outcomeWithoutKdf(found: AppWithSecrets | undefined, presented: PresentedClient, verify: VerifyContext): Outcome {
  if (!usable(found)) return { kind: 'failed' };
  const now = nowSeconds();
  let unknown = false;
  for (const candidate of presented.secretCandidates) {
    for (const secret of found.secrets) {
      if (!isValidAt(secret, now)) continue;
      const verified = verifySecretWithoutKdf(candidate, secret.id, secret.verifier, verify);
      if (verified === true) return { kind: 'authenticated', secret };
      if (verified === undefined) unknown = true;
    }
  }
  return unknown ? { kind: 'unknown' } : { kind: 'failed' };
}

async function matchPresented(found: AppWithSecrets, presented: PresentedClient, verify: VerifyContext): Promise<SecretRow | undefined> {
  if (!usable(found)) return undefined;
  const now = nowSeconds();
  for (const candidate of presented.secretCandidates) {
    const secret = await matchSecret(found.secrets, candidate, verify, now);
    if (secret) return secret;
  }
  return undefined;
}
