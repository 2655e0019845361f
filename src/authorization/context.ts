// What the authorization endpoint's services need from the node, built once in the composition root
// (runtime.ts) and passed first to them.
import type { Db } from '../db/database.js';

export interface AuthorizationContext {
  readonly db: Db;
  /** The issuer: the console's own client is named after it (clients.ts). */
  readonly issuer: string;
}
