import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Every inbound event, recorded before the platform is told "received" (src/pipeline/inbox.ts).
 * The _id is `<channel>:<platform message id>`: a platform's repeat is a duplicate key and is
 * acknowledged without being handled again. `message` (the normalized InboundMessage) is
 * dropped once handled; the id stays as the dedupe mark until the platforms' retry horizon
 * has passed (WhatsApp retries for 7 days).
 */
const inboxSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** `<channel>:<platformUserId>`: items of one person are handled one at a time, in order. */
    memberKey: { type: String, required: true },
    message: { type: Schema.Types.Mixed, default: null },
    status: { type: String, enum: ['pending', 'done', 'ignored', 'failed'], default: 'pending' },
    /** Arrival order (ms since epoch * 1000 + counter). */
    seq: { type: Number, required: true },
    receivedAt: { type: Date, required: true },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    attempts: { type: Number, default: 0 },
    lastError: { type: String, default: null },
    doneAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false },
);
inboxSchema.index({ status: 1, leaseUntil: 1 });
inboxSchema.index({ receivedAt: 1 }, { expireAfterSeconds: 14 * 24 * 3600 });

export type InboxEntry = InferSchemaType<typeof inboxSchema>;
export const InboxModel = model('Inbox', inboxSchema, 'inbox');
