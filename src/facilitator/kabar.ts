/**
 * Kabar desa: results back to residents. Once a month (the daily 09:00 job sends the month's
 * news to villages not yet sent and not held) and on `kabar`, a resident hears their village's
 * figures of the last 30 days: risk reports in, what facilitators did with them, the plan's
 * progress, the next workshop. Counts only: never a name, never a report's text.
 *
 * Once: each person's message is `kabar:<yyyy-mm>:<member id>` (a second run or a second
 * instance writes nothing new), and the village's month is marked sent after queueing. Quiet
 * hours move a message to their end. "berhenti kabar" (member.newsOff) leaves a person out.
 */
import { latestPlan } from '../db/repositories/plans.js';
import { findNewsMonth, findNewsRecipients, markNewsSent, riskReportsByStatus } from '../db/repositories/village-news.js';
import { findVillage, listVillageCodes } from '../db/repositories/villages.js';
import { findUpcomingWorkshops } from '../db/repositories/workshops.js';
import type { Translate } from '../i18n.js';
import { formatDay, localParts, nextAllowed } from '../time/index.js';
import { nowOf, type FacilitatorDeps } from './deps.js';
import { itemFor, queue } from './queue.js';
import { asRecipient, translators } from './recipients.js';

const PERIOD_DAYS = 30;

export interface KabarFigures {
  villageName: string;
  reports: number;
  verified: number;
  followedUp: number;
  done: number;
  plan: { year: number; total: number; done: number; running: number } | null;
  workshop: { startsAt: Date; place: string } | null;
}

/** The month a moment falls in, in the programme's zone: "2026-10". */
export function newsMonth(now: Date, timeZone: string): string {
  const p = localParts(now, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

export async function kabarFigures(villageCode: string, now: Date): Promise<KabarFigures | null> {
  const village = await findVillage(villageCode);
  if (!village) return null;
  const since = new Date(now.getTime() - PERIOD_DAYS * 24 * 3600_000);
  const [byStatus, plan, [workshop]] = await Promise.all([
    riskReportsByStatus(villageCode, since, now), latestPlan(villageCode), findUpcomingWorkshops([villageCode], now, 1, false),
  ]);
  const activities = plan?.activities ?? [];
  return {
    villageName: village.name,
    reports: Object.values(byStatus).reduce((a, b) => a + b, 0),
    verified: byStatus.diverifikasi ?? 0,
    followedUp: byStatus.ditindaklanjuti ?? 0,
    done: byStatus.selesai ?? 0,
    plan: plan && activities.length
      ? { year: plan.year, total: activities.length, done: activities.filter((a) => a.status === 'selesai').length, running: activities.filter((a) => a.status === 'berjalan').length }
      : null,
    workshop: workshop ? { startsAt: workshop.startsAt, place: workshop.place } : null,
  };
}

export function kabarText(f: KabarFigures, t: Translate, language: string, timeZone: string): string {
  return [
    t('broadcast:kabar.head', { village: f.villageName, days: PERIOD_DAYS }),
    f.reports ? t('broadcast:kabar.reports', { count: f.reports }) : t('broadcast:kabar.noReports'),
    ...(f.reports ? [t('broadcast:kabar.handled', { verified: f.verified, followedUp: f.followedUp, done: f.done })] : []),
    f.plan ? t('broadcast:kabar.plan', { ...f.plan }) : t('broadcast:kabar.noPlan'),
    f.workshop ? t('broadcast:kabar.workshop', { date: formatDay(f.workshop.startsAt, language, timeZone), place: f.workshop.place }) : t('broadcast:kabar.noWorkshop'),
    t('broadcast:kabar.footer'),
  ].join('\n');
}

/** The village's news in one language, or null for an unknown village. */
export async function kabarFor(villageCode: string, language: string, deps: Pick<FacilitatorDeps, 'i18n' | 'timeZone' | 'now'>): Promise<string | null> {
  const figures = await kabarFigures(villageCode, nowOf(deps));
  return figures ? kabarText(figures, translators(deps.i18n)(language), language, deps.timeZone) : null;
}

/** The month's news to every village not yet sent and not held; how many messages were queued. */
export async function runMonthlyKabar(deps: FacilitatorDeps): Promise<number> {
  const now = nowOf(deps);
  const month = newsMonth(now, deps.timeZone);
  const availableAt = nextAllowed(now, deps.quietHours, deps.timeZone);
  let queued = 0;
  for (const code of await listVillageCodes()) {
    const record = await findNewsMonth(code, month);
    if (record?.held || record?.sentAt) continue;
    const recipients = (await findNewsRecipients(code)).map(asRecipient);
    if (recipients.length === 0) continue;
    const figures = await kabarFigures(code, now);
    if (!figures) continue;
    const texts = new Map<string, string>();
    const textIn = (language: string) => texts.get(language) ?? texts.set(language, kabarText(figures, translators(deps.i18n)(language), language, deps.timeZone)).get(language)!;
    queued += await queue(recipients.map((r) => itemFor(r, `kabar:${month}:${String(r._id)}`, 'broadcast', [{ text: textIn(r.language) }], { availableAt })), deps);
    await markNewsSent(code, month, recipients.length, now);
  }
  return queued;
}
