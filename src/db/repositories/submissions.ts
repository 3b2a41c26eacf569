/**
 * Submissions: what a finished run sent, written in one place for chat and for entry on a
 * resident's behalf. Keyed by the run id (index { runId } unique, models/submission.ts), so a
 * replayed step stores it once.
 */
import type { Types } from 'mongoose';
import { SIMULATOR_SOURCES, SubmissionModel } from '../models.js';
import type { ProxyEntry } from './members.js';

export interface NewSubmission {
  runId: Types.ObjectId;
  /** Null when entered for a resident without the bot (then `proxy` says who entered it). */
  memberId: Types.ObjectId | null;
  villageCode: string | null;
  villageName: string | null;
  flowId: string;
  flowVersion: number;
  channel: string;
  language: string;
  answers: Record<string, unknown>;
  display?: Record<string, unknown> | undefined;
  proxy: (Omit<ProxyEntry, 'villageCode'> & { enteredBy: Types.ObjectId }) | null;
  /** The run's start and the questions it reached, for the drop-out funnel (no extra write: it rides on the submission). */
  run?: { startedAt: Date; reached: string[] };
}

/** Stores the submission once (a second call with the same run id changes nothing); its id. */
export async function storeSubmission(s: NewSubmission, now: Date): Promise<Types.ObjectId> {
  const res = await SubmissionModel.collection.findOneAndUpdate(
    { runId: s.runId },
    {
      $setOnInsert: {
        runId: s.runId,
        memberId: s.memberId,
        villageCode: s.villageCode,
        villageName: s.villageName,
        flowId: s.flowId,
        flowVersion: s.flowVersion,
        channel: s.channel,
        language: s.language,
        answers: s.answers,
        display: s.display,
        submittedAt: now,
        review: { status: 'baru', note: null, reviewedAt: null },
        proxy: s.proxy ? { enteredBy: s.proxy.enteredBy, forName: s.proxy.forName, consentAloud: true, consentAt: s.proxy.consentAt } : null,
        createdAt: now,
        updatedAt: now,
        ...(s.run ? { runStartedAt: s.run.startedAt, reached: s.run.reached } : {}),
      },
    },
    { upsert: true, returnDocument: 'after', projection: { _id: 1 } },
  );
  return (res as unknown as { _id: Types.ObjectId })._id;
}

/** How many submissions a member made, by flow (index { memberId }). */
export async function countSubmissionsByFlow(memberId: Types.ObjectId, exceptFlow: string): Promise<{ flowId: string; n: number }[]> {
  const counts = await SubmissionModel.aggregate<{ _id: string; n: number }>([
    { $match: { memberId, flowId: { $ne: exceptFlow } } },
    { $group: { _id: '$flowId', n: { $sum: 1 } } },
  ]);
  return counts.map((c) => ({ flowId: c._id, n: c.n }));
}

/**
 * What the plan-update digest counts for a village (index { villageCode, flowId, submittedAt }):
 * village profiles since `since`, and risk reports not yet reviewed.
 */
export async function countVillageReports(villageCode: string, since: Date): Promise<{ profiles: number; risks: number }> {
  const [profiles, risks] = await Promise.all([
    SubmissionModel.countDocuments({ villageCode, flowId: 'profil-desa', submittedAt: { $gte: since } }),
    SubmissionModel.countDocuments({ villageCode, flowId: 'laporan-risiko', 'review.status': 'baru' }),
  ]);
  return { profiles, risks };
}

/**
 * The GridFS id a report's answer (a top-level question) names, and the report's village: for
 * the workspace's photo and voice-note routes. `mediaId` is null when the answer holds none, or
 * `accepts` refuses it (a voice note's route plays voice notes only).
 */
export async function findReportMedia(
  reportId: string,
  questionId: string,
  accepts: (answer: unknown) => boolean = () => true,
): Promise<{ villageCode: string | null; mediaId: string | null } | null> {
  const doc = await SubmissionModel.findById(reportId, { [`answers.${questionId}`]: 1, villageCode: 1 }).lean();
  if (!doc) return null;
  const answer = (doc.answers as Record<string, unknown> | undefined)?.[questionId];
  const id = (answer as { mediaId?: unknown } | null | undefined)?.mediaId;
  const mediaId = accepts(answer) && typeof id === 'string' && /^[a-f0-9]{24}$/.test(id) ? id : null;
  return { villageCode: doc.villageCode ?? null, mediaId };
}

/**
 * The newest reports matching `filter` (answers and village only) and how many match in all
 * (index { flowId, review.status, submittedAt }); `simulatorOnly`: only the simulator's.
 */
export async function newestReports(match: Record<string, unknown>, limit: number, simulatorOnly = false) {
  const filter = { ...match, ...(simulatorOnly ? SIMULATOR_SOURCES : {}) };
  const [rows, total] = await Promise.all([
    SubmissionModel.find(filter, { answers: 1, villageCode: 1, villageName: 1, submittedAt: 1 }).sort({ submittedAt: -1 }).limit(limit).lean(),
    SubmissionModel.countDocuments(filter),
  ]);
  return { rows, total };
}
