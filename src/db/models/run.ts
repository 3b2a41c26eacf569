import { Schema, model, type InferSchemaType } from 'mongoose';

export const RUN_STATUSES = ['expired'] as const;

/**
 * Drafts: runs that expired unfinished, archived from the member document with their answers
 * for facilitators (the _id is the run's own id, so archiving twice is a no-op). Active runs
 * live on the member (member.run); submitted runs live on as their submission; cancelled
 * runs keep nothing.
 */
const runSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    flowId: { type: String, required: true },
    flowVersion: { type: Number, required: true },
    status: { type: String, enum: RUN_STATUSES, default: 'expired' },
    state: { type: Schema.Types.Mixed, required: true },
    startedAt: { type: Date, required: true },
    lastActivityAt: { type: Date, required: true },
    expiredAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
runSchema.index({ memberId: 1 });

export type Run = InferSchemaType<typeof runSchema>;
export const RunModel = model('Run', runSchema);
