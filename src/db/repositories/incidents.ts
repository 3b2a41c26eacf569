/**
 * Incidents: risk reports of one village with the same hazard within 48 hours of the first.
 * A report joins the open incident of its (village, hazard) or opens one whose `_id` is its own
 * id (a replay joins nothing twice: `reportIds` is checked first). The open incident holds
 * `openKey` under a unique index, so two reports opening one at once on two instances end in one:
 * the loser's insert fails and it joins the winner. A report 48 hours later releases the key.
 *
 * Indexes (models/incident.ts): { openKey } unique, the incident to join; { villageCode, hazard,
 * firstAt } a village's list; { reportIds } which incident holds a report; { lastAt } the newest first.
 */
import { isDuplicateKeyError } from '../coalesce.js';
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
  openKey?: string;
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

/** The key only the open incident of a (village, hazard) holds; unique, so two can never open. */
const openKeyOf = (r: IncidentReport): string => `${r.simulator ? 'sim' : 'real'}|${r.villageCode}|${r.hazard}`;

/** Puts the report into its incident (joined or opened); the incident after it. */
export async function attachReport(r: IncidentReport): Promise<IncidentRow> {
  const held = await incidentOfReport(r.id);
  if (held) return held;
  const openKey = openKeyOf(r);
  const from = new Date(r.at.getTime() - INCIDENT_WINDOW_MS);
  const until = new Date(r.at.getTime() + INCIDENT_WINDOW_MS);
  const rank = severityRank(r.severity);
  // A few rounds at most: each lost race means another report just opened or closed the incident.
  for (let round = 0; ; round++) {
    const joined = await IncidentModel.findOneAndUpdate(
      { openKey, firstAt: { $gte: from, $lte: until } },
      { $addToSet: { reportIds: r.id }, $min: { firstAt: r.at }, $max: { lastAt: r.at, severityRank: rank } },
      { new: true },
    ).lean<IncidentRow>();
    if (joined) return joined;
    const fresh = {
      _id: r.id, villageCode: r.villageCode, hazard: r.hazard, firstAt: r.at, lastAt: r.at, reportIds: [r.id], severityRank: rank,
      review: { status: 'baru', note: null, reviewedAt: null }, simulator: r.simulator,
    };
    try {
      // Replays of the first report find it by `_id` (upsert), never open a second one.
      return (await IncidentModel.findOneAndUpdate({ _id: r.id }, { $setOnInsert: { ...fresh, openKey } }, { upsert: true, new: true }).lean<IncidentRow>())!;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    // The key is held: by an incident that opened a moment ago (join it next round), by one whose
    // 48 hours are over (release it), or by one that starts 48 hours after this late report.
    const holder = await IncidentModel.findOne({ openKey }, { firstAt: 1 }).lean<{ firstAt: Date }>();
    if (holder && holder.firstAt < from) await IncidentModel.updateOne({ openKey, firstAt: holder.firstAt }, { $unset: { openKey: 1 } });
    else if ((holder && holder.firstAt > until) || round >= 5) {
      return (await IncidentModel.findOneAndUpdate({ _id: r.id }, { $setOnInsert: fresh }, { upsert: true, new: true }).lean<IncidentRow>())!;
    }
  }
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
  // The merged-away incident was the open one: the merged one stays open in its place.
  if (source.openKey) {
    await IncidentModel.updateOne({ _id: into, openKey: { $exists: false } }, { $set: { openKey: source.openKey } }).catch((err: unknown) => {
      if (!isDuplicateKeyError(err)) throw err; // a new report opened one in between: that one stays open
    });
  }
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
