/**
 * node-cron's RunCoordinator backed by MongoDB: the first instance to insert the key
 * `<job>:<fire time>` (unique _id in job_runs) runs that fire; the others skip it.
 * No lease to expire: a fire is run at most once, and every job here catches up on the
 * next fire (they queue what is due, by deterministic ids), so a crashed run loses nothing.
 */
import { randomUUID } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';
import { claimJobRun, deleteJobRunsStartedBefore, finishJobRun } from '../db/repositories/job-runs.js';

export class MongoRunCoordinator implements RunCoordinator {
  constructor(readonly owner: string = `${process.pid}-${randomUUID().slice(0, 8)}`, private readonly now: () => Date = () => new Date()) {}

  async shouldRun(key: string): Promise<boolean> {
    // Job names hold no ':' (see startSchedules), so the name is what precedes the first one.
    const job = key.split(':')[0] ?? key;
    return claimJobRun(key, job, this.owner, this.now());
  }

  async onComplete(key: string): Promise<void> {
    await finishJobRun(key, this.owner, this.now());
  }

  /** Forgets fires started before `before`, so the table stays small. */
  static async cleanup(before: Date): Promise<number> {
    return deleteJobRunsStartedBefore(before);
  }
}

/** The coordination key node-cron builds: `<task name>:<fire time ISO>`. */
export const runKey = (job: string, fireTime: Date): string => `${job}:${fireTime.toISOString()}`;
