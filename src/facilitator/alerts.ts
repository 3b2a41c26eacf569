/**
 * Alerts to facilitators: a risk report or a help request ("minta dihubungi") reaches the
 * facilitators of the person's village. Severity "berat" goes at once, at any hour. Others go
 * at once in daylight when the facilitator had no alert in the last minutes; else they wait
 * (quiet hours, or a burst) and go out together as one digest (runAlertDigests).
 *
 * One Alert document per (source, facilitator), `_id` `<source id>:<facilitator id>`; the
 * message's outbox id is `alert:<source id>:<facilitator id>` for one alert alone, or the
 * digest's id, claimed on the alerts before queueing, so nothing is said twice.
 *
 * Incidents: a risk report joins its incident (src/db/repositories/incidents.ts). A report that is
 * not severe is held until `incidentHoldMinutes` after the incident's first report; the alerts of
 * one incident to one facilitator then go as one message naming them all ("3 laporan banjir dari
 * Solang dalam 2 jam"). The hold is stored on the alert (`holdUntil`), so a crash loses nothing:
 * the digest job sends it when the hold ends. A severe report goes at once with the incident's
 * held ones; reports after the alert went out follow as an update naming the new count.
 */
import { Types } from 'mongoose';
import {
  alertQueuedSince, claimAlertsFor, findAlerts, findPendingAlerts, insertAlerts, markAlertsQueued, markAlertsUnsent, pendingIncidentAlerts,
  type AlertRow,
} from '../db/repositories/alerts.js';
import { attachReport, findIncident, SEVERITY_OF_RANK, type IncidentRow } from '../db/repositories/incidents.js';
import { isSimulatorPerson } from '../vocabulary.js';
import { findRecipientById } from '../db/repositories/recipients.js';
import { outboxEntryExists } from '../db/repositories/sent-messages.js';
import { findVillage } from '../db/repositories/villages.js';
import { proxyReporterName, type HookContext, type SubmissionInfo } from '../conversation/extensions.js';
import type { Translate } from '../i18n.js';
import { formatClock, formatDay, isQuiet, nextAllowed } from '../time/index.js';
import { nowOf, type FacilitatorDeps } from './deps.js';
import { itemFor, queue } from './queue.js';
import { asRecipient, facilitatorsOf, reachableByIds, translators, type Recipient } from './recipients.js';

export interface AlertData {
  reporterName: string | null;
  villageCode: string | null;
  villageName: string | null;
  kecamatan: string | null;
  channel: string;
  platformUserId: string;
  /** Risk reports: the answers that matter (choice ids, rendered in the facilitator's language). */
  type?: string | null;
  typeOther?: string | null;
  date?: string | null;
  place?: string | null;
  severity?: string | null;
  households?: number | null;
  help?: string | null;
  /** Help requests: where the person was (a flow / question). */
  context?: string | null;
}

export interface AlertOutcome {
  /** Facilitators who will hear of it. */
  facilitators: number;
  /** Queued to go out now (else: at the end of the quiet hours, or in the next digest). */
  now: boolean;
  /** When it will go out at the latest, if not now. */
  at: Date | null;
}

type AlertKind = 'risk' | 'help';

async function villageOf(code: string | null): Promise<{ name: string | null; kecamatan: string | null }> {
  if (!code) return { name: null, kecamatan: null };
  const v = await findVillage(code);
  return { name: v?.name ?? null, kecamatan: v?.kecamatan ?? null };
}

/** After a risk report is stored (onSubmit of laporan-risiko). */
export async function alertRiskReport(ctx: Pick<HookContext, 'member'>, submission: SubmissionInfo, deps: FacilitatorDeps): Promise<AlertOutcome> {
  const a = submission.answers;
  const village = await villageOf(submission.villageCode ?? ctx.member.villageCode);
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
  const data: AlertData = {
    reporterName: ctx.member.name, villageCode: submission.villageCode ?? ctx.member.villageCode, villageName: village.name, kecamatan: village.kecamatan,
    channel: ctx.member.channel, platformUserId: ctx.member.platformUserId,
    type: str(a.type), typeOther: str(a.type_other), date: str(a.date), place: str(a.place), severity: str(a.severity),
    households: typeof a.households === 'number' ? a.households : null, help: str(a.help),
  };
  if (!data.villageCode) return { facilitators: 0, now: false, at: null };
  const incident = await attachReport({
    id: submission.id, villageCode: data.villageCode, hazard: data.type ?? 'lainnya', severity: data.severity, at: nowOf(deps),
    simulator: isSimulatorPerson(ctx.member),
  });
  const holdUntil = new Date(incident.firstAt.getTime() + deps.reminders.incidentHoldMinutes * 60_000);
  return raise('risk', String(submission.id), data, data.severity === 'berat', ctx.member._id, deps, { incidentId: incident._id, holdUntil });
}

