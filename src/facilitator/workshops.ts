/**
 * Workshops (lokakarya): made in chat (the `jadwal` flow) or by the workspace API through
 * these functions. The villages' members are told at once, reminded the evening before and on
 * the morning, answer hadir / tidak hadir / mungkin, and hear of a change or a cancellation:
 * exactly the people told before (their invites), plus the members of villages added.
 *
 * Every message is an outbox entry with a deterministic id, so a replay, a restart or a second
 * instance never tells anyone twice:
 *   ws:<workshop>:<member>:announce | :change:<revision> | :cancel | :eve:<start ms> | :morning:<start ms>
 */
import { Types } from 'mongoose';
import type { RsvpAnswer } from '../vocabulary.js';
import {
  cancelAnnouncedWorkshop, deleteWorkshopDraft, findActiveInvites, findActiveInvitesOf, findInvites, findUpcomingWorkshops, findWorkshop,
  findWorkshopsStartingBetween, insertInvites, insertWorkshop, isInvited, markInvitesTold, markWorkshopAnnounced, recordRsvp,
  setInvitesActiveByVillage, updateWorkshopAtRevision, type WorkshopRow,
} from '../db/repositories/workshops.js';
import { villageNamesByCode } from '../db/repositories/villages.js';
import { PROMPT_SEQ } from '../messages/flows.js';
import type { OutboundMessage } from '../messages/index.js';
import type { Translate } from '../i18n.js';
import type { OutboxItem } from '../pipeline/outbox.js';
import { atLocalTime, formatSpan, nextAllowed } from '../time/index.js';
import { nowOf, type FacilitatorDeps } from './deps.js';
import { itemFor, namesOf, queue } from './queue.js';
import { reachableByIds, reachableMembers, translators, type Recipient } from './recipients.js';

export interface WorkshopInput {
  title: string;
  villageCodes: string[];
  startsAt: Date;
  endsAt: Date;
  place: string;
  note?: string | null;
  createdBy?: Types.ObjectId | string | null;
  /** From a staff member of the chat simulator: only the simulator's people are invited. */
  simulatorOnly?: boolean;
}

export type WorkshopChanges = Partial<Omit<WorkshopInput, 'createdBy' | 'simulatorOnly'>>;

