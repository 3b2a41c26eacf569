/**
 * node-cron's RunCoordinator backed by MongoDB: the first instance to insert the key
 * `<job>:<fire time>` (unique _id in job_runs) runs that fire; the others skip it.
 * No lease to expire: a fire is run at most once, and every job here catches up on the
 * next fire (they queue what is due, by deterministic ids), so a crashed run loses nothing.
 */
import { randomUUID } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';
import { JobRunModel } from '../db/models.js';

export class MongoRunCoordinator implements RunCoordinator {
  constructor(readonly owner: string = `${process.pid}-${randomUUID().slice(0, 8)}`, private readonly now: () => Date = () => new Date()) {}

  async shouldRun(key: string): Promise<boolean> {
    // Job names hold no ':' (see startSchedules), so the name is what precedes the first one.
    const job = key.split(':')[0] ?? key;
    try {
      await JobRunModel.collection.insertOne({ _id: key, job, owner: this.owner, startedAt: this.now(), finishedAt: null } as never);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  async onComplete(key: string): Promise<void> {
    await JobRunModel.updateOne({ _id: key, owner: this.owner }, { $set: { finishedAt: this.now() } });
  }

  /** Forgets fires started before `before` (the table stays small; the stand-in has no TTL). */
  static async cleanup(before: Date): Promise<number> {
    return (await JobRunModel.deleteMany({ startedAt: { $lt: before } })).deletedCount;
  }
}

/** The coordination key node-cron builds: `<task name>:<fire time ISO>`. */
export const runKey = (job: string, fireTime: Date): string => `${job}:${fireTime.toISOString()}`;
