/**
 * The village (or kecamatan) summary: profile facts and what changed since last year, risk
 * reports by type and month, activity progress, coverage, help requests, workshop attendance
 * and the points for the map. Plain data; the pages draw it, the chat gets a short text.
 */
import type { i18n as I18n } from 'i18next';
import { HelpRequestModel, MemberModel, SIMULATOR_PEOPLE, SIMULATOR_SOURCES, SubmissionModel, VillageModel, VillagePlanModel, WorkshopModel } from '../db/models.js';
import type { Flow, LeafQuestion } from '../engine/index.js';
import { DEFAULT_TIME_ZONE, localDay, localParts, zonedTime } from '../time/index.js';
import { flowTranslator, formatAnswer, leafQuestions, type Lang, type Lookups } from './labels.js';
import { calendarDayOf } from '../time/calendar.js';

export const RISK_FLOW = 'laporan-risiko';
export const PROFILE_FLOW = 'profil-desa';

export interface SummaryData {
  villages: { code: string; name: string; kecamatan: string }[];
  profile: { id: string; label: string; value: string; previous: string | null; changed: boolean }[];
  profileYear: number | null;
  risks: { total: number; byType: { id: string; label: string; value: number }[]; byMonth: { month: string; value: number }[]; byStatus: Record<string, number> };
  activities: { villageCode: string; title: string; owner: string | null; status: string; percentDone: number; targetDate: string | null }[];
  coverage: { members: number; byRole: Record<string, number>; answeredBy: Record<string, number>; byGender: Record<string, number> | null; submissions: Record<string, number> };
  /** The "help needed" answers of risk reports (not contact requests). */
  help: { id: string; villageCode: string | null; date: string; text: string }[];
  /** "Minta dihubungi" requests from the chat, by status (baru, dihubungi, selesai). */
  helpRequests: { total: number; byStatus: Record<string, number> };
  workshops: { title: string; startsAt: string; place: string; total: number; women: number | null }[];
  points: { id: string; lat: number; lng: number; label: string; village: string; date: string; status: string }[];
}

const MONTHS = 12;

/** The local month (yyyy-mm) of an instant in the programme's zone. */
function monthKey(d: Date, timeZone: string): string {
  return localDay(d, timeZone).slice(0, 7);
}

/**
 * `simulatorOnly`: counts only the chat simulator's people, their reports and workshops (what its staff may see).
 * `timeZone` (config TIMEZONE): the months and days reports fall in, as lived there.
 */
