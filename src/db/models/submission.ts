import { Schema, model, type InferSchemaType } from 'mongoose';

/** A completed flow: profile facts, a risk report or activity progress. One per run. */
const submissionSchema = new Schema(
  {
    runId: { type: Schema.Types.ObjectId, ref: 'Run', required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    villageCode: { type: String, default: null },
    flowId: { type: String, required: true },
    flowVersion: { type: Number, required: true },
    channel: { type: String, required: true },
    answers: { type: Schema.Types.Mixed, required: true },
    submittedAt: { type: Date, required: true },
    /** Facilitator review: new -> reviewed / rejected. */
    review: {
      status: { type: String, enum: ['new', 'reviewed', 'rejected'], default: 'new' },
      note: { type: String, default: null },
      reviewedAt: { type: Date, default: null },
    },
  },
  { timestamps: true, minimize: false },
);
// Idempotency: a retried step can never store the same run twice.
submissionSchema.index({ runId: 1 }, { unique: true });
submissionSchema.index({ villageCode: 1, flowId: 1, submittedAt: -1 });
submissionSchema.index({ memberId: 1 });

export type Submission = InferSchemaType<typeof submissionSchema>;
export const SubmissionModel = model('Submission', submissionSchema);
