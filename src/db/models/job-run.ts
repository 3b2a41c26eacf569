import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One fire of a scheduled job, claimed by the instance that runs it. `_id` is node-cron's
 * coordination key `<job name>:<fire time ISO>`: the unique _id is what makes a job run once
 * across instances. Old rows are deleted by the schedules' own cleanup.
 */
const jobRunSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    owner: { type: String, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
jobRunSchema.index({ startedAt: 1 });

export type JobRun = InferSchemaType<typeof jobRunSchema>;
export const JobRunModel = model('JobRun', jobRunSchema, 'job_runs');
