/**
 * Voice notes people gave as answers (answers of kind "voice", top level or inside repeat
 * groups): listed for `datasaya`, taken out on `hapusdata` (the GridFS file deleted, the answer
 * kept as "a voice note was here" with its transcript, a village fact like a typed answer), and
 * transcribed by facilitators.
 *
 * Indexes: { memberId } on submissions and runs (as for deleting personal data); by _id for transcripts.
 */
import mongoose, { type Types } from 'mongoose';
import { isVoiceAnswer, type VoiceAnswer } from '../../engine/types.js';
import { mediaBucket } from '../../media/store.js';
import { MemberModel, RunModel, SubmissionModel } from '../models.js';
import { findReportMedia } from './submissions.js';

export interface VoiceNoteRef {
  /** Where in the answers: "place", or "group.0.child". */
  path: string;
  value: VoiceAnswer;
}

/** Every voice answer in a set of answers, with its path. */
export function voiceNotesIn(answers: unknown, prefix = '', depth = 0): VoiceNoteRef[] {
  if (depth > 4 || answers === null || typeof answers !== 'object') return [];
  const found: VoiceNoteRef[] = [];
  for (const [key, value] of Object.entries(answers)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isVoiceAnswer(value)) found.push({ path, value });
    else if (Array.isArray(value)) value.forEach((item, i) => found.push(...voiceNotesIn(item, `${path}.${i}`, depth + 1)));
  }
  return found;
}

/** The member's voice notes still kept: in their reports, drafts and the run in progress. */
export async function memberVoiceNotes(memberId: Types.ObjectId): Promise<{ flowId: string; seconds?: number }[]> {
  const out: { flowId: string; seconds?: number }[] = [];
  const add = (flowId: string, answers: unknown) => {
    for (const v of voiceNotesIn(answers)) if (v.value.mediaId) out.push({ flowId, ...(v.value.seconds !== undefined ? { seconds: v.value.seconds } : {}) });
  };
  for (const s of await SubmissionModel.find({ memberId }, { flowId: 1, answers: 1 }).lean()) add(s.flowId, s.answers);
  for (const r of await RunModel.find({ memberId }, { flowId: 1, 'state.answers': 1 }).lean()) add(r.flowId, (r.state as { answers?: unknown })?.answers);
  const member = await MemberModel.findById(memberId, { run: 1 }).lean();
  if (member?.run) add(member.run.flowId, (member.run.state as { answers?: unknown })?.answers);
  return out;
}

/**
 * Deletes the member's voice notes from GridFS and takes the reference out of the reports that
 * stay (length and transcript remain). Files first: a crash leaves a reference a retry deletes again.
 */
export async function forgetMemberVoiceNotes(memberId: Types.ObjectId): Promise<number> {
  const submissions = await SubmissionModel.find({ memberId }, { answers: 1 }).lean();
  const runs = await RunModel.find({ memberId }, { 'state.answers': 1 }).lean();
  const member = await MemberModel.findById(memberId, { run: 1 }).lean();
  const all = [
    ...submissions.flatMap((s) => voiceNotesIn(s.answers)),
    ...runs.flatMap((r) => voiceNotesIn((r.state as { answers?: unknown })?.answers)),
    ...voiceNotesIn((member?.run?.state as { answers?: unknown } | undefined)?.answers),
  ];
  const ids = [...new Set(all.map((v) => v.value.mediaId).filter((id): id is string => typeof id === 'string' && /^[a-f0-9]{24}$/.test(id)))];
  const bucket = mediaBucket();
  for (const id of ids) await bucket.delete(new mongoose.Types.ObjectId(id)).catch(() => undefined); // gone already
  for (const s of submissions) {
    const notes = voiceNotesIn(s.answers).filter((v) => v.value.mediaId || v.value.fileId);
    if (notes.length === 0) continue;
    const unset = Object.fromEntries(notes.flatMap((v) => [[`answers.${v.path}.mediaId`, ''], [`answers.${v.path}.fileId`, '']]));
    const set = Object.fromEntries(notes.map((v) => [`answers.${v.path}.removed`, true]));
    await SubmissionModel.updateOne({ _id: s._id }, { $unset: unset, $set: set });
  }
  return ids.length;
}

/** A report's voice note (top-level question), for playing: its GridFS id and the report's village. */
export function findReportVoiceNote(reportId: string, questionId: string): Promise<{ villageCode: string | null; mediaId: string | null } | null> {
  return findReportMedia(reportId, questionId, isVoiceAnswer);
}

/** Saves what a facilitator heard in a voice note; false when the answer is not a voice note. */
export async function saveTranscript(reportId: string, questionId: string, text: string, byName: string, at: Date): Promise<boolean> {
  const base = `answers.${questionId}`;
  const result = await SubmissionModel.updateOne(
    { _id: reportId, [`${base}.kind`]: 'voice' },
    { $set: { [`${base}.transcript`]: text, [`${base}.transcribedBy`]: byName, [`${base}.transcribedAt`]: at } },
  );
  return result.matchedCount === 1;
}
