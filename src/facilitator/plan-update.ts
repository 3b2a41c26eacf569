/**
 * The yearly plan-update campaign. Each village has its next plan-update date (seeded from
 * its last workshop, else from the 2024 round's first day for assisted villages; editable in
 * the workspace). At the configured days before it (default 30, 14, 7, 1) at the configured
 * local time, its members are reminded by role:
 *   warga       invited to answer the village profile survey;
 *   pokja       asked for progress on each open activity of the plan (or to name theirs);
 *   fasilitator a digest of what is still missing for the village.
 * Each person gets each reminder once (outbox id `plan:<village>:<date>:<days>:<member>`), in
 * their language, never in quiet hours. After a pause, only the latest reminder due is sent.
 */
import { latestPlan } from '../db/repositories/plans.js';
import { countVillageReports } from '../db/repositories/submissions.js';
import {
  findVillagesWithPlanUpdateBy, findVillagesWithoutPlanUpdateDate, movePlanUpdateDate, seedPlanUpdateDate, setVillagePlanUpdateDate,
} from '../db/repositories/villages.js';
import { lastWorkshopStartIn } from '../db/repositories/workshops.js';
import { nowOf, type FacilitatorDeps } from './deps.js';
import { itemFor, queue } from './queue.js';
import { facilitatorsOf, reachableMembers, translators, type Recipient } from './recipients.js';
import type { Translate } from '../i18n.js';
import type { OutboxItem } from '../pipeline/outbox.js';
import { formatDay, localParts, nextAllowed, zonedTime } from '../time/index.js';

/** The 2024 round started on 17 September: the default date for an assisted village without a workshop. */
export const DEFAULT_UPDATE_MONTH_DAY = { month: 9, day: 17 };

const YEAR_MS = 365 * 24 * 3600_000;

/** The local midnight starting a village's update day. */
function updateDay(date: Date, timeZone: string): { y: number; m: number; d: number; start: Date } {
  const p = localParts(date, timeZone);
  return { y: p.year, m: p.month, d: p.day, start: zonedTime(p.year, p.month, p.day, 0, 0, timeZone) };
}

function nextYearly(from: Date, month: number, day: number, timeZone: string): Date {
  const p = localParts(from, timeZone);
  let candidate = zonedTime(p.year, month, day, 0, 0, timeZone);
  if (candidate.getTime() <= from.getTime()) candidate = zonedTime(p.year + 1, month, day, 0, 0, timeZone);
  return candidate;
}

/**
 * Gives villages without a date one (once: a date cleared by staff stays cleared): a year after
 * their last workshop, rolled forward to the future; assisted villages without a workshop get
 * 17 September. Returns how many villages got a date.
 */
export async function seedPlanUpdateDates(now: Date, timeZone: string): Promise<number> {
  const villages = await findVillagesWithoutPlanUpdateDate();
  let seeded = 0;
  for (const v of villages) {
    const last = await lastWorkshopStartIn(v.code, now);
    let date: Date | null = null;
    if (last) {
      const p = localParts(last, timeZone);
      date = nextYearly(now, p.month, p.day, timeZone);
    } else if (v.assisted) {
      date = nextYearly(now, DEFAULT_UPDATE_MONTH_DAY.month, DEFAULT_UPDATE_MONTH_DAY.day, timeZone);
    }
    const first = await seedPlanUpdateDate(v._id, date, now);
    if (date && first) seeded++;
  }
  return seeded;
}

/** Sets (or clears) a village's next plan-update date: the local day of `date`. */
export async function setPlanUpdateDate(code: string, date: Date | null, timeZone: string): Promise<boolean> {
  const value = date ? updateDay(date, timeZone).start : null;
  return setVillagePlanUpdateDate(code, value, new Date());
}

