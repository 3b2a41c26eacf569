/**
 * Members: one document per person per channel, holding their state, their active run and the
 * "handled" marks of the last messages that changed it. The conversation service reads a
 * member once (then caches it) and writes it with one guarded update per message.
 *
 * Index: { channel, platformUserId } unique (models/member.ts) serves every lookup here by
 * address; _id serves the guarded commit.
 */
import { Types } from 'mongoose';
import type { Language, Role } from '../models.js';
import { MemberModel } from '../models.js';
import type { Address } from '../../messages/index.js';
import type { RunState } from '../../engine/index.js';

export interface ProxyEntry {
  forName: string;
  villageCode: string;
  consentAloud: true;
  consentAt: Date;
}

export interface ActiveRun {
  id: Types.ObjectId;
  flowId: string;
  flowVersion: number;
  state: RunState;
  startedAt: Date;
  lastActivityAt: Date;
  expiresAt: Date;
  reminderSentAt: Date | null;
  /** Filled on behalf of a resident (the proxy flow): the submission is theirs, entered by the member. */
  proxy?: ProxyEntry | null;
}

/** The member document as the service reads and writes it (plain, lean). */
export interface MemberState {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  name: string | null;
  villageCode: string | null;
  villageOther?: string | null;
  role: Role;
  language: Language;
  consent: { version: string; givenAt: Date; guardianConsent?: boolean } | null;
  registeredAt: Date | null;
  optedOut: boolean;
  /** "berhenti kabar": no monthly village news. */
  newsOff?: boolean;
  blocked: boolean;
  lastInboundAt: Date | null;
  pendingConfirmation: 'deletedata' | 'cancel' | null;
  roleCodeId?: Types.ObjectId | null;
  codeFailures?: { count: number; since: Date | null };
  run: ActiveRun | null;
  promptSeq: number;
  handled: string[];
  rev: number;
}

export function memberKey(channel: string, platformUserId: string): string {
  return `${channel}:${platformUserId}`;
}

/** The member at this address, created (unregistered, nothing personal) on first contact. */
export async function findOrCreateMember(address: Address, language: Language, now: Date): Promise<MemberState> {
  const doc = await MemberModel.collection.findOneAndUpdate(
    { channel: address.channel, platformUserId: address.platformUserId },
    {
      $setOnInsert: {
        channel: address.channel,
        platformUserId: address.platformUserId,
        name: null, villageCode: null, villageOther: null, role: 'warga',
        language,
        consent: null, registeredAt: null, optedOut: false, blocked: false, lastInboundAt: now,
        pendingConfirmation: null, roleCodeId: null, codeFailures: { count: 0, since: null },
        run: null, promptSeq: 0, handled: [], rev: 0, createdAt: now, updatedAt: now,
      },
    },
    { upsert: true, returnDocument: 'after' },
  );
  if (!doc) throw new Error('member upsert returned nothing');
  return normalizeMember(doc as unknown as MemberState);
}

/**
 * The guarded commit: `set` applied and rev + 1, only if nobody wrote since `rev` was read.
 * Returns the member as it now is (built here, not read back: the guard proves nothing else
 * changed), or null when rev moved on.
 */
export async function commitMember(member: MemberState, set: Record<string, unknown>): Promise<MemberState | null> {
  const result = await MemberModel.collection.updateOne({ _id: member._id, rev: member.rev }, { $set: set, $inc: { rev: 1 } });
  if (result.matchedCount !== 1) return null;
  return { ...member, ...(set as Partial<MemberState>), rev: member.rev + 1 };
}

/** The "handled" marks as stored now (after a failed commit: did another process handle this message?). */
export async function handledMarks(memberId: Types.ObjectId): Promise<string[]> {
  const fresh = await MemberModel.collection.findOne({ _id: memberId }, { projection: { handled: 1 } });
  return (fresh?.handled as string[] | undefined) ?? [];
}

/** The platform told us the person blocked (true) or unblocked (false) the bot. */
export async function setMemberBlocked(address: Address, blocked: boolean): Promise<void> {
  await MemberModel.updateOne({ channel: address.channel, platformUserId: address.platformUserId }, { $set: { blocked }, $inc: { rev: 1 } });
}

/** Just enough to tell someone something outside a turn (their id and language), or null. */
export async function findMemberLanguage(address: Address): Promise<{ _id: Types.ObjectId; language: Language } | null> {
  const m = await MemberModel.findOne({ channel: address.channel, platformUserId: address.platformUserId }, { _id: 1, language: 1 }).lean();
  return m ? { _id: m._id, language: m.language === 'en' ? 'en' : 'id' } : null;
}

