import { Schema, model, type InferSchemaType } from 'mongoose';

export const BROADCAST_STATUSES = ['draft', 'scheduled', 'sending', 'done', 'cancelled'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

const countsSchema = new Schema(
  {
    sent: { type: Number, default: 0 },
    failed: { type: Number, default: 0 },
    blocked: { type: Number, default: 0 },
    skipped: { type: Number, default: 0 },
    cancelled: { type: Number, default: 0 },
    pending: { type: Number, default: 0 },
    /** Failure reasons and how often each came back (the platform's words). */
    failedReasons: { type: Schema.Types.Mixed, default: {} },
    /** Sent by route: 'whatsapp', 'telegram', 'web', and 'whatsapp>telegram' (window closed, sent to the linked Telegram). */
    routes: { type: Schema.Types.Mixed, default: {} },
  },
  { _id: false, minimize: false },
);

/**
 * A message to many members, sent through the outbox: one entry per recipient with the id
 * `bc:<broadcast id>:<member id>` and this broadcast's id, so progress is counted from the
 * outbox and a restart never queues anyone twice.
 *   draft (chat preview) -> scheduled (confirmed; sent from scheduledAt) -> sending -> done
 *   any of them -> cancelled (what is still waiting in the outbox is cancelled too)
 */
const broadcastSchema = new Schema(
  {
    kind: { type: String, enum: ['announcement', 'workshop-reminder', 'plan-update-reminder'], required: true },
    text: { type: Map, of: String, required: true }, // per language: { id: '...', en: '...' }
    audience: {
      villageCodes: { type: [String], default: [] },
      /** Empty: every role. */
      roles: { type: [String], default: [] },
      /** Made by a staff member of the chat simulator: only the simulator's people receive it. */
      simulatorOnly: { type: Boolean, default: false },
    },
    workshopId: { type: Schema.Types.ObjectId, ref: 'Workshop', default: null },
    scheduledAt: { type: Date, required: true },
    status: { type: String, enum: BROADCAST_STATUSES, default: 'scheduled' },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    createdByName: { type: String, default: null },
    /** Set when every recipient's outbox entry is written (a crash before it: written again). */
    queuedAt: { type: Date, default: null },
    recipientCount: { type: Number, default: 0 },
    /** People of the audience left out at queueing: stopped (berhenti), blocked the bot, no consent. */
    excluded: {
      optedOut: { type: Number, default: 0 },
      blocked: { type: Number, default: 0 },
      noConsent: { type: Number, default: 0 },
    },
    result: { type: countsSchema, default: null },
    finishedAt: { type: Date, default: null },
    cancelledAt: { type: Date, default: null },
    /** The "done" report to the facilitator was queued. */
    reportedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
broadcastSchema.index({ status: 1, scheduledAt: 1 });

export type Broadcast = InferSchemaType<typeof broadcastSchema>;
export const BroadcastModel = model('Broadcast', broadcastSchema);
