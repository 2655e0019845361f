// What the authorization endpoint's services need from the node, built once in the composition root
// (runtime.ts) and passed first to them.
import type { Db } from '../db/database.js';
import type { SettingsReader } from '../oauth-apps/settings.js';

export interface AuthorizationContext {
  readonly db: Db;
  /** The issuer: the console's own client is named after it (clients.ts). */
  readonly issuer: string;
  /** Reads apps' settings columns (the node's memo of parsed settings). */
  readonly settings: SettingsReader;
}
