import { Schema, model, type InferSchemaType } from 'mongoose';
import { HELP_STATUSES } from '../../vocabulary.js';

export { HELP_STATUSES, type HelpStatus } from '../../vocabulary.js';


/** A status change or a note by a facilitator (workspace), newest last. */
const helpNoteSchema = new Schema(
  {
    text: { type: String, default: null, maxlength: 1000 },
    status: { type: String, enum: HELP_STATUSES, required: true },
    by: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    byName: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { _id: false },
);

/** "Minta dihubungi": a person asks a facilitator of their village to get in touch. */
const helpRequestSchema = new Schema(
  {
    /** `help:<inbound id>`: a replayed message cannot file it twice. */
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    villageCode: { type: String, default: null },
    channel: { type: String, required: true },
    /** Where the person was (a flow and question), so the facilitator knows what they were stuck on. */
    context: { type: String, default: null },
    /** baru -> dihubungi (a facilitator got in touch) -> selesai, set in the workspace. */
    status: { type: String, enum: HELP_STATUSES, default: 'baru' },
    requestedAt: { type: Date, required: true },
    handledAt: { type: Date, default: null },
    handledBy: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    /** Latest note, for quick display; every change is in `notes`. */
    note: { type: String, default: null, maxlength: 1000 },
    notes: { type: [helpNoteSchema], default: [] },
  },
  { versionKey: false },
);
helpRequestSchema.index({ villageCode: 1, status: 1 });
helpRequestSchema.index({ requestedAt: -1 });

export type HelpRequest = InferSchemaType<typeof helpRequestSchema>;
export const HelpRequestModel = model('HelpRequest', helpRequestSchema);
