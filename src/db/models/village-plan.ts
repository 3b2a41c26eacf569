import { Schema, model, type InferSchemaType } from 'mongoose';
import { ACTIVITY_STATUSES } from '../../vocabulary.js';

export { ACTIVITY_STATUSES } from '../../vocabulary.js';

const itemSchema = new Schema({ title: { type: String, required: true } });


const activitySchema = new Schema({
  title: { type: String, required: true },
  /** Who does it (a group or role, not a person's private data). */
  owner: { type: String, default: null },
  goalId: { type: Schema.Types.ObjectId, default: null },
  /** When it should be done (a day). */
  targetDate: { type: Date, default: null },
  status: { type: String, enum: ACTIVITY_STATUSES, default: 'belum' },
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
    /** Demo data (npm run seed -- --demo). */
    demo: { type: Boolean, default: false },
  },
  { timestamps: true },
);
villagePlanSchema.index({ villageCode: 1, year: 1 }, { unique: true });

export type VillagePlan = InferSchemaType<typeof villagePlanSchema>;
export const VillagePlanModel = model('VillagePlan', villagePlanSchema);
