import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A report a facilitator must hear about (a risk report, a help request), one document per
 * (source, facilitator): `_id` is `<source id>:<facilitator id>`, so a replayed submission
 * alerts nobody twice. Urgent ones are queued at once; others wait for daylight and, when
 * several arrive close together, go out as one digest (`digestId`).
 */
const alertSchema = new Schema(
  {
    _id: { type: String, required: true },
    facilitatorId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    /** Who reported or asked (their name and address are in `data`): deleted with their data. */
    fromMemberId: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    kind: { type: String, enum: ['risk', 'help'], required: true },
    sourceId: { type: String, required: true },
    villageCode: { type: String, default: null },
    urgent: { type: Boolean, default: false },
    /** Risk reports: the incident the report belongs to; its alerts to one facilitator go as one message. */
    incidentId: { type: Schema.Types.ObjectId, default: null },
    /** Not before this (an incident's first reports are held briefly so several become one alert). */
    holdUntil: { type: Date, default: null },
    /** What to say, in no language yet: rendered in the facilitator's language when sent. */
    data: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    status: { type: String, enum: ['pending', 'queued'], default: 'pending' },
    /** Outbox id of the message that carried it. */
    outboxId: { type: String, default: null },
    queuedAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false },
);
alertSchema.index({ status: 1, facilitatorId: 1 });
alertSchema.index({ facilitatorId: 1, queuedAt: -1 });
alertSchema.index({ fromMemberId: 1 });

export type Alert = InferSchemaType<typeof alertSchema>;
export const AlertModel = model('Alert', alertSchema, 'alerts');
