// The secret lifecycle of a confidential app (docs/design.md §6.1) as one table:
// (state, change) → what happens to the existing secrets, whether a new one is added, and the
// resulting state — or the conflict that refuses the change.
import type { ErrorName } from '../errors/catalogue.js';
import type { SecretStatus } from '../db/schema.js';

/** single: one valid secret. rotating: current + previous, the previous valid until its expiry. */
export type SecretState = 'single' | 'rotating';

/**
 * regenerate: PUT …/secret.   replace: PATCH with `secret`.
 * rotate: POST …/secret (new current, old previous until grace ends).   deleteOld: DELETE …/secret.
 */
export type SecretChange = 'regenerate' | 'replace' | 'rotate' | 'deleteOld';

export type Transition =
  | { readonly refuse: ErrorName }
  | {
      /** What becomes of the secrets valid now. */
      readonly existing: 'killAll' | 'demoteCurrent' | 'killPrevious' | 'keep';
      /** Whether the change adds a new current secret. */
      readonly addsCurrent: boolean;
      readonly next: SecretState;
    };

export const LIFECYCLE: Readonly<Record<SecretState, Readonly<Record<SecretChange, Transition>>>> = {
  single: {
    regenerate: { existing: 'killAll', addsCurrent: true, next: 'single' },
    replace: { existing: 'killAll', addsCurrent: true, next: 'single' },
    rotate: { existing: 'demoteCurrent', addsCurrent: true, next: 'rotating' },
    deleteOld: { existing: 'keep', addsCurrent: false, next: 'single' },
  },
  rotating: {
    regenerate: { existing: 'killAll', addsCurrent: true, next: 'single' },
    replace: { existing: 'killAll', addsCurrent: true, next: 'single' },
    rotate: { refuse: 'ROTATION_IN_PROGRESS' },
    deleteOld: { existing: 'killPrevious', addsCurrent: false, next: 'single' },
  },
};

export interface SecretLike {
  readonly id: string;
  readonly status: SecretStatus;
  readonly expires_at: number | null;
}

/** A previous secret whose grace has ended is dead: evaluated when used, no scheduler needed. */
export function isValidAt(secret: SecretLike, now: number): boolean {
  return secret.status === 'current' || (secret.expires_at !== null && secret.expires_at > now);
}

export function stateOf(secrets: readonly SecretLike[], now: number): SecretState {
  return secrets.some((s) => s.status === 'previous' && isValidAt(s, now)) ? 'rotating' : 'single';
}

export function transitionFor(secrets: readonly SecretLike[], change: SecretChange, now: number): Transition {
  return LIFECYCLE[stateOf(secrets, now)][change];
}

/**
 * One write a change makes to the secret rows, in the order they run: the current secret demoted
 * (rotate), dead and killed rows deleted, the new current secret inserted.
 */
export type RowOperation =
  | { readonly op: 'demote'; readonly id: string; readonly expiresAt: number }
  | { readonly op: 'delete'; readonly ids: readonly string[] }
  | { readonly op: 'insertCurrent' };

export type SecretPlan =
  | { readonly refuse: ErrorName }
  | {
      readonly operations: readonly RowOperation[];
      /** The secrets that were valid and die now (their tokens may be denied). */
      readonly killedIds: readonly string[];
      readonly addsCurrent: boolean;
      readonly next: SecretState;
    };

/**
 * The row operations of one change, read off the lifecycle table's row for the secrets' state.
 * Every change also sweeps previous secrets whose grace has ended: they are dead already.
 * `graceSeconds` is how long a demoted current secret stays valid (rotate).
 */
export function planChange(secrets: readonly SecretLike[], change: SecretChange, now: number, graceSeconds: number): SecretPlan {
  const transition = transitionFor(secrets, change, now);
  if ('refuse' in transition) return transition;
  const valid = secrets.filter((s) => isValidAt(s, now));
  const expired = secrets.filter((s) => !isValidAt(s, now));
  const killed = transition.existing === 'killAll' ? valid
    : transition.existing === 'killPrevious' ? valid.filter((s) => s.status === 'previous')
    : [];
  const current = valid.find((s) => s.status === 'current');
  const operations: RowOperation[] = [];
  if (transition.existing === 'demoteCurrent' && current) operations.push({ op: 'demote', id: current.id, expiresAt: now + graceSeconds });
  const deleted = [...killed, ...expired].map((s) => s.id);
  if (deleted.length > 0) operations.push({ op: 'delete', ids: deleted });
  if (transition.addsCurrent) operations.push({ op: 'insertCurrent' });
  return { operations, killedIds: killed.map((s) => s.id), addsCurrent: transition.addsCurrent, next: transition.next };
}
