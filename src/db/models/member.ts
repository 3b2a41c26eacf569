import { Schema, model, type InferSchemaType } from 'mongoose';

export const ROLES = ['warga', 'pokja', 'fasilitator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const LANGUAGES = ['id', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Proof of consent (UU 27/2022 Pasal 22, 24): which notice version was agreed to, and when. */
const consentSchema = new Schema(
  {
    version: { type: String, required: true },
    givenAt: { type: Date, required: true },
    /** For people under 17: a parent or guardian agreed as well. */
    guardianConsent: { type: Boolean, default: false },
  },
  { _id: false },
);

/** A person who talks to the bot on one channel. The same human on two channels is two members. */
const memberSchema = new Schema(
  {
    channel: { type: String, required: true, enum: ['telegram', 'whatsapp', 'web'] },
    platformUserId: { type: String, required: true },
    name: { type: String, default: null, maxlength: 60 },
    villageCode: { type: String, default: null },
    role: { type: String, enum: ROLES, default: 'warga' },
    language: { type: String, enum: LANGUAGES, default: 'id' },
    /** Null until the person agrees; nothing beyond the platform id is kept without it. */
    consent: { type: consentSchema, default: null },
    registeredAt: { type: Date, default: null },
    /** "berhenti": no broadcasts or reminders until "mulai". */
    optedOut: { type: Boolean, default: false },
    /** The person blocked the bot on the platform. */
    blocked: { type: Boolean, default: false },
    lastInboundAt: { type: Date, default: null },
    /** A question the service asked outside any flow and waits on, e.g. "really delete your data?". */
    pendingConfirmation: { type: String, enum: ['deletedata', null], default: null },
  },
  { timestamps: true },
);
memberSchema.index({ channel: 1, platformUserId: 1 }, { unique: true });
memberSchema.index({ villageCode: 1, role: 1 });

export type Member = InferSchemaType<typeof memberSchema>;
export const MemberModel = model('Member', memberSchema);
