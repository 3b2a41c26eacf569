import { Schema, model, type InferSchemaType } from 'mongoose';

const itemSchema = new Schema({ title: { type: String, required: true } });

const activitySchema = new Schema({
  title: { type: String, required: true },
  /** Who does it (a group or role, not a person's private data). */
  owner: { type: String, default: null },
  goalId: { type: Schema.Types.ObjectId, default: null },
  status: { type: String, enum: ['belum', 'berjalan', 'selesai', 'terhambat'], default: 'belum' },
  percentDone: { type: Number, min: 0, max: 100, default: 0 },
  lastReportAt: { type: Date, default: null },
});

/** The yearly sustainable-livelihood plan of a village: goals, challenges, activities. */
const villagePlanSchema = new Schema(
  {
    villageCode: { type: String, required: true },
    year: { type: Number, required: true },
    goals: { type: [itemSchema], default: [] },
    challenges: { type: [itemSchema], default: [] },
    activities: { type: [activitySchema], default: [] },
  },
  { timestamps: true },
);
villagePlanSchema.index({ villageCode: 1, year: 1 }, { unique: true });

export type VillagePlan = InferSchemaType<typeof villagePlanSchema>;
export const VillagePlanModel = model('VillagePlan', villagePlanSchema);
