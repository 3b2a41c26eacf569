/**
 * The facilitator's voice in chat, as ChatExtensions the conversation service registers:
 *   commands  KABAR (the village's news: src/facilitator/kabar.ts), JADWAL (upcoming workshops with answers; JADWAL BARU starts the `jadwal` flow),
 *             SIARAN (starts the `siaran` flow; SIARAN STATUS shows progress with a stop button)
 *   flowScope jadwal, siaran -> only the facilitator's villages offered; the review counts who KIRIM reaches
 *   onSubmit  jadwal -> the workshop announced; siaran -> the broadcast sent (the review's KIRIM
 *             was the one confirmation); laporan-risiko -> alerts to the village's facilitators
 *   actions   rsvp:<workshop>:<hadir|tidak|mungkin>, ws:<workshop>:<cancel|cancel-yes|cancel-no>, bc:<broadcast>:stop
 *             (ws:…:announce|discard and bc:…:send|discard answer drafts made before the one-step review)
 *   onHelpRequest  "minta dihubungi" -> alerts to the village's facilitators
 * Every write is keyed by the submission, workshop or broadcast id, so a replayed step is a no-op.
 */
import { Types } from 'mongoose';
import { RSVP_ANSWERS, isSimulatorPerson, type RsvpAnswer } from '../vocabulary.js';
import { findBroadcastOwner } from '../db/repositories/broadcasts.js';
import { findWorkshop } from '../db/repositories/workshops.js';
import { villageNamesByCode } from '../db/repositories/villages.js';
import { FLOW, PROMPT_SEQ } from '../messages/flows.js';
import { type ChatExtensions, type HookContext, type MemberSnapshot, type SubmissionInfo } from '../conversation/extensions.js';
import type { OutboundMessage } from '../messages/index.js';
import type { Translate } from '../i18n.js';
import { parseClockTime, zonedTime } from '../time/index.js';
import { alertHelpRequest, alertRiskReport, outcomeMessage } from './alerts.js';
import {
  broadcastProgress, BroadcastError, cancelBroadcast, confirmBroadcast, createBroadcastDraft, discardBroadcast, progressText, recentBroadcasts,
} from './broadcasts.js';
import type { FacilitatorDeps } from './deps.js';
import { kabarFor } from './kabar.js';
import { facilitatorFlowScope, isStaff, placesOf, scopeAnswer, villagesChosen } from './chat-scope.js';
import { villagesOf } from './recipients.js';
import {
  announceWorkshop, answerRsvp, cancelWorkshop, createWorkshop, details, discardDraft, rsvpCounts, upcomingWorkshops, WorkshopError,
} from './workshops.js';

const STAFF = ['fasilitator', 'admin'] as const;
/**
 * A workshop or broadcast is acted on (announce, send, discard) by the one who made it, or an
 * admin; a simulator person only ever on the simulator's own.
 */
function mayActOn(member: MemberSnapshot, createdBy: unknown, simulatorOnly: boolean | null | undefined): boolean {
  if (isSimulatorPerson(member) && !simulatorOnly) return false;
  return member.role === 'admin' || String(createdBy ?? '') === String(member._id);
}

/** A facilitator registered with a village has it; one without (registered as "desa lain") must be assigned first. */
async function hasVillages(member: MemberSnapshot): Promise<boolean> {
  return (await villagesOf(member)).length > 0;
}

function buttons(items: { id: string; label: string }[]): Pick<OutboundMessage, 'choices' | 'promptSeq' | 'expect'> {
  return { choices: items, promptSeq: PROMPT_SEQ.action, expect: 'choice' };
}

/** A time typed as a decimal ("9", "13.30" -> 13.3): hour and minutes. */
function timeOf(value: unknown): { hour: number; minute: number } | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const hour = Math.floor(value);
    const minute = Math.round((value - hour) * 100);
    return hour >= 0 && hour < 24 && minute >= 0 && minute < 60 ? { hour, minute } : null;
  }
  return typeof value === 'string' ? parseClockTime(value) : null;
}

