/**
 * Linking two chat accounts of one person (src/conversation/linking.ts): the short codes, and
 * the merge of the account given up into the one kept. No transactions: each step is one
 * idempotent single-document update (or an updateMany by member id), so a crash half way is
 * finished by the same message handled again.
 *
 * Indexes: link codes by _id (the hash) and { memberId }; members by _id; submissions, drafts
 * and workshop invites by { memberId }; alerts by { fromMemberId }; help requests: none (few).
 */
import { isDuplicateKeyError } from '../coalesce.js';
import { createHash, randomInt } from 'node:crypto';
import type { Types } from 'mongoose';
import { AlertModel, HelpRequestModel, LinkCodeModel, MemberModel, RunModel, SubmissionModel, WorkshopInviteModel } from '../models.js';
import { FLOW } from '../../messages/flows.js';
import { archiveRun } from './drafts.js';
import { memberKey, normalizeMember, type LinkedAddress, type MemberState } from './members.js';

export const LINK_CODE_TTL_MS = 10 * 60_000;
export const LINK_CODE_TRIES = 5;

/** What linking decided, kept on the code so a retry of the message that used it says the same. */
export interface LinkPlan {
  messageId: string;
  keeperId: Types.ObjectId;
  loserId: Types.ObjectId;
  bothRegistered: boolean;
  keptChannel: string;
  keptRegisteredAt: Date | null;
}

/** 6 digits are easy to guess offline from a plain hash: the hash only keeps the digits out of the database's sight. */
const hashOf = (code: string) => createHash('sha256').update(`link-code:${code}`).digest('hex');

/** A new code for this member (their earlier unused ones die). Returns the digits, to be shown once. */
export async function issueLinkCode(memberId: Types.ObjectId, channel: string, now: Date): Promise<string> {
  await LinkCodeModel.deleteMany({ memberId, usedBy: null });
  for (let attempt = 0; attempt < 20; attempt++) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const _id = hashOf(code);
    await LinkCodeModel.deleteOne({ _id, expiresAt: { $lte: now } }); // an old one with the same digits
    try {
      await LinkCodeModel.collection.insertOne({
        _id, memberId, channel, expiresAt: new Date(now.getTime() + LINK_CODE_TTL_MS), tries: 0, triedBy: [], usedBy: null, createdAt: now,
      } as never);
      return code;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // the same digits live for someone else: draw again
    }
  }
  throw new Error('no free link code');
}

/** A live code (or the one this very message already used), or null. */
export async function findLinkCode(code: string, messageId: string, now: Date) {
  const doc = await LinkCodeModel.findOne({ _id: hashOf(code) }).lean();
  if (!doc) return null;
  if (doc.usedBy) return doc.usedBy.messageId === messageId ? doc : null;
  return doc.expiresAt.getTime() > now.getTime() && doc.tries < LINK_CODE_TRIES ? doc : null;
}

/** Takes the code for this message and records the plan; false when it was taken, expired or died meanwhile. */
export async function useLinkCode(code: string, plan: LinkPlan, now: Date): Promise<boolean> {
  const res = await LinkCodeModel.updateOne(
    { _id: hashOf(code), $or: [{ usedBy: null, expiresAt: { $gt: now }, tries: { $lt: LINK_CODE_TRIES } }, { 'usedBy.messageId': plan.messageId }] },
    { $set: { usedBy: plan } },
  );
  return res.matchedCount === 1;
}

/**
 * A wrong code: every live code loses one try (a wrong code names no code, so a guesser gets at
 * most 5 guesses against any one of them). Counted once per message.
 */
export async function countWrongLinkCode(messageId: string, now: Date): Promise<void> {
  await LinkCodeModel.updateMany(
    { usedBy: null, expiresAt: { $gt: now }, tries: { $lt: LINK_CODE_TRIES }, triedBy: { $ne: messageId } },
    { $inc: { tries: 1 }, $push: { triedBy: messageId } },
  );
}

