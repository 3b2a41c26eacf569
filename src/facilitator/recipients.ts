/**
 * Who may be sent a proactive message (workshop news, reminders, broadcasts, alerts), and who
 * the facilitators of a village are (the rule and its queries: db/repositories/recipients.ts).
 */
import type { Types } from 'mongoose';
import type { i18n as I18n } from 'i18next';
import { isSimulatorPerson, type Role } from '../vocabulary.js';
import {
  findAssignedVillages, findAudienceMembers, type AudienceRow, findReachableByIds, findReachableFacilitators, findReachableInVillages, type RecipientRow,
} from '../db/repositories/recipients.js';
import { proactiveRoute } from '../db/repositories/members.js';
import { listVillageCodes } from '../db/repositories/villages.js';
import type { Address } from '../messages/index.js';
import { translatorFor, type Translate } from '../i18n.js';
import type { MemberSnapshot } from '../conversation/extensions.js';

export { REACHABLE, RECIPIENT_FIELDS } from '../db/repositories/recipients.js';

/**
 * A proactive message's recipient: the same snapshot chat hooks get, addressed where the person
 * is reached (proactiveRoute), with their linked Telegram as the fallback of a WhatsApp route.
 */
export type Recipient = MemberSnapshot & { fallback?: Address | null };

export function asRecipient(m: RecipientRow): Recipient {
  const route = proactiveRoute(m);
  return {
    _id: m._id, channel: route.channel, platformUserId: route.platformUserId, name: m.name ?? null, villageCode: m.villageCode ?? null,
    role: (m.role ?? 'warga') as Role, language: m.language === 'en' ? 'en' : 'id', fallback: route.fallback as Address | null,
  };
}

/** Reachable members of these villages (and roles; empty: every role); `simulatorOnly`: the chat simulator's people only. */
export async function reachableMembers(villageCodes: string[], roles: readonly string[] = [], simulatorOnly = false): Promise<Recipient[]> {
  if (villageCodes.length === 0) return [];
  return (await findReachableInVillages(villageCodes, roles, simulatorOnly)).map(asRecipient);
}

/** Reachable members among these ids (people told before: a change goes to them). */
export async function reachableByIds(ids: Types.ObjectId[]): Promise<Recipient[]> {
  if (ids.length === 0) return [];
  return (await findReachableByIds(ids)).map(asRecipient);
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
  if (villageCodes.length === 0) return tallyAudience([]);
  return tallyAudience(await findAudienceMembers(villageCodes, roles, simulatorOnly));
}

/** Audience rows loaded once, counted for any villages and roles (a review asks again at every step). */
export async function audienceCounter(villageCodes: string[], simulatorOnly: boolean): Promise<(villages: string[], roles: readonly string[]) => AudienceCount> {
  const rows = villageCodes.length ? await findAudienceMembers(villageCodes, [], simulatorOnly) : [];
  return (villages, roles) => tallyAudience(rows.filter((r) => villages.includes(r.villageCode ?? '') && (roles.length === 0 || roles.includes(r.role ?? ''))));
}

function tallyAudience(rows: AudienceRow[]): AudienceCount {
  const result: AudienceCount = { reachable: 0, byChannel: {}, optedOut: 0, blocked: 0, noConsent: 0 };
  for (const m of rows) {
    if (!m.consent || !m.registeredAt) result.noConsent++;
    else if (m.optedOut) result.optedOut++;
    else if (m.blocked) result.blocked++;
    else {
      result.reachable++;
      const channel = proactiveRoute(m).channel; // where it would go: a linked channel counts as the one used
      result.byChannel[channel] = (result.byChannel[channel] ?? 0) + 1;
    }
  }
  return result;
}

/** The villages a facilitator works in (their own plus an admin's assignment); every village for an admin. */
export async function villagesOf(member: { _id: Types.ObjectId; role: string; villageCode: string | null }): Promise<string[]> {
  if (member.role === 'admin') return listVillageCodes();
  if (member.role !== 'fasilitator') return [];
  const assigned = await findAssignedVillages(member._id);
  return [...new Set([...(member.villageCode ? [member.villageCode] : []), ...assigned])].sort();
}

/**
 * Reachable facilitators of a village: registered there, or assigned to it by an admin. With
 * `about` (whose report or request it is), the chat simulator's staff only hear of the
 * simulator's people, never of real residents.
 */
export async function facilitatorsOf(villageCode: string, about?: { channel: string; platformUserId: string }): Promise<Recipient[]> {
  const all = (await findReachableFacilitators(villageCode)).map(asRecipient);
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
