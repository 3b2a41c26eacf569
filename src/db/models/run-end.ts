import { Schema, model } from 'mongoose';

/**
 * A run that ended without a submission (cancelled with "batal", or declined): only what the
 * drop-out funnel counts (flow, village, channel, when, which questions it reached). No person,
 * no answers. `_id` is the run id, so recording it twice is a no-op. Finished runs are counted
 * from their submission, expired ones from their draft, running ones from the member's run.
 */
const runEndSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    flowId: { type: String, required: true },
    villageCode: { type: String, default: null },
    channel: { type: String, required: true },
    startedAt: { type: Date, required: true },
    endedAt: { type: Date, required: true },
    outcome: { type: String, enum: ['cancelled', 'declined'], required: true },
    reached: { type: [String], default: [] },
    stoppedAt: { type: String, default: null },
  },
  { versionKey: false },
);
runEndSchema.index({ flowId: 1, startedAt: -1 });

export const RunEndModel = model('RunEnd', runEndSchema, 'runends');
