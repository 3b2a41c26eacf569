import { Schema, model } from 'mongoose';

/**
 * Kabar desa, the monthly news to a village's residents: one document per village and month,
 * `_id` `<village code>:<yyyy-mm>`. A facilitator may hold it (`held`); `sentAt` says it was
 * queued (each person's message has the id `kabar:<yyyy-mm>:<member id>`, so it goes once).
 */
const villageNewsSchema = new Schema(
  {
    _id: { type: String, required: true },
    villageCode: { type: String, required: true },
    month: { type: String, required: true },
    held: { type: Boolean, default: false },
    heldBy: { type: String, default: null },
    heldAt: { type: Date, default: null },
    sentAt: { type: Date, default: null },
    recipients: { type: Number, default: 0 },
  },
  { versionKey: false },
);

export const VillageNewsModel = model('VillageNews', villageNewsSchema, 'villagenews');
