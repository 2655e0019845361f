// Passwords of people: the rules a new password must meet, and Argon2id hashing and checking.
import { hash as argon2Hash, verify as argon2Verify, Algorithm } from '@node-rs/argon2';
import { fail } from '../errors/errors.js';

/** NIST SP 800-63B allows 8; a sign-in page on the internet deserves more. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** OWASP's minimum Argon2id profile: 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Why a password is refused, or undefined when it may be used. */
export function passwordProblem(username: string, password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `The password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `The password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  const name = username.toLowerCase();
  const local = name.split('@')[0] ?? name;
  if (lower.includes(name) || (local.length >= 4 && lower.includes(local))) return 'The password must not contain the username';
  if (new Set(password).size < 4) return 'The password needs more than three different characters';
  return undefined;
}

export async function hashPassword(username: string, password: string): Promise<string> {
  const problem = passwordProblem(username, password);
  if (problem) throw fail('PASSWORD_RULE', problem);
  return argon2Hash(password, ARGON2_OPTIONS);
}

/** Checks presented passwords; owns the decoy hash, made on first use. */
export interface PasswordChecker {
  matches(storedHash: string | null | undefined, presented: string): Promise<boolean>;
}

export function createPasswordChecker(): PasswordChecker {
  // Checked when the user is unknown or has no password, so that the answer takes as long either way
  // and does not tell which usernames exist.
  let decoyHash: Promise<string> | undefined;
  return {
    async matches(storedHash, presented) {
      if (presented.length === 0 || presented.length > MAX_PASSWORD_LENGTH * 4) return false;
      const target = storedHash ?? await (decoyHash ??= argon2Hash('decoy password never valid', ARGON2_OPTIONS));
      let ok = false;
      try {
        ok = await argon2Verify(target, presented);
      } catch {
        ok = false;
      }
      return ok && storedHash !== undefined && storedHash !== null;
    },
  };
}
