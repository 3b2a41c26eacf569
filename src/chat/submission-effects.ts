/**
 * What a stored submission changes beyond itself: activity progress updates the village plan.
 * Idempotent ($set of the reported values), since a replayed step may run it twice.
 * Registration is not here: it changes the member in the same update that ends the run.
 * Progress from the chat simulator's people stays their submission: it never moves a real plan.
 */
import { VillagePlanModel, isSimulatorPerson } from '../db/models.js';
import type { Effect } from '../engine/index.js';

type Submit = Extract<Effect, { type: 'submit' }>;

export async function applyPlanProgress(member: { villageCode?: string | null; channel: string; platformUserId: string }, submit: Submit, now: Date): Promise<void> {
  const a = submit.answers;
  if (submit.flowId !== 'kemajuan-kegiatan' || !member.villageCode || typeof a.activity !== 'string' || isSimulatorPerson(member)) return;
  // An activity named in the person's own words is matched to the plan by a facilitator later.
  if (!/^[0-9a-f]{24}$/i.test(a.activity)) return;
  const set: Record<string, unknown> = { 'activities.$.lastReportAt': now };
  if (typeof a.status === 'string') set['activities.$.status'] = a.status;
  if (typeof a.percent === 'number') set['activities.$.percentDone'] = a.percent;
  else if (a.status === 'selesai') set['activities.$.percentDone'] = 100;
  await VillagePlanModel.updateOne({ villageCode: member.villageCode, 'activities._id': a.activity }, { $set: set });
}