/** Queues the reminders due now. Returns how many messages were newly queued. */
export async function runPlanUpdateCampaign(deps: FacilitatorDeps): Promise<number> {
  const now = nowOf(deps);
  const days = [...deps.reminders.planUpdateDays].sort((a, b) => b - a);
  const maxDays = days[0] ?? 0;
  const villages = await findVillagesWithPlanUpdateBy(new Date(now.getTime() + (maxDays + 2) * 24 * 3600_000));
  let queued = 0;
  for (const v of villages) {
    const day = updateDay(v.planUpdateDate!, deps.timeZone);
    if (now.getTime() >= day.start.getTime()) {
      // Over: next year's date, unless someone has set another meanwhile.
      if (now.getTime() >= day.start.getTime() + 24 * 3600_000) {
        await movePlanUpdateDate(v._id, v.planUpdateDate, zonedTime(day.y + 1, day.m, day.d, 0, 0, deps.timeZone));
      }
      continue;
    }
    // The latest offset whose moment has come (an older one missed during a pause is not sent late).
    const due = days
      .map((d) => ({ d, at: zonedTime(day.y, day.m, day.d - d, deps.reminders.planUpdateTime.hour, deps.reminders.planUpdateTime.minute, deps.timeZone) }))
      .filter((x) => x.at.getTime() <= now.getTime())
      .pop();
    if (!due) continue;
    queued += await remindVillage(v.code, v.name, day.start, due.d, now, deps);
  }
  return queued;
}

async function remindVillage(code: string, name: string, date: Date, daysBefore: number, now: Date, deps: FacilitatorDeps): Promise<number> {
  const members = await reachableMembers([code], ['warga', 'pokja']);
  const facilitators = await facilitatorsOf(code);
  const plan = await latestPlan(code);
  const open = (plan?.activities ?? []).filter((a) => a.status !== 'selesai');
  const since = new Date(date.getTime() - YEAR_MS);
  const tr = translators(deps.i18n);
  const availableAt = nextAllowed(now, deps.quietHours, deps.timeZone);
  const dayKey = `${localParts(date, deps.timeZone).year}-${String(localParts(date, deps.timeZone).month).padStart(2, '0')}-${String(localParts(date, deps.timeZone).day).padStart(2, '0')}`;
  const id = (r: Recipient) => `plan:${code}:${dayKey}:${daysBefore}:${String(r._id)}`;
  const head = (t: Translate, language: string) => t('broadcast:plan.head', { village: name, date: formatDay(date, language, deps.timeZone), count: daysBefore });

  const items: OutboxItem[] = [];
  for (const r of members) {
    const t = tr(r.language);
    const text = r.role === 'pokja' ? `${head(t, r.language)}\n\n${pokjaText(open, t)}` : `${head(t, r.language)}\n\n${t('broadcast:plan.warga')}`;
    items.push(itemFor(r, id(r), 'reminder', [{ text }], { availableAt, expiresAt: date }));
  }
  if (facilitators.length) {
    const { profiles, risks } = await countVillageReports(code, since);
    const unreported = open.filter((a) => !a.lastReportAt || a.lastReportAt.getTime() < since.getTime()).length;
    const people = members.length;
    for (const f of facilitators) {
      const t = tr(f.language);
      const lines = [
        head(t, f.language),
        t('broadcast:plan.digestHead'),
        t(profiles === 0 ? 'broadcast:plan.noProfiles' : 'broadcast:plan.profiles', { count: profiles }),
        plan ? t('broadcast:plan.activities', { count: unreported, total: open.length }) : t('broadcast:plan.noPlan'),
        t('broadcast:plan.risks', { count: risks }),
        t('broadcast:plan.people', { count: people }),
      ];
      items.push(itemFor(f, id(f), 'reminder', [{ text: lines.join('\n') }], { availableAt, expiresAt: date }));
    }
  }
  return queue(items, deps);
}

function pokjaText(open: { title: string; status?: string | null; percentDone?: number | null }[], t: Translate): string {
  if (open.length === 0) return t('broadcast:plan.pokjaNone');
  const list = open.slice(0, 10).map((a, i) => `${i + 1}. ${a.title} (${t(`kemajuan-kegiatan:status.choices.${a.status ?? 'belum'}`)}, ${a.percentDone ?? 0}%)`);
  if (open.length > 10) list.push(t('broadcast:plan.more', { count: open.length - 10 }));
  return `${t('broadcast:plan.pokja')}\n${list.join('\n')}\n\n${t('broadcast:plan.pokjaHow')}`;
}
