import { Schema, model, type InferSchemaType } from 'mongoose';
import { REVIEW_STATUSES } from '../../vocabulary.js';

export { REVIEW_STATUSES, type ReviewStatus } from '../../vocabulary.js';

/** Review of a risk report: new, verified, acted upon, done, rejected. */

const reviewNoteSchema = new Schema(
  {
    text: { type: String, required: true, maxlength: 1000 },
    /** Status set together with the note (or null for a note alone). */
    status: { type: String, enum: [...REVIEW_STATUSES, null], default: null },
    by: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    byName: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { _id: false },
);

/** A completed flow: profile facts, a risk report or activity progress. One per run. */
const submissionSchema = new Schema(
  {
    runId: { type: Schema.Types.ObjectId, ref: 'Run', required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    villageCode: { type: String, default: null },
    flowId: { type: String, required: true },
    flowVersion: { type: Number, required: true },
    channel: { type: String, required: true },
    answers: { type: Schema.Types.Mixed, required: true },
    /** Set when the reporter deleted their data: the report stays as a village fact, without them. */
    reporterRemovedAt: { type: Date, default: null },
    submittedAt: { type: Date, required: true },
    /** Answers as the person saw them (labels in their language), by question id. Set by the chat side. */
    display: { type: Schema.Types.Mixed, default: null },
    villageName: { type: String, default: null },
    language: { type: String, default: null },
    /** Facilitator review (risk reports): baru -> diverifikasi -> ditindaklanjuti -> selesai, or ditolak. */
    review: {
      status: { type: String, enum: REVIEW_STATUSES, default: 'baru' },
      /** Latest note, kept for quick display; every note is in `notes`. */
      note: { type: String, default: null },
      notes: { type: [reviewNoteSchema], default: [] },
      reviewedAt: { type: Date, default: null },
      reviewerId: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    },
    /**
     * Entered on behalf of someone who can't type (a facilitator or Pokja member filled it in
     * for a named resident who agreed aloud). Null when the reporter entered it themselves.
     */
    proxy: {
      type: new Schema(
        {
          enteredBy: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
          forName: { type: String, required: true, maxlength: 60 },
          consentAloud: { type: Boolean, required: true },
          consentAt: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
    /** The run's start and the questions it reached (the drop-out funnel); absent for entries without a run. */
    runStartedAt: { type: Date, default: undefined },
    reached: { type: [String], default: undefined },
    /** Demo data (npm run seed -- --demo), removed with --demo --remove. */
    demo: { type: Boolean, default: false },
  },
  { timestamps: true, minimize: false },
);
// Idempotency: a retried step can never store the same run twice.
submissionSchema.index({ runId: 1 }, { unique: true });
submissionSchema.index({ villageCode: 1, flowId: 1, submittedAt: -1 });
submissionSchema.index({ flowId: 1, 'review.status': 1, submittedAt: -1 });
submissionSchema.index({ memberId: 1 });
// The funnel: a flow's runs by start.
submissionSchema.index({ flowId: 1, runStartedAt: -1 });

export type Submission = InferSchemaType<typeof submissionSchema>;
export const SubmissionModel = model('Submission', submissionSchema);