function dateParts(value: unknown): { y: number; m: number; d: number } | null {
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  return match ? { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) } : null;
}

export function createFacilitatorExtensions(deps: FacilitatorDeps): ChatExtensions {
  const tz = deps.timeZone;

  // ---- jadwal -----------------------------------------------------------------------------

  async function listWorkshops(ctx: HookContext): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const villages = member.role === 'admin' ? 'all' : await villagesOf(member);
    // The simulator's staff see (and cancel) only workshops made in the simulator.
    const workshops = await upcomingWorkshops(villages, ctx.now, { simulatorOnly: isSimulatorPerson(member) });
    if (workshops.length === 0) return [{ text: `${t('broadcast:jadwal.none')}\n${t('broadcast:jadwal.newHint')}` }];
    const counts = await rsvpCounts(workshops.map((w) => w._id));
    const names = await villageNamesByCode([...new Set(workshops.flatMap((w) => w.villageCodes))]);
    const out: OutboundMessage[] = [{ text: t('broadcast:jadwal.head', { count: workshops.length }) }];
    for (const w of workshops) {
      const c = counts.get(String(w._id))!;
      const mineToCancel = member.role === 'admin' || String(w.createdBy ?? '') === String(member._id);
      out.push({
        text: `${details(w, t, member.language, names, tz)}\n${t('broadcast:jadwal.counts', { ...c })}`,
        ...(mineToCancel ? buttons([{ id: `ws:${String(w._id)}:cancel`, label: t('broadcast:jadwal.cancelButton') }]) : {}),
      });
    }
    out.push({ text: t('broadcast:jadwal.newHint') });
    return out;
  }

  /** The review's KIRIM announces at once: one confirmation, with the number of people told. */
  async function workshopFromSubmission(ctx: HookContext, s: SubmissionInfo): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const a = s.answers;
    const villageCodes = villagesChosen(a, scopeAnswer(s.flowId, a), await placesOf(member));
    if (villageCodes.length === 0) return [{ text: t('broadcast:jadwal.noVillages') }];
    const start = dateParts(a.start_date);
    const end = dateParts(a.end_date) ?? start;
    const startTime = timeOf(a.start_time);
    const endTime = timeOf(a.end_time);
    if (!start || !end || !startTime || !endTime) return [{ text: t('broadcast:jadwal.badTime') }];
    const startsAt = zonedTime(start.y, start.m, start.d, startTime.hour, startTime.minute, tz);
    const endsAt = zonedTime(end.y, end.m, end.d, endTime.hour, endTime.minute, tz);
    if (startsAt.getTime() <= ctx.now.getTime()) return [{ text: t('broadcast:jadwal.past') }];
    if (endsAt.getTime() <= startsAt.getTime()) return [{ text: t('broadcast:jadwal.endBeforeStart') }];
    const w = await createWorkshop(
      {
        title: String(a.acara ?? ''), villageCodes, startsAt, endsAt, place: String(a.place ?? ''), note: typeof a.note === 'string' ? a.note : null, createdBy: member._id,
        simulatorOnly: isSimulatorPerson(member),
      },
      { ...deps, now: () => ctx.now },
      { id: s.id },
    );
    if (w.status === 'cancelled') return [{ text: t('broadcast:jadwal.alreadyCancelled', { title: w.title }) }];
    const c = (await rsvpCounts([w._id])).get(String(w._id))!;
    return [{ text: t('broadcast:jadwal.announced', { title: w.title, count: c.invited }) }];
  }

  async function workshopAction(ctx: HookContext, rest: string): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const [id, verb] = rest.split(':');
    if (!isStaff(member) || !id || !Types.ObjectId.isValid(id)) return [{ text: t('broadcast:stale') }];
    const w = await findWorkshop(id);
    if (!w || !mayActOn(member, w.createdBy, w.simulatorOnly)) return [{ text: t('broadcast:stale') }];
    const local = { ...deps, now: () => ctx.now };
    try {
      switch (verb) {
        case 'announce': {
          await announceWorkshop(id, local);
          const c = (await rsvpCounts([w._id])).get(id)!;
          return [{ text: t('broadcast:jadwal.announced', { title: w.title, count: c.invited }) }];
        }
        case 'discard':
          await discardDraft(id);
          return [{ text: t('broadcast:jadwal.discarded') }];
        case 'cancel':
          if (w.status === 'cancelled') return [{ text: t('broadcast:jadwal.alreadyCancelled', { title: w.title }) }];
          return [{
            text: t('broadcast:jadwal.cancelAsk', { title: w.title }),
            ...buttons([
              { id: `ws:${id}:cancel-yes`, label: t('broadcast:jadwal.cancelYes') },
              { id: `ws:${id}:cancel-no`, label: t('broadcast:jadwal.cancelNo') },
            ]),
          }];
        case 'cancel-yes':
          if (w.status === 'cancelled') return [{ text: t('broadcast:jadwal.alreadyCancelled', { title: w.title }) }];
          await cancelWorkshop(id, local);
          return [{ text: t('broadcast:jadwal.cancelledDone', { title: w.title }) }];
        case 'cancel-no':
          return [{ text: t('broadcast:jadwal.cancelKept') }];
        default:
          return [{ text: t('broadcast:stale') }];
      }
    } catch (err) {
      if (err instanceof WorkshopError) return [{ text: t(err.reason === 'cancelled' ? 'broadcast:jadwal.alreadyCancelled' : 'broadcast:stale', { title: w.title }) }];
      throw err;
    }
  }

  async function rsvpAction(ctx: HookContext, rest: string): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const [id, answer] = rest.split(':');
    if (!id || !RSVP_ANSWERS.includes(answer as RsvpAnswer)) return [{ text: t('broadcast:stale') }];
    const result = await answerRsvp(id, member, answer as RsvpAnswer, ctx.now);
    if (!result.ok) return [{ text: t(`broadcast:rsvp.${result.reason}`) }];
    return [{ text: t(`broadcast:rsvp.thanks.${answer}`, { title: result.workshop.title, place: result.workshop.place }) }];
  }

  // ---- siaran -----------------------------------------------------------------------------

  async function broadcastFromSubmission(ctx: HookContext, s: SubmissionInfo): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const a = s.answers;
    const villageCodes = villagesChosen(a, scopeAnswer(s.flowId, a), await placesOf(member));
    if (villageCodes.length === 0) return [{ text: t('broadcast:siaran.noVillages') }];
    const roles = a.target === 'peran' && Array.isArray(a.roles) ? a.roles.map(String) : [];
    const text = String(a.message ?? '').trim();
    const { id } = await createBroadcastDraft(
      { text: { [member.language]: text, id: text }, villageCodes, roles, createdBy: member._id, createdByName: member.name, simulatorOnly: isSimulatorPerson(member) },
      { ...deps, now: () => ctx.now },
      { id: s.id },
    );
    // The review's KIRIM sends: one confirmation, with the number of people it goes to.
    try {
      const { recipients } = await confirmBroadcast(id, { ...deps, now: () => ctx.now });
      return [sendingMessage(t, String(id), recipients)];
    } catch (err) {
      if (err instanceof BroadcastError) return [{ text: t('broadcast:siaran.alreadySent') }];
      throw err;
    }
  }

  function sendingMessage(t: Translate, id: string, recipients: number): OutboundMessage {
    return { text: t('broadcast:siaran.sending', { count: recipients }), ...buttons([{ id: `bc:${id}:stop`, label: t('broadcast:siaran.stopButton') }]) };
  }

  async function broadcastAction(ctx: HookContext, rest: string): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const [id, verb] = rest.split(':');
    if (!isStaff(member) || !id || !Types.ObjectId.isValid(id)) return [{ text: t('broadcast:stale') }];
    const b = await findBroadcastOwner(id);
    if (!b || !mayActOn(member, b.createdBy, b.audience?.simulatorOnly)) return [{ text: t('broadcast:stale') }];
    const local = { ...deps, now: () => ctx.now };
    switch (verb) {
      case 'send':
        try {
          const { recipients } = await confirmBroadcast(id, local);
          return [sendingMessage(t, id, recipients)];
        } catch (err) {
          if (err instanceof BroadcastError) return [{ text: t(b.status === 'cancelled' ? 'broadcast:siaran.discarded' : 'broadcast:siaran.alreadySent') }];
          throw err;
        }
      case 'discard':
        await discardBroadcast(id);
        return [{ text: t(b.status === 'draft' || b.status === 'cancelled' ? 'broadcast:siaran.discarded' : 'broadcast:siaran.alreadySent') }];
      case 'stop': {
        const stopped = await cancelBroadcast(id, local);
        if (!stopped) return [{ text: t('broadcast:siaran.alreadyDone') }];
        const p = await broadcastProgress(id);
        return [{ text: t('broadcast:siaran.stopped', { sent: p.sent, cancelled: p.cancelled }) }];
      }
      default:
        return [{ text: t('broadcast:stale') }];
    }
  }

  async function broadcastStatus(ctx: HookContext): Promise<OutboundMessage[]> {
    const { t, member } = ctx;
    const recent = await recentBroadcasts(member._id);
    if (recent.length === 0) return [{ text: t('broadcast:siaran.noneYet') }];
    const out: OutboundMessage[] = [];
    for (const b of recent) {
      const p = await broadcastProgress(b._id);
      out.push({
        text: progressText(b, p, t),
        ...(p.status === 'sending' ? buttons([{ id: `bc:${String(b._id)}:stop`, label: t('broadcast:siaran.stopButton') }]) : {}),
      });
    }
    return out;
  }

  /** KABAR: the village's news now (the same text the monthly message carries). */
  async function villageNews(ctx: HookContext): Promise<OutboundMessage[]> {
    const text = ctx.member.villageCode ? await kabarFor(ctx.member.villageCode, ctx.member.language, { ...deps, now: () => ctx.now }) : null;
    return [{ text: text ?? ctx.t('broadcast:kabar.noVillage') }];
  }

  return {
    commands: [
      { words: ['kabar', 'news'], roles: ['warga', 'pokja', 'fasilitator', 'admin'], run: villageNews },
      {
        words: ['jadwal', 'schedule'],
        args: /^(baru|new|buat)$/,
        roles: [...STAFF],
        run: async (ctx) => {
          if (!/^(baru|new|buat)\b/.test(ctx.args.trim())) return listWorkshops(ctx);
          return (await hasVillages(ctx.member)) ? { startFlow: FLOW.workshop } : [{ text: ctx.t('broadcast:noVillagesYet') }];
        },
      },
      {
        words: ['siaran', 'broadcast'],
        args: /^(status|progress|kemajuan)$/,
        roles: [...STAFF],
        run: async (ctx) => {
          if (/^(status|progress|kemajuan)\b/.test(ctx.args.trim())) return broadcastStatus(ctx);
          return (await hasVillages(ctx.member)) ? { startFlow: FLOW.broadcast } : [{ text: ctx.t('broadcast:noVillagesYet') }];
        },
      },
    ],
    actions: { rsvp: rsvpAction, ws: workshopAction, bc: broadcastAction },
    flowScope: (member, flowId, t, now) => facilitatorFlowScope(deps, member, flowId, t, now),
    async onSubmit(ctx, submission) {
      if (submission.flowId === 'jadwal' && isStaff(ctx.member)) return workshopFromSubmission(ctx, submission);
      if (submission.flowId === 'siaran' && isStaff(ctx.member)) return broadcastFromSubmission(ctx, submission);
      if (submission.flowId === 'laporan-risiko') {
        const outcome = await alertRiskReport(ctx, submission, { ...deps, now: () => ctx.now });
        const text = outcomeMessage(outcome, ctx.t, ctx.member.language, tz);
        return text ? [{ text }] : [];
      }
      return [];
    },
    async onHelpRequest(ctx, request) {
      const outcome = await alertHelpRequest(ctx, request, { ...deps, now: () => ctx.now });
      const text = outcomeMessage(outcome, ctx.t, ctx.member.language, tz);
      return text ? [{ text }] : [];
    },
  };
}
