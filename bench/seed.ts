// Seeding apps: over HTTP through the management API (the normal path), and directly into the
// SQLite file for --scale (see seedDirect).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { BASE_PATH, type TokenSource } from './orgauth.js';
import type { Cred } from './load.js';

export interface App extends Cred {
  /** true when the bench chose the secret (10%), false when orgauth generated it. */
  supplied: boolean;
}

export const appId = (i: number): string => `bench-app-${i}`;
export const suppliedSecret = (i: number): string => `Bench-Secret-${i}!`;
/** Every 10th app gets a caller-supplied secret. */
export const isSupplied = (i: number): boolean => i % 10 === 9;

export async function seedHttp(
  baseUrl: string,
  orgId: string,
  tokens: TokenSource,
  count: number,
  concurrency = 16,
  progress: (done: number) => void = () => {},
): Promise<App[]> {
  const apps: App[] = new Array<App>(count);
  let next = 0;
  let done = 0;
  const url = `${baseUrl}${BASE_PATH}/orgs/${orgId}/oauth-apps`;

  async function createOne(i: number): Promise<void> {
    const supplied = isSupplied(i);
    const body: Record<string, unknown> = {
      displayName: `bench ${i}`,
      description: 'bench',
      grantTypes: ['client_credentials'],
      allowedScopes: { organizationScopes: { roles: [{ name: 'developer' }] } },
      id: appId(i),
    };
    if (supplied) body.secret = suppliedSecret(i);
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokens.get()}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.ok) {
        const r = JSON.parse(text) as { clientId?: string; clientSecret?: string };
        const secret = supplied ? suppliedSecret(i) : r.clientSecret;
        if (!secret) throw new Error(`create ${appId(i)}: no clientSecret in ${text}`);
        apps[i] = { clientId: r.clientId ?? appId(i), secret, supplied };
        return;
      }
      if (attempt >= 5) throw new Error(`create ${appId(i)} failed: ${res.status} ${text}`);
      if (res.status === 401) await tokens.refresh();
      else if (res.status === 429) await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      else throw new Error(`create ${appId(i)} failed: ${res.status} ${text}`);
    }
  }

  async function worker(): Promise<void> {
    for (let i = next++; i < count; i = next++) {
      await createOne(i);
      if (++done % 1000 === 0) progress(done);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return apps;
}

export interface DirectSeedOptions {
  root: string;
  env: Record<string, string>;
  dataDir: string;
  /** An app orgauth created itself (bench-app-0): its rows are the template for every other app. */
  template: App;
  count: number;
  /** How many credentials to return (spread evenly over the ids). */
  sample: number;
  log: (msg: string) => void;
}

/**
 * Inserts apps bench-app-1 … bench-app-<count-1> into <dataDir>/orgauth.db while orgauth is
 * stopped: every column is copied from the template app's rows (so the bench follows orgauth's
 * schema, whatever it is), with a new id, display name and generated secret. Secrets and verifiers
 * come from orgauth's own code in dist/, with the pepper unsealed by the same master key.
 */
export async function seedDirect(o: DirectSeedOptions): Promise<Cred[]> {
  const dist = (p: string): string => pathToFileURL(path.join(o.root, 'dist', p)).href;
  const { unseal } = (await import(dist('crypto/seal.js'))) as typeof import('../src/crypto/seal.js');
  const { credentialHint } = (await import(dist('crypto/opaque.js'))) as typeof import('../src/crypto/opaque.js');
  const { generateClientSecret } = (await import(dist('oauth-apps/secret-generation.js'))) as typeof import('../src/oauth-apps/secret-generation.js');
  const { generatedSecretVerifier } = (await import(dist('oauth-apps/secret-verifier.js'))) as typeof import('../src/oauth-apps/secret-verifier.js');

  const db = new Database(path.join(o.dataDir, 'orgauth.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const tplApp = db.prepare('SELECT * FROM oauth_apps WHERE id = ?').get(o.template.clientId) as Record<string, unknown> | undefined;
    const tplSecret = db.prepare('SELECT * FROM app_secrets WHERE app_id = ?').get(o.template.clientId) as Record<string, unknown> | undefined;
    if (!tplApp || !tplSecret) throw new Error(`template app ${o.template.clientId} not found in orgauth.db`);
    const pepperRow = db
      .prepare("SELECT kid, private_sealed FROM keys WHERE purpose = 'pepper' AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1")
      .get() as { kid: string; private_sealed: string } | undefined;
    if (!pepperRow) throw new Error('no pepper in the keys table');
    const masterKey = Buffer.from(o.env.ORGAUTH_MASTER_KEY ?? '', 'hex');
    const pepper = { kid: pepperRow.kid, key: unseal(masterKey, pepperRow.private_sealed, `pepper:${pepperRow.kid}`) };

    const insert = (table: string, row: Record<string, unknown>): Database.Statement => {
      const cols = Object.keys(row);
      return db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
    };
    const insertApp = insert('oauth_apps', tplApp);
    const insertSecret = insert('app_secrets', tplSecret);
    const step = Math.max(1, Math.floor(o.count / o.sample));
    const creds: Cred[] = [o.template];
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = appId(i);
        const secret = generateClientSecret();
        insertApp.run({ ...tplApp, id, display_name: `bench ${i}` });
        insertSecret.run({ ...tplSecret, id: randomUUID(), app_id: id, verifier: generatedSecretVerifier(secret, pepper), hint: credentialHint(secret) });
        if (i % step === 0 && creds.length < o.sample) creds.push({ clientId: id, secret });
      }
    });
    for (let from = 1; from < o.count; from += 50_000) {
      const to = Math.min(o.count, from + 50_000);
      batch(from, to);
      if (to % 250_000 === 1 || to === o.count) o.log(`inserted ${to}/${o.count} apps`);
    }
    // orgauth keeps each org's count of active apps with the apps (docs/design.md §5.1): rows
    // inserted behind its back are counted here, when the schema has the count.
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'org_app_counts'").get()) {
      db.prepare(`INSERT INTO org_app_counts (org_id, active_apps)
        SELECT org_id, count(*) FROM oauth_apps WHERE state = 'active' GROUP BY org_id
        ON CONFLICT (org_id) DO UPDATE SET active_apps = excluded.active_apps`).run();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return creds;
  } finally {
    db.close();
  }
}
