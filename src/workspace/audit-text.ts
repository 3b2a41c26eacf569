/**
 * The audit log in words a facilitator reads ("Catatan perubahan"): who changed what, from
 * what to what. Entries keep their machine details (JSON in the database, for the API); this
 * turns each action into one sentence, naming villages, statuses and titles, never ids.
 *
 *   describeAudit(entry, { t, village: (code) => 'Solang', date: (iso) => '8 Des 2026' })
 *     -> { text: 'Mengubah status laporan risiko di Solang dari Baru menjadi Ditindaklanjuti.', note: '…' }
 */
import type { T } from './page-kit.js';
import type { AuditView } from './service.js';

export interface AuditWords {
  t: T;
  /** The village's name (the code when unknown). */
  village(code: string): string;
  /** A stored instant or yyyy-mm-dd day, as the pages show dates. */
  date(iso: string, withTime?: boolean): string;
  /** A flow's title ("Laporan risiko") from its id. */
  flow(id: string): string;
}

export interface AuditSentence {
  text: string;
  /** The note written with the change, shown under the sentence. */
  note?: string;
  /** Where the changed thing is shown, when it has a page. */
  link?: string;
}

type Details = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter(Boolean) : []);

function villages(codes: unknown, w: AuditWords): string {
  const names = list(codes).map((c) => w.village(c));
  return names.length ? names.join(', ') : '-';
}

function headcount(a: { total?: unknown; women?: unknown } | undefined, t: T): string {
  if (!a || typeof a.total !== 'number') return t('audit.nobody_recorded');
  return typeof a.women === 'number' ? t('audit.people_women', { count: a.total, women: a.women }) : t('audit.people', { count: a.total });
}

function attendance(d: Details, w: AuditWords): string {
  const before = (Array.isArray(d.before) ? d.before : []) as Details[];
  return (Array.isArray(d.attendance) ? d.attendance as Details[] : []).map((a) => {
    const prev = before.find((b) => b.villageCode === a.villageCode);
    return w.t('audit.change', { what: w.village(str(a.villageCode)), from: headcount(prev, w.t), to: headcount(a, w.t) });
  }).join('; ');
}

function activityChanges(d: Details, w: AuditWords): string {
  const before = (d.before ?? {}) as Details;
  const parts: string[] = [];
  if (typeof d.status === 'string') parts.push(w.t('audit.change', { what: w.t('plan.status'), from: before.status ? w.t(`activity.${str(before.status)}`) : '-', to: w.t(`activity.${d.status}`) }));
  if (typeof d.percentDone === 'number') parts.push(w.t('audit.change', { what: w.t('audit.percent'), from: typeof before.percentDone === 'number' ? `${before.percentDone}%` : '-', to: `${d.percentDone}%` }));
  if (typeof d.owner === 'string') parts.push(w.t('audit.set', { what: w.t('audit.owner'), to: d.owner }));
  if (typeof d.targetDate === 'string') parts.push(w.t('audit.set', { what: w.t('audit.target_date'), to: w.date(d.targetDate) }));
  return parts.join('; ');
}

function villageChanges(d: Details, w: AuditWords): string {
  const before = (d.before ?? {}) as Details;
  const yesNo = (v: unknown) => (v === true ? w.t('export.yes') : v === false ? w.t('export.no') : '-');
  const day = (v: unknown) => (v instanceof Date ? w.date(v.toISOString()) : typeof v === 'string' ? w.date(v) : '-');
  const parts: string[] = [];
  if ('assisted' in d) parts.push(w.t('audit.change', { what: w.t('village.assisted'), from: yesNo(before.assisted), to: yesNo(d.assisted) }));
  if ('planUpdateDate' in d) parts.push(w.t('audit.change', { what: w.t('audit.plan_update_date'), from: day(before.planUpdateDate), to: day(d.planUpdateDate) }));
  return parts.join('; ');
}

const status = (key: string, v: unknown, t: T) => (typeof v === 'string' && v ? t(`${key}.${v}`) : '-');

/** One sentence per entry; an action this file does not know is still said without ids. */
export function describeAudit(e: AuditView, w: AuditWords): AuditSentence {
  const { t } = w;
  const d = (e.details && typeof e.details === 'object' ? e.details : {}) as Details;
  const village = e.villageCode ? w.village(e.villageCode) : '-';
  const note = str(d.note) || undefined;
  switch (e.action) {
    case 'report.review':
      return { text: t('audit.actions.report_review', { village, from: status('status', d.from, t), to: status('status', d.to, t) }), note, ...(e.targetId ? { link: `/app/laporan/${e.targetId}` } : {}) };
    case 'help.status':
      return { text: t('audit.actions.help_status', { village, from: status('help.statuses', d.from, t), to: status('help.statuses', d.to, t) }), note };
    case 'workshop.create':
      return { text: t('audit.actions.workshop_create', { title: str(d.title), villages: villages(d.villageCodes, w) }) };
    case 'workshop.attendance':
      return { text: t('audit.actions.workshop_attendance', { title: str(d.title) || '-', changes: attendance(d, w) }) };
    case 'broadcast.create':
      return { text: t('audit.actions.broadcast_create', { villages: villages(d.villageCodes, w), when: d.scheduledAt ? w.date(str(d.scheduledAt), true) : '-' }) };
    case 'broadcast.stop':
      return { text: t('audit.actions.broadcast_stop', { text: str(d.text).slice(0, 80) }) };
    case 'village.update':
      return { text: t('audit.actions.village_update', { village, changes: villageChanges(d, w) }) };
    case 'facilitator.assign':
      return { text: t('audit.actions.facilitator_assign', { name: str(d.name) || t('audit.a_facilitator'), villages: villages(d.villageCodes, w) }) };
    case 'member.message':
      return { text: t('audit.actions.member_message', { typed: str(d.villageOther) || '-' }) };
    case 'member.village_set':
      return { text: t('audit.actions.member_village_set', { typed: str(d.villageOther) || '-', village }) };
    case 'plan.create':
    case 'plan.update':
      return { text: t(`audit.actions.${e.action === 'plan.create' ? 'plan_create' : 'plan_update'}`, { village, year: str(d.year) || str(e.targetId?.split('/')[1]), goals: Number(d.goals ?? 0), challenges: Number(d.challenges ?? 0), activities: Number(d.activities ?? 0) }) };
    case 'plan.activity.update':
      return { text: t('audit.actions.activity_update', { title: str(d.title) || '-', village, changes: activityChanges(d, w) }) };
    case 'submission.proxy':
      return { text: t('audit.actions.submission_proxy', { flow: w.flow(str(d.flowId)), name: str(d.forName), village }) };
    case 'proxy.start':
    case 'proxy.cancel':
      return { text: t(`audit.actions.${e.action === 'proxy.start' ? 'proxy_start' : 'proxy_cancel'}`, { flow: w.flow(str(e.targetId)), name: str(d.forName), village }) };
    case 'export':
    case 'export.names':
      return { text: t(`audit.actions.${e.action === 'export' ? 'export' : 'export_names'}`, { flow: w.flow(str(e.targetId)), format: str(d.format).toUpperCase(), village: d.village ? w.village(str(d.village)) : t('common.all') }) };
    case 'session.start':
      return { text: t('audit.actions.session_start') };
    case 'apikey.create':
      return { text: t('audit.actions.apikey_create', { name: str(d.name) || '-' }) };
    case 'apikey.revoke':
      return { text: t('audit.actions.apikey_revoke') };
    default:
      return { text: t('audit.actions.other') };
  }
}
