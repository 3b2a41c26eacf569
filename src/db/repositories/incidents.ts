/**
 * Incidents: risk reports of one village with the same hazard within 48 hours of the first.
 * A report joins the oldest open incident of its (village, hazard) or opens one whose `_id` is
 * its own id (a replay joins nothing twice: `reportIds` is checked first). Two reports opening
 * the same incident at once on two instances each open one; the later then merges itself into
 * the earlier, so both converge on one.
 *
 * Indexes (models/incident.ts): { villageCode, hazard, firstAt } the incident to join and a
 * village's list; { reportIds } which incident holds a report; { lastAt } the newest first.
 */
import { Types } from 'mongoose';
import { IncidentModel, SubmissionModel } from '../models.js';

export const INCIDENT_WINDOW_MS = 48 * 3600_000;
const RANKS: Record<string, number> = { ringan: 1, sedang: 2, berat: 3 };
export const SEVERITY_OF_RANK = ['', 'ringan', 'sedang', 'berat'] as const;
export const severityRank = (s: unknown): number => (typeof s === 'string' ? (RANKS[s] ?? 0) : 0);

export interface IncidentRow {
  _id: Types.ObjectId;
  villageCode: string;
  hazard: string;
  firstAt: Date;
  lastAt: Date;
  reportIds: Types.ObjectId[];
  severityRank: number;
  review: { status: string; note?: string | null; reviewedAt?: Date | null };
  simulator?: boolean;
}

export interface IncidentReport {
  id: Types.ObjectId;
  villageCode: string;
  hazard: string;
  severity: unknown;
  at: Date;
  simulator: boolean;
}

export async function incidentOfReport(reportId: Types.ObjectId): Promise<IncidentRow | null> {
  return IncidentModel.findOne({ reportIds: reportId }).lean<IncidentRow>();
}

export async function findIncident(id: Types.ObjectId): Promise<IncidentRow | null> {
  return IncidentModel.findById(id).lean<IncidentRow>();
}

/** Puts the report into its incident (joined or opened); the incident after it. */
export async function attachReport(r: IncidentReport): Promise<IncidentRow> {
  const held = await incidentOfReport(r.id);
  if (held) return held;
  const joined = await IncidentModel.findOneAndUpdate(
    { villageCode: r.villageCode, hazard: r.hazard, simulator: r.simulator, firstAt: { $gte: new Date(r.at.getTime() - INCIDENT_WINDOW_MS), $lte: r.at } },
    { $addToSet: { reportIds: r.id }, $max: { lastAt: r.at, severityRank: severityRank(r.severity) } },
    { sort: { firstAt: 1, _id: 1 }, new: true },
  ).lean<IncidentRow>();
  if (joined) return joined;
  const opened = await IncidentModel.findOneAndUpdate(
    { _id: r.id },
    {
      $setOnInsert: {
        villageCode: r.villageCode, hazard: r.hazard, firstAt: r.at, lastAt: r.at, reportIds: [r.id], severityRank: severityRank(r.severity),
        review: { status: 'baru', note: null, reviewedAt: null }, simulator: r.simulator,
      },
    },
    { upsert: true, new: true },
  ).lean<IncidentRow>();
  return converge(opened!);
}

/** An incident opened beside an earlier one of the same window (two at once): merged into it. */
async function converge(inc: IncidentRow): Promise<IncidentRow> {
  const earlier = await IncidentModel.findOne({
    villageCode: inc.villageCode, hazard: inc.hazard, simulator: inc.simulator ?? false, _id: { $ne: inc._id },
    firstAt: { $gte: new Date(inc.firstAt.getTime() - INCIDENT_WINDOW_MS), $lte: inc.firstAt },
  }).sort({ firstAt: 1, _id: 1 }).lean<IncidentRow>();
  if (!earlier) return inc;
  if (earlier.firstAt.getTime() === inc.firstAt.getTime() && String(earlier._id) > String(inc._id)) return inc;
  return (await mergeIncidents(earlier._id, inc._id)) ?? inc;
}