/** A risk report entered in the workspace for a resident: the resident named, reached through who entered it. */
export async function alertProxyRiskReport(
  s: { id: string; enteredBy: string; forName: string; flowId: string; flowVersion: number; villageCode: string; answers: Record<string, unknown> },
  deps: FacilitatorDeps,
): Promise<AlertOutcome | null> {
  if (s.flowId !== 'laporan-risiko' || !Types.ObjectId.isValid(s.enteredBy)) return null;
  const by = await findRecipientById(new Types.ObjectId(s.enteredBy));
  if (!by) return null;
  const member = { ...asRecipient(by), name: proxyReporterName(s.forName, by.name ?? null), villageCode: s.villageCode };
  return alertRiskReport({ member }, { id: new Types.ObjectId(s.id), flowId: s.flowId, flowVersion: s.flowVersion, villageCode: s.villageCode, answers: s.answers }, deps);
}

/** After a help request is stored (onHelpRequest): id `help:<inbound id>`. */
export async function alertHelpRequest(ctx: Pick<HookContext, 'member'>, request: { id: string; context: string | null }, deps: FacilitatorDeps): Promise<AlertOutcome> {
  const village = await villageOf(ctx.member.villageCode);
  const data: AlertData = {
    reporterName: ctx.member.name, villageCode: ctx.member.villageCode, villageName: village.name, kecamatan: village.kecamatan,
    channel: ctx.member.channel, platformUserId: ctx.member.platformUserId, context: request.context,
  };
  return raise('help', request.id, data, false, ctx.member._id, deps);
}

async function raise(
  kind: AlertKind, sourceId: string, data: AlertData, urgent: boolean, from: Types.ObjectId, deps: FacilitatorDeps,
  incident: { incidentId: Types.ObjectId; holdUntil: Date } | null = null,
): Promise<AlertOutcome> {
  const now = nowOf(deps);
  const hold = incident && !urgent && incident.holdUntil > now ? incident.holdUntil : null;
  if (!data.villageCode) return { facilitators: 0, now: false, at: null };
  const facilitators = (await facilitatorsOf(data.villageCode, data)).filter((f) => String(f._id) !== String(from));
  if (facilitators.length === 0) return { facilitators: 0, now: false, at: null };
  await insertAlerts(
    facilitators.map((f) => ({
      id: `${sourceId}:${String(f._id)}`, facilitatorId: f._id, fromMemberId: from, kind, sourceId, villageCode: data.villageCode, urgent, data,
      incidentId: incident?.incidentId ?? null, holdUntil: hold,
    })),
    now,
  );
  const quiet = isQuiet(now, deps.quietHours, deps.timeZone);
  let allNow = true;
  for (const f of facilitators) {
    const alertId = `${sourceId}:${String(f._id)}`;
    if (urgent) {
      // The incident's held alerts go with it: one message names them all.
      const held = incident ? await pendingIncidentAlerts(f._id, incident.incidentId) : [];
      await flush(f, `alert:${alertId}`, [...new Set([alertId, ...held])], now, deps);
      continue;
    }
    const recent = await alertQueuedSince(f._id, new Date(now.getTime() - deps.reminders.alertDigestMinutes * 60_000), alertId);
    if (!hold && !quiet && !recent) await flush(f, `alert:${alertId}`, [alertId], now, deps);
    else allNow = false;
  }
  const later = hold
    ? nextAllowed(hold, deps.quietHours, deps.timeZone)
    : quiet ? nextAllowed(now, deps.quietHours, deps.timeZone) : new Date(now.getTime() + deps.reminders.alertDigestMinutes * 60_000);
  return { facilitators: facilitators.length, now: allNow, at: allNow ? null : later };
}

/** Queues one message for these alerts (one alone, or a digest) under `outboxId`, then marks them queued. */
async function flush(f: Recipient, outboxId: string, alertIds: string[], now: Date, deps: FacilitatorDeps): Promise<void> {
  await claimAlertsFor(alertIds, outboxId);
  const alerts = await findAlerts(alertIds);
  if (alerts.length === 0) return;
  const t = translators(deps.i18n)(f.language);
  const items = await renderItems(alerts, f, t, f.language);
  const text = items.length === 1 ? items[0]! : [t('broadcast:alert.digest', { count: items.length }), ...items.map((x, i) => `${i + 1}. ${x}`)].join('\n\n');
  // Urgent ones go at any hour; the rest never in quiet hours.
  const urgent = alerts.some((a) => a.urgent);
  const availableAt = urgent ? now : nextAllowed(now, deps.quietHours, deps.timeZone);
  await queue([itemFor(f, outboxId, 'alert', [{ text }], { availableAt })], deps);
  await markAlertsQueued(alertIds, now);
}

