/**
 * Retention, as the registration notice promises (UU 27/2022: keep only as long as needed):
 *  - a registered member inactive for two years is deleted with their runs and submissions;
 *  - someone who started registering but never finished (no consent on record) is deleted
 *    once their registration run has expired: without consent, nothing is kept.
 */
import { MemberModel, RunModel, SubmissionModel } from '../db/models.js';
import type { Types } from 'mongoose';

export const RETENTION_INACTIVE_DAYS = 730;

/** Deletes a member and everything they sent. Shared with "hapusdata". */
export async function deleteMemberData(memberId: Types.ObjectId): Promise<void> {
  // Children first: a crash half-way leaves a member to retry, never orphans that can't be found.
  await SubmissionModel.deleteMany({ memberId });
  await RunModel.deleteMany({ memberId });
  await MemberModel.deleteOne({ _id: memberId });
}

export async function purgeExpiredPersonalData(
  now: Date,
  options: { unregisteredAfterHours: number; inactiveDays?: number },
): Promise<{ inactive: number; unregistered: number }> {
  const inactiveBefore = new Date(now.getTime() - (options.inactiveDays ?? RETENTION_INACTIVE_DAYS) * 24 * 3600_000);
  const unregisteredBefore = new Date(now.getTime() - options.unregisteredAfterHours * 3600_000);
  const inactive = await MemberModel.find({ consent: { $ne: null }, lastInboundAt: { $lt: inactiveBefore } }, { _id: 1 }).lean();
  const unregistered = await MemberModel.find({ consent: null, lastInboundAt: { $lt: unregisteredBefore } }, { _id: 1 }).lean();
  for (const { _id } of [...inactive, ...unregistered]) await deleteMemberData(_id);
  return { inactive: inactive.length, unregistered: unregistered.length };
}
