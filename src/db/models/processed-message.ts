import { Schema, model } from 'mongoose';

/**
 * Inbound message ids already handled ("telegram:tg:123"), so a platform retry is dropped
 * across restarts and instances. The _id is the key: inserting a repeat fails with E11000.
 * Old entries are removed through the TTL index (by mongod, and by the stand-in's own TTL
 * monitor, tools/mongo-standin/StandIn.java).
 */
const processedMessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    receivedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
processedMessageSchema.index({ receivedAt: 1 }, { expireAfterSeconds: 14 * 24 * 3600 });

export const ProcessedMessageModel = model('ProcessedMessage', processedMessageSchema);