export async function findMemberById(id: Types.ObjectId): Promise<MemberState | null> {
  const doc = await MemberModel.collection.findOne({ _id: id });
  return doc ? normalizeMember(doc as unknown as MemberState) : null;
}

/**
 * Moves the account given up into the one kept, in steps a retry can repeat: (1) its addresses,
 * last-seen times and run onto the kept member (guarded by rev), (2) its reports, drafts and
 * help requests to the kept member (its registration record goes: one registration stays),
 * (3) the account itself deleted, last, so until then a lookup still finds one of the two.
 */
export async function finishLink(plan: LinkPlan, now: Date): Promise<void> {
  const loser = await findMemberById(plan.loserId);
  if (!loser) return;
  for (let attempt = 0; ; attempt++) {
    const keeper = await findMemberById(plan.keeperId);
    if (!keeper) throw new Error('the member kept by a link is gone');
    if (await MemberModel.collection.updateOne({ _id: keeper._id, rev: keeper.rev }, { $set: mergedFields(keeper, loser, now), $inc: { rev: 1 } }).then((r) => r.matchedCount === 1)) break;
    if (attempt >= 5) throw new Error('the member kept by a link changed underneath six times');
  }
  // A registration under way is not kept: the person is registered (or registers) once, on the member kept.
  if (loser.run && loser.run.flowId !== FLOW.registration) await archiveRunIfKept(plan, loser);
  await SubmissionModel.deleteMany({ memberId: loser._id, flowId: FLOW.registration });
  await SubmissionModel.updateMany({ memberId: loser._id }, { $set: { memberId: plan.keeperId } });
  await RunModel.updateMany({ memberId: loser._id }, { $set: { memberId: plan.keeperId } });
  await HelpRequestModel.updateMany({ memberId: loser._id }, { $set: { memberId: plan.keeperId } });
  await AlertModel.updateMany({ fromMemberId: loser._id }, { $set: { fromMemberId: plan.keeperId } });
  // Workshop answers follow the registration kept (its village): the other account's go.
  await WorkshopInviteModel.deleteMany({ memberId: loser._id });
  await MemberModel.deleteOne({ _id: loser._id });
}

/** The loser's run was not taken over (the kept member had one): it becomes a draft of the kept member. */
async function archiveRunIfKept(plan: LinkPlan, loser: MemberState): Promise<void> {
  const keeper = await findMemberById(plan.keeperId);
  if (loser.run && keeper?.run?.id.toString() !== loser.run.id.toString()) await archiveRun(plan.keeperId, loser.run, loser.run.lastActivityAt);
}

function mergedFields(keeper: MemberState, loser: MemberState, now: Date): Record<string, unknown> {
  const links: LinkedAddress[] = [...(keeper.links ?? [])];
  const own = memberKey(keeper.channel, keeper.platformUserId);
  for (const a of [{ channel: loser.channel, platformUserId: loser.platformUserId }, ...(loser.links ?? [])]) {
    const key = memberKey(a.channel, a.platformUserId);
    if (key !== own && !links.some((l) => l.key === key)) links.push({ key, channel: a.channel, platformUserId: a.platformUserId, linkedAt: now });
  }
  const seenAt: Record<string, Date> = {};
  for (const m of [keeper, loser]) {
    const each = { ...(m.seenAt ?? {}), ...(m.seenAt?.[m.channel] || !m.lastInboundAt ? {} : { [m.channel]: m.lastInboundAt }) };
    for (const [ch, at] of Object.entries(each)) if (at && (!seenAt[ch] || seenAt[ch] < at)) seenAt[ch] = at;
  }
  const set: Record<string, unknown> = { links, seenAt, promptSeq: Math.max(keeper.promptSeq, loser.promptSeq), updatedAt: now };
  const last = [keeper.lastInboundAt, loser.lastInboundAt].filter((d): d is Date => d != null).sort((a, b) => b.getTime() - a.getTime())[0];
  if (last) set.lastInboundAt = last;
  if (!keeper.run && loser.run && loser.run.flowId !== FLOW.registration) set.run = loser.run;
  return set;
}
