/**
 * Writing to the outbox. Everything the service says to a person goes through here: replies,
 * reminders, workshop news, alerts, broadcasts. The dispatcher sends it.
 *
 *   await enqueue([{ id: `reply:${inboxId}`, kind: 'reply', channel, to, memberId, messages }]);
 *   dispatcher.wake();
 *
 * Entries with a deterministic id are written at most once: a second enqueue of the same id
 * (a replayed step, a restarted scheduler) is a no-op.
 */
import type { Types } from 'mongoose';
import type { OutboundMessage } from '../messages/index.js';
import type { ReplyContext } from '../messages/index.js';
import { DuplicateKey } from '../db/coalesce.js';
import { deleteUnsentReply, insertOutboxEntry, type OutboxKind } from '../db/repositories/outbox-entries.js';

export interface OutboxItem {
  id: string;
  kind: OutboxKind;
  channel: string;
  to: string;
  memberId?: Types.ObjectId | string | null;
  messages: OutboundMessage[];
  replyTo?: ReplyContext | null;
  /** Not before this moment (default now). */
  availableAt?: Date;
  /** Give up after this moment (recorded as skipped). */
  expiresAt?: Date | null;
  broadcastId?: Types.ObjectId | string | null;
  /** Messages of it already sent (a reply begun at once, the rest held back by the pace). */
  alreadySent?: number;
  /** Proactive to WhatsApp: where it goes instead when the window is closed and no template fits (the person's linked Telegram). */
  fallback?: { channel: string; to: string } | null;
}

let lastSeq = 0;
/** Strictly increasing within this process; across processes ordered by time. */
export function nextSeq(now = Date.now()): number {
  lastSeq = Math.max(lastSeq + 1, now * 1000);
  return lastSeq;
}

export interface EnqueueOptions {
  now?: Date;
  /**
   * Write the entries already claimed by this dispatcher (saves the claim round trip for
   * replies); `written` hands it what was written, so it need not read the entries back.
   */
  claimFor?: { owner: string; leaseMs: number; written?: (entries: OutboxDocument[]) => void };
}

export type OutboxDocument = ReturnType<typeof toDocument>;


function toDocument(item: OutboxItem, now: Date, claimFor: EnqueueOptions['claimFor']) {
  return {
    _id: item.id,
    kind: item.kind,
    channel: item.channel,
    to: item.to,
    memberId: item.memberId ?? null,
    messages: item.messages,
    replyTo: item.replyTo ?? null,
    status: claimFor ? 'sending' : 'pending',
    seq: nextSeq(now.getTime()),
    availableAt: item.availableAt ?? now,
    leaseOwner: claimFor?.owner ?? null,
    leaseUntil: claimFor ? new Date(now.getTime() + claimFor.leaseMs) : null,
    attempts: 0,
    sentCount: item.alreadySent ?? 0,
    platformMessageIds: [],
    lastError: null,
    expiresAt: item.expiresAt ?? null,
    broadcastId: item.broadcastId ?? null,
    fallback: item.fallback ?? null,
    route: null as string | null,
    createdAt: now,
    doneAt: null,
  };
}

/** Inserts the entries; ids already present are left as they are. Returns the ids newly written. */
export async function enqueue(items: OutboxItem[], options: EnqueueOptions = {}): Promise<string[]> {
  if (items.length === 0) return [];
  const now = options.now ?? new Date();
  const docs = items.map((item) => toDocument(item, now, options.claimFor));

  const outcomes = await Promise.allSettled(docs.map((d) => insertOutboxEntry(d)));
  const failure = outcomes.find((o) => o.status === 'rejected' && !(o.reason instanceof DuplicateKey));
  if (failure) throw (failure as PromiseRejectedResult).reason;
  const written = docs.filter((_, i) => outcomes[i]!.status === 'fulfilled');
  options.claimFor?.written?.(written);
  return written.map((d) => d._id);
}

/** Takes back a reply not yet sent at all (its step is being redone from a fresh state). */
export async function withdrawReply(replyId: string): Promise<void> {
  await deleteUnsentReply(replyId);
}
