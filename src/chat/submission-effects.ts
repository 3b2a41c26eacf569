/**
 * What a stored submission changes beyond itself: registration fills in the member
 * (with proof of consent), activity progress updates the village plan.
 */
import { MemberModel, VillagePlanModel, type Role } from '../db/models.js';
import type { Effect } from '../engine/index.js';

type Submit = Extract<Effect, { type: 'submit' }>;

export async function applySubmissionSideEffects(
  member: { _id: unknown; villageCode?: string | null },
  submit: Submit,
  now: Date,
): Promise<void> {
  const a = submit.answers;
  if (submit.flowId === 'daftar') {
    // The flow only submits after an explicit "ya"; a role above warga only with a valid code.
    const role: Role = a.role === 'pokja' || a.role === 'fasilitator' ? (a.role as Role) : 'warga';
    await MemberModel.updateOne(
      { _id: member._id },
      {
        $set: {
          name: typeof a.name === 'string' ? a.name : null,
          villageCode: typeof a.village === 'string' ? a.village : null,
          role,
          consent: { version: `daftar v${submit.flowVersion}`, givenAt: now, guardianConsent: a.guardian_consent === true },
          registeredAt: now,
        },
      },
    );
    return;
  }
  if (submit.flowId === 'kemajuan-kegiatan' && member.villageCode && typeof a.activity === 'string') {
    const set: Record<string, unknown> = { 'activities.$.lastReportAt': now };
    if (typeof a.status === 'string') set['activities.$.status'] = a.status;
    if (typeof a.percent === 'number') set['activities.$.percentDone'] = a.percent;
    else if (a.status === 'selesai') set['activities.$.percentDone'] = 100;
    await VillagePlanModel.updateOne({ villageCode: member.villageCode, 'activities._id': a.activity }, { $set: set });
  }
}
