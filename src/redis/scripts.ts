// Lua scripts run by their SHA1 (EVALSHA), loaded on first use and again after Redis forgot them
// (a restart, SCRIPT FLUSH): one round trip per call in the steady state, and no script text on the wire.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisLink } from './connection.js';

export type Script = (client: Redis, keys: readonly string[], args: readonly string[]) => Promise<unknown>;

export function defineScript(source: string): Script {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (client, keys, args) => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(source, keys.length, ...keys, ...args);
    }
  };
}
