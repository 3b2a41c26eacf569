/**
 * Recipients of proactive messages (workshop news, reminders, broadcasts, alerts): members who
 * may be reached, and the facilitators of a village. Nobody who typed "berhenti" (until
 * "mulai"), who blocked the bot, who never gave consent or did not finish registering, or whose
 * data was deleted.
 *
 * Indexes: { villageCode, role } on members serves the audience of villages; _id the people told
 * before; facilitator assignments by { memberId } unique (by village they are few: a scan).
 */
import type { Types } from 'mongoose';
import { FacilitatorAssignmentModel, MemberModel, SIMULATOR_PEOPLE } from '../models.js';
import type { LinkedAddress } from './members.js';

/** The member filter every proactive message goes through. */
export const REACHABLE: Record<string, unknown> = {
  consent: { $ne: null },
  registeredAt: { $ne: null },
  optedOut: { $ne: true },
  blocked: { $ne: true },
  // Members deleted softly (if the model ever marks them) count as gone.
  deletedAt: null,
};

/** The member fields a recipient is made of. */
export const RECIPIENT_FIELDS = {
  channel: 1, platformUserId: 1, name: 1, villageCode: 1, role: 1, language: 1, links: 1, seenAt: 1, lastInboundAt: 1, preferredChannel: 1,
} as const;

export interface RecipientRow {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  name?: string | null;
  villageCode?: string | null;
  role?: string | null;
  language?: string | null;
  /** Linked addresses and when each channel was last used: where a proactive message goes (members.ts, proactiveRoute). */
  links?: LinkedAddress[] | null;
  seenAt?: Partial<Record<string, Date>> | null;
  lastInboundAt?: Date | null;
  preferredChannel?: string | null;
}

/** Reachable members of these villages (and roles; empty: every role), by _id; `simulatorOnly`: the chat simulator's people only. */
export async function findReachableInVillages(villageCodes: string[], roles: readonly string[], simulatorOnly: boolean): Promise<RecipientRow[]> {
  const filter: Record<string, unknown> = { ...REACHABLE, ...(simulatorOnly ? SIMULATOR_PEOPLE : {}), villageCode: { $in: villageCodes } };
  if (roles.length) filter.role = { $in: roles };
  return MemberModel.find(filter, RECIPIENT_FIELDS).sort({ _id: 1 }).lean();
}

/** Reachable members among these ids, by _id. */
export async function findReachableByIds(ids: Types.ObjectId[]): Promise<RecipientRow[]> {
  return MemberModel.find({ ...REACHABLE, _id: { $in: ids } }, RECIPIENT_FIELDS).sort({ _id: 1 }).lean();
}

/** A member as a recipient (reachable or not), or null. */
export async function findRecipientById(id: Types.ObjectId): Promise<RecipientRow | null> {
  return MemberModel.findById(id, RECIPIENT_FIELDS).lean();
}

/** A member of an audience, reachable or not (and why), with where a message to them goes (RecipientRow). */
export interface AudienceRow extends RecipientRow {
  consent?: unknown;
  registeredAt?: Date | null;
  optedOut?: boolean;
  blocked?: boolean;
}

export async function findAudienceMembers(
  villageCodes: string[],
  roles: readonly string[],
  simulatorOnly: boolean,
): Promise<AudienceRow[]> {
  const filter: Record<string, unknown> = { ...(simulatorOnly ? SIMULATOR_PEOPLE : {}), villageCode: { $in: villageCodes }, deletedAt: null };
  if (roles.length) filter.role = { $in: roles };
  return MemberModel.find(filter, { ...RECIPIENT_FIELDS, consent: 1, registeredAt: 1, optedOut: 1, blocked: 1 }).lean();
}

/** The villages an admin assigned to this facilitator (index { memberId } unique). */
export async function findAssignedVillages(memberId: Types.ObjectId): Promise<string[]> {
  const assignment = await FacilitatorAssignmentModel.findOne({ memberId }, { villageCodes: 1 }).lean();
  return assignment?.villageCodes ?? [];
}

/** Reachable facilitators of a village, by _id: registered there, or assigned to it by an admin. */
export async function findReachableFacilitators(villageCode: string): Promise<RecipientRow[]> {
  const assigned = (await FacilitatorAssignmentModel.find({ villageCodes: villageCode }, { memberId: 1 }).lean()).map((a) => a.memberId);
  return MemberModel.find(
    { ...REACHABLE, role: 'fasilitator', $or: [{ villageCode }, { _id: { $in: assigned } }] },
    RECIPIENT_FIELDS,
  ).sort({ _id: 1 }).lean();
}

/** Sets the villages an admin assigns to a facilitator (beside their own). */
export async function assignVillages(memberId: string, villageCodes: string[]): Promise<void> {
  await FacilitatorAssignmentModel.updateOne({ memberId }, { $set: { villageCodes } }, { upsert: true });
}
