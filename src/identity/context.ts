// What the identity domain's services need from the node, built once in the composition root (runtime.ts)
// and passed first to them.
import type { Db } from '../db/database.js';

export interface IdentityContext {
  readonly db: Db;
}
