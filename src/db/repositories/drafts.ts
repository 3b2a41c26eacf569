/**
 * Drafts: runs that expired unfinished, moved off the member with their answers. The _id is
 * the run's own id, so archiving twice is a no-op (index { memberId } for a member's drafts).
 */
import { isDuplicateKeyError } from '../coalesce.js';
import type { Types } from 'mongoose';
import { RunModel } from '../models.js';
import type { ActiveRun } from './members.js';

export async function archiveRun(memberId: Types.ObjectId, run: ActiveRun, now: Date): Promise<void> {
  try {
    await RunModel.collection.insertOne({
      _id: run.id, memberId, flowId: run.flowId, flowVersion: run.flowVersion, status: 'expired',
      state: run.state, startedAt: run.startedAt, lastActivityAt: run.lastActivityAt, expiredAt: now,
    } as never);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}
