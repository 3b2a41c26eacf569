import { Schema, model, type InferSchemaType } from 'mongoose';

/** A code a facilitator or admin gives to a working-group member or facilitator to register with that role. */
const accessCodeSchema = new Schema(
  {
    code: { type: String, required: true, uppercase: true, trim: true },
    role: { type: String, enum: ['pokja', 'fasilitator', 'admin'], required: true },
    villageCode: { type: String, default: null },
    expiresAt: { type: Date, default: null },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    /** How many people may register with it (null: no limit). Default 1 for fasilitator. */
    maxUses: { type: Number, default: null },
    uses: { type: Number, default: 0 },
    /** Members who registered with it: a replayed registration does not count twice. */
    usedBy: { type: [Schema.Types.ObjectId], default: [] },
    /** Codes the chat simulator hands out: valid in the simulator only, never on a real platform. */
    simulatorOnly: { type: Boolean, default: false },
  },
  { timestamps: true },
);
accessCodeSchema.index({ code: 1 }, { unique: true });

export type AccessCode = InferSchemaType<typeof accessCodeSchema>;
export const AccessCodeModel = model('AccessCode', accessCodeSchema);
