// "Keys changed" over Redis pub/sub: `orgauth keys rotate` publishes, every node re-reads its key
// ring at once. Without Redis (or while it is down) nodes still converge: the key ring re-reads the
// table every 30 s, on an unknown kid, and when JWKS is served.
import { Redis } from 'ioredis';
import type { RedisLink } from './connection.js';
import { connectionOptions } from './connection.js';

export function keysChangedChannel(prefix: string): string {
  return `${prefix}keys-changed`;
}

export interface Subscription {
  close(): Promise<void>;
}

/** Calls `onChange` whenever any process publishes a key change under this prefix. */
export async function subscribeToKeyChanges(link: RedisLink, onChange: () => Promise<void>): Promise<Subscription> {
  // A subscribed connection can run no other command, hence its own connection.
  const subscriber = link.client.duplicate();
  const channel = keysChangedChannel(link.prefix);
  subscriber.on('error', (error: unknown) => link.warn('subscriber', 'Redis subscription for key changes is down; nodes fall back to the 30 s key refresh', error));
  subscriber.on('message', (received: string) => {
    if (received !== channel) return;
    onChange().catch((error: unknown) => link.warn('keys-refresh', 'Re-reading the key ring after a key change failed', error));
  });
  // (Re)subscribe on every connection, including one that only succeeds after Redis comes back;
  // after a reconnect re-read the keys once, in case a change was published meanwhile.
  let connections = 0;
  subscriber.on('ready', () => {
    connections += 1;
    subscriber.subscribe(channel).catch((error: unknown) => link.warn('subscriber', 'Could not subscribe to key changes', error));
    if (connections > 1) onChange().catch(() => {});
  });
  subscriber.connect().catch(() => { /* retried in the background; the 'error' listener warns */ });
  return {
    async close() {
      subscriber.disconnect();
    },
  };
}

/** For the CLI: announce a key change. Returns false (the caller warns) when Redis cannot be reached. */
export async function publishKeyChange(url: string, prefix: string): Promise<boolean> {
  const client = new Redis(url, { ...connectionOptions(), retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.publish(keysChangedChannel(prefix), 'rotate');
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
