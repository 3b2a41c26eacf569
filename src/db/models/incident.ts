import { Schema, model, type InferSchemaType } from 'mongoose';
import { REVIEW_STATUSES } from '../../vocabulary.js';

/**
 * Risk reports of one village with the same hazard within 48 hours of the first: one incident.
 * `_id` is the id of the report that opened it, so a replayed first report opens it once.
 * Reviewed once for all its reports (each reporter is told).
 */
const incidentSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    villageCode: { type: String, required: true },
    /** The report's type answer (banjir, rob, ...). */
    hazard: { type: String, required: true },
    firstAt: { type: Date, required: true },
    lastAt: { type: Date, required: true },
    reportIds: { type: [Schema.Types.ObjectId], default: [] },
    /** 0 unknown, 1 ringan, 2 sedang, 3 berat: the worst of its reports. */
    severityRank: { type: Number, default: 0 },
    review: {
      status: { type: String, enum: REVIEW_STATUSES, default: 'baru' },
      note: { type: String, default: null },
      reviewedAt: { type: Date, default: null },
    },
    /** Simulator reports group only with simulator reports (the sandbox never touches real ones). */
    simulator: { type: Boolean, default: false },
    /** `real|SOLANG|banjir` while new reports may join it (48 hours from `firstAt`); absent after. */
    openKey: { type: String },
  },
  { versionKey: false, minimize: false },
);
// The open incident a new report joins: one per (village, hazard), even with two instances.
incidentSchema.index({ openKey: 1 }, { unique: true, sparse: true });
// The incidents list of a village.
incidentSchema.index({ villageCode: 1, hazard: 1, firstAt: -1 });
// Which incident holds a report (replays, merge, split).
incidentSchema.index({ reportIds: 1 });
incidentSchema.index({ lastAt: -1 });

export type Incident = InferSchemaType<typeof incidentSchema>;
export const IncidentModel = model('Incident', incidentSchema, 'incidents');
