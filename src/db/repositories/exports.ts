/**
 * What the exports read (src/reports/export.ts): the submissions of a flow in time order, as a
 * cursor in batches (index { flowId, review.status, submittedAt } or { villageCode, flowId,
 * submittedAt }), reporters' names by id, the names of villages and plan activities the answers
 * refer to, and the key that turns member ids into stable pseudonyms (workspace settings).
 */
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { MemberModel, SubmissionModel, VillageModel, VillagePlanModel, WorkspaceSettingModel } from '../models.js';

/** The export's pseudonym key: made once (the first export), the same ever after. */
export async function pseudonymKey(): Promise<string> {
  const fresh = randomBytes(32).toString('hex');
  await WorkspaceSettingModel.updateOne({ _id: 'pseudonym-key' }, { $setOnInsert: { value: fresh } }, { upsert: true });
  const doc = await WorkspaceSettingModel.findById('pseudonym-key').lean();
  return doc!.value;
}

/** Names for the answers: village codes and plan activity ids. */
export async function exportLookups(): Promise<{ villages: Map<string, string>; activities: Map<string, string> }> {
  const [villages, plans] = await Promise.all([
    VillageModel.find({}, { code: 1, name: 1 }).lean(),
    VillagePlanModel.find({}, { activities: 1 }).lean(),
  ]);
  return {
    villages: new Map(villages.map((v) => [v.code, v.name])),
    activities: new Map(plans.flatMap((p) => p.activities.map((a) => [String(a._id), a.title] as const))),
  };
}

/** The submissions matching `filter`, oldest first, read 1,000 at a time. */
export function submissionsInOrder<D>(filter: Record<string, unknown>) {
  return SubmissionModel.find(filter, { memberId: 1, villageCode: 1, submittedAt: 1, channel: 1, answers: 1, 'review.status': 1, proxy: 1 })
    .sort({ submittedAt: 1 }).lean<D[]>().cursor({ batchSize: 1000 });
}

/** Members' names by id (an admin's export shows reporters by name). */
export async function memberNames(ids: (Types.ObjectId | string)[]): Promise<Map<string, string>> {
  const members = await MemberModel.find({ _id: { $in: ids } }, { name: 1 }).lean();
  return new Map(members.map((m) => [String(m._id), m.name ?? '']));
}