function contactOf(d: AlertData): string {
  if (d.channel === 'telegram') return `tg://user?id=${d.platformUserId}`;
  if (d.channel === 'whatsapp') return `https://wa.me/${d.platformUserId.replace(/\D/g, '')}`;
  return d.channel;
}

/** One text per incident (its alerts together), one per other alert. */
async function renderItems(alerts: AlertRow[], f: Recipient, t: Translate, language: string): Promise<string[]> {
  const out: string[] = [];
  const done = new Set<string>();
  for (const a of alerts) {
    const key = a.incidentId ? String(a.incidentId) : null;
    if (key && done.has(key)) continue;
    const incident = a.incidentId ? await findIncident(a.incidentId) : null;
    if (key) done.add(key);
    if (incident && incident.reportIds.length > 1) {
      const all = await findIncidentAlertsOf(f, incident, alerts);
      out.push(renderIncident(incident, all.map((x) => x.data as AlertData), t));
    } else out.push(renderAlert(a.kind as AlertKind, a.data as AlertData, !!a.urgent, t, language));
  }
  return out;
}

/** Every alert this facilitator had of the incident (earlier ones too: the whole incident is named). */
async function findIncidentAlertsOf(f: Recipient, incident: IncidentRow, these: AlertRow[]): Promise<AlertRow[]> {
  const ids = incident.reportIds.map((r) => `${String(r)}:${String(f._id)}`);
  const found = await findAlerts(ids);
  return found.length ? found : these.filter((a) => String(a.incidentId) === String(incident._id));
}

/** "3 laporan banjir dari Solang dalam 2 jam", the worst severity, places and reporters. */
export function renderIncident(incident: IncidentRow, reports: AlertData[], t: Translate): string {
  const first = reports[0];
  const village = first?.villageName ? (first.kecamatan ? `${first.villageName} (${first.kecamatan})` : first.villageName) : incident.villageCode;
  const type = incident.hazard === 'lainnya' ? (first?.typeOther ?? t('laporan-risiko:type.choices.lainnya')) : t(`laporan-risiko:type.choices.${incident.hazard}`);
  const minutes = Math.round((incident.lastAt.getTime() - incident.firstAt.getTime()) / 60_000);
  const span = minutes < 60 ? t('broadcast:alert.spanMinutes', { count: Math.max(1, minutes) }) : t('broadcast:alert.spanHours', { count: Math.ceil(minutes / 60) });
  const worst = SEVERITY_OF_RANK[incident.severityRank] ?? '';
  const places = [...new Set(reports.map((r) => r.place).filter((p): p is string => !!p))];
  const households = reports.map((r) => r.households).filter((n): n is number => typeof n === 'number');
  const lines = [
    t(worst === 'berat' ? 'broadcast:alert.incidentUrgent' : 'broadcast:alert.incident', { count: incident.reportIds.length, type: type.toLowerCase(), village, span }),
    t('broadcast:alert.worst', { severity: worst ? t(`laporan-risiko:severity.choices.${worst}`) : '-' }),
    t('broadcast:alert.places', { places: places.join('; ') || '-' }),
  ];
  if (households.length) lines.push(t('broadcast:alert.householdsMax', { count: Math.max(...households) }));
  for (const r of reports) lines.push(t('broadcast:alert.reporter', { name: r.reporterName ?? t('broadcast:alert.noName'), contact: contactOf(r) }));
  return lines.join('\n');
}

