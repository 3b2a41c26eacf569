/**
 * Personal data: everything that names or reaches one person, across the collections that hold
 * it, deleted in one place. Reports (risk reports, profile answers, activity progress) are
 * village facts: on deletion they stay, with the reporter removed (no name, no platform id, no
 * member id). Registration answers, drafts, the member, and everything that still carries their
 * chat id go.
 *
 * Indexes: { memberId } on submissions, runs, workshop invites, and unique on facilitator
 * assignments; { actorId } unique on proxy drafts; { fromMemberId } on alerts (facilitatorId is
 * served by { facilitatorId, queuedAt }); { to, status } on the outbox; { address } on simulator
 * sessions; _id prefix on telegram prompts. Login links, workspace sessions, API keys, help
 * requests, inbox entries and data requests by member have no index of their own: deletion is
 * rare, and those collections are small or expire by TTL.
 */
import type { Types } from 'mongoose';
import {
  AlertModel, ApiKeyModel, DataRequestModel, FacilitatorAssignmentModel, HelpRequestModel, InboxModel, LinkCodeModel, LoginLinkModel, MemberModel, OutboxModel,
  ProxyDraftModel, RunModel, SimulatorSessionModel, SubmissionModel, TelegramPromptModel, WorkshopInviteModel, WorkspaceSessionModel,
} from '../models.js';
import { forgetMemberVoiceNotes } from './voice-notes.js';

export interface DeletionResult {
  /** Reports kept as village facts, without the reporter. */
  reportsAnonymised: number;
  /** Registration records, drafts, help requests, messages and button prompts deleted. */
  deleted: { registrations: number; drafts: number; helpRequests: number; messages: number };
}

export interface DeletableMember {
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
  // Voice notes are the person's own voice: deleted even from the reports that stay.
  await forgetMemberVoiceNotes(memberId);
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
  let messages = 0;
  // Every account of the person (a linked channel too), read from the member: callers may know only one.
  for (const address of await addressesToDelete(member)) messages += await deleteAddressData(address, options.keepOutboxIds ?? []);
  // Access and earlier requests stay as proof they were honoured, no longer linked to the person.
  await LinkCodeModel.deleteMany({ memberId });
  await DataRequestModel.updateMany({ memberRef: String(memberId) }, { $set: { memberRef: 'deleted' } });
  await MemberModel.deleteOne({ _id: memberId });
  return {
    reportsAnonymised,
    deleted: { registrations: registrations.deletedCount, drafts: drafts.deletedCount, helpRequests: helpRequests.deletedCount, messages },
  };
}

async function addressesToDelete(member: DeletableMember): Promise<{ channel: string; platformUserId: string }[]> {
  const stored = await MemberModel.findById(member._id, { links: 1 }).lean();
  const links = (stored?.links ?? []).map((l) => ({ channel: l.channel, platformUserId: l.platformUserId }));
  return [{ channel: member.channel, platformUserId: member.platformUserId }, ...links];
}

/** What one chat address holds: inbox and outbox entries, Telegram button prompts, the simulator's transcript. */
async function deleteAddressData(address: { channel: string; platformUserId: string }, keepOutboxIds: string[]): Promise<number> {
  const key = `${address.channel}:${address.platformUserId}`;
  // The message being handled keeps its dedupe mark (its payload is dropped when it is marked done).
  const inbox = await InboxModel.deleteMany({ memberKey: key, _id: { $nin: keepOutboxIds.map((id) => id.replace(/^reply:/, '')) } });
  const outbox = await OutboxModel.deleteMany({ channel: address.channel, to: address.platformUserId, _id: { $nin: keepOutboxIds } });
  if (address.channel === 'telegram') await TelegramPromptModel.deleteMany({ _id: { $regex: `^${escapeRegex(address.platformUserId)}:` } });
  // The simulator's transcript of the conversation (the session itself stays usable).
  if (address.channel === 'web') await SimulatorSessionModel.updateMany({ address: address.platformUserId }, { $set: { entries: [] } });
  return inbox.deletedCount + outbox.deletedCount;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every stored set of answers, streamed to `visit`: submissions, drafts and runs in progress are
 * where answers live (full scans: the daily media purge reads them all).
 */
export async function visitStoredAnswers(visit: (answers: unknown) => void): Promise<void> {
  for await (const s of SubmissionModel.find({}, { answers: 1 }).lean().cursor()) visit(s.answers);
  for await (const r of RunModel.find({}, { 'state.answers': 1 }).lean().cursor()) visit(r.state);
  for await (const m of MemberModel.find({ run: { $ne: null } }, { 'run.state.answers': 1 }).lean().cursor()) visit(m.run);
}
