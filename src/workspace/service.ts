/**
 * What the workspace does, for the API, the pages and the chat alike. Every function takes
 * the actor and enforces the access rules itself; every change writes the audit log.
 */
import type { i18n as I18n } from 'i18next';
import { Types } from 'mongoose';
import type { z } from 'zod';
import { ApiKeyModel, AuditLogModel, BroadcastModel, FacilitatorAssignmentModel, MemberModel, SubmissionModel, VillageModel, VillagePlanModel, WorkshopModel, SIMULATOR_SOURCES } from '../db/models.js';
import { type ReviewStatus } from '../vocabulary.js';
import type { Flow } from '../engine/index.js';
import { RISK_FLOW } from '../reports/summary.js';
import { localDay, localDayStart } from '../time/index.js';
import { flowTranslator, labelSubmission, type Lang, type LabelledSubmission, type Lookups } from '../reports/labels.js';
import { assertAdmin, assertVillage, canSeeVillage, villageFilter, type Actor } from './access.js';
import { audit } from './audit.js';
import { createApiKey } from './auth.js';
import { WorkspaceError, badRequest, notFound } from './errors.js';
import type * as S from './schemas.js';
import { countInvitesByVillage } from '../db/repositories/workshops.js';
import { findVillageSettings } from '../db/repositories/villages.js';
import { findBroadcast } from '../db/repositories/broadcasts.js';
import { cancelBroadcast } from '../facilitator/broadcasts.js';
import { addCalendarDays, calendarDayOf, formatCalendarDay, parseCalendarDay, storedCalendarDay } from '../time/calendar.js';

export { RISK_FLOW };

export interface Notifier {
  (memberId: string, message: { key: string; params?: Record<string, unknown> }): Promise<void>;
}

export interface Ctx {
  flows: Map<string, Flow>;
  i18n: I18n;
  now: () => Date;
  /** For dates in answers ("kemarin") and their display, e.g. Asia/Jayapura. */
  timeZone: string;
  notifyMember: Notifier;
  logger: { warn(obj: unknown, msg?: string): void };
  /** After a form entered for a resident is stored (the service alerts facilitators of a risk report). */
  onProxySubmitted?: (submission: ProxySubmitted) => Promise<void>;
  /** The workspace's public address (links in exports). */
  publicBaseUrl?: string;
}

