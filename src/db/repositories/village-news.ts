/**
 * Kabar desa: what a village's monthly news counts, who receives it, and its month record
 * (hold, sent). Never a name or a report's text: counts only.
 *
 * Indexes: submissions { villageCode, flowId, submittedAt } (the month's reports); members
 * { villageCode, role } (residents); villagenews by _id `<village>:<yyyy-mm>`.
 */
import { MemberModel, SubmissionModel, VillageNewsModel } from '../models.js';
import { REACHABLE, RECIPIENT_FIELDS, type RecipientRow } from './recipients.js';

const RISK_FLOW = 'laporan-risiko';

/** Risk reports of the village since `since`, by their review status now (demo data left out). */
export async function riskReportsByStatus(villageCode: string, since: Date, until: Date): Promise<Record<string, number>> {
  const rows = await SubmissionModel.aggregate<{ _id: string | null; n: number }>([
    { $match: { villageCode, flowId: RISK_FLOW, submittedAt: { $gte: since, $lt: until }, demo: { $ne: true } } },
    { $group: { _id: '$review.status', n: { $sum: 1 } } },
  ]);
  return Object.fromEntries(rows.map((r) => [r._id ?? 'baru', r.n]));
}

/** Residents (warga, pokja) who may be sent the news: reachable and not "berhenti kabar". */
export async function findNewsRecipients(villageCode: string): Promise<RecipientRow[]> {
  return MemberModel.find({ ...REACHABLE, villageCode, role: { $in: ['warga', 'pokja'] }, newsOff: { $ne: true } }, RECIPIENT_FIELDS).sort({ _id: 1 }).lean();
}

export interface NewsMonthRow { held: boolean; heldBy: string | null; heldAt: Date | null; sentAt: Date | null; recipients: number }

export const newsMonthId = (villageCode: string, month: string) => `${villageCode}:${month}`;

export async function findNewsMonth(villageCode: string, month: string): Promise<NewsMonthRow | null> {
  return VillageNewsModel.findById(newsMonthId(villageCode, month), { held: 1, heldBy: 1, heldAt: 1, sentAt: 1, recipients: 1 }).lean<NewsMonthRow>();
}

/** Holds (or releases) the month's news; false when it was already sent. */
export async function setNewsHeld(villageCode: string, month: string, held: boolean, by: string, now: Date): Promise<boolean> {
  const current = await findNewsMonth(villageCode, month);
  if (current?.sentAt) return false;
  await VillageNewsModel.updateOne(
    { _id: newsMonthId(villageCode, month) },
    { $set: { held, heldBy: held ? by : null, heldAt: held ? now : null }, $setOnInsert: { villageCode, month } },
    { upsert: true },
  );
  return true;
}

/** Marks the month's news queued, with how many it went to. */
export async function markNewsSent(villageCode: string, month: string, recipients: number, now: Date): Promise<void> {
  await VillageNewsModel.updateOne(
    { _id: newsMonthId(villageCode, month) },
    { $set: { sentAt: now, recipients }, $setOnInsert: { villageCode, month, held: false } },
    { upsert: true },
  );
}
