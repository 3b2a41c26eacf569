import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * What a platform reported about a message the bot sent (WhatsApp status webhooks: sent,
 * delivered, read, failed with errors). Up to three per message, arriving in any order and
 * possibly more than once: the _id `<channel>:<platform message id>:<status>` keeps one of each.
 * The outbox entry that sent the message is found by its platformMessageIds.
 */
const deliveryStatusSchema = new Schema(
  {
    _id: { type: String, required: true },
    channel: { type: String, required: true },
    platformMessageId: { type: String, required: true },
    status: { type: String, required: true },
    /** When the platform says it happened. */
    at: { type: Date, required: true },
    recipient: { type: String, default: null },
    platformErrors: { type: [{ code: Number, title: String, _id: false }], default: [] },
    receivedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
deliveryStatusSchema.index({ platformMessageId: 1 });
deliveryStatusSchema.index({ receivedAt: 1 }, { expireAfterSeconds: 30 * 24 * 3600 });

export type DeliveryStatus = InferSchemaType<typeof deliveryStatusSchema>;
export const DeliveryStatusModel = model('DeliveryStatus', deliveryStatusSchema);
