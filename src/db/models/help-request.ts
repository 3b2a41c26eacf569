import { Schema, model, type InferSchemaType } from 'mongoose';

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
    status: { type: String, enum: ['baru', 'dihubungi', 'selesai'], default: 'baru' },
    requestedAt: { type: Date, required: true },
    handledAt: { type: Date, default: null },
  },
  { versionKey: false },
);
helpRequestSchema.index({ villageCode: 1, status: 1 });

export type HelpRequest = InferSchemaType<typeof helpRequestSchema>;
export const HelpRequestModel = model('HelpRequest', helpRequestSchema);
