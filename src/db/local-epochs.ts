// Epochs of a single SQLite node without Redis (docs/reliability.md, "One node on SQLite: local
// epochs"). The same discipline as the Redis epochs, kept in this process: an app's epoch moves when
// this process bumps it after committing a change of the app, the revocations epoch when it bumps
// it after a revocation, and both whenever another connection committed to the file (the CLI,
// another process, an operator's sqlite3), which SQLite reports as a new PRAGMA data_version.
// Copies of apps and the memory of tokens found not denied are trusted only while these are unchanged.
/**
 * How long a copy is trusted under local epochs. With Redis the trust period bounds how long a change
 * whose bump failed may go unseen; here a bump runs in the process that holds the copies and cannot
 * fail, so this only bounds how long an entry lives, long enough for a client used every few minutes.
 */
export const LOCAL_TRUST_MS = 5 * 60_000;

export interface LocalEpochs {
  /** What other connections have committed, as of now: read it once and pass it to both epochs of one moment. */
  version(): number;
  /** The app's epoch now (or at `version`, read just before). */
  app(appId: string, version?: number): string;
  /** The revocations epoch now (or at `version`, read just before). */
  revocations(version?: number): string;
  /** Call after the change committed, before it is acknowledged. */
  bumpApps(appIds: readonly string[]): void;
  bumpRevocations(): void;
}

/** `dataVersion`: PRAGMA data_version of the server's connection (changes with other connections' commits only). */
export function createLocalEpochs(dataVersion: () => number, maxApps = 50_000): LocalEpochs {
  // Each app's last bump, in the order of the bumps; a forgotten app reads as the last value forgotten,
  // which is at least its own last bump, so it never returns to a value a copy was tagged with.
  const apps = new Map<string, number>();
  let forgotten = 0;
  let appBumps = 0;
  let revocationBumps = 0;
  return {
    version: dataVersion,
    app(appId, version = dataVersion()) {
      return `${apps.get(appId) ?? forgotten}:${version}`;
    },
    revocations(version = dataVersion()) {
      return `${revocationBumps}:${version}`;
    },
    bumpApps(appIds) {
      appBumps += 1;
      for (const appId of appIds) {
        apps.delete(appId);
        apps.set(appId, appBumps);
      }
      for (const [oldest, value] of apps) {
        if (apps.size <= maxApps) break;
        apps.delete(oldest);
        forgotten = value;
      }
    },
    bumpRevocations() {
      revocationBumps += 1;
    },
  };
}
