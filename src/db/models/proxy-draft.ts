import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A flow being filled in the workspace pages on behalf of a resident who can't type ("Isi
 * untuk warga"): one per facilitator or admin, so a reload continues where they were. The
 * submission it becomes keeps `runId`, so a double "Kirim" stores it once.
 */
const proxyDraftSchema = new Schema(
  {
    /** The facilitator or admin entering it: one draft each. */
    actorId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    runId: { type: Schema.Types.ObjectId, required: true },
    flowId: { type: String, required: true },
    flowVersion: { type: Number, required: true },
    villageCode: { type: String, required: true },
    forName: { type: String, required: true, maxlength: 60 },
    /** The resident agreed aloud; when the facilitator ticked it. */
    consentAt: { type: Date, required: true },
    language: { type: String, enum: ['id', 'en'], default: 'id' },
    /** The engine's run state (plain JSON). */
    state: { type: Schema.Types.Mixed, required: true },
    /** What the engine said last (notes, an error, the question), shown again on reload. */
    messages: { type: Schema.Types.Mixed, default: [] },
    /** Every step increments rev; a step is written only over the state it was computed from. */
    rev: { type: Number, default: 0 },
    startedAt: { type: Date, required: true },
    /** Drafts untouched for 7 days are removed (the resident's answers are not kept idle). */
    expiresAt: { type: Date, required: true },
  },
  { timestamps: true, minimize: false },
);
proxyDraftSchema.index({ actorId: 1 }, { unique: true });
proxyDraftSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export type ProxyDraft = InferSchemaType<typeof proxyDraftSchema>;
export const ProxyDraftModel = model('ProxyDraft', proxyDraftSchema);
