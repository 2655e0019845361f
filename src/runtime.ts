// The composition root: opens what a node needs (database, migrations, master key, key ring, caches,
// Redis), hands it to the HTTP layer as `Services`, and closes it.
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { KeyRing } from './keys/keyring.js';
import type { RedisLink } from './redis/connection.js';
import { performance } from 'node:perf_hooks';
import { isPostgres, nowSeconds } from './db/database.js';
import { openStorage } from './storage.js';
import { finishPendingDeletions } from './oauth-apps/service.js';
import type { OAuthAppsContext } from './oauth-apps/context.js';
import { purgeExpired as purgeDenylist } from './revocation/denylist.js';
import { purgeExpired as purgeIdempotency } from './idempotency/store.js';
import { purgeExpiredSessions } from './signin/store.js';
import { purgeExpiredCodes } from './authorization/store.js';
import { purgeExpiredRefreshTokens } from './tokens/refresh-store.js';
import { createSettingsReader } from './oauth-apps/settings.js';
import { createVerifiedSecretCache, type VerifiedSecretCache } from './oauth-apps/verified-secret-cache.js';
import { createUsageRecorder, type UsageRecorder } from './oauth-apps/secret-usage.js';
import type { VerifyContext } from './oauth-apps/secret-verifier.js';
import { createLogger, createRequestLog, type RequestLog } from './http/logging.js';
import type { Registry } from 'prom-client';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { openRedis } from './redis/connection.js';
import { subscribeToKeyChanges } from './redis/key-events.js';
import { createEpochBumper, type EpochBumper } from './redis/app-epochs.js';
import { createLocalEpochs, LOCAL_TRUST_MS, type LocalEpochs } from './db/local-epochs.js';
import { createClientCache, type ClientCache } from './tokens/client-cache.js';
import { renewableClientCopies } from './tokens/client-renewal.js';
import { renewableManagementCopies } from './tokens/management-renewal.js';
import { startCopyRenewal } from './redis/copy-renewal.js';
import { renewableDenials } from './revocation/denial-renewal.js';
import { createDenialCache, type DenialCache } from './revocation/denial-cache.js';
import { createEpochCopies } from './redis/epoch-trust.js';
import type { ManagementCopies } from './tokens/caller.js';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './tokens/claims.js';
import type { TokensContext } from './tokens/context.js';
import type { IdentityContext } from './identity/context.js';
import type { SigninContext } from './signin/context.js';
import type { AuthorizationContext } from './authorization/context.js';
import type { OidcContext } from './oidc/context.js';
import { createPasswordChecker } from './signin/passwords.js';

/** How often expired denylist entries and idempotency records are dropped. */
const HOUSEKEEPING_SECONDS = 600;

/** What the HTTP layer needs injected: configuration, storage and the node-local helpers. */
export interface Services {
  readonly config: Config;
  readonly db: Db;
  readonly keys: KeyRing;
  readonly verify: VerifyContext;
  readonly usage: UsageRecorder;
  readonly logger: Logger;
  /** The one line per request (http/server.ts), written in blocks. */
  readonly requestLog: RequestLog;
  /** What this node counts, and the registry GET /metrics serves. */
  readonly metrics: Metrics;
  readonly metricsRegistry: Registry;
  /** What the oauth-apps domain's services need (oauth-apps/context.ts). */
  readonly oauthApps: OAuthAppsContext;
  /** Seals data at rest that is not a key (idempotent replays). */
  readonly masterKey: Buffer;
  /** Present when REDIS_URL is set: shared rate limits and key-change events. */
  readonly redis?: RedisLink;
  /** One SQLite node without Redis: this process's epochs (db/local-epochs.ts). */
  readonly localEpochs?: LocalEpochs;
  /** This node's copies of apps for client authentication: with epochs (Redis, or local) and ORGAUTH_CLIENT_CACHE_SECONDS > 0 only. */
  readonly clients?: ClientCache;
  /** What this node knows is not on the denylist, for introspection: with the copies of apps only. */
  readonly denials?: DenialCache;
  /** This node's copies of memberships and apps for the management API: with the copies of apps only. */
  readonly managementCopies?: ManagementCopies;
  /** Bumps the epochs of changed apps before a change is acknowledged (docs/reliability.md). */
  readonly epochs: EpochBumper;
  /** Verifies presented access tokens; owns the cache of signatures this node has checked. */
  readonly accessTokens: AccessTokenVerifier;
  /** What the tokens domain's services need (tokens/context.ts). */
  readonly tokens: TokensContext;
  /** What the identity domain's services need (identity/context.ts). */
  readonly identity: IdentityContext;
  /** What the sign-in domain's services need (signin/context.ts). */
  readonly signin: SigninContext;
  /** What the authorization endpoint's services need (authorization/context.ts). */
  readonly authorization: AuthorizationContext;
  /** What signing and reading ID tokens needs (oidc/context.ts). */
  readonly oidc: OidcContext;
}

/** Copies of app rows the management API keeps on one SQLite node (with Redis: createEpochCopies' default). */
export const LOCAL_MANAGEMENT_APP_COPIES = 10_000;

