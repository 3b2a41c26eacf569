/**
 * Job runs: one document per scheduled fire, keyed `<job>:<fire time>` (unique _id), so the
 * first instance to insert it runs that fire and the others skip it. Index { startedAt }
 * (models/job-run.ts) serves the cleanup.
 */
import { isDuplicateKeyError } from '../coalesce.js';
import { JobRunModel } from '../models.js';

/** Claims a fire for `owner`: true when this call inserted it, false when another instance did. */
export async function claimJobRun(key: string, job: string, owner: string, now: Date): Promise<boolean> {
  try {
    await JobRunModel.collection.insertOne({ _id: key, job, owner, startedAt: now, finishedAt: null } as never);
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

/** Marks the fire finished, when `owner` is the one that claimed it (by _id). */
export async function finishJobRun(key: string, owner: string, now: Date): Promise<void> {
  await JobRunModel.updateOne({ _id: key, owner }, { $set: { finishedAt: now } });
}

/** Forgets fires started before `before` (index { startedAt }); how many went. */
export async function deleteJobRunsStartedBefore(before: Date): Promise<number> {
  return (await JobRunModel.deleteMany({ startedAt: { $lt: before } })).deletedCount;
}
