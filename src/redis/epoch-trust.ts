// The one rule by which a node trusts what it read from the database without reading it again
// (docs/reliability.md, "Several nodes: the epoch cache"): a copy is tagged with the epoch read from
// Redis before the rows were read, and the Redis link's generation and the time, both taken before
// that epoch was read. It is used only while all three still hold: the epoch read in this request's
// round trip is the tag's (no change was acknowledged since), the generation is unchanged (no Redis
// error, close or reconnect since), and it is younger than the trust period (a change whose
// bump failed waits that long before it is acknowledged).
import { performance } from 'node:perf_hooks';
import { setBounded } from '../bounded-map.js';

/** An epoch as one request read it, with the generation and time taken before it was read. */
export interface EpochSeen {
  readonly epoch: string;
  readonly generation: number;
  readonly startedAt: number;
}

/** The clock of trust periods: only durations on one node are compared, never times of two nodes. */
export function trustClock(): number {
  return performance.now();
}

/**
 * True while something tagged `tag` may be used now: same link generation, younger than `trustMs`,
 * and — when `epoch` is given — tagged with that epoch. Without `epoch` the caller checks the epoch
 * itself in its round trip (a condition of the GATE script).
 */
export function trustedUnder(tag: EpochSeen, generation: number, trustMs: number, epoch?: string): boolean {
  return tag.generation === generation && trustClock() - tag.startedAt < trustMs && (epoch === undefined || tag.epoch === epoch);
}

export interface EpochCopy<T> {
  readonly value: T;
  readonly tag: EpochSeen;
}

/** This node's copies of rows under the rule above; a copy found untrusted is dropped. */
export interface EpochCopies<T> {
  get(key: string, generation: number, epoch?: string): EpochCopy<T> | undefined;
  /** `tag`: the epoch read before `value` was read from the database, with its generation and time. */
  set(key: string, value: T, tag: EpochSeen): void;
  delete(key: string): void;
  /**
   * Keys of copies still trusted under `generation` that are at least `ageMs` old and were served
   * within `usedWithinMs`: the ones worth reading again before they expire. Untrusted copies met on
   * the way are dropped.
   */
  dueForRenewal(generation: number, ageMs: number, usedWithinMs: number): DueCopy[];
  /**
   * Replaces the rows of a copy listed by `dueForRenewal` by `value`, read from the database after
   * `startedAt` (taken, with `generation`, after the listing and before that read), and trusts it from
   * `startedAt` on. The epoch tag is kept: it was read before the copy was listed, so before the new
   * rows. Nothing happens when the copy was replaced or dropped since it was listed, or belongs to
   * another generation.
   */
  renew(due: DueCopy, value: T, generation: number, startedAt: number): boolean;
  readonly size: number;
}

/** A copy as `dueForRenewal` listed it. */
export interface DueCopy {
  readonly key: string;
}

interface Listed<T> extends DueCopy {
  readonly entry: Entry<T>;
}

interface Entry<T> {
  value: T;
  tag: EpochSeen;
  /** When it was last served (trust clock). */
  usedAt: number;
}

export function createEpochCopies<T>(trustMs: number, maxEntries = 50_000): EpochCopies<T> {
  const entries = new Map<string, Entry<T>>();
  return {
    get(key, generation, epoch) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (!trustedUnder(entry.tag, generation, trustMs, epoch)) {
        entries.delete(key);
        return undefined;
      }
      entry.usedAt = trustClock();
      return entry;
    },
    set(key, value, tag) {
      setBounded(entries, maxEntries, key, { value, tag, usedAt: tag.startedAt });
    },
    delete(key) {
      entries.delete(key);
    },
    dueForRenewal(generation, ageMs, usedWithinMs) {
      const now = trustClock();
      const due: Listed<T>[] = [];
      for (const [key, entry] of entries) {
        if (!trustedUnder(entry.tag, generation, trustMs)) entries.delete(key);
        else if (now - entry.tag.startedAt >= ageMs && now - entry.usedAt <= usedWithinMs) due.push({ key, entry });
      }
      return due;
    },
    renew(due, value, generation, startedAt) {
      const entry = entries.get(due.key);
      // The same entry object as listed: one set since then carries an epoch that may be read after `startedAt`.
      if (!entry || entry !== (due as Listed<T>).entry || entry.tag.generation !== generation || entry.tag.startedAt >= startedAt) return false;
      entry.value = value;
      entry.tag = { ...entry.tag, startedAt };
      return true;
    },
    get size() {
      return entries.size;
    },
  };
}

/** The rows at `key` from a trusted copy tagged with the epoch `under.seen` read, else from `read` (then copied under it). */
export async function readThroughCopy<T>(under: { readonly copies: EpochCopies<T>; readonly seen: EpochSeen } | undefined, key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  if (!under) return read();
  const copy = under.copies.get(key, under.seen.generation, under.seen.epoch);
  if (copy) return copy.value;
  const value = await read();
  if (value !== undefined) under.copies.set(key, value, under.seen);
  return value;
}
