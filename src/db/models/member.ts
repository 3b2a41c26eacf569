import { Schema, model, type InferSchemaType } from 'mongoose';

import { LANGUAGES, ROLES, SIMULATOR_ADDRESS_PREFIX } from '../../vocabulary.js';

export { ROLES, LANGUAGES, SIMULATOR_ADDRESS_PREFIX, isSimulatorPerson, type Role, type Language } from '../../vocabulary.js';

/** The simulator's people (src/vocabulary.ts) as a query. */
export const SIMULATOR_PEOPLE = { channel: 'web', platformUserId: { $regex: `^${SIMULATOR_ADDRESS_PREFIX}` } } as const;
/** Reports, help requests and alerts from the simulator (the web channel: its people, and the demo data). */
export const SIMULATOR_SOURCES = { channel: 'web' } as const;


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

/**
 * The conversation a member is in, kept on the member document itself: one read finds it by
 * the member's unique key, and one guarded update moves it on together with the "handled"
 * mark of the message that moved it (see src/conversation/service.ts). Finished runs
 * leave: a submission holds what was sent, an expired run is archived as a draft (runs).
 */
const activeRunSchema = new Schema(
  {
    id: { type: Schema.Types.ObjectId, required: true },
    flowId: { type: String, required: true },
    flowVersion: { type: Number, required: true },
    state: { type: Schema.Types.Mixed, required: true },
    startedAt: { type: Date, required: true },
    lastActivityAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    reminderSentAt: { type: Date, default: null },
    /** Filled for a resident who can't type (see ActiveRun.proxy in src/conversation/service.ts). */
    proxy: { type: Schema.Types.Mixed, default: null },
  },
  { _id: false, minimize: false },
);

/**
 * Another address of the same person: a second channel linked with `hubungkan`, or the
 * business-scoped id WhatsApp gives a person first known by phone number. `key` is
 * `<channel>:<platformUserId>` (memberKey), the field the lookup by address uses.
 */
const linkSchema = new Schema(
  {
    key: { type: String, required: true },
    channel: { type: String, required: true, enum: ['telegram', 'whatsapp', 'web'] },
    platformUserId: { type: String, required: true },
    linkedAt: { type: Date, required: true },
  },
  { _id: false },
);

/**
 * A person who talks to the bot. `channel` + `platformUserId` is the primary address (where the
 * person first wrote); `links` holds the others, so one person on two channels is one member.
 */
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
    /** "berhenti kabar": no monthly village news (kabar desa) until "kabar lagi". */
    newsOff: { type: Boolean, default: false },
    /** The person blocked the bot on the platform. */
    blocked: { type: Boolean, default: false },
    lastInboundAt: { type: Date, default: null },
    /** Other addresses of this person (linkSchema): looked up by `links.key`. */
    links: { type: [linkSchema], default: undefined },
    /** When the person last wrote on each channel: the WhatsApp window, and the channel used last. */
    seenAt: { type: Schema.Types.Mixed, default: undefined },
    /** Where proactive messages go when the person chose (`pakai whatsapp`); null: the channel used last. */
    preferredChannel: { type: String, enum: ['telegram', 'whatsapp', null], default: undefined },
    /** Wrong link codes sent from this account in the current 10 minutes (at most 5 are checked). */
    linkFailures: { count: { type: Number, default: 0 }, since: { type: Date, default: null } },
    /** A question the service asked outside any flow and waits on, e.g. "really delete your data?". */
    pendingConfirmation: { type: String, enum: ['deletedata', 'cancel', null], default: null },
    /** Registered with "desa lain": the village name as typed, for a facilitator to match. */
    villageOther: { type: String, default: null, maxlength: 80 },
    /** The access code (by id, never the code itself) that granted a role above warga. */
    roleCodeId: { type: Schema.Types.ObjectId, default: null },
    /** Wrong access codes in the current hour (at most 5 an hour are checked). */
    codeFailures: { count: { type: Number, default: 0 }, since: { type: Date, default: null } },
    run: { type: activeRunSchema, default: null },
    /** The last prompt number used in any run: a new run counts on, so old buttons are stale. */
    promptSeq: { type: Number, default: 0 },
    /** Ids of the last inbound messages handled: written with the state they changed (exactly once). */
    handled: { type: [String], default: [] },
    /** Every write to a member increments rev; the service's update is guarded by it. */
    rev: { type: Number, default: 0 },
    /** The token of the last guarded commit: whose commit is in, when a group commit was not all in. */
    lastCommit: { type: String, default: null },
  },
  { timestamps: true, minimize: false },
);
memberSchema.index({ channel: 1, platformUserId: 1 }, { unique: true });
memberSchema.index({ villageCode: 1, role: 1 });
// A message from a linked address finds its member (members.ts, findMemberByAddresses).
memberSchema.index({ 'links.key': 1 }, { sparse: true });
memberSchema.index({ 'run.expiresAt': 1 });

export type Member = InferSchemaType<typeof memberSchema>;
export const MemberModel = model('Member', memberSchema);
