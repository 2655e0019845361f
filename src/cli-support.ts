// What every orgauth command shares: the database for one command, output as text or one JSON
// object, and failures as one line (or, with --json, one {error, message} object on stdout).
import { loadConfig, ConfigError } from './config.js';
import { openStorage } from './storage.js';
import type { Db } from './db/database.js';
import type { KeyRing } from './keys/keyring.js';
import { isOrgAuthError } from './errors/errors.js';
import { pino } from 'pino';
import { ignoreMetrics } from './metrics/metrics.js';
import { openRedis } from './redis/connection.js';
import { createEpochBumper, type EpochBumper } from './redis/app-epochs.js';

export interface Output { json?: boolean }

export async function withStorage<T>(action: (db: Db, keys: KeyRing) => Promise<T>): Promise<T> {
  const { db, keys } = await openStorage(loadConfig());
  try {
    return await action(db, keys);
  } finally {
    await db.destroy();
  }
}

/**
 * After a command's change committed, before it reports success: the epochs under which running
 * nodes keep copies are replaced, or — when Redis does not take them — the command waits until no
 * node trusts a copy made before the commit (docs/reliability.md, "Several nodes: the epoch cache").
 */
export async function bumpEpochs(bump: (epochs: EpochBumper) => Promise<void>): Promise<void> {
  const config = loadConfig();
  if (!config.redisUrl) return;
  // Warnings to standard error: standard output carries the command's one result.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const redis = await openRedis({ url: config.redisUrl, prefix: config.redisPrefix, logger, metrics: ignoreMetrics });
  try {
    await bump(createEpochBumper(redis, config.clientCacheSeconds * 1000, config.testFaults));
  } finally {
    await redis.close();
  }
}

export function print(options: Output, result: object, human: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${human}\n`);
}

/** A failure of a command, as a stable machine-readable name and one line for people. */
export interface CliFailure { error: string; message: string }

/** Error names by the class that raised them; anything else is `error`. */
const FAILURE_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['ConfigError', 'configuration_error'],
  ['BootstrapRefusedError', 'bootstrap_refused'],
  ['KeyRetirementRefusedError', 'key_retirement_refused'],
  ['CommandFailedError', 'command_failed'],
];

/** A command that ran and could not do what was asked (no such token, …). */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

export function describeFailure(error: unknown): CliFailure {
  if (isOrgAuthError(error)) return { error: error.entry.errorCode, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return { error: 'usage_error', message: (error as Error).message.replace(/^error: /, '') };
  }
  if (error instanceof ConfigError) return { error: 'configuration_error', message: error.message };
  if (error instanceof Error) {
    return { error: FAILURE_NAMES.find(([name]) => name === error.name)?.[1] ?? 'error', message: error.message };
  }
  return { error: 'error', message: String(error) };
}
