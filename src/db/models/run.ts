import { Schema, model, type InferSchemaType } from 'mongoose';

export const RUN_STATUSES = ['active', 'done', 'cancelled', 'declined', 'expired'] as const;

/**
 * A member's conversation in a flow. The engine state is stored as is, so a restart or a
 * reply two days later continues where the person was. `rev` guards against two writers.
 * An expired run keeps its answers as a draft.
 */
const runSchema = new Schema(
  {
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    flowId: { type: String, required: true },
    flowVersion: { type: Number, required: true },
    status: { type: String, enum: RUN_STATUSES, default: 'active' },
    state: { type: Schema.Types.Mixed, required: true },
    rev: { type: Number, default: 0 },
    lastActivityAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    reminderSentAt: { type: Date, default: null },
  },
  { timestamps: true, minimize: false },
);
runSchema.index({ memberId: 1, status: 1 });
runSchema.index({ status: 1, expiresAt: 1 });

export type Run = InferSchemaType<typeof runSchema>;
export const RunModel = model('Run', runSchema);
