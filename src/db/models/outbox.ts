import { Schema, model, type InferSchemaType } from 'mongoose';

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'blocked', 'skipped', 'cancelled'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_KINDS = ['reply', 'reminder', 'workshop', 'broadcast', 'alert', 'notice'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/**
 * One batch of messages to one person, written before the step that produced it is
 * acknowledged, and sent by the dispatcher (src/pipeline/dispatcher.ts):
 *   pending --claim (lease)--> sending --> sent | failed | blocked | skipped
 * The _id is deterministic where a retry could write it again (a reply is `reply:<inbound id>`,
 * a broadcast copy `bc:<broadcast id>:<member id>`), so a replayed step or a restarted worker
 * cannot queue the same message twice. `sentCount` records how many of `messages` already
 * went out, so a re-claim after a crash or a 429 goes on from there and never repeats one.
 */
const outboxSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: OUTBOX_KINDS, required: true },
    channel: { type: String, required: true },
    /** Platform address (Telegram chat id, WhatsApp id, web session). */
    to: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, default: null },
    /** OutboundMessage[] already translated into the reader's language. */
    messages: { type: [Schema.Types.Mixed], required: true },
    /** What the batch answers (the pressed button's message, the callback query), for the channel's rendering. */
    replyTo: { type: Schema.Types.Mixed, default: null },
    status: { type: String, enum: OUTBOX_STATUSES, default: 'pending' },
    /** Order per recipient: lower first. */
    seq: { type: Number, required: true },
    availableAt: { type: Date, required: true },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    attempts: { type: Number, default: 0 },
    sentCount: { type: Number, default: 0 },
    platformMessageIds: { type: [String], default: [] },
    lastError: { type: String, default: null },
    /** Proactive messages: give up (status skipped) after this moment, e.g. a reminder for a past workshop. */
    expiresAt: { type: Date, default: null },
    broadcastId: { type: Schema.Types.ObjectId, default: null },
    /** A WhatsApp message's way round a closed window: the person's linked Telegram address. */
    fallback: { type: new Schema({ channel: String, to: String }, { _id: false }), default: null },
    /** 'fallback' once it was moved there (the broadcast report counts each route). */
    route: { type: String, default: null },
    createdAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false },
);
outboxSchema.index({ status: 1, availableAt: 1 });
outboxSchema.index({ broadcastId: 1, status: 1 });
// Order per person: the dispatcher looks for an earlier unfinished entry of the same chat before each send.
outboxSchema.index({ to: 1, status: 1 });
// Delivery reports (WhatsApp statuses) find the entry by the platform's message id.
outboxSchema.index({ platformMessageIds: 1 });

export type OutboxEntry = InferSchemaType<typeof outboxSchema>;
export const OutboxModel = model('Outbox', outboxSchema, 'outbox');