export function renderAlert(kind: AlertKind, d: AlertData, urgent: boolean, t: Translate, language: string): string {
  const village = d.villageName ? (d.kecamatan ? `${d.villageName} (${d.kecamatan})` : d.villageName) : (d.villageCode ?? '-');
  const name = d.reporterName ?? t('broadcast:alert.noName');
  if (kind === 'help') {
    return [
      t('broadcast:alert.help', { name, village }),
      ...(d.context ? [t('broadcast:alert.helpContext', { context: d.context })] : []),
      t('broadcast:alert.contact', { contact: contactOf(d) }),
    ].join('\n');
  }
  // Short words, no brackets in brackets: "Cuaca buruk – BERAT", not "Cuaca buruk (angin kencang) (Berat / parah (...))".
  const type = d.type === 'lainnya' && d.typeOther ? d.typeOther : d.type ? withoutAside(t(`laporan-risiko:type.choices.${d.type}`)) : '-';
  const severity = d.severity ? t(`broadcast:alert.severity.${d.severity}`, { defaultValue: withoutAside(t(`laporan-risiko:severity.choices.${d.severity}`)) }) : '-';
  const date = d.date && /^\d{4}-\d{2}-\d{2}$/.test(d.date) ? formatDay(new Date(`${d.date}T12:00:00Z`), language, 'UTC') : (d.date ?? '-');
  const lines = [
    t(urgent ? 'broadcast:alert.riskUrgent' : 'broadcast:alert.risk', { village, type, severity }),
    t('broadcast:alert.where', { place: d.place ?? '-', date }),
  ];
  if (d.households !== null && d.households !== undefined) lines.push(t('broadcast:alert.households', { count: d.households }));
  if (d.help) lines.push(t('broadcast:alert.helpNeeded', { help: d.help }));
  lines.push(t('broadcast:alert.reporter', { name, contact: contactOf(d) }));
  return lines.join('\n');
}

/** A choice label without its explanation in brackets: "Banjir rob (air laut naik)" -> "Banjir rob". */
function withoutAside(label: string): string {
  return label.replace(/\s*\([^)]*\)\s*$/, '').trim() || label;
}

/**
 * Sends the alerts still waiting: each facilitator's, once quiet hours are over and no alert
 * went to them in the last minutes; one waiting alert alone, several as one digest.
 */
export async function runAlertDigests(deps: FacilitatorDeps): Promise<number> {
  const now = nowOf(deps);
  const pending = await findPendingAlerts();
  if (pending.length === 0) return 0;
  const quiet = isQuiet(now, deps.quietHours, deps.timeZone);
  const byFacilitator = new Map<string, typeof pending>();
  for (const a of pending) {
    const list = byFacilitator.get(String(a.facilitatorId)) ?? [];
    list.push(a);
    byFacilitator.set(String(a.facilitatorId), list);
  }
  const reachable = new Map((await reachableByIds(pending.map((a) => a.facilitatorId))).map((f) => [String(f._id), f]));
  let sent = 0;
  for (const [facilitatorId, alerts] of byFacilitator) {
    const f = reachable.get(facilitatorId);
    if (!f) {
      // Stopped, blocked or gone since: nobody to tell.
      await markAlertsUnsent(alerts.map((a) => a._id), now);
      continue;
    }
    // Already queued by a call interrupted before it marked them, or claimed by an interrupted digest.
    const claimed = new Map<string, string[]>();
    const free: string[] = [];
    // Held alerts wait for their hold, unless another of their incident is due.
    const due = (a: AlertRow) => a.urgent || !a.holdUntil || a.holdUntil <= now;
    const dueIncidents = new Set(alerts.filter((a) => a.incidentId && due(a)).map((a) => String(a.incidentId)));
    for (const a of alerts) {
      if (!a.outboxId && !due(a) && !dueIncidents.has(String(a.incidentId))) continue;
      const direct = `alert:${a._id}`;
      if (a.outboxId) claimed.set(a.outboxId, [...(claimed.get(a.outboxId) ?? []), a._id]);
      else if (await outboxEntryExists(direct)) claimed.set(direct, [a._id]);
      else free.push(a._id);
    }
    for (const [outboxId, ids] of claimed) {
      await flush(f, outboxId, ids, now, deps);
      sent++;
    }
    if (free.length === 0) continue;
    const urgent = alerts.some((a) => a.urgent && free.includes(a._id));
    if (quiet && !urgent) continue;
    const recent = await alertQueuedSince(f._id, new Date(now.getTime() - deps.reminders.alertDigestMinutes * 60_000));
    if (recent && !urgent) continue;
    const outboxId = free.length === 1 ? `alert:${free[0]}` : `digest:${facilitatorId}:${now.toISOString()}`;
    await flush(f, outboxId, free, now, deps);
    sent++;
  }
  return sent;
}

/** What the reporter is told about the facilitators. */
export function outcomeMessage(outcome: AlertOutcome, t: Translate, language: string, timeZone: string): string | null {
  if (outcome.facilitators === 0) return null;
  if (outcome.now) return t('broadcast:alert.told');
  if (outcome.at) return t('broadcast:alert.willTell', { time: formatClock(outcome.at, language, timeZone) });
  return null;
}