export interface ProxySubmitted {
  id: string;
  enteredBy: string;
  forName: string;
  flowId: string;
  flowVersion: number;
  villageCode: string;
  answers: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

const NOTHING = { _id: { $in: [] as Types.ObjectId[] } };

function dayStart(iso: string, timeZone: string): Date {
  return localDayStart(iso, timeZone);
}
/** The instant the local day after `iso` starts: the end of a range that includes `iso`. */
function dayAfter(iso: string, timeZone: string): Date {
  const day = parseCalendarDay(iso);
  if (!day) throw badRequest(`"${iso}" is not a date (yyyy-mm-dd).`);
  return dayStart(formatCalendarDay(addCalendarDays(day, 1)), timeZone);
}
/** from/to are local days in the programme's zone (TIMEZONE). */
export function dateRange(from: string | undefined, to: string | undefined, timeZone: string): Record<string, Date> | undefined {
  if (!from && !to) return undefined;
  if (from && to && from > to) throw badRequest('"from" is after "to".');
  return { ...(from ? { $gte: dayStart(from, timeZone) } : {}), ...(to ? { $lt: dayAfter(to, timeZone) } : {}) };
}

// ---- villages ---------------------------------------------------------------------------

export interface VillageView {
  code: string;
  name: string;
  kecamatan: string;
  kecamatanCode: string;
  assisted: boolean;
  planUpdateDate: string | null;
  coverage: { members: number; byRole: Record<string, number>; submissions: number; reportsNew: number; lastSubmissionAt: string | null };
}

export async function listVillages(actor: Actor, q: z.infer<typeof S.villagesQuery>): Promise<VillageView[]> {
  const filter: Record<string, unknown> = { ...(villageFilter(actor, 'code') ?? NOTHING) };
  if (q.kecamatan) filter.kecamatanCode = q.kecamatan;
  if (q.assisted) filter.assisted = q.assisted === 'true';
  const villages = await VillageModel.find(filter).sort({ kecamatan: 1, name: 1 }).lean();
  const codes = villages.map((v) => v.code);
  const [members, subs, fresh] = await Promise.all([
    MemberModel.aggregate<{ _id: { v: string; r: string }; n: number }>([
      { $match: { villageCode: { $in: codes }, registeredAt: { $ne: null } } },
      { $group: { _id: { v: '$villageCode', r: '$role' }, n: { $sum: 1 } } },
    ]),
    SubmissionModel.aggregate<{ _id: string; n: number; last: Date }>([
      { $match: { villageCode: { $in: codes }, flowId: { $ne: 'daftar' } } },
      { $group: { _id: '$villageCode', n: { $sum: 1 }, last: { $max: '$submittedAt' } } },
    ]),
    SubmissionModel.aggregate<{ _id: string; n: number }>([
      { $match: { villageCode: { $in: codes }, flowId: RISK_FLOW, 'review.status': 'baru' } },
      { $group: { _id: '$villageCode', n: { $sum: 1 } } },
    ]),
  ]);
  return villages.map((v) => {
    const byRole: Record<string, number> = {};
    for (const m of members) if (m._id.v === v.code) byRole[m._id.r] = m.n;
    const s = subs.find((x) => x._id === v.code);
    return {
      code: v.code,
      name: v.name,
      kecamatan: v.kecamatan,
      kecamatanCode: v.kecamatanCode,
      assisted: v.assisted,
      planUpdateDate: v.planUpdateDate ? calendarDayOf(v.planUpdateDate) : null,
      coverage: {
        members: Object.values(byRole).reduce((a, b) => a + b, 0),
        byRole,
        submissions: s?.n ?? 0,
        reportsNew: fresh.find((x) => x._id === v.code)?.n ?? 0,
        lastSubmissionAt: s?.last ? s.last.toISOString() : null,
      },
    };
  });
}

export async function getVillage(actor: Actor, code: string): Promise<VillageView> {
  assertVillage(actor, code);
  const [v] = await listVillages({ ...actor, villages: [code] }, {});
  if (!v) throw notFound('village');
  return v;
}

export async function patchVillage(actor: Actor, code: string, body: z.infer<typeof S.villagePatch>): Promise<VillageView> {
  assertAdmin(actor);
  const set: Record<string, unknown> = {};
  if (body.assisted !== undefined) set.assisted = body.assisted;
  if (body.planUpdateDate !== undefined) set.planUpdateDate = body.planUpdateDate ? storedCalendarDay(body.planUpdateDate) : null;
  const before = await findVillageSettings(code);
  if (!before) throw notFound('village');
  await VillageModel.updateOne({ code }, { $set: set });
  await audit(actor, { action: 'village.update', targetType: 'village', targetId: code, villageCode: code, details: { ...set, before } }, new Date());
  return getVillage(actor, code);
}

export async function villageNames(codes?: string[]): Promise<Map<string, { name: string; kecamatan: string }>> {
  const rows = await VillageModel.find(codes ? { code: { $in: codes } } : {}, { code: 1, name: 1, kecamatan: 1 }).lean();
  return new Map(rows.map((r) => [r.code, { name: r.name, kecamatan: r.kecamatan }]));
}

// ---- members ------------------------------------------------------------------------------

export interface MemberView {
  id: string;
  name: string | null;
  role: string;
  villageCode: string | null;
  language: string;
  channel: string;
  registeredAt: string | null;
  assignedVillages?: string[];
}

/** Never a phone number or a platform id. */
export async function listMembers(actor: Actor, q: z.infer<typeof S.membersQuery>): Promise<Page<MemberView>> {
  const scope = villageFilter(actor, 'villageCode', q.village);
  const filter: Record<string, unknown> = { ...(scope ?? NOTHING), registeredAt: { $ne: null } };
  if (q.role) filter.role = q.role;
  const [rows, total] = await Promise.all([
    MemberModel.find(filter, { name: 1, role: 1, villageCode: 1, language: 1, channel: 1, registeredAt: 1 })
      .sort({ villageCode: 1, name: 1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean(),
    MemberModel.countDocuments(filter),
  ]);
  const facilitatorIds = rows.filter((r) => r.role === 'fasilitator').map((r) => r._id);
  const assignments = await FacilitatorAssignmentModel.find({ memberId: { $in: facilitatorIds } }).lean();
  return {
    items: rows.map((r) => ({
      id: String(r._id),
      name: r.name ?? null,
      role: r.role,
      villageCode: r.villageCode ?? null,
      language: r.language,
      channel: r.channel,
      registeredAt: r.registeredAt ? r.registeredAt.toISOString() : null,
      ...(r.role === 'fasilitator' ? { assignedVillages: assignments.find((a) => String(a.memberId) === String(r._id))?.villageCodes ?? [] } : {}),
    })),
    page: q.page,
    limit: q.limit,
    total,
  };
}

export async function setAssignment(actor: Actor, memberId: string, villageCodes: string[]): Promise<{ memberId: string; villageCodes: string[] }> {
  assertAdmin(actor);
  const member = await MemberModel.findById(memberId, { role: 1, name: 1 }).lean();
  if (!member || member.role !== 'fasilitator') throw notFound('facilitator');
  const known = await VillageModel.countDocuments({ code: { $in: villageCodes } });
  const unique = [...new Set(villageCodes)];
  if (known !== unique.length) throw badRequest('Unknown village code in villageCodes.');
  await FacilitatorAssignmentModel.updateOne({ memberId }, { $set: { villageCodes: unique } }, { upsert: true });
  await audit(actor, { action: 'facilitator.assign', targetType: 'member', targetId: memberId, details: { name: member.name ?? null, villageCodes: unique } }, new Date());
  return { memberId, villageCodes: unique };
}

// ---- plans -------------------------------------------------------------------------------

export interface PlanView {
  id: string;
  villageCode: string;
  year: number;
  goals: { id: string; title: string }[];
  challenges: { id: string; title: string }[];
  activities: { id: string; title: string; owner: string | null; targetDate: string | null; status: string; percentDone: number; lastReportAt: string | null }[];
  updatedAt: string | null;
}

type PlanDoc = Awaited<ReturnType<typeof loadPlan>>;
async function loadPlan(code: string, year: number) {
  return VillagePlanModel.findOne({ villageCode: code, year }).lean();
}

export function planView(p: NonNullable<PlanDoc>): PlanView {
  return {
    id: String(p._id),
    villageCode: p.villageCode,
    year: p.year,
    goals: p.goals.map((g) => ({ id: String(g._id), title: g.title })),
    challenges: p.challenges.map((g) => ({ id: String(g._id), title: g.title })),
    activities: p.activities.map((a) => ({
      id: String(a._id),
      title: a.title,
      owner: a.owner ?? null,
      targetDate: a.targetDate ? calendarDayOf(a.targetDate) : null,
      status: a.status,
      percentDone: a.percentDone,
      lastReportAt: a.lastReportAt ? a.lastReportAt.toISOString() : null,
    })),
    updatedAt: (p as { updatedAt?: Date }).updatedAt?.toISOString() ?? null,
  };
}

export async function listPlans(actor: Actor, q: z.infer<typeof S.plansQuery>): Promise<Page<PlanView>> {
  const filter: Record<string, unknown> = { ...(villageFilter(actor, 'villageCode', q.village) ?? NOTHING) };
  if (q.year) filter.year = q.year;
  const [rows, total] = await Promise.all([
    VillagePlanModel.find(filter).sort({ villageCode: 1, year: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean(),
    VillagePlanModel.countDocuments(filter),
  ]);
  return { items: rows.map(planView), page: q.page, limit: q.limit, total };
}

export async function getPlan(actor: Actor, code: string, year: number): Promise<PlanView> {
  assertVillage(actor, code);
  const plan = await loadPlan(code, year);
  if (!plan) throw notFound('plan');
  return planView(plan);
}

/** Replaces the plan's lists; items sent with their id keep it (progress reports point at activity ids). */
export async function putPlan(actor: Actor, code: string, year: number, body: z.infer<typeof S.planBody>): Promise<PlanView> {
  assertVillage(actor, code);
  if (!(await VillageModel.exists({ code }))) throw notFound('village');
  const existing = await loadPlan(code, year);
  const keep = <T extends { _id: Types.ObjectId }>(list: T[] | undefined, id: string | undefined) =>
    id && list?.some((x) => String(x._id) === id) ? new Types.ObjectId(id) : new Types.ObjectId();
  const prevActivities = new Map((existing?.activities ?? []).map((a) => [String(a._id), a]));
  const doc = {
    goals: body.goals.map((g) => ({ _id: keep(existing?.goals, g.id), title: g.title })),
    challenges: body.challenges.map((g) => ({ _id: keep(existing?.challenges, g.id), title: g.title })),
    activities: body.activities.map((a) => {
      const prev = a.id ? prevActivities.get(a.id) : undefined;
      return {
        _id: keep(existing?.activities, a.id),
        title: a.title,
        owner: a.owner ?? null,
        targetDate: a.targetDate ? storedCalendarDay(a.targetDate) : null,
        status: a.status ?? prev?.status ?? 'belum',
        percentDone: a.percentDone ?? prev?.percentDone ?? 0,
        lastReportAt: prev?.lastReportAt ?? null,
        goalId: prev?.goalId ?? null,
      };
    }),
  };
  await VillagePlanModel.updateOne({ villageCode: code, year }, { $set: doc, $setOnInsert: { villageCode: code, year } }, { upsert: true });
  await audit(actor, {
    action: existing ? 'plan.update' : 'plan.create', targetType: 'plan', targetId: `${code}/${year}`, villageCode: code,
    details: { year, goals: doc.goals.length, challenges: doc.challenges.length, activities: doc.activities.length },
  }, new Date());
  return getPlan(actor, code, year);
}

export async function patchActivity(actor: Actor, code: string, year: number, activityId: string, body: z.infer<typeof S.activityPatch>): Promise<PlanView> {
  assertVillage(actor, code);
  const set: Record<string, unknown> = {};
  if (body.title !== undefined) set['activities.$.title'] = body.title;
  if (body.owner !== undefined) set['activities.$.owner'] = body.owner;
  if (body.targetDate !== undefined) set['activities.$.targetDate'] = body.targetDate ? storedCalendarDay(body.targetDate) : null;
  if (body.status !== undefined) set['activities.$.status'] = body.status;
  if (body.percentDone !== undefined) set['activities.$.percentDone'] = body.percentDone;
  if (Object.keys(set).length === 0) throw badRequest('Nothing to change.');
  const prev = (await loadPlan(code, year))?.activities.find((a) => String(a._id) === activityId);
  const res = await VillagePlanModel.updateOne({ villageCode: code, year, 'activities._id': new Types.ObjectId(activityId) }, { $set: set });
  if (res.matchedCount === 0 || !prev) throw notFound('activity');
  const before = { title: prev.title, status: prev.status, percentDone: prev.percentDone };
  await audit(actor, { action: 'plan.activity.update', targetType: 'activity', targetId: activityId, villageCode: code, details: { ...body, title: body.title ?? prev.title, before } }, new Date());
  return getPlan(actor, code, year);
}

// ---- submissions and reports ------------------------------------------------------------------

export interface SubmissionView {
  id: string;
  flowId: string;
  villageCode: string | null;
  villageName: string | null;
  /** The village the reporter typed at registration ("desa lain") while they have none from the list. */
  villageTyped: string | null;
  submittedAt: string;
  channel: string;
  reporter: { id: string; name: string | null; role: string | null } | null;
  proxy: { enteredBy: string; enteredByName: string | null; forName: string; consentAloud: boolean } | null;
  review: { status: string; note: string | null; reviewedAt: string | null; notes: { text: string; status: string | null; byName: string | null; at: string }[] } | null;
  location: { latitude: number; longitude: number } | null;
  labelled: LabelledSubmission;
  demo: boolean;
}

type SubDoc = Record<string, unknown> & {
  _id: Types.ObjectId; flowId: string; villageCode?: string | null; submittedAt: Date; channel: string; memberId: Types.ObjectId;
  answers: Record<string, unknown>; display?: Record<string, unknown> | null; review?: Record<string, unknown>; proxy?: Record<string, unknown> | null; demo?: boolean;
};

export function locationOf(answers: Record<string, unknown>): { latitude: number; longitude: number } | null {
  for (const v of Object.values(answers)) {
    if (v && typeof v === 'object' && typeof (v as { latitude?: unknown }).latitude === 'number' && typeof (v as { longitude?: unknown }).longitude === 'number') {
      const { latitude, longitude } = v as { latitude: number; longitude: number };
      if (Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) return { latitude, longitude };
    }
  }
  return null;
}

export async function lookupsFor(villageCodes: string[]): Promise<Lookups> {
  const [villages, plans] = await Promise.all([
    VillageModel.find({}, { code: 1, name: 1 }).lean(),
    VillagePlanModel.find({ villageCode: { $in: villageCodes } }, { activities: 1 }).lean(),
  ]);
  return {
    villages: new Map(villages.map((v) => [v.code, v.name])),
    activities: new Map(plans.flatMap((p) => p.activities.map((a) => [String(a._id), a.title] as const))),
  };
}

async function views(ctx: Ctx, docs: SubDoc[], lang: Lang): Promise<SubmissionView[]> {
  const codes = [...new Set(docs.map((d) => d.villageCode).filter((c): c is string => !!c))];
  const [lookups, members] = await Promise.all([
    lookupsFor(codes),
    MemberModel.find({ _id: { $in: [...docs.map((d) => d.memberId), ...docs.map((d) => (d.proxy as { enteredBy?: Types.ObjectId } | null)?.enteredBy)].filter(Boolean) } }, { name: 1, role: 1, villageOther: 1 }).lean(),
  ]);
  return docs.map((d) => {
    const flow = ctx.flows.get(d.flowId);
    const member = members.find((m) => String(m._id) === String(d.memberId));
    const review = d.review as { status?: string; note?: string | null; reviewedAt?: Date | null; notes?: { text: string; status?: string | null; byName?: string | null; at: Date }[] } | undefined;
    const proxy = d.proxy as { enteredBy: Types.ObjectId; forName: string; consentAloud: boolean } | null | undefined;
    return {
      id: String(d._id),
      flowId: d.flowId,
      villageCode: d.villageCode ?? null,
      villageName: d.villageCode ? (lookups.villages.get(d.villageCode) ?? null) : null,
      villageTyped: d.villageCode ? null : (member?.villageOther ?? null),
      submittedAt: d.submittedAt.toISOString(),
      channel: d.channel,
      reporter: member ? { id: String(member._id), name: member.name ?? null, role: member.role ?? null } : null,
      proxy: proxy ? { enteredBy: String(proxy.enteredBy), enteredByName: members.find((m) => String(m._id) === String(proxy.enteredBy))?.name ?? null, forName: proxy.forName, consentAloud: proxy.consentAloud } : null,
      review: d.flowId === RISK_FLOW && review ? {
        status: review.status ?? 'baru',
        note: review.note ?? null,
        reviewedAt: review.reviewedAt ? review.reviewedAt.toISOString() : null,
        notes: (review.notes ?? []).map((n) => ({ text: n.text, status: n.status ?? null, byName: n.byName ?? null, at: n.at.toISOString() })),
      } : null,
      location: locationOf(d.answers),
      labelled: labelSubmission(flow, d.answers, d.display, flowTranslator(ctx.i18n, flow, lang), lookups, lang),
      demo: !!d.demo,
    };
  });
}

export async function listSubmissions(ctx: Ctx, actor: Actor, q: z.infer<typeof S.submissionsQuery> & { status?: ReviewStatus }, onlyFlow?: string): Promise<Page<SubmissionView>> {
  const filter: Record<string, unknown> = { ...(villageFilter(actor, 'villageCode', q.village) ?? NOTHING) };
  const flow = onlyFlow ?? q.flow;
  filter.flowId = flow ?? { $ne: 'daftar' };
  const range = dateRange(q.from, q.to, ctx.timeZone);
  if (range) filter.submittedAt = range;
  if (q.status) filter['review.status'] = q.status;
  const [rows, total] = await Promise.all([
    SubmissionModel.find(filter).sort({ submittedAt: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean<SubDoc[]>(),
    SubmissionModel.countDocuments(filter),
  ]);
  return { items: await views(ctx, rows, q.lang ?? actor.language), page: q.page, limit: q.limit, total };
}

export async function getSubmission(ctx: Ctx, actor: Actor, id: string, lang?: Lang, onlyFlow?: string): Promise<SubmissionView> {
  const doc = await SubmissionModel.findById(id).lean<SubDoc>();
  if (!doc || doc.flowId === 'daftar' || (onlyFlow && doc.flowId !== onlyFlow) || !canSeeVillage(actor, doc.villageCode)) throw notFound('submission');
  const [view] = await views(ctx, [doc], lang ?? actor.language);
  return view!;
}

/** "08/12/2026" in the programme's zone. */
function displayDate(d: Date, timeZone: string): string {
  return localDay(d, timeZone).split('-').reverse().join('/');
}

/** Sets a risk report's review status (pages, API, chat buttons); tells the reporter. */
export async function setReportStatus(
  ctx: Ctx,
  actor: Actor,
  reportId: string,
  status: ReviewStatus,
  note?: string,
): Promise<SubmissionView> {
  if (!Types.ObjectId.isValid(reportId)) throw notFound('report');
  const doc = await SubmissionModel.findById(reportId, { flowId: 1, villageCode: 1, memberId: 1, review: 1, submittedAt: 1, demo: 1, channel: 1 }).lean();
  if (!doc || doc.flowId !== RISK_FLOW || !canSeeVillage(actor, doc.villageCode)) throw notFound('report');
  if (actor.simulatorOnly && doc.channel !== SIMULATOR_SOURCES.channel) throw notFound('report');
  const now = ctx.now();
  const previous = doc.review?.status ?? 'baru';
  const noteText = note?.trim() || null;
  const update: Record<string, unknown> = {
    $set: { 'review.status': status, 'review.reviewedAt': now, 'review.reviewerId': new Types.ObjectId(actor.memberId), ...(noteText ? { 'review.note': noteText } : {}) },
  };
  if (noteText || previous !== status) {
    update.$push = { 'review.notes': { text: noteText ?? `${previous} -> ${status}`, status, by: new Types.ObjectId(actor.memberId), byName: actor.name, at: now } };
  }
  await SubmissionModel.updateOne({ _id: doc._id }, update);
  await audit(actor, {
    action: 'report.review', targetType: 'submission', targetId: reportId, villageCode: doc.villageCode ?? null,
    details: { from: previous, to: status, ...(noteText ? { note: noteText } : {}) },
  }, now);
  if (previous !== status && !doc.demo && doc.memberId) {
    try {
      await ctx.notifyMember(String(doc.memberId), {
        key: `workspace:notice.report_status.${status}`,
        params: { date: displayDate(doc.submittedAt, ctx.timeZone), note: noteText ?? '' },
      });
    } catch (err) {
      ctx.logger.warn({ err, reportId }, 'Could not tell the reporter about the review');
    }
  }
  return getSubmission(ctx, actor, reportId);
}

/**
 * Risk reports whose "help needed" answer is filled, newest first. Not contact requests: those
 * are the help requests (src/workspace/people.ts).
 */
export async function listReportHelp(ctx: Ctx, actor: Actor, q: z.infer<typeof S.helpReportsQuery>): Promise<Page<SubmissionView>> {
  const filter: Record<string, unknown> = { ...(villageFilter(actor, 'villageCode', q.village) ?? NOTHING), flowId: RISK_FLOW, 'answers.help': { $exists: true, $nin: [null, ''] } };
  const [rows, total] = await Promise.all([
    SubmissionModel.find(filter).sort({ submittedAt: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean<SubDoc[]>(),
    SubmissionModel.countDocuments(filter),
  ]);
  return { items: await views(ctx, rows, actor.language), page: q.page, limit: q.limit, total };
}

// ---- workshops and broadcasts ------------------------------------------------------------------

/** Answers to a workshop's invitation from chat, per village; `belum`: invited, no answer yet. */
export interface RsvpView { villageCode: string; hadir: number; mungkin: number; tidak: number; belum: number }

export interface WorkshopView {
  id: string; title: string; villageCodes: string[]; place: string; startsAt: string; endsAt: string; status: string;
  attendance: { villageCode: string; total: number; women: number | null }[];
  rsvp: RsvpView[];
}

type WorkshopDoc = { _id: unknown; title: string; villageCodes: string[]; place: string; startsAt: Date; endsAt: Date; status?: string | null; attendance?: { villageCode: string; total: number; women?: number | null }[] };

function workshopView(w: WorkshopDoc, actor: Actor, rsvp: RsvpView[] = []): WorkshopView {
  return {
    id: String(w._id), title: w.title, villageCodes: w.villageCodes.filter((c) => canSeeVillage(actor, c)), place: w.place,
    startsAt: w.startsAt.toISOString(), endsAt: w.endsAt.toISOString(), status: w.status ?? 'scheduled',
    attendance: (w.attendance ?? []).filter((a) => canSeeVillage(actor, a.villageCode)).map((a) => ({ villageCode: a.villageCode, total: a.total, women: a.women ?? null })),
    rsvp: rsvp.filter((r) => canSeeVillage(actor, r.villageCode)),
  };
}

/** The chat answers of these workshops, per workshop and village (every village of the workshop, zeros included). */
async function rsvpsOf(workshops: WorkshopDoc[]): Promise<Map<string, RsvpView[]>> {
  const rows = await countInvitesByVillage(workshops.map((w) => w._id as Types.ObjectId));
  return new Map(workshops.map((w) => {
    const id = String(w._id);
    return [id, w.villageCodes.map((villageCode) => {
      const view: RsvpView = { villageCode, hadir: 0, mungkin: 0, tidak: 0, belum: 0 };
      for (const r of rows) if (r.workshopId === id && r.villageCode === villageCode) view[r.response ?? 'belum'] += r.n;
      return view;
    })];
  }));
}

export async function listWorkshops(actor: Actor, q: z.infer<typeof S.workshopsQuery>): Promise<Page<WorkshopView>> {
  const filter = villageFilter(actor, 'villageCodes', q.village) ?? NOTHING;
  const [rows, total] = await Promise.all([
    WorkshopModel.find(filter).sort({ startsAt: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean(),
    WorkshopModel.countDocuments(filter),
  ]);
  const rsvps = await rsvpsOf(rows);
  return { items: rows.map((w) => workshopView(w, actor, rsvps.get(String(w._id)))), page: q.page, limit: q.limit, total };
}

export async function createWorkshop(actor: Actor, body: z.infer<typeof S.workshopBody>): Promise<WorkshopView> {
  for (const c of body.villageCodes) assertVillage(actor, c);
  const startsAt = new Date(body.startsAt);
  const endsAt = new Date(body.endsAt);
  if (endsAt < startsAt) throw badRequest('endsAt is before startsAt.');
  const doc = await WorkshopModel.create({ ...body, startsAt, endsAt, createdBy: actor.memberId });
  await audit(actor, { action: 'workshop.create', targetType: 'workshop', targetId: String(doc._id), villageCode: body.villageCodes[0] ?? null, details: { title: body.title, villageCodes: body.villageCodes } }, new Date());
  return workshopView(doc.toObject(), actor);
}

export async function setAttendance(actor: Actor, id: string, body: z.infer<typeof S.attendanceBody>): Promise<WorkshopView> {
  const w = await WorkshopModel.findById(id).lean();
  if (!w || !w.villageCodes.some((c) => canSeeVillage(actor, c))) throw notFound('workshop');
  for (const a of body.attendance) {
    if (!w.villageCodes.includes(a.villageCode)) throw badRequest(`Village ${a.villageCode} is not part of this workshop.`);
    assertVillage(actor, a.villageCode);
  }
  // A facilitator changes only their villages' rows; the others stay as they are.
  const kept = (w.attendance ?? []).filter((a) => !body.attendance.some((b) => b.villageCode === a.villageCode));
  const attendance = [...kept, ...body.attendance.map((a) => ({ villageCode: a.villageCode, total: a.total, women: a.women ?? null }))];
  await WorkshopModel.updateOne({ _id: w._id }, { $set: { attendance } });
  const before = (w.attendance ?? []).filter((a) => body.attendance.some((b) => b.villageCode === a.villageCode)).map((a) => ({ villageCode: a.villageCode, total: a.total, women: a.women ?? null }));
  await audit(actor, { action: 'workshop.attendance', targetType: 'workshop', targetId: id, villageCode: body.attendance[0]?.villageCode ?? null, details: { title: w.title, attendance: body.attendance, before } }, new Date());
  const fresh = (await WorkshopModel.findById(id).lean())!;
  return workshopView(fresh, actor, (await rsvpsOf([fresh])).get(id));
}

export interface BroadcastView {
  id: string; kind: string; text: Record<string, string>; villageCodes: string[]; roles: string[]; scheduledAt: string; status: string; workshopId: string | null;
}

export async function listBroadcasts(actor: Actor, q: z.infer<typeof S.broadcastsQuery>): Promise<Page<BroadcastView>> {
  const filter = villageFilter(actor, 'audience.villageCodes') ?? NOTHING;
  const [rows, total] = await Promise.all([
    BroadcastModel.find(filter).sort({ scheduledAt: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean(),
    BroadcastModel.countDocuments(filter),
  ]);
  return {
    items: rows.map((b) => ({
      id: String(b._id), kind: b.kind, text: Object.fromEntries(b.text instanceof Map ? b.text : Object.entries(b.text as Record<string, string>)),
      villageCodes: b.audience?.villageCodes ?? [], roles: b.audience?.roles ?? [], scheduledAt: b.scheduledAt.toISOString(), status: b.status,
      workshopId: b.workshopId ? String(b.workshopId) : null,
    })),
    page: q.page, limit: q.limit, total,
  };
}

/** Schedules a broadcast; the dispatcher (chat side) sends it at `scheduledAt`. */
export async function createBroadcast(actor: Actor, body: z.infer<typeof S.broadcastBody>): Promise<BroadcastView> {
  for (const c of body.villageCodes) assertVillage(actor, c);
  const doc = await BroadcastModel.create({
    kind: body.kind,
    text: { id: body.text.id, ...(body.text.en ? { en: body.text.en } : {}) },
    audience: { villageCodes: body.villageCodes, roles: body.roles },
    workshopId: body.workshopId ?? null,
    scheduledAt: new Date(body.scheduledAt),
    createdBy: actor.memberId,
    createdByName: actor.name,
  });
  await audit(actor, { action: 'broadcast.create', targetType: 'broadcast', targetId: String(doc._id), villageCode: body.villageCodes[0] ?? null, details: { villageCodes: body.villageCodes, roles: body.roles, scheduledAt: body.scheduledAt } }, new Date());
  const page = await listBroadcasts({ ...actor, villages: 'all' }, { page: 1, limit: 1 });
  return page.items.find((b) => b.id === String(doc._id)) ?? page.items[0]!;
}

/** Stops a broadcast while it is being sent (the page's "Hentikan siaran"): nothing still waiting goes out. */
export async function stopBroadcast(ctx: Pick<Ctx, 'now'>, actor: Actor, id: string): Promise<void> {
  const b = Types.ObjectId.isValid(id) ? await findBroadcast(id) : null;
  const villages = b?.audience?.villageCodes ?? [];
  if (!b || villages.length === 0 || !villages.every((c) => canSeeVillage(actor, c))) throw notFound('broadcast');
  if (b.status !== 'sending') throw new WorkspaceError(400, 'not_sending', 'This broadcast is not being sent (any more).');
  await cancelBroadcast(id, { now: ctx.now });
  const text = b.text instanceof Map ? b.text.get('id') : (b.text as Record<string, string> | undefined)?.id;
  await audit(actor, { action: 'broadcast.stop', targetType: 'broadcast', targetId: id, villageCode: villages[0] ?? null, details: { text: text ?? '', from: 'sending', to: 'cancelled' } }, ctx.now());
}

// ---- audit log and API keys --------------------------------------------------------------------

export interface AuditView { at: string; actorName: string | null; via: string; action: string; targetType: string; targetId: string | null; villageCode: string | null; details: unknown }

export async function listAudit(actor: Actor, q: z.infer<typeof S.auditQuery>): Promise<Page<AuditView>> {
  // A facilitator sees the entries of their villages and their own.
  const scope = villageFilter(actor, 'villageCode', q.village);
  const filter: Record<string, unknown> = actor.role === 'admin' ? (scope ?? NOTHING) : { $or: [scope ?? NOTHING, ...(q.village ? [] : [{ actorId: new Types.ObjectId(actor.memberId) }])] };
  const [rows, total] = await Promise.all([
    AuditLogModel.find(filter).sort({ at: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean(),
    AuditLogModel.countDocuments(filter),
  ]);
  return {
    items: rows.map((r) => ({ at: r.at.toISOString(), actorName: r.actorName ?? null, via: r.via, action: r.action, targetType: r.targetType, targetId: r.targetId ?? null, villageCode: r.villageCode ?? null, details: r.details ?? null })),
    page: q.page, limit: q.limit, total,
  };
}

export interface ApiKeyView { id: string; name: string; prefix: string; memberId: string; createdAt: string | null; lastUsedAt: string | null; revokedAt: string | null }

export async function listApiKeys(actor: Actor): Promise<ApiKeyView[]> {
  assertAdmin(actor);
  const rows = await ApiKeyModel.find({}).sort({ createdAt: -1 }).lean();
  return rows.map((k) => ({
    id: String(k._id), name: k.name, prefix: k.prefix, memberId: String(k.memberId),
    createdAt: (k as { createdAt?: Date }).createdAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt ? k.lastUsedAt.toISOString() : null, revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
  }));
}

export async function newApiKey(actor: Actor, body: z.infer<typeof S.apiKeyBody>): Promise<{ id: string; key: string; prefix: string }> {
  assertAdmin(actor);
  const owner = body.memberId ?? actor.memberId;
  const member = await MemberModel.findById(owner, { role: 1 }).lean();
  if (!member || (member.role !== 'admin' && member.role !== 'fasilitator')) throw badRequest('An API key acts for a facilitator or an admin.');
  const created = await createApiKey(owner, body.name, actor.memberId);
  await audit(actor, { action: 'apikey.create', targetType: 'apikey', targetId: created.id, details: { name: body.name, prefix: created.prefix, memberId: owner } }, new Date());
  return created;
}

export async function revokeApiKey(actor: Actor, id: string): Promise<void> {
  assertAdmin(actor);
  const res = await ApiKeyModel.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: new Date() } });
  if (res.matchedCount === 0) throw notFound('API key');
  await audit(actor, { action: 'apikey.revoke', targetType: 'apikey', targetId: id }, new Date());
}