/** Moves every report of `from` into `into` and removes `from`; the incident after it. */
export async function mergeIncidents(into: Types.ObjectId, from: Types.ObjectId): Promise<IncidentRow | null> {
  const source = await findIncident(from);
  if (!source) return findIncident(into);
  // Add first, then remove: a crash between leaves the reports in both, never in none.
  await IncidentModel.updateOne(
    { _id: into },
    { $addToSet: { reportIds: { $each: source.reportIds } }, $min: { firstAt: source.firstAt }, $max: { lastAt: source.lastAt, severityRank: source.severityRank } },
  );
  await IncidentModel.deleteOne({ _id: from });
  return findIncident(into);
}

/** Takes one report out into an incident of its own; the new incident. */
export async function splitReport(from: Types.ObjectId, reportId: Types.ObjectId): Promise<IncidentRow | null> {
  const source = await findIncident(from);
  if (!source || !source.reportIds.some((id) => String(id) === String(reportId)) || source.reportIds.length < 2) return null;
  const id = new Types.ObjectId();
  await IncidentModel.create({
    _id: id, villageCode: source.villageCode, hazard: source.hazard, firstAt: source.firstAt, lastAt: source.firstAt,
    reportIds: [reportId], review: { status: 'baru', note: null, reviewedAt: null }, simulator: source.simulator ?? false,
  });
  await IncidentModel.updateOne({ _id: from }, { $pull: { reportIds: reportId } });
  await recompute(from);
  await recompute(id);
  return findIncident(id);
}

/** First and last report time and the worst severity, from the reports themselves. */
async function recompute(id: Types.ObjectId): Promise<void> {
  const inc = await findIncident(id);
  if (!inc) return;
  const reports = await SubmissionModel.find({ _id: { $in: inc.reportIds } }, { submittedAt: 1, 'answers.severity': 1 }).lean();
  if (reports.length === 0) return;
  const times = reports.map((r) => r.submittedAt.getTime());
  await IncidentModel.updateOne({ _id: id }, {
    $set: {
      firstAt: new Date(Math.min(...times)), lastAt: new Date(Math.max(...times)),
      severityRank: Math.max(...reports.map((r) => severityRank((r.answers as Record<string, unknown>).severity))),
    },
  });
}

export async function setIncidentReview(id: Types.ObjectId, status: string, note: string | null, now: Date): Promise<void> {
  await IncidentModel.updateOne({ _id: id }, { $set: { 'review.status': status, 'review.reviewedAt': now, ...(note ? { 'review.note': note } : {}) } });
}

export interface IncidentFilter {
  villageCodes: string[] | 'all';
  simulatorOnly?: boolean;
  from?: Date;
  to?: Date;
  status?: string;
}

function filterOf(f: IncidentFilter): Record<string, unknown> {
  return {
    ...(f.villageCodes === 'all' ? {} : { villageCode: { $in: f.villageCodes } }),
    ...(f.simulatorOnly ? { simulator: true } : {}),
    ...(f.from || f.to ? { lastAt: { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) } } : {}),
    ...(f.status ? { 'review.status': f.status } : {}),
  };
}

/** Newest activity first (index { lastAt }). */
export async function listIncidents(f: IncidentFilter, page: number, limit: number): Promise<{ rows: IncidentRow[]; total: number }> {
  const filter = filterOf(f);
  const [rows, total] = await Promise.all([
    IncidentModel.find(filter).sort({ lastAt: -1 }).skip((page - 1) * limit).limit(limit).lean<IncidentRow[]>(),
    IncidentModel.countDocuments(filter),
  ]);
  return { rows, total };
}

/** The reports of incidents: who sent them and what media they carry (index _id). */
export async function reportsOfIncidents(ids: Types.ObjectId[]) {
  return SubmissionModel.find({ _id: { $in: ids } }, { memberId: 1, submittedAt: 1, answers: 1, channel: 1, demo: 1, proxy: 1 }).sort({ submittedAt: 1 }).lean();
}
