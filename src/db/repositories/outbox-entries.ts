/**
 * Writing outbox entries (the dispatcher, src/pipeline/dispatcher.ts, claims and sends them;
 * src/pipeline/outbox.ts builds them). `_id` is the entry's deterministic id, so a second insert
 * of the same id is a duplicate, not a second message.
 */
import { Coalescer, insertIgnoringDuplicates } from '../coalesce.js';
import { OutboxModel } from '../models.js';

export type { OutboxKind } from '../models.js';

/** Entries written at the same moment by different callers (concurrent replies) share one insert. */
const writes = new Coalescer((docs: Record<string, unknown>[]) => insertIgnoringDuplicates(OutboxModel.collection, docs as never[]));

/** Inserts one entry; rejects with DuplicateKey when an entry with its id exists already. */
export function insertOutboxEntry(doc: Record<string, unknown> & { _id: string }): Promise<unknown> {
  return writes.submit(doc);
}

/** Deletes a reply not yet sent at all (its step is being redone); one partly sent stays. */
export async function deleteUnsentReply(replyId: string): Promise<void> {
  await OutboxModel.deleteOne({ _id: replyId, sentCount: 0, status: { $in: ['pending', 'sending'] } });
}
