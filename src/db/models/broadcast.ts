import { Schema, model, type InferSchemaType } from 'mongoose';

/** A message to many members (a workshop schedule, a reminder), sent through the outbox. */
const broadcastSchema = new Schema(
  {
    kind: { type: String, enum: ['announcement', 'workshop-reminder', 'plan-update-reminder'], required: true },
    text: { type: Map, of: String, required: true }, // per language: { id: '...', en: '...' }
    audience: {
      villageCodes: { type: [String], default: [] },
      roles: { type: [String], default: [] },
    },
    workshopId: { type: Schema.Types.ObjectId, ref: 'Workshop', default: null },
    scheduledAt: { type: Date, required: true },
    status: { type: String, enum: ['scheduled', 'sending', 'done', 'cancelled'], default: 'scheduled' },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
  },
  { timestamps: true },
);
broadcastSchema.index({ status: 1, scheduledAt: 1 });

export type Broadcast = InferSchemaType<typeof broadcastSchema>;
export const BroadcastModel = model('Broadcast', broadcastSchema);

/** One recipient of a broadcast: claimed atomically by a dispatcher, never sent twice. */
const deliverySchema = new Schema(
  {
    broadcastId: { type: Schema.Types.ObjectId, ref: 'Broadcast', required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    status: { type: String, enum: ['pending', 'claimed', 'sent', 'failed', 'skipped'], default: 'pending' },
    attempts: { type: Number, default: 0 },
    notBefore: { type: Date, required: true },
    claimedAt: { type: Date, default: null },
    sentAt: { type: Date, default: null },
    lastError: { type: String, default: null },
  },
  { timestamps: true },
);
deliverySchema.index({ broadcastId: 1, memberId: 1 }, { unique: true });
deliverySchema.index({ status: 1, notBefore: 1 });

export type Delivery = InferSchemaType<typeof deliverySchema>;
export const DeliveryModel = model('Delivery', deliverySchema);