export interface Runtime extends Services {
  close(): Promise<void>;
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const logger = createLogger(config.logLevel);
  const requestLog = createRequestLog(config.logLevel);
  const { metrics, registry: metricsRegistry, close: closeMetrics } = createMetrics({ eventLoopStopMs: config.eventLoopStopMs });
  const { db, keys, masterKey } = await openStorage(config, metrics);
  const cache = countingCache(createVerifiedSecretCache(), metrics);
  const verify: VerifyContext = { pepper: (kid) => keys.pepper(kid), cache };
  const usage: UsageRecorder = createUsageRecorder(db, undefined, metrics);
  const settings = createSettingsReader();
  const oauthApps: OAuthAppsContext = { db, keys, verify, metrics, settings };
  const finished = await finishPendingDeletions(oauthApps);
  if (finished > 0) logger.warn({ apps: finished }, 'finished app deletions interrupted by a restart');
  const housekeeping = setInterval(() => {
    const now = nowSeconds();
    const start = performance.now();
    Promise.all([
      purgeDenylist(db, now), purgeIdempotency(db, now), purgeExpiredSessions(db, now), purgeExpiredRefreshTokens(db, now),
      // Used codes are kept a day after they expire, so a late replay still revokes what they issued.
      purgeExpiredCodes(db, now - 86_400),
    ])
      // On SQLite the purges run on the event loop from start to end (on PostgreSQL they wait on the network).
      .then(() => { if (!isPostgres(db)) metrics.loopWork('housekeeping', start, performance.now() - start); })
      .catch((error: unknown) => logger.warn({ err: error }, 'housekeeping failed'));
  }, HOUSEKEEPING_SECONDS * 1000);
  housekeeping.unref();
  // Redis is optional and never fatal: without it one node works alone; while it is down, budgets are per node.
  const redis = config.redisUrl ? await openRedis({ url: config.redisUrl, prefix: config.redisPrefix, logger, metrics }) : undefined;
  const keyEvents = redis ? await subscribeToKeyChanges(redis, () => keys.refresh()) : undefined;
  // Copies of apps need epochs to be checked against: Redis's, or on one SQLite node without Redis
  // this process's own (db/local-epochs.ts); otherwise every request reads the database.
  const cacheMs = config.clientCacheSeconds * 1000;
  const localEpochs = !redis && db.dataVersion ? createLocalEpochs(db.dataVersion) : undefined;
  const trustMs = localEpochs ? LOCAL_TRUST_MS : cacheMs;
  const clients = (redis || localEpochs) && cacheMs > 0 ? createClientCache(trustMs) : undefined;
  const denials = clients ? createDenialCache(trustMs) : undefined;
  // Management requests read their epochs through Redis's gate, or the local epochs (docs/reliability.md, "Management requests").
  // A single SQLite node keeps fewer copies of app rows for them (~2 KB each, so about 20 MB, beside
  // the copies client authentication keeps): the small deployment, judged on memory by bench --scale.
  const managementAppCopies = localEpochs ? LOCAL_MANAGEMENT_APP_COPIES : undefined;
  const managementCopies: ManagementCopies | undefined = clients ? { members: createEpochCopies(trustMs), apps: createEpochCopies(trustMs, managementAppCopies) } : undefined;
  // With Redis, copies last the short trust period: the ones in use are read again before they expire.
  // Local epochs trust theirs for minutes (db/local-epochs.ts) and need no renewal.
  const renewal = redis && clients && managementCopies && denials
    ? startCopyRenewal([
      renewableClientCopies(clients, db, metrics), ...renewableManagementCopies(managementCopies, db, metrics), renewableDenials(denials, db, metrics),
    ], redis.generation, trustMs, logger)
    : undefined;
  const epochs = createEpochBumper(redis, cacheMs, config.testFaults, localEpochs);
  const accessTokens = createAccessTokenVerifier(keys, config.issuer);
  const passwords = createPasswordChecker();
  const tokens: TokensContext = {
    db, keys, issuer: config.issuer, accessTokens, verify, usage, settings, epochs, metrics,
    ...(clients ? { clients } : {}), ...(denials ? { denials } : {}),
  };
  return {
    config, db, keys, verify, usage, logger, requestLog, metrics, metricsRegistry, masterKey, epochs, oauthApps, tokens,
    accessTokens,
    identity: { db }, signin: { db, passwords }, authorization: { db, issuer: config.issuer, settings }, oidc: { keys, issuer: config.issuer },
    ...(redis ? { redis } : {}), ...(localEpochs ? { localEpochs } : {}), ...(clients ? { clients } : {}), ...(denials ? { denials } : {}),
    ...(managementCopies ? { managementCopies } : {}),
    async close() {
      clearInterval(housekeeping);
      await renewal?.stop();
      await keyEvents?.close();
      await redis?.close();
      await usage.stop();
      await db.destroy();
      closeMetrics();
      await requestLog.flush();
    },
  };
}

/** The verified-secret cache, counting hits (a known value: no KDF) and misses. */
function countingCache(cache: VerifiedSecretCache, metrics: Metrics): VerifiedSecretCache {
  return {
    check(secretId, presented) {
      const known = cache.check(secretId, presented);
      metrics.verifiedSecretLookup(known === undefined ? 'miss' : 'hit');
      return known;
    },
    remember: (secretId, presented) => cache.remember(secretId, presented),
    get size() {
      return cache.size;
    },
  };
}
