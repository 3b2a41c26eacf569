/**
 * Workshops (models/workshop.ts) and their invites (models/workshop-invite.ts): one invite per
 * person told about a workshop, `_id` `<workshopId>:<memberId>`, so telling someone twice or a
 * replayed answer writes one document.
 *
 * Indexes: _id for one workshop or invite; { startsAt } for the reminders due and the upcoming
 * ones (filtered by status and villages); { workshopId, active } for a workshop's invites.
 */
import type { Types } from 'mongoose';
import { WorkshopInviteModel, WorkshopModel, type RsvpAnswer } from '../models.js';

export type WorkshopRow = {
  _id: Types.ObjectId;
  title: string;
  villageCodes: string[];
  place: string;
  startsAt: Date;
  endsAt: Date;
  note?: string | null;
  status?: string | null;
  revision?: number | null;
  announcedAt?: Date | null;
  changedAt?: Date | null;
  createdBy?: Types.ObjectId | null;
  simulatorOnly?: boolean | null;
};

export interface NewWorkshop {
  title: string;
  villageCodes: string[];
  place: string;
  startsAt: Date;
  endsAt: Date;
  note: string | null;
  createdBy: Types.ObjectId | null;
  status: 'draft' | 'scheduled';
  revision: 0;
  announcedAt: Date | null;
  simulatorOnly: boolean;
}

/** Stores the workshop once under `id` (a repeat changes nothing); the workshop as stored. */
export async function insertWorkshop(id: Types.ObjectId, fields: NewWorkshop): Promise<WorkshopRow> {
  await WorkshopModel.updateOne({ _id: id }, { $setOnInsert: fields }, { upsert: true });
  return (await WorkshopModel.findById(id).lean()) as WorkshopRow;
}

export async function findWorkshop(id: Types.ObjectId | string): Promise<WorkshopRow | null> {
  return (await WorkshopModel.findById(id).lean()) as WorkshopRow | null;
}

/** A draft becomes scheduled (announced now); other states are left as they are. */
export async function markWorkshopAnnounced(id: Types.ObjectId | string, now: Date): Promise<void> {
  await WorkshopModel.updateOne({ _id: id, status: 'draft' }, { $set: { status: 'scheduled', announcedAt: now } });
}

/** Deletes a draft; false when it was no draft. */
export async function deleteWorkshopDraft(id: Types.ObjectId | string): Promise<boolean> {
  return (await WorkshopModel.deleteOne({ _id: id, status: 'draft' })).deletedCount === 1;
}

/**
 * Applies changes guarded by the revision read: two editors at once cannot both bump the same
 * revision. The workshop as it now is, or null when the revision moved on (or it was cancelled).
 */
export async function updateWorkshopAtRevision(id: Types.ObjectId, revision: number, set: Record<string, unknown>, now: Date): Promise<WorkshopRow | null> {
  return (await WorkshopModel.findOneAndUpdate(
    { _id: id, revision, status: { $ne: 'cancelled' } },
    { $set: { ...set, changedAt: now }, $inc: { revision: 1 } },
    { new: true },
  ).lean()) as WorkshopRow | null;
}

/** Cancels an announced workshop; the workshop as it was before, or null (no such workshop, or a draft). */
export async function cancelAnnouncedWorkshop(id: Types.ObjectId | string, now: Date): Promise<WorkshopRow | null> {
  return (await WorkshopModel.findOneAndUpdate(
    { _id: id, status: { $ne: 'draft' } },
    { $set: { status: 'cancelled', cancelledAt: now } },
    { new: false },
  ).lean()) as WorkshopRow | null;
}

/** Announced workshops not over yet (touching these villages), soonest first. */
export async function findUpcomingWorkshops(villageCodes: string[] | 'all', now: Date, limit: number, simulatorOnly: boolean): Promise<WorkshopRow[]> {
  const filter: Record<string, unknown> = { status: 'scheduled', endsAt: { $gt: now }, ...(simulatorOnly ? { simulatorOnly: true } : {}) };
  if (villageCodes !== 'all') filter.villageCodes = { $in: villageCodes };
  return (await WorkshopModel.find(filter).sort({ startsAt: 1 }).limit(limit).lean()) as WorkshopRow[];
}

/** Announced workshops starting after `now` and by `horizon`. */
export async function findWorkshopsStartingBetween(now: Date, horizon: Date): Promise<WorkshopRow[]> {
  return (await WorkshopModel.find({ status: 'scheduled', startsAt: { $gt: now, $lte: horizon } }).lean()) as WorkshopRow[];
}

/* ---- Invites ---- */

