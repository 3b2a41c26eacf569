/** Village plans: one per village and year (index { villageCode, year } unique). */
import type { Types } from 'mongoose';
import { VillagePlanModel, type VillagePlan } from '../models.js';

/** A village plan as stored (plain, lean). */
export type VillagePlanRow = VillagePlan & { _id: Types.ObjectId };

/** The activities of the village's latest plan, as flows offer them. */
export async function activitiesOf(villageCode: string | null | undefined): Promise<{ id: string; title: string }[]> {
  if (!villageCode) return [];
  const plan = await latestPlan(villageCode);
  return (plan?.activities ?? []).map((a) => ({ id: String(a._id), title: a.title }));
}

/** Progress reported on one activity ($set of the values: a replay changes nothing more). */
export async function setActivityProgress(
  villageCode: string,
  activityId: string,
  progress: { status?: string; percentDone?: number },
  now: Date,
): Promise<void> {
  const set: Record<string, unknown> = { 'activities.$.lastReportAt': now };
  if (progress.status !== undefined) set['activities.$.status'] = progress.status;
  if (progress.percentDone !== undefined) set['activities.$.percentDone'] = progress.percentDone;
  await VillagePlanModel.updateOne({ villageCode, 'activities._id': activityId }, { $set: set });
}

/** The village's latest plan (plain), or null. */
export async function latestPlan(villageCode: string): Promise<VillagePlanRow | null> {
  return VillagePlanModel.findOne({ villageCode }).sort({ year: -1 }).lean();
}

/** The village's plan for one year (plain), or null (index { villageCode, year } unique). */
export async function planOf(villageCode: string, year: number): Promise<VillagePlanRow | null> {
  return VillagePlanModel.findOne({ villageCode, year }).lean();
}