/** What the simulator shows of a member (its id, name, role, village and language), or null. */
export async function findMemberProfile(address: Address): Promise<{ _id: Types.ObjectId; name?: string | null; role: Role; villageCode?: string | null; language: Language } | null> {
  return MemberModel.findOne({ channel: address.channel, platformUserId: address.platformUserId }, { name: 1, role: 1, villageCode: 1, language: 1 }).lean();
}

/** When the person last wrote to us (the WhatsApp service window), or null. */
export async function findLastInboundAt(address: Address): Promise<Date | null> {
  const member = await MemberModel.findOne({ channel: address.channel, platformUserId: address.platformUserId }, { lastInboundAt: 1 }).lean();
  return member?.lastInboundAt ?? null;
}

export function normalizeMember(doc: MemberState): MemberState {
  return {
    ...doc,
    handled: doc.handled ?? [],
    promptSeq: doc.promptSeq ?? 0,
    rev: doc.rev ?? 0,
    run: doc.run ?? null,
    pendingConfirmation: doc.pendingConfirmation ?? null,
  };
}

/* ---- Runs about to expire (index { 'run.expiresAt' }, models/member.ts) ---- */

/** A member with an active run, as the run sweep reads them. */
export interface MemberWithRun {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  language?: string;
  optedOut?: boolean;
  blocked?: boolean;
  rev: number;
  run: ActiveRun;
}

/** Members whose run expired by `now`. */
export async function findMembersWithRunExpiredBy(now: Date): Promise<MemberWithRun[]> {
  return (await MemberModel.find({ 'run.expiresAt': { $lte: now } }, { channel: 1, platformUserId: 1, rev: 1, run: 1 }).lean()) as unknown as MemberWithRun[];
}

/** Members whose run expires after `now` but by `remindFrom`, not yet reminded. */
export async function findMembersWithRunToRemind(now: Date, remindFrom: Date): Promise<MemberWithRun[]> {
  return (await MemberModel.find(
    { 'run.reminderSentAt': null, 'run.expiresAt': { $gt: now, $lte: remindFrom } },
    { channel: 1, platformUserId: 1, language: 1, optedOut: 1, blocked: 1, rev: 1, run: 1 },
  ).lean()) as unknown as MemberWithRun[];
}

/** Drops the member's run, guarded by rev (by _id); false when someone wrote since. */
export async function clearRunIfUnchanged(memberId: Types.ObjectId, rev: number): Promise<boolean> {
  const res = await MemberModel.updateOne({ _id: memberId, rev }, { $set: { run: null }, $inc: { rev: 1 } });
  return res.modifiedCount > 0;
}

/** Marks the run reminded, guarded by rev (by _id); false when someone wrote since. */
export async function claimRunReminder(memberId: Types.ObjectId, rev: number, now: Date): Promise<boolean> {
  const res = await MemberModel.updateOne({ _id: memberId, rev }, { $set: { 'run.reminderSentAt': now }, $inc: { rev: 1 } });
  return res.modifiedCount > 0;
}

/* ---- Retention (no index: a daily scan over members) ---- */

/** Members last heard from before `before`: registered (consent on record) or not. */
export async function findMembersSilentSince(before: Date, registered: boolean): Promise<{ _id: Types.ObjectId; channel: string; platformUserId: string }[]> {
  return MemberModel.find({ consent: registered ? { $ne: null } : null, lastInboundAt: { $lt: before } }, { _id: 1, channel: 1, platformUserId: 1 }).lean();
}

/* ---- The command line's admin (no index on role: run by hand, rarely) ---- */

/** The first admin made, or null. */
export async function findFirstAdminId(): Promise<Types.ObjectId | null> {
  const existing = await MemberModel.findOne({ role: 'admin' }, { _id: 1 }).sort({ createdAt: 1 }).lean();
  return existing ? existing._id : null;
}

/** A workspace-only admin (no chat account behind it); its id. */
export async function createWorkspaceAdmin(platformUserId: string, name: string, now: Date): Promise<Types.ObjectId> {
  const created = await MemberModel.create({ channel: 'web', platformUserId, name, role: 'admin', registeredAt: now });
  return created._id;
}

/** A member's role (by _id), or null when there is no such member. */
export async function findMemberRole(id: string): Promise<Role | null> {
  return (await MemberModel.findById(id, { role: 1 }).lean())?.role ?? null;
}
