import { Schema, model, type InferSchemaType } from 'mongoose';

export const WORKSHOP_STATUSES = ['draft', 'scheduled', 'cancelled'] as const;
export type WorkshopStatus = (typeof WORKSHOP_STATUSES)[number];

/**
 * A plan-update workshop (lokakarya), usually two days for a batch of villages.
 * draft (made in chat, waiting for the facilitator's "Umumkan") -> scheduled -> cancelled.
 * `revision` goes up with every announced change, so reminders and change notices are keyed
 * by it and a moved workshop is reminded again at its new time.
 */
const workshopSchema = new Schema(
  {
    title: { type: String, required: true },
    villageCodes: { type: [String], required: true },
    place: { type: String, required: true },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    note: { type: String, default: null },
    status: { type: String, enum: WORKSHOP_STATUSES, default: 'scheduled' },
    revision: { type: Number, default: 0 },
    announcedAt: { type: Date, default: null },
    changedAt: { type: Date, default: null },
    cancelledAt: { type: Date, default: null },
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
    /** Made by a staff member of the chat simulator: only the simulator's people are invited. */
    simulatorOnly: { type: Boolean, default: false },
  },
  { timestamps: true },
);
workshopSchema.index({ startsAt: 1 });

export type Workshop = InferSchemaType<typeof workshopSchema>;
export const WorkshopModel = model('Workshop', workshopSchema);
