/**
 * What people ask of us outside a flow: "Minta dihubungi" help requests (keyed by the inbound
 * message, so a replay stores one; index { villageCode, status }) and the record of access and
 * deletion requests under UU 27/2022.
 */
import type { Types } from 'mongoose';
import { DataRequestModel, HelpRequestModel } from '../models.js';

export async function recordHelpRequest(
  id: string,
  r: { memberId: Types.ObjectId; villageCode: string | null; channel: string; context: string | null },
  now: Date,
): Promise<void> {
  await HelpRequestModel.updateOne({ _id: id }, { $setOnInsert: { ...r, status: 'baru', requestedAt: now } }, { upsert: true });
}

/** A person saw their data (`datasaya`): recorded as done. */
export async function recordAccessRequest(channel: string, memberId: Types.ObjectId, now: Date): Promise<void> {
  await DataRequestModel.create({ kind: 'access', channel, memberRef: String(memberId), requestedAt: now, completedAt: now });
}

/** A person asked for deletion; `complete` records what was deleted. No reference to the person is kept. */
export async function recordDeleteRequest(channel: string, now: Date): Promise<{ complete(detail: unknown, at: Date): Promise<void> }> {
  const request = await DataRequestModel.create({ kind: 'delete', channel, memberRef: 'deleted', requestedAt: now });
  return {
    async complete(detail, at) {
      await DataRequestModel.updateOne({ _id: request._id }, { $set: { completedAt: at, detail } });
    },
  };
}