export async function buildSummary(opts: { codes: string[]; flows: Map<string, Flow>; i18n: I18n; lang: Lang; now: Date; timeZone?: string; simulatorOnly?: boolean }): Promise<SummaryData> {
  const { codes, flows, i18n, lang, now } = opts;
  const tz = opts.timeZone ?? DEFAULT_TIME_ZONE;
  const today = localParts(now, tz);
  const fromSim = opts.simulatorOnly ? SIMULATOR_SOURCES : {};
  const people = opts.simulatorOnly ? SIMULATOR_PEOPLE : {};
  const villages = await VillageModel.find({ code: { $in: codes } }, { code: 1, name: 1, kecamatan: 1 }).sort({ name: 1 }).lean();
  const plans = await VillagePlanModel.find({ villageCode: { $in: codes } }).sort({ year: -1 }).lean();
  const lookups: Lookups = {
    villages: new Map(villages.map((v) => [v.code, v.name])),
    activities: new Map(plans.flatMap((p) => p.activities.map((a) => [String(a._id), a.title] as const))),
  };

  // Profile facts: latest answer per question this year vs. the year before (single village only).
  const profile: SummaryData['profile'] = [];
  let profileYear: number | null = null;
  const profileFlow = flows.get(PROFILE_FLOW);
  if (codes.length === 1 && profileFlow) {
    const subs = await SubmissionModel.find({ ...fromSim, villageCode: codes[0], flowId: PROFILE_FLOW }, { answers: 1, submittedAt: 1 }).sort({ submittedAt: -1 }).limit(200).lean();
    if (subs[0]) {
      const yearOf = (d: Date) => localParts(d, tz).year;
      profileYear = yearOf(subs[0].submittedAt);
      const latest = new Map<string, unknown>();
      const previous = new Map<string, unknown>();
      for (const s of subs) {
        const target = yearOf(s.submittedAt) === profileYear ? latest : yearOf(s.submittedAt) === profileYear - 1 ? previous : null;
        if (!target) continue;
        for (const [k, v] of Object.entries(s.answers as Record<string, unknown>)) if (!target.has(k) && v !== null && v !== '' && v !== undefined) target.set(k, v);
      }
      const t = flowTranslator(i18n, profileFlow, lang);
      for (const q of leafQuestions(profileFlow)) {
        if (!latest.has(q.id)) continue;
        const value = formatAnswer(q as LeafQuestion, latest.get(q.id), t, lookups, lang);
        const prev = previous.has(q.id) ? formatAnswer(q as LeafQuestion, previous.get(q.id), t, lookups, lang) : null;
        profile.push({ id: q.id, label: t(q.label), value, previous: prev, changed: prev !== null && prev !== value });
      }
    }
  }

  // Risk reports.
  const riskFlow = flows.get(RISK_FLOW);
  const tRisk = flowTranslator(i18n, riskFlow, lang);
  const since = zonedTime(today.year, today.month - (MONTHS - 1), 1, 0, 0, tz);
  const risks = await SubmissionModel.find(
    { ...fromSim, villageCode: { $in: codes }, flowId: RISK_FLOW },
    { answers: 1, submittedAt: 1, villageCode: 1, 'review.status': 1 },
  ).sort({ submittedAt: -1 }).limit(20000).lean();
  const typeQ = riskFlow?.questions.find((q) => q.id === 'type');
  const typeLabel = (id: string) => (typeQ && typeQ.type !== 'group' ? formatAnswer(typeQ as LeafQuestion, id, tRisk, lookups, lang) : id);
  const byTypeMap = new Map<string, number>();
  const byMonthMap = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  const points: SummaryData['points'] = [];
  const help: SummaryData['help'] = [];
  for (const r of risks) {
    const a = r.answers as Record<string, unknown>;
    const type = typeof a.type === 'string' ? a.type : 'lainnya';
    byTypeMap.set(type, (byTypeMap.get(type) ?? 0) + 1);
    if (r.submittedAt >= since) byMonthMap.set(monthKey(r.submittedAt, tz), (byMonthMap.get(monthKey(r.submittedAt, tz)) ?? 0) + 1);
    const status = r.review?.status ?? 'baru';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const loc = a.location as { latitude?: unknown; longitude?: unknown } | undefined;
    if (loc && typeof loc.latitude === 'number' && typeof loc.longitude === 'number' && points.length < 2000) {
      points.push({
        id: String(r._id), lat: loc.latitude, lng: loc.longitude, label: typeLabel(type),
        village: lookups.villages.get(r.villageCode ?? '') ?? '', date: localDay(r.submittedAt, tz), status,
      });
    }
    if (typeof a.help === 'string' && a.help.trim() && help.length < 20) {
      help.push({ id: String(r._id), villageCode: r.villageCode ?? null, date: localDay(r.submittedAt, tz), text: a.help });
    }
  }
  const byMonth: SummaryData['risks']['byMonth'] = [];
  for (let i = MONTHS - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(today.year, today.month - 1 - i, 15));
    const key = monthKey(d, 'UTC');
    byMonth.push({ month: key, value: byMonthMap.get(key) ?? 0 });
  }
  const byType = [...byTypeMap.entries()].sort((a, b) => b[1] - a[1]).map(([id, value]) => ({ id, label: typeLabel(id), value }));

  // Activities of each village's latest plan.
  const latestPlan = new Map<string, (typeof plans)[number]>();
  for (const p of plans) if (!latestPlan.has(p.villageCode)) latestPlan.set(p.villageCode, p);
  const activities = [...latestPlan.values()].flatMap((p) => p.activities.map((a) => ({
    villageCode: p.villageCode, title: a.title, owner: a.owner ?? null, status: a.status, percentDone: a.percentDone,
    targetDate: a.targetDate ? calendarDayOf(a.targetDate) : null,
  })));

  // Coverage: registered members by role; who answered (distinct members by role).
  const [byRoleRows, answered, subCounts] = await Promise.all([
    MemberModel.aggregate<{ _id: string; n: number }>([
      { $match: { ...people, villageCode: { $in: codes }, registeredAt: { $ne: null } } }, { $group: { _id: '$role', n: { $sum: 1 } } },
    ]),
    SubmissionModel.distinct('memberId', { ...fromSim, villageCode: { $in: codes }, flowId: { $nin: ['daftar'] } }),
    SubmissionModel.aggregate<{ _id: string; n: number }>([
      { $match: { ...fromSim, villageCode: { $in: codes }, flowId: { $ne: 'daftar' } } }, { $group: { _id: '$flowId', n: { $sum: 1 } } },
    ]),
  ]);
  const answeredRows = await MemberModel.aggregate<{ _id: string; n: number }>([
    { $match: { _id: { $in: answered } } }, { $group: { _id: '$role', n: { $sum: 1 } } },
  ]);
  const byRole = Object.fromEntries(byRoleRows.map((r) => [r._id, r.n]));

  const workshops = await WorkshopModel.find({ ...(opts.simulatorOnly ? { simulatorOnly: true } : {}), villageCodes: { $in: codes } }).sort({ startsAt: -1 }).limit(10).lean();
  const helpRows = await HelpRequestModel.aggregate<{ _id: string; n: number }>([
    { $match: { ...fromSim, villageCode: { $in: codes } } }, { $group: { _id: '$status', n: { $sum: 1 } } },
  ]);
  return {
    villages: villages.map((v) => ({ code: v.code, name: v.name, kecamatan: v.kecamatan })),
    profile,
    profileYear,
    risks: { total: risks.length, byType, byMonth, byStatus },
    activities,
    coverage: {
      members: byRoleRows.reduce((a, r) => a + r.n, 0),
      byRole,
      answeredBy: Object.fromEntries(answeredRows.map((r) => [r._id, r.n])),
      // Gender is not asked at registration (yet): shown as "not collected".
      byGender: null,
      submissions: Object.fromEntries(subCounts.map((r) => [r._id, r.n])),
    },
    help,
    helpRequests: { total: helpRows.reduce((a, r) => a + r.n, 0), byStatus: Object.fromEntries(helpRows.map((r) => [r._id, r.n])) },
    workshops: workshops.map((w) => {
      const rows = (w.attendance ?? []).filter((a) => codes.includes(a.villageCode));
      const women = rows.some((a) => typeof a.women === 'number') ? rows.reduce((s, a) => s + (a.women ?? 0), 0) : null;
      return { title: w.title, startsAt: w.startsAt.toISOString(), place: w.place, total: rows.reduce((s, a) => s + a.total, 0), women };
    }),
    points,
  };
}

