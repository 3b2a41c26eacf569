/**
 * The inbox (models/inbox.ts): one record per inbound message recorded before it is handled,
 * its _id the lasting dedupe mark. Here: the cleanup of settled records, sooner than the TTL
 * index on { receivedAt } would and never of pending ones. Recording and leasing stay in
 * pipeline/inbox.ts.
 */
import { InboxModel } from '../models.js';

/** Forgets handled (or given up) records received before `before`; pending ones stay. */
export async function deleteSettledInboxEntriesBefore(before: Date): Promise<void> {
  await InboxModel.deleteMany({ status: { $ne: 'pending' }, receivedAt: { $lt: before } });
}
