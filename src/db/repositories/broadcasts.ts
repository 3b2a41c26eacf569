/**
 * Broadcasts (siaran): one document per broadcast, draft -> scheduled -> sending -> done (or
 * cancelled), and their outbox entries, one per recipient, carrying the broadcast's id.
 *
 * Indexes: _id for one broadcast; { status, scheduledAt } (models/broadcast.ts) for the
 * broadcasts job; { broadcastId, status } on the outbox (models/outbox.ts) for a broadcast's
 * messages. A member's recent broadcasts (createdBy) have no index: broadcasts are few.
 * Queueing the messages is pipeline/outbox.ts's enqueue.
 */
import type { Types } from 'mongoose';
import { BroadcastModel, OutboxModel, type Broadcast } from '../models.js';

/** A broadcast as stored (plain, lean); `text` by language, a Map or a plain object. */
export type BroadcastRow = Omit<Broadcast, 'text'> & { _id: Types.ObjectId; text: unknown };

export interface NewBroadcast {
  text: Record<string, string>;
  audience: { villageCodes: string[]; roles: string[]; simulatorOnly: boolean };
  scheduledAt: Date;
  createdBy: Types.ObjectId | null;
  createdByName: string | null;
}

/** Stores a draft once under `id` (a repeat changes nothing). */
export async function insertBroadcastDraft(id: Types.ObjectId, b: NewBroadcast): Promise<void> {
  await BroadcastModel.updateOne(
    { _id: id },
    { $setOnInsert: { kind: 'announcement', text: b.text, audience: b.audience, scheduledAt: b.scheduledAt, status: 'draft', createdBy: b.createdBy, createdByName: b.createdByName } },
    { upsert: true },
  );
}

export async function findBroadcast(id: Types.ObjectId | string): Promise<BroadcastRow | null> {
  return BroadcastModel.findById(id).lean();
}

/** Who made it, its status and whether it is for the simulator's people only; or null. */
export async function findBroadcastOwner(
  id: Types.ObjectId | string,
): Promise<{ createdBy?: Types.ObjectId | null; status: string; audience?: { simulatorOnly?: boolean | null } | null } | null> {
  return BroadcastModel.findById(id, { createdBy: 1, status: 1, 'audience.simulatorOnly': 1 }).lean();
}

/** A draft becomes scheduled; the broadcast as it now is, or null when it was no draft. */
export async function confirmBroadcastDraft(id: Types.ObjectId | string): Promise<BroadcastRow | null> {
  return BroadcastModel.findOneAndUpdate({ _id: id, status: 'draft' }, { $set: { status: 'scheduled' } }, { new: true }).lean();
}

/** A draft is cancelled; false when it was no draft. */
export async function discardBroadcastDraft(id: Types.ObjectId | string, now: Date): Promise<boolean> {
  return (await BroadcastModel.updateOne({ _id: id, status: 'draft' }, { $set: { status: 'cancelled', cancelledAt: now } })).modifiedCount === 1;
}

/** A scheduled (or interrupted) broadcast becomes sending; as it now is, or null. */
export async function markBroadcastSending(id: Types.ObjectId): Promise<BroadcastRow | null> {
  return BroadcastModel.findOneAndUpdate({ _id: id, status: { $in: ['scheduled', 'sending'] } }, { $set: { status: 'sending' } }, { new: true }).lean();
}

export async function isBroadcastSending(id: Types.ObjectId): Promise<boolean> {
  return (await BroadcastModel.exists({ _id: id, status: 'sending' })) !== null;
}

/** Every message is queued: when, to how many, and how many were left out and why. */
export async function recordBroadcastQueued(
  id: Types.ObjectId,
  now: Date,
  recipientCount: number,
  excluded: { optedOut: number; blocked: number; noConsent: number },
): Promise<void> {
  await BroadcastModel.updateOne({ _id: id }, { $set: { queuedAt: now, recipientCount, excluded } });
}

/** Cancels a broadcast not yet finished; as it now is, or null when it had finished. */
export async function cancelOpenBroadcast(id: Types.ObjectId | string, now: Date): Promise<BroadcastRow | null> {
  return BroadcastModel.findOneAndUpdate(
    { _id: id, status: { $in: ['draft', 'scheduled', 'sending'] } },
    { $set: { status: 'cancelled', cancelledAt: now } },
    { new: true },
  ).lean();
}

/** Scheduled ones whose time has come, and sending ones interrupted before they were queued. */
export async function findBroadcastsToStart(now: Date): Promise<Types.ObjectId[]> {
  const rows = await BroadcastModel.find({ $or: [{ status: 'scheduled', scheduledAt: { $lte: now } }, { status: 'sending', queuedAt: null }] }, { _id: 1 }).lean();
  return rows.map((r) => r._id);
}

/** Queued ones not reported yet (sending, or cancelled after queueing). */
export async function findBroadcastsToReport(): Promise<Types.ObjectId[]> {
  const rows = await BroadcastModel.find(
    { $or: [{ status: 'sending', queuedAt: { $ne: null } }, { status: 'cancelled', reportedAt: null, queuedAt: { $ne: null } }] },
    { _id: 1 },
  ).lean();
  return rows.map((r) => r._id);
}

/** Records the result once (a sending one becomes done); as it now is, or null when already reported. */
export async function finishBroadcast(id: Types.ObjectId, now: Date, result: Record<string, unknown>, done: boolean): Promise<BroadcastRow | null> {
  return BroadcastModel.findOneAndUpdate(
    { _id: id, status: { $in: ['sending', 'cancelled'] }, reportedAt: null },
    { $set: { reportedAt: now, finishedAt: now, result, ...(done ? { status: 'done' } : {}) } },
    { new: true },
  ).lean();
}

/** A member's broadcasts other than drafts, newest first. */
export async function findRecentBroadcasts(createdBy: Types.ObjectId, limit: number): Promise<{ _id: Types.ObjectId; status: string; text: unknown }[]> {
  return BroadcastModel.find({ createdBy, status: { $ne: 'draft' } }, { status: 1, text: 1 }).sort({ _id: -1 }).limit(limit).lean();
}

/* ---- The broadcast's messages in the outbox (index { broadcastId, status }) ---- */

/** Its messages still waiting are cancelled; how many. */
export async function cancelPendingBroadcastMessages(id: Types.ObjectId, now: Date): Promise<number> {
  return (await OutboxModel.updateMany({ broadcastId: id, status: 'pending' }, { $set: { status: 'cancelled', doneAt: now } })).modifiedCount;
}

/** Its messages counted by status and error. */
export async function countBroadcastMessages(id: Types.ObjectId): Promise<{ status: string; error: string | null; channel: string; route: string | null; n: number }[]> {
  const rows = await OutboxModel.aggregate<{ _id: { status: string; error: string | null; channel: string; route?: string | null }; n: number }>([
    { $match: { broadcastId: id } },
    { $group: { _id: { status: '$status', error: '$lastError', channel: '$channel', route: '$route' }, n: { $sum: 1 } } },
  ]);
  return rows.map((r) => ({ status: r._id.status, error: r._id.error, channel: r._id.channel, route: r._id.route ?? null, n: r.n }));
}
