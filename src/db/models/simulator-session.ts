import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A chat simulator session: its id is issued by the server (128 random bits, base64url) and
 * is the only thing the page holds. The document keeps the conversation as the page shows it
 * (what the person sent, what the bot answered, the simulator's own notes), capped at the
 * last TRANSCRIPT_KEEP entries, so a reload shows the conversation so far. `count` is the
 * number of entries ever appended: entry i of `entries` has sequence number
 * count - entries.length + 1 + i, set in the same update that appends it.
 * Deleting a member's data (hapusdata, retention) empties the transcript of their address.
 */
const simulatorSessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** The member's platformUserId on the web channel. */
    address: { type: String, required: true },
    count: { type: Number, default: 0 },
    entries: { type: [Schema.Types.Mixed], default: [] },
    createdAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
simulatorSessionSchema.index({ address: 1 });
simulatorSessionSchema.index({ lastSeenAt: 1 }, { expireAfterSeconds: 30 * 24 * 3600 });

export type SimulatorSession = InferSchemaType<typeof simulatorSessionSchema>;
export const SimulatorSessionModel = model('SimulatorSession', simulatorSessionSchema, 'simulator_sessions');