export class WorkshopError extends Error {
  override name = 'WorkshopError';
  constructor(
    readonly reason: 'not-found' | 'cancelled' | 'past' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

export type WorkshopDoc = WorkshopRow;

function validate(input: WorkshopInput | Required<WorkshopChanges>): void {
  if (!input.title.trim()) throw new WorkshopError('invalid', 'A workshop needs a title.');
  if (!input.place.trim()) throw new WorkshopError('invalid', 'A workshop needs a place.');
  if (input.villageCodes.length === 0) throw new WorkshopError('invalid', 'A workshop needs at least one village.');
  if (!(input.endsAt.getTime() > input.startsAt.getTime())) throw new WorkshopError('invalid', 'A workshop must end after it starts.');
}

/**
 * Makes a workshop. With `draft`, nothing is sent until announceWorkshop (the chat preview);
 * otherwise its villages are told at once. With `id` (e.g. the chat submission's id) a repeat
 * is a no-op that returns the workshop already made.
 */
export async function createWorkshop(
  input: WorkshopInput,
  deps: FacilitatorDeps,
  options: { id?: Types.ObjectId | string; draft?: boolean } = {},
): Promise<WorkshopDoc> {
  validate(input);
  const now = nowOf(deps);
  if (input.startsAt.getTime() <= now.getTime()) throw new WorkshopError('past', 'A workshop must start in the future.');
  const _id = new Types.ObjectId(options.id ?? undefined);
  const fields = {
    title: input.title.trim(), villageCodes: [...new Set(input.villageCodes)], place: input.place.trim(), startsAt: input.startsAt,
    endsAt: input.endsAt, note: input.note?.trim() || null, createdBy: input.createdBy ? new Types.ObjectId(input.createdBy) : null,
    status: options.draft ? ('draft' as const) : ('scheduled' as const), revision: 0 as const, announcedAt: options.draft ? null : now, simulatorOnly: input.simulatorOnly === true,
  };
  const workshop = await insertWorkshop(_id, fields);
  if (workshop.status === 'scheduled') await tellNewMembers(workshop, deps);
  return workshop;
}

/** Sends a draft (or resends an interrupted announcement: nobody is told twice). */
export async function announceWorkshop(id: Types.ObjectId | string, deps: FacilitatorDeps): Promise<WorkshopDoc> {
  const now = nowOf(deps);
  await markWorkshopAnnounced(id, now);
  const workshop = await findWorkshop(id);
  if (!workshop) throw new WorkshopError('not-found', 'No such workshop.');
  if (workshop.status === 'cancelled') throw new WorkshopError('cancelled', 'The workshop was cancelled.');
  await tellNewMembers(workshop, deps);
  return workshop;
}

/** Drops a draft the facilitator did not want (announced workshops are cancelled instead). */
export async function discardDraft(id: Types.ObjectId | string): Promise<boolean> {
  return deleteWorkshopDraft(id);
}

/**
 * Changes a workshop and tells the people told before what changed (those of a village that
 * left the workshop too, once); members of villages added are told as if new.
 */
export async function updateWorkshop(id: Types.ObjectId | string, changes: WorkshopChanges, deps: FacilitatorDeps): Promise<WorkshopDoc> {
  const before = await findWorkshop(id);
  if (!before) throw new WorkshopError('not-found', 'No such workshop.');
  if (before.status === 'cancelled') throw new WorkshopError('cancelled', 'The workshop was cancelled.');
  const next = {
    title: changes.title ?? before.title, villageCodes: [...new Set(changes.villageCodes ?? before.villageCodes)], place: changes.place ?? before.place,
    startsAt: changes.startsAt ?? before.startsAt, endsAt: changes.endsAt ?? before.endsAt,
    note: changes.note === undefined ? (before.note ?? null) : changes.note?.trim() || null,
  };
  validate(next);
  const now = nowOf(deps);
  // One guarded write: two editors at once cannot both bump the same revision.
  const updated = await updateWorkshopAtRevision(before._id, before.revision ?? 0, next, now);
  if (!updated) return updateWorkshop(id, changes, deps);
  if (updated.status === 'draft') return updated;

  const invites = await findInvites(updated._id);
  const stillIn = new Set(updated.villageCodes);
  const told = invites.filter((i) => i.toldAt && (i.active || stillIn.has(i.villageCode)));
  await setInvitesActiveByVillage(updated._id, updated.villageCodes);

  const recipients = await reachableByIds(told.map((i) => i.memberId));
  const names = await villageNamesByCode(updated.villageCodes);
  const tr = translators(deps.i18n);
  const availableAt = nextAllowed(now, deps.quietHours, deps.timeZone);
  const items = recipients.map((r) => {
    const t = tr(r.language);
    const removed = !stillIn.has(r.villageCode ?? '');
    const text = removed
      ? t('broadcast:workshop.removed', { title: updated.title })
      : `${t('broadcast:workshop.changed')}\n\n${details(updated, t, r.language, names, deps.timeZone)}`;
    return itemFor(r, `ws:${String(updated._id)}:${String(r._id)}:change:${updated.revision ?? 0}`, 'workshop', [
      removed ? { text } : { text, ...rsvpButtons(updated._id, t) },
    ], { availableAt, expiresAt: updated.endsAt });
  });
  await queue(items, deps);
  await tellNewMembers(updated, deps);
  return updated;
}

/** Cancels a workshop and tells everyone who was told of it. */
export async function cancelWorkshop(id: Types.ObjectId | string, deps: FacilitatorDeps): Promise<WorkshopDoc> {
  const now = nowOf(deps);
  const w = await cancelAnnouncedWorkshop(id, now);
  if (!w) throw new WorkshopError('not-found', 'No such workshop.');
  const invites = await findActiveInvites(w._id);
  const recipients = await reachableByIds(invites.map((i) => i.memberId));
  const tr = translators(deps.i18n);
  const availableAt = nextAllowed(now, deps.quietHours, deps.timeZone);
  await queue(
    recipients.map((r) => {
      const t = tr(r.language);
      return itemFor(r, `ws:${String(w._id)}:${String(r._id)}:cancel`, 'workshop', [
        { text: t('broadcast:workshop.cancelled', { title: w.title, when: formatSpan(w.startsAt, w.endsAt, r.language, deps.timeZone) }) },
      ], { availableAt, expiresAt: w.endsAt });
    }),
    deps,
  );
  return { ...w, status: 'cancelled' };
}

/** Invites and tells the reachable members of the workshop's villages not told yet. */
async function tellNewMembers(w: WorkshopDoc, deps: FacilitatorDeps): Promise<number> {
  const now = nowOf(deps);
  const fresh = await inviteNew(w, now);
  if (fresh.length === 0) return 0;
  const names = await villageNamesByCode(w.villageCodes);
  const tr = translators(deps.i18n);
  const availableAt = nextAllowed(now, deps.quietHours, deps.timeZone);
  const items = fresh.map((r) => {
    const t = tr(r.language);
    return itemFor(r, `ws:${String(w._id)}:${String(r._id)}:announce`, 'workshop', [
      { text: `${t('broadcast:workshop.announce')}\n\n${details(w, t, r.language, names, deps.timeZone)}\n\n${t('broadcast:workshop.ask')}`, ...rsvpButtons(w._id, t) },
    ], { availableAt, expiresAt: w.endsAt });
  });
  const queued = await queue(items, deps);
  await markTold(w._id, fresh, now);
  return queued;
}

/**
 * Invites the reachable members of the villages who have no invite yet, and returns everyone
 * reachable there not told yet (new, or invited by a call interrupted before it queued).
 */
async function inviteNew(w: WorkshopDoc, now: Date): Promise<Recipient[]> {
  const members = await reachableMembers(w.villageCodes, [], w.simulatorOnly === true);
  if (members.length === 0) return [];
  const invites = new Map((await findInvites(w._id)).map((i) => [String(i.memberId), i]));
  const fresh = members.filter((m) => !invites.has(String(m._id)));
  if (fresh.length) await insertInvites(w._id, fresh, now);
  return members.filter((m) => !invites.get(String(m._id))?.toldAt);
}

async function markTold(workshopId: Types.ObjectId, members: Recipient[], now: Date): Promise<void> {
  if (members.length === 0) return;
  await markInvitesTold(workshopId, members.map((m) => m._id), now);
}

export function details(w: WorkshopDoc, t: Translate, language: string, names: Map<string, string>, timeZone: string): string {
  const lines = [
    t('broadcast:workshop.title', { title: w.title }),
    t('broadcast:workshop.villages', { villages: namesOf(w.villageCodes, names) }),
    t('broadcast:workshop.when', { when: formatSpan(w.startsAt, w.endsAt, language, timeZone) }),
    t('broadcast:workshop.place', { place: w.place }),
  ];
  if (w.note) lines.push(t('broadcast:workshop.note', { note: w.note }));
  return lines.join('\n');
}

export function rsvpButtons(workshopId: Types.ObjectId, t: Translate): Pick<OutboundMessage, 'choices' | 'promptSeq' | 'expect'> {
  return {
    choices: (['hadir', 'tidak', 'mungkin'] as const).map((a) => ({ id: `rsvp:${String(workshopId)}:${a}`, label: t(`broadcast:rsvp.${a}`) })),
    promptSeq: PROMPT_SEQ.action,
    expect: 'choice',
  };
}

/** A member answers hadir / tidak / mungkin. Returns what to tell them. */
export async function answerRsvp(
  workshopId: string,
  member: { _id: Types.ObjectId; villageCode: string | null },
  answer: RsvpAnswer,
  now: Date,
): Promise<{ ok: true; workshop: WorkshopDoc } | { ok: false; reason: 'not-found' | 'cancelled' | 'past' | 'not-invited' }> {
  if (!Types.ObjectId.isValid(workshopId)) return { ok: false, reason: 'not-found' };
  const w = await findWorkshop(workshopId);
  if (!w || w.status === 'draft') return { ok: false, reason: 'not-found' };
  if (w.status === 'cancelled') return { ok: false, reason: 'cancelled' };
  if (w.endsAt.getTime() <= now.getTime()) return { ok: false, reason: 'past' };
  const invited = await isInvited(w._id, member._id);
  if (!invited && !(member.villageCode && w.villageCodes.includes(member.villageCode))) return { ok: false, reason: 'not-invited' };
  await recordRsvp(w._id, member, answer, now);
  return { ok: true, workshop: w };
}

export interface RsvpCounts {
  invited: number;
  hadir: number;
  tidak: number;
  mungkin: number;
  unanswered: number;
}

export async function rsvpCounts(workshopIds: Types.ObjectId[]): Promise<Map<string, RsvpCounts>> {
  const out = new Map<string, RsvpCounts>(workshopIds.map((id) => [String(id), { invited: 0, hadir: 0, tidak: 0, mungkin: 0, unanswered: 0 }]));
  const invites = await findActiveInvitesOf(workshopIds);
  for (const i of invites) {
    const c = out.get(String(i.workshopId));
    if (!c) continue;
    c.invited++;
    if (i.response === 'hadir' || i.response === 'tidak' || i.response === 'mungkin') c[i.response]++;
    else c.unanswered++;
  }
  return out;
}

/** Announced workshops not over yet that touch these villages, soonest first. */
/** `simulatorOnly`: those the chat simulator's staff made (all a staff member there sees). */
export async function upcomingWorkshops(villageCodes: string[] | 'all', now: Date, options: { limit?: number; simulatorOnly?: boolean } = {}): Promise<WorkshopDoc[]> {
  const { limit = 10 } = options;
  return findUpcomingWorkshops(villageCodes, now, limit, options.simulatorOnly === true);
}

/**
 * The reminders due now: the evening before (16:00) and the morning (07:00), each once per
 * person and start time. A slot before the workshop was announced or changed is not sent (the
 * announcement just said it); a slot left behind by a later one is not sent late.
 */
export async function runWorkshopReminders(deps: FacilitatorDeps): Promise<number> {
  const now = nowOf(deps);
  const horizon = new Date(now.getTime() + 3 * 24 * 3600_000);
  const workshops = await findWorkshopsStartingBetween(now, horizon);
  let queued = 0;
  for (const w of workshops) {
    const eve = atLocalTime(w.startsAt, -1, deps.reminders.workshopEve, deps.timeZone);
    const morning = atLocalTime(w.startsAt, 0, deps.reminders.workshopMorning, deps.timeZone);
    const slots = [
      { slot: 'eve' as const, at: eve },
      ...(morning.getTime() < w.startsAt.getTime() ? [{ slot: 'morning' as const, at: morning }] : []),
    ].filter((s) => s.at.getTime() <= now.getTime());
    const due = slots[slots.length - 1];
    if (!due) continue;
    const toldAt = Math.max(w.announcedAt?.getTime() ?? 0, w.changedAt?.getTime() ?? 0);
    if (toldAt >= due.at.getTime()) continue;
    queued += await remind(w, due.slot, now, deps);
  }
  return queued;
}

async function remind(w: WorkshopDoc, slot: 'eve' | 'morning', now: Date, deps: FacilitatorDeps): Promise<number> {
  // People of the villages who registered since the announcement are invited now.
  await inviteNew(w, now);
  const invites = await findActiveInvites(w._id);
  const answered = new Map(invites.map((i) => [String(i.memberId), i.response ?? null]));
  const recipients = (await reachableByIds(invites.map((i) => i.memberId))).filter((r) => answered.get(String(r._id)) !== 'tidak');
  const names = await villageNamesByCode(w.villageCodes);
  const tr = translators(deps.i18n);
  const availableAt = nextAllowed(now, deps.quietHours, deps.timeZone);
  const items: OutboxItem[] = recipients.map((r) => {
    const t = tr(r.language);
    const text = `${t(`broadcast:workshop.${slot}`)}\n\n${details(w, t, r.language, names, deps.timeZone)}`;
    const message: OutboundMessage = answered.get(String(r._id)) ? { text } : { text: `${text}\n\n${t('broadcast:workshop.ask')}`, ...rsvpButtons(w._id, t) };
    return itemFor(r, `ws:${String(w._id)}:${String(r._id)}:${slot}:${w.startsAt.getTime()}`, 'reminder', [message], { availableAt, expiresAt: w.startsAt });
  });
  const queued = await queue(items, deps);
  await markTold(w._id, recipients, now);
  return queued;
}