export interface InviteRow {
  memberId: Types.ObjectId;
  villageCode: string;
  active?: boolean | null;
  toldAt?: Date | null;
  response?: string | null;
}

/** Every invite of a workshop, active or not. */
export async function findInvites(workshopId: Types.ObjectId): Promise<InviteRow[]> {
  return WorkshopInviteModel.find({ workshopId }).lean();
}

/** The active invites of a workshop: who, and their answer. */
export async function findActiveInvites(workshopId: Types.ObjectId): Promise<{ memberId: Types.ObjectId; response?: string | null }[]> {
  return WorkshopInviteModel.find({ workshopId, active: true }, { memberId: 1, response: 1 }).lean();
}

/** Invites are active for members of these villages and inactive for the others. */
export async function setInvitesActiveByVillage(workshopId: Types.ObjectId, villageCodes: string[]): Promise<void> {
  await WorkshopInviteModel.updateMany({ workshopId, villageCode: { $in: villageCodes } }, { $set: { active: true } });
  await WorkshopInviteModel.updateMany({ workshopId, villageCode: { $nin: villageCodes } }, { $set: { active: false } });
}

/** Invites these members once each (a repeat changes nothing), not told yet. */
export async function insertInvites(workshopId: Types.ObjectId, members: { _id: Types.ObjectId; villageCode: string | null }[], now: Date): Promise<void> {
  await WorkshopInviteModel.bulkWrite(
    members.map((m) => ({
      updateOne: {
        filter: { _id: `${String(workshopId)}:${String(m._id)}` },
        update: { $setOnInsert: { workshopId, memberId: m._id, villageCode: m.villageCode ?? '', invitedAt: now, active: true, response: null, respondedAt: null, toldAt: null } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}

/** These members were told (the first time only). */
export async function markInvitesTold(workshopId: Types.ObjectId, memberIds: Types.ObjectId[], now: Date): Promise<void> {
  await WorkshopInviteModel.updateMany(
    { _id: { $in: memberIds.map((id) => `${String(workshopId)}:${String(id)}`) }, toldAt: null },
    { $set: { toldAt: now } },
  );
}

export async function isInvited(workshopId: Types.ObjectId, memberId: Types.ObjectId): Promise<boolean> {
  return (await WorkshopInviteModel.exists({ _id: `${String(workshopId)}:${String(memberId)}`, active: true })) !== null;
}

/** Records the member's answer (invited now if they were not: they were told, by the answer's button). */
export async function recordRsvp(workshopId: Types.ObjectId, member: { _id: Types.ObjectId; villageCode: string | null }, answer: RsvpAnswer, now: Date): Promise<void> {
  await WorkshopInviteModel.updateOne(
    { _id: `${String(workshopId)}:${String(member._id)}` },
    {
      $set: { response: answer, respondedAt: now, active: true },
      $setOnInsert: { workshopId, memberId: member._id, villageCode: member.villageCode ?? '', invitedAt: now, toldAt: now },
    },
    { upsert: true },
  );
}

/** The active invites of these workshops, with their answers. */
export async function findActiveInvitesOf(workshopIds: Types.ObjectId[]): Promise<{ workshopId: Types.ObjectId; response?: string | null }[]> {
  return WorkshopInviteModel.find({ workshopId: { $in: workshopIds }, active: true }, { workshopId: 1, response: 1 }).lean();
}

/** The active invites of these workshops by village and answer (null: not answered yet), for the workspace's counts. */
export async function countInvitesByVillage(workshopIds: Types.ObjectId[]): Promise<{ workshopId: string; villageCode: string; response: RsvpAnswer | null; n: number }[]> {
  const rows = await WorkshopInviteModel.aggregate<{ _id: { w: Types.ObjectId; v: string; r: RsvpAnswer | null }; n: number }>([
    { $match: { workshopId: { $in: workshopIds }, active: true } },
    { $group: { _id: { w: '$workshopId', v: '$villageCode', r: '$response' }, n: { $sum: 1 } } },
  ]);
  return rows.map((r) => ({ workshopId: String(r._id.w), villageCode: r._id.v, response: r._id.r ?? null, n: r.n }));
}

/** When the village's latest workshop (not cancelled) started, at or before `now`; or null. */
export async function lastWorkshopStartIn(villageCode: string, now: Date): Promise<Date | null> {
  const last = await WorkshopModel.findOne({ villageCodes: villageCode, status: { $ne: 'cancelled' }, startsAt: { $lte: now } }, { startsAt: 1 }).sort({ startsAt: -1 }).lean();
  return last ? last.startsAt : null;
}
