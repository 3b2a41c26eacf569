import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A code to link a second chat account to a member (`hubungkan`): 6 digits, 10 minutes, 5 tries.
 * Stored by its hash (the _id), never as digits. `tries` counts wrong codes sent by anyone while
 * it lives (`triedBy`: the messages counted, so a message handled twice counts once); at 5 it is
 * dead. `usedBy` records the message that used it and what that link decided, so a retry of that
 * message finishes the same link (src/conversation/linking.ts).
 */
const linkCodeSchema = new Schema(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    /** The channel the code was given on: it must be sent from another one. */
    channel: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    tries: { type: Number, default: 0 },
    triedBy: { type: [String], default: [] },
    usedBy: {
      type: new Schema(
        {
          messageId: String,
          keeperId: Schema.Types.ObjectId,
          loserId: Schema.Types.ObjectId,
          /** Both accounts were registered: the older registration is kept (on this channel). */
          bothRegistered: Boolean,
          keptChannel: String,
          keptRegisteredAt: Date,
        },
        { _id: false },
      ),
      default: null,
    },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// Expired codes go by themselves (the checks never rely on it: every query asks for expiresAt > now).
linkCodeSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 3600 });
linkCodeSchema.index({ memberId: 1 });

export type LinkCode = InferSchemaType<typeof linkCodeSchema>;
export const LinkCodeModel = model('LinkCode', linkCodeSchema, 'linkcodes');
