// What the sign-in domain's services need from the node, built once in the composition root (runtime.ts)
// and passed first to them.
import type { Db } from '../db/database.js';
import type { PasswordChecker } from './passwords.js';

export interface SigninContext {
  readonly db: Db;
  /** Checks people's passwords (and holds the decoy hash that hides which usernames exist). */
  readonly passwords: PasswordChecker;
}
