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
    /** Who came, per village (counted at the workshop; women where counted). */
    attendance: {
      type: [
        new Schema(
          {
            villageCode: { type: String, required: true },
            total: { type: Number, min: 0, required: true },
            women: { type: Number, min: 0, default: null },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    demo: { type: Boolean, default: false },
  },
  { timestamps: true },
);
workshopSchema.index({ startsAt: 1 });

export type Workshop = InferSchemaType<typeof workshopSchema>;
export const WorkshopModel = model('Workshop', workshopSchema);
