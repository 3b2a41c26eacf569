/**
 * What became of messages already sent: the statuses a platform reports about them (collection
 * delivery_statuses, _id `<channel>:<platform message id>:<status>`, so a repeat is stored once;
 * TTL on { receivedAt }) and the outbox entries that sent them, found by platform message id
 * (index { platformMessageIds }) or by their own id, and what a reply said. Queuing is
 * pipeline/outbox.ts's enqueue.
 */
import { isDuplicateKeyError } from '../coalesce.js';
import type { Address, OutboundMessage } from '../../messages/index.js';
import { DeliveryStatusModel, MemberModel, OutboxModel } from '../models.js';
import { byAnyAddress, findOwed, type OwedReply } from './members.js';

export interface DeliveryStatusRecord {
  channel: string;
  platformMessageId: string;
  status: string;
  at: Date;
  recipient: string | null;
  platformErrors: { code: number; title: string }[];
}

/** Stores the status once; false when it was already stored (a repeat). */
export async function recordDeliveryStatus(s: DeliveryStatusRecord, now: Date): Promise<boolean> {
  try {
    await DeliveryStatusModel.collection.insertOne({
      _id: `${s.channel}:${s.platformMessageId}:${s.status}` as never,
      channel: s.channel,
      platformMessageId: s.platformMessageId,
      status: s.status,
      at: s.at,
      recipient: s.recipient,
      platformErrors: s.platformErrors,
      receivedAt: now,
    });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

/** The outbox entry that sent this platform message is marked failed, with the reason. */
export async function markSentMessageFailed(channel: string, platformMessageId: string, lastError: string): Promise<void> {
  await OutboxModel.updateOne({ channel, platformMessageIds: platformMessageId }, { $set: { status: 'failed', lastError } });
}

/** The messages of an outbox entry (by _id), or none when there is no such entry. */
export async function findOutboxMessages(id: string): Promise<OutboundMessage[]> {
  return ((await OutboxModel.findById(id, { messages: 1 }).lean())?.messages ?? []) as OutboundMessage[];
}

/**
 * What a reply said (`reply:<channel>:<message id>`): kept with the member as owed for its last
 * few turns (MemberState.owed), else its outbox entry; none when neither holds it any more.
 */
export async function findReplyMessages(address: Address, replyId: string): Promise<OutboundMessage[]> {
  const member = await MemberModel.findOne(byAnyAddress([address]), { owed: 1 }).lean<{ owed?: OwedReply[] }>();
  return findOwed(member?.owed, replyId)?.messages ?? findOutboxMessages(replyId);
}

/** Whether an outbox entry with this id exists (queued before, by a call interrupted later). */
export async function outboxEntryExists(id: string): Promise<boolean> {
  return (await OutboxModel.exists({ _id: id })) !== null;
}

/** Forgets statuses received before `before` (as the TTL index does; by hand too, where the TTL monitor lags). */
export async function deleteDeliveryStatusesBefore(before: Date): Promise<void> {
  await DeliveryStatusModel.deleteMany({ receivedAt: { $lt: before } });
}
