/**
 * Deleting personal data, on request ("hapusdata") and as the registration notice promises
 * (UU 27/2022: keep only as long as needed):
 *  - a registered member inactive for two years is deleted;
 *  - someone who started registering but never finished (no consent on record) is deleted
 *    once their registration has expired: without consent, nothing is kept.
 * Reports (risk reports, profile answers, activity progress) are village facts: on deletion
 * they stay, with the reporter removed (no name, no platform id, no member id). Registration
 * answers, drafts, the member, and everything that still carries their chat id go.
 */
import type { Types } from 'mongoose';
import {
  AlertModel, ApiKeyModel, DataRequestModel, FacilitatorAssignmentModel, HelpRequestModel, InboxModel, LoginLinkModel, MemberModel, OutboxModel,
  ProxyDraftModel, RunModel, SimulatorSessionModel, SubmissionModel, TelegramPromptModel, WorkshopInviteModel, WorkspaceSessionModel,
} from '../db/models.js';
import { mediaBucket } from '../media/store.js';

export const RETENTION_INACTIVE_DAYS = 730;

export interface DeletionResult {
  /** Reports kept as village facts, without the reporter. */
  reportsAnonymised: number;
  /** Registration records, drafts, help requests, messages and button prompts deleted. */
  deleted: { registrations: number; drafts: number; helpRequests: number; messages: number };
}

interface DeletableMember {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
}

/** Deletes a member and what identifies them. Idempotent: a crash half-way is finished by a retry. */
export async function deleteMemberData(
  member: DeletableMember,
  /** keepOutboxIds: the answer to the message that asked for the deletion, still to be sent. */
  options: { keepReports: boolean; keepOutboxIds?: string[] },
): Promise<DeletionResult> {
  const memberId = member._id;
  let reportsAnonymised = 0;
  if (options.keepReports) {
    const kept = await SubmissionModel.updateMany(
      { memberId, flowId: { $ne: 'daftar' } },
      { $set: { memberId: null, reporterRemovedAt: new Date() }, $unset: { 'answers.name': '', 'display.name': '' } },
    );
    reportsAnonymised = kept.modifiedCount;
  }
  // Children first: a crash half-way leaves a member to retry, never orphans that can't be found.
  const registrations = await SubmissionModel.deleteMany({ memberId });
  const drafts = await RunModel.deleteMany({ memberId });
  // A facilitator's form half filled for a resident ("Isi untuk warga") holds that resident's answers.
  await ProxyDraftModel.deleteMany({ actorId: memberId });
  const helpRequests = await HelpRequestModel.deleteMany({ memberId });
  // Alerts carry the reporter's name and address; workshop answers and workspace access name the person.
  await AlertModel.deleteMany({ $or: [{ fromMemberId: memberId }, { facilitatorId: memberId }] });
  await WorkshopInviteModel.deleteMany({ memberId });
  await LoginLinkModel.deleteMany({ memberId });
  await WorkspaceSessionModel.deleteMany({ memberId });
  await ApiKeyModel.deleteMany({ memberId });
  await FacilitatorAssignmentModel.deleteMany({ memberId });
  const key = `${member.channel}:${member.platformUserId}`;
  // The message being handled keeps its dedupe mark (its payload is dropped when it is marked done).
  const inbox = await InboxModel.deleteMany({ memberKey: key, _id: { $nin: (options.keepOutboxIds ?? []).map((id) => id.replace(/^reply:/, '')) } });
  const outbox = await OutboxModel.deleteMany({ channel: member.channel, to: member.platformUserId, _id: { $nin: options.keepOutboxIds ?? [] } });
  if (member.channel === 'telegram') await TelegramPromptModel.deleteMany({ _id: { $regex: `^${escapeRegex(member.platformUserId)}:` } });
  // The simulator's transcript of the conversation (the session itself stays usable).
  if (member.channel === 'web') await SimulatorSessionModel.updateMany({ address: member.platformUserId }, { $set: { entries: [] } });
  // Access and earlier requests stay as proof they were honoured, no longer linked to the person.
  await DataRequestModel.updateMany({ memberRef: String(memberId) }, { $set: { memberRef: 'deleted' } });
  await MemberModel.deleteOne({ _id: memberId });
  return {
    reportsAnonymised,
    deleted: { registrations: registrations.deletedCount, drafts: drafts.deletedCount, helpRequests: helpRequests.deletedCount, messages: inbox.deletedCount + outbox.deletedCount },
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function purgeExpiredPersonalData(
  now: Date,
  options: { unregisteredAfterHours: number; inactiveDays?: number },
): Promise<{ inactive: number; unregistered: number }> {
  const inactiveBefore = new Date(now.getTime() - (options.inactiveDays ?? RETENTION_INACTIVE_DAYS) * 24 * 3600_000);
  const unregisteredBefore = new Date(now.getTime() - options.unregisteredAfterHours * 3600_000);
  const fields = { _id: 1, channel: 1, platformUserId: 1 };
  const inactive = await MemberModel.find({ consent: { $ne: null }, lastInboundAt: { $lt: inactiveBefore } }, fields).lean();
  const unregistered = await MemberModel.find({ consent: null, lastInboundAt: { $lt: unregisteredBefore } }, fields).lean();
  for (const m of inactive) await deleteMemberData(m, { keepReports: true });
  for (const m of unregistered) await deleteMemberData(m, { keepReports: false });
  return { inactive: inactive.length, unregistered: unregistered.length };
}

/** Every GridFS media id in a value (answers nest photos in repeat groups). */
function collectMediaIds(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) collectMediaIds(v, into, depth + 1);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'mediaId' && typeof v === 'string') into.add(v);
    else collectMediaIds(v, into, depth + 1);
  }
}

/**
 * Deletes photos nothing refers to any more: sent by someone who never registered, dropped from
 * a cancelled or deleted run, or part of deleted data. Only files older than `olderThanHours`
 * (an answer may still be on its way to a submission). Returns how many were deleted.
 */
export async function purgeUnreferencedMedia(now: Date, options: { olderThanHours: number }): Promise<number> {
  const bucket = mediaBucket();
  const before = new Date(now.getTime() - options.olderThanHours * 3600_000);
  const candidates = await bucket.find({ uploadDate: { $lt: before } }, { projection: { _id: 1 } }).toArray();
  if (candidates.length === 0) return 0;
  const referenced = new Set<string>();
  // Submissions, drafts and runs in progress are where answers live.
  for await (const s of SubmissionModel.find({}, { answers: 1 }).lean().cursor()) collectMediaIds(s.answers, referenced);
  for await (const r of RunModel.find({}, { 'state.answers': 1 }).lean().cursor()) collectMediaIds(r.state, referenced);
  for await (const m of MemberModel.find({ run: { $ne: null } }, { 'run.state.answers': 1 }).lean().cursor()) collectMediaIds(m.run, referenced);
  let deleted = 0;
  for (const file of candidates) {
    if (referenced.has(String(file._id))) continue;
    await bucket.delete(file._id).catch(() => undefined); // already gone: another instance was faster
    deleted++;
  }
  return deleted;
}
