// What crash-durability.test.ts knows about one app's secret across kills, and what it may therefore
// expect after a restart. A regeneration in flight at a kill may have committed before the kill (its
// secret was never seen); that unseen secret stays the app's secret through later kills until a
// regeneration is acknowledged again. A loop that does not reach the app before the next kill leaves
// it so, and the last acknowledged secret is then rightly dead in every later check.

export interface AppLedger {
  readonly id: string;
  /** Secrets acknowledged with 200, oldest first (the create response's secret first). */
  readonly acked: string[];
  /** A regeneration was sent in this round and no response came back before the kill. */
  inFlight: boolean;
  /**
   * The hint of the secret an unacknowledged regeneration committed after the last acknowledged one
   * (seen after an earlier kill); undefined when the last acknowledged secret is the app's secret.
   */
  unseenHint?: string | undefined;
}

export function newLedger(id: string, createdSecret: string): AppLedger {
  return { id, acked: [createdSecret], inFlight: false };
}

/** A regeneration answered 200 with this secret: it is now the app's secret. */
export function acknowledge(app: AppLedger, secret: string): void {
  app.acked.push(secret);
  app.inFlight = false;
  app.unseenHint = undefined;
}

/**
 * What explains the restarted server's answers, or an Error when nothing does. `lastWorks`: the
 * token endpoint accepted the last acknowledged secret; `validHint`: the hint of the app's one valid
 * secret. `last`: the last acknowledged secret is the app's secret; `replacedNow`: this kill's
 * in-flight regeneration committed; `replacedEarlier`: an earlier kill's did, and nothing since.
 */
export type Judgement = 'last' | 'replacedNow' | 'replacedEarlier';

export function judgeAfterRestart(app: AppLedger, lastWorks: boolean, validHint: string, where: string): Judgement {
  const last = app.acked.at(-1)!;
  if (lastWorks) {
    if (app.unseenHint !== undefined) throw new Error(`${where}: ${app.id}'s last acknowledged secret works again after a later regeneration replaced it`);
    if (!last.endsWith(validHint)) throw new Error(`${where}: ${app.id}: the listed secret is not the last acknowledged one`);
    return 'last';
  }
  if (app.inFlight) {
    // The create response's secret may share its hint with nothing else; a replaced one must not be listed.
    if (last.endsWith(validHint) && app.acked.length > 1) throw new Error(`${where}: ${app.id}: the listed secret is the refused one`);
    if (validHint === app.unseenHint) return 'replacedEarlier';
    app.unseenHint = validHint;
    return 'replacedNow';
  }
  if (app.unseenHint !== undefined) {
    if (validHint !== app.unseenHint) throw new Error(`${where}: ${app.id} lost the secret an earlier in-flight regeneration committed (listed ${validHint}, expected ${app.unseenHint})`);
    return 'replacedEarlier';
  }
  throw new Error(`${where}: ${app.id} lost its last acknowledged secret with nothing in flight`);
}
