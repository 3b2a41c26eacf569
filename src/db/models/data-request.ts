import { Schema, model } from 'mongoose';

/** A data-subject request (UU 27/2022): access, deletion or consent withdrawal, recorded as the law asks. */
const dataRequestSchema = new Schema(
  {
    kind: { type: String, enum: ['access', 'delete', 'withdraw-consent'], required: true },
    channel: { type: String, required: true },
    /** Kept after deletion as proof the request was honoured; holds no contact data. */
    memberRef: { type: String, required: true },
    requestedAt: { type: Date, required: true },
    completedAt: { type: Date, default: null },
    /** For deletions: what was deleted and what stays without the person's name (counts only). */
    detail: { type: Schema.Types.Mixed, default: null },
  },
  { timestamps: true },
);

export const DataRequestModel = model('DataRequest', dataRequestSchema);