/** A few lines for the chat `ringkasan` command. */
export function summaryText(data: SummaryData, i18n: I18n, lang: Lang): string {
  const t = i18n.getFixedT(lang, 'workspace');
  const name = data.villages.map((v) => v.name).join(', ');
  const lines = [t('chat.summary_title', { name })];
  lines.push(t('chat.summary_members', { count: data.coverage.members }));
  const fresh = data.risks.byStatus.baru ?? 0;
  lines.push(t('chat.summary_reports', { count: data.risks.total, fresh }));
  const top = data.risks.byType.slice(0, 3).map((r) => `${r.label} (${r.value})`).join(', ');
  if (top) lines.push(t('chat.summary_top', { list: top }));
  const done = data.activities.filter((a) => a.status === 'selesai').length;
  const running = data.activities.filter((a) => a.status === 'berjalan').length;
  const stuck = data.activities.filter((a) => a.status === 'terhambat').length;
  lines.push(t('chat.summary_activities', { total: data.activities.length, done, running, stuck }));
  const waiting = data.helpRequests.byStatus.baru ?? 0;
  if (waiting) lines.push(t('chat.summary_help_requests', { count: waiting }));
  if (data.help[0]) lines.push(t('chat.summary_help', { text: data.help[0].text.slice(0, 120) }));
  return lines.join('\n');
}
