/**
 * Incidents in the workspace: the risk reports of one village and hazard within 48 hours, seen
 * and reviewed together. A review sets the status of every report in it (each reporter is told
 * once, by setReportStatus); a reviewer merges two incidents or splits a report out.
 */
import { Types } from 'mongoose';
import {
  findIncident, listIncidents as findIncidents, mergeIncidents, reportsOfIncidents, setIncidentReview, SEVERITY_OF_RANK, splitReport,
  type IncidentRow,
} from '../db/repositories/incidents.js';
import type { ReviewStatus } from '../vocabulary.js';
import { canSeeVillage, type Actor } from './access.js';
import { audit } from './audit.js';
import { badRequest, notFound } from './errors.js';
import { dateRange, setReportStatus, villageNames, type Ctx, type Page } from './service.js';

export interface IncidentView {
  id: string;
  villageCode: string;
  villageName: string | null;
  hazard: string;
  firstAt: string;
  lastAt: string;
  /** How many reports, and how many different people sent them. */
  reports: number;
  reporters: number;
  worstSeverity: string | null;
  status: string;
  reportIds: string[];
  /** Photos of its reports: the report and the question that holds each. */
  media: { reportId: string; questionId: string }[];
}

async function views(rows: IncidentRow[]): Promise<IncidentView[]> {
  const names = await villageNames([...new Set(rows.map((r) => r.villageCode))]);
  const reports = await reportsOfIncidents(rows.flatMap((r) => r.reportIds));
  return rows.map((r) => {
    const mine = reports.filter((s) => r.reportIds.some((id) => String(id) === String(s._id)));
    const people = new Set(mine.map((s) => (s.memberId ? String(s.memberId) : `proxy:${String(s._id)}`)));
    const media = mine.flatMap((s) => Object.entries(s.answers as Record<string, unknown>)
      .filter(([, v]) => v && typeof v === 'object' && typeof (v as { mediaId?: unknown }).mediaId === 'string')
      .map(([questionId]) => ({ reportId: String(s._id), questionId })));
    return {
      id: String(r._id), villageCode: r.villageCode, villageName: names.get(r.villageCode)?.name ?? null, hazard: r.hazard,
      firstAt: r.firstAt.toISOString(), lastAt: r.lastAt.toISOString(), reports: r.reportIds.length, reporters: people.size,
      worstSeverity: SEVERITY_OF_RANK[r.severityRank] || null, status: r.review?.status ?? 'baru',
      reportIds: mine.map((s) => String(s._id)), media,
    };
  });
}

export async function listIncidents(
  ctx: Ctx, actor: Actor, q: { village?: string | undefined; status?: string | undefined; from?: string | undefined; to?: string | undefined; page: number; limit: number },
): Promise<Page<IncidentView>> {
  const mine = actor.villages === 'all' ? 'all' : actor.villages;
  const villageCodes = q.village ? (canSeeVillage(actor, q.village) ? [q.village] : []) : mine;
  const range = dateRange(q.from, q.to, ctx.timeZone);
  const { rows, total } = await findIncidents({
    villageCodes, ...(actor.simulatorOnly ? { simulatorOnly: true } : {}), ...(q.status ? { status: q.status } : {}),
    ...(range?.$gte ? { from: range.$gte } : {}), ...(range?.$lt ? { to: range.$lt } : {}),
  }, q.page, q.limit);
  return { items: await views(rows), page: q.page, limit: q.limit, total };
}

async function visible(actor: Actor, id: string): Promise<IncidentRow> {
  if (!Types.ObjectId.isValid(id)) throw notFound('incident');
  const row = await findIncident(new Types.ObjectId(id));
  if (!row || !canSeeVillage(actor, row.villageCode) || (actor.simulatorOnly && !row.simulator)) throw notFound('incident');
  return row;
}

export async function getIncident(actor: Actor, id: string): Promise<IncidentView> {
  return (await views([await visible(actor, id)]))[0]!;
}

/** One status for the whole incident: every report gets it, every reporter is told once. */
export async function setIncidentStatus(ctx: Ctx, actor: Actor, id: string, status: ReviewStatus, note?: string): Promise<IncidentView> {
  const row = await visible(actor, id);
  for (const reportId of row.reportIds) await setReportStatus(ctx, actor, String(reportId), status, note);
  await setIncidentReview(row._id, status, note?.trim() || null, ctx.now());
  await audit(actor, { action: 'incident.review', targetType: 'incident', targetId: id, villageCode: row.villageCode, details: { to: status, reports: row.reportIds.length } }, ctx.now());
  return getIncident(actor, id);
}

/** Merges `otherId` into `id` (same village; the hazard of `id` stays). */
export async function mergeIncident(ctx: Ctx, actor: Actor, id: string, otherId: string): Promise<IncidentView> {
  if (id === otherId) throw badRequest('An incident cannot be merged with itself.');
  const [into, from] = [await visible(actor, id), await visible(actor, otherId)];
  if (into.villageCode !== from.villageCode) throw badRequest('Only incidents of the same village can be merged.');
  await mergeIncidents(into._id, from._id);
  await audit(actor, { action: 'incident.merge', targetType: 'incident', targetId: id, villageCode: into.villageCode, details: { merged: otherId } }, ctx.now());
  return getIncident(actor, id);
}

/** Takes one report out of the incident into an incident of its own; the new one. */
export async function splitIncident(ctx: Ctx, actor: Actor, id: string, reportId: string): Promise<IncidentView> {
  const row = await visible(actor, id);
  if (!Types.ObjectId.isValid(reportId) || !row.reportIds.some((r) => String(r) === reportId)) throw badRequest('That report is not part of this incident.');
  if (row.reportIds.length < 2) throw badRequest('An incident of one report cannot be split.');
  const created = await splitReport(row._id, new Types.ObjectId(reportId));
  if (!created) throw notFound('incident');
  await audit(actor, { action: 'incident.split', targetType: 'incident', targetId: id, villageCode: row.villageCode, details: { reportId, into: String(created._id) } }, ctx.now());
  return getIncident(actor, String(created._id));
}
