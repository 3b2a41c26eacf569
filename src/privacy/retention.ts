/**
 * Deleting personal data, on request ("hapusdata") and as the registration notice promises
 * (UU 27/2022: keep only as long as needed):
 *  - a registered member inactive for two years is deleted;
 *  - someone who started registering but never finished (no consent on record) is deleted
 *    once their registration has expired: without consent, nothing is kept.
 * What goes and what stays is decided in db/repositories/personal-data.ts.
 */
import { deleteMemberData, visitStoredAnswers } from '../db/repositories/personal-data.js';
import { findMembersSilentSince } from '../db/repositories/members.js';
import { mediaBucket } from '../media/store.js';

export const RETENTION_INACTIVE_DAYS = 730;

export { deleteMemberData, type DeletionResult } from '../db/repositories/personal-data.js';

export async function purgeExpiredPersonalData(
  now: Date,
  options: { unregisteredAfterHours: number; inactiveDays?: number },
): Promise<{ inactive: number; unregistered: number }> {
  const inactiveBefore = new Date(now.getTime() - (options.inactiveDays ?? RETENTION_INACTIVE_DAYS) * 24 * 3600_000);
  const unregisteredBefore = new Date(now.getTime() - options.unregisteredAfterHours * 3600_000);
  const inactive = await findMembersSilentSince(inactiveBefore, true);
  const unregistered = await findMembersSilentSince(unregisteredBefore, false);
  for (const m of inactive) await deleteMemberData(m, { keepReports: true });
  for (const m of unregistered) await deleteMemberData(m, { keepReports: false });
  return { inactive: inactive.length, unregistered: unregistered.length };
}

/** Every GridFS media id in a value (answers nest photos in repeat groups). */
function collectMediaIds(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) collectMediaIds(v, into, depth + 1);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'mediaId' && typeof v === 'string') into.add(v);
    else collectMediaIds(v, into, depth + 1);
  }
}

/**
 * Deletes photos nothing refers to any more: sent by someone who never registered, dropped from
 * a cancelled or deleted run, or part of deleted data. Only files older than `olderThanHours`
 * (an answer may still be on its way to a submission). Returns how many were deleted.
 */
export async function purgeUnreferencedMedia(now: Date, options: { olderThanHours: number }): Promise<number> {
  const bucket = mediaBucket();
  const before = new Date(now.getTime() - options.olderThanHours * 3600_000);
  const candidates = await bucket.find({ uploadDate: { $lt: before } }, { projection: { _id: 1 } }).toArray();
  if (candidates.length === 0) return 0;
  const referenced = new Set<string>();
  // Submissions, drafts and runs in progress are where answers live.
  await visitStoredAnswers((answers) => collectMediaIds(answers, referenced));
  let deleted = 0;
  for (const file of candidates) {
    if (referenced.has(String(file._id))) continue;
    await bucket.delete(file._id).catch(() => undefined); // already gone: another instance was faster
    deleted++;
  }
  return deleted;
}
