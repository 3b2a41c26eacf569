/**
 * Who may be sent a proactive message (workshop news, reminders, broadcasts, alerts), and who
 * the facilitators of a village are. Nobody who typed "berhenti" (until "mulai"), who blocked
 * the bot, who never gave consent or did not finish registering, or whose data was deleted.
 */
import type { Types } from 'mongoose';
import type { i18n as I18n } from 'i18next';
import { FacilitatorAssignmentModel, MemberModel, SIMULATOR_PEOPLE, VillageModel, isSimulatorPerson, type Role } from '../db/models.js';
import { translatorFor, type Translate } from '../i18n.js';
import type { MemberSnapshot } from '../conversation/extensions.js';

/** The member filter every proactive message goes through. */
export const REACHABLE: Record<string, unknown> = {
  consent: { $ne: null },
  registeredAt: { $ne: null },
  optedOut: { $ne: true },
  blocked: { $ne: true },
  // Members deleted softly (if the model ever marks them) count as gone.
  deletedAt: null,
};

/** A proactive message's recipient: the same snapshot chat hooks get. */
export type Recipient = MemberSnapshot;

/** The member fields a Recipient is made of. */
export const RECIPIENT_FIELDS = { channel: 1, platformUserId: 1, name: 1, villageCode: 1, role: 1, language: 1 } as const;
const FIELDS = RECIPIENT_FIELDS;

export function asRecipient(m: { _id: Types.ObjectId; channel: string; platformUserId: string; name?: string | null; villageCode?: string | null; role?: string | null; language?: string | null }): Recipient {
  return {
    _id: m._id, channel: m.channel, platformUserId: m.platformUserId, name: m.name ?? null, villageCode: m.villageCode ?? null,
    role: (m.role ?? 'warga') as Role, language: m.language === 'en' ? 'en' : 'id',
  };
}

/** Reachable members of these villages (and roles; empty: every role); `simulatorOnly`: the chat simulator's people only. */
export async function reachableMembers(villageCodes: string[], roles: readonly string[] = [], simulatorOnly = false): Promise<Recipient[]> {
  if (villageCodes.length === 0) return [];
  const filter: Record<string, unknown> = { ...REACHABLE, ...(simulatorOnly ? SIMULATOR_PEOPLE : {}), villageCode: { $in: villageCodes } };
  if (roles.length) filter.role = { $in: roles };
  const rows = await MemberModel.find(filter, FIELDS).sort({ _id: 1 }).lean();
  return rows.map(asRecipient);
}

/** Reachable members among these ids (people told before: a change goes to them). */
export async function reachableByIds(ids: Types.ObjectId[]): Promise<Recipient[]> {
  if (ids.length === 0) return [];
  const rows = await MemberModel.find({ ...REACHABLE, _id: { $in: ids } }, FIELDS).sort({ _id: 1 }).lean();
  return rows.map(asRecipient);
}

export interface AudienceCount {
  reachable: number;
  byChannel: Record<string, number>;
  optedOut: number;
  blocked: number;
  noConsent: number;
}

/** How many of an audience a message would reach, by channel, and why the others would not. */
export async function countAudience(villageCodes: string[], roles: readonly string[] = [], simulatorOnly = false): Promise<AudienceCount> {
  const result: AudienceCount = { reachable: 0, byChannel: {}, optedOut: 0, blocked: 0, noConsent: 0 };
  if (villageCodes.length === 0) return result;
  const filter: Record<string, unknown> = { ...(simulatorOnly ? SIMULATOR_PEOPLE : {}), villageCode: { $in: villageCodes }, deletedAt: null };
  if (roles.length) filter.role = { $in: roles };
  const rows = await MemberModel.find(filter, { channel: 1, consent: 1, registeredAt: 1, optedOut: 1, blocked: 1 }).lean();
  for (const m of rows) {
    if (!m.consent || !m.registeredAt) result.noConsent++;
    else if (m.optedOut) result.optedOut++;
    else if (m.blocked) result.blocked++;
    else {
      result.reachable++;
      result.byChannel[m.channel] = (result.byChannel[m.channel] ?? 0) + 1;
    }
  }
  return result;
}

/** The villages a facilitator works in (their own plus an admin's assignment); every village for an admin. */
export async function villagesOf(member: { _id: Types.ObjectId; role: string; villageCode: string | null }): Promise<string[]> {
  if (member.role === 'admin') return (await VillageModel.find({}, { code: 1 }).sort({ code: 1 }).lean()).map((v) => v.code);
  if (member.role !== 'fasilitator') return [];
  const assignment = await FacilitatorAssignmentModel.findOne({ memberId: member._id }, { villageCodes: 1 }).lean();
  return [...new Set([...(member.villageCode ? [member.villageCode] : []), ...(assignment?.villageCodes ?? [])])].sort();
}

/**
 * Reachable facilitators of a village: registered there, or assigned to it by an admin. With
 * `about` (whose report or request it is), the chat simulator's staff only hear of the
 * simulator's people, never of real residents.
 */
export async function facilitatorsOf(villageCode: string, about?: { channel: string; platformUserId: string }): Promise<Recipient[]> {
  const assigned = (await FacilitatorAssignmentModel.find({ villageCodes: villageCode }, { memberId: 1 }).lean()).map((a) => a.memberId);
  const rows = await MemberModel.find(
    { ...REACHABLE, role: 'fasilitator', $or: [{ villageCode }, { _id: { $in: assigned } }] },
    FIELDS,
  ).sort({ _id: 1 }).lean();
  const all = rows.map(asRecipient);
  return about && !isSimulatorPerson(about) ? all.filter((f) => !isSimulatorPerson(f)) : all;
}

/** Translators by language, made once per batch. */
export function translators(i18n: I18n): (language: string) => Translate {
  const cache = new Map<string, Translate>();
  return (language) => {
    let t = cache.get(language);
    if (!t) {
      t = translatorFor(i18n, language);
      cache.set(language, t);
    }
    return t;
  };
}
