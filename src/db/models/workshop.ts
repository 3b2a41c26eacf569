import { Schema, model, type InferSchemaType } from 'mongoose';

/** A plan-update workshop (lokakarya), usually two days for a batch of villages. */
const workshopSchema = new Schema(
  {
    title: { type: String, required: true },
    villageCodes: { type: [String], required: true },
    place: { type: String, required: true },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
  },
  { timestamps: true },
);
workshopSchema.index({ startsAt: 1 });

export type Workshop = InferSchemaType<typeof workshopSchema>;
export const WorkshopModel = model('Workshop', workshopSchema);
