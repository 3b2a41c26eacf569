/**
 * The conversation service: every inbound message from every channel passes here.
 *   one message at a time per person -> find the member (cached by rev) -> repeat? ->
 *   respond (src/conversation/router.ts and the parts it calls) -> ONE guarded update of the
 *   member: new state, rev + 1, the message's "handled" mark and the reply owed -> the reply goes
 *   out at once (or into the outbox when the dispatcher can't send it now).
 *
 * Exactly once: the mark travels with the state it stands for, so a crash before the update
 * means the message is handled again (Telegram sends it again, the inbox retries it), and a
 * crash after it means the repeat is recognised, and finds its reply owed beside the mark (sent
 * again unless this process knows it went: a send cut off from its acknowledgement may go twice,
 * as with any platform without idempotency keys). Every write before the update is idempotent:
 * keyed by the run id (submission), the message id (help request) or the member, so doing it
 * twice changes nothing. No multi-document transactions.
 */
import { Types } from 'mongoose';
import type { Language } from '../vocabulary.js';
import {
  addressesOf, commitMember, findOrNewMember, findOwed, handledMarks, lastSeenOn, memberKey, owedReply, saveNewMember, setMemberBlocked, type LinkedAddress, type MemberState, type OwedReply,
} from '../db/repositories/members.js';
import type { Address, HandleOptions, InboundHandler, InboundMessage, OutboundMessage } from '../messages/index.js';
import { enqueue, withdrawReply } from '../pipeline/outbox.js';
import { recordRunEnds } from '../db/repositories/funnel.js';
import { ConversationKit, type ConversationServiceOptions } from './kit.js';
import { deleteMember } from './personal-data.js';
import { respond } from './router.js';
import { Turn } from './turn.js';

export type { ConversationServiceOptions } from './kit.js';
export { memberKey, type ActiveRun, type MemberState, type ProxyEntry } from '../db/repositories/members.js';
export { archiveRun } from '../db/repositories/drafts.js';

/** How many recent inbound ids a member keeps as "handled" marks (repeats come soon after). */
const HANDLED_KEEP = 20;
/** How many turns' replies a member keeps as owed (see MemberState.owed). */
const OWED_KEEP = 2;
/** How stale lastInboundAt may be left by turns that change nothing (it starts WhatsApp's 24-hour window: older is the safe side). */
const LAST_INBOUND_SLACK_MS = 15 * 60_000;
/** Members kept in the cache (the people writing now; a cache miss costs one read). */
const MEMBER_CACHE_MAX = 5000;

export class ConversationService implements InboundHandler {
  private readonly kit: ConversationKit;
  /**
   * One message at a time per member within this process (keyed by the member's id once it is
   * known here, so two linked channels of one person wait for each other); across processes
   * and before that, the rev guard holds.
   */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Replies this process has sent or written to the outbox (a repeat within the process sends nothing again). */
  private readonly delivered = new Set<string>();
  /** Members as last written by this process, under each of their addresses: a message needs no read when nobody else wrote since. */
  private readonly cache = new Map<string, MemberState>();

  constructor(private readonly options: ConversationServiceOptions) {
    this.kit = new ConversationKit(options);
  }

  private now(): Date {
    return this.kit.now();
  }

  /**
   * Handles one message and returns what the person is told, or null for a repeat. The replies
   * are in the outbox (`reply:<channel>:<messageId>`) before this resolves. Throws when the
   * database fails: nothing was committed, and the same message can be handled again.
   */
  async handle(message: InboundMessage, how: HandleOptions = {}): Promise<OutboundMessage[] | null> {
    const address = memberKey(message.channel, message.platformUserId);
    const cached = this.cache.get(address);
    const key = cached ? `member:${String(cached._id)}` : address;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.handleNow(message, how));
    current.catch(() => undefined); // the caller gets the error; the queue must not reject unhandled
    this.queues.set(key, current);
    try {
      return await current;
    } finally {
      if (this.queues.get(key) === current) this.queues.delete(key);
    }
  }

  async setBlocked(address: Address, blocked: boolean): Promise<void> {
    this.forget(memberKey(address.channel, address.platformUserId));
    await setMemberBlocked(address, blocked);
  }

  /** Forget cached members (another writer changed them, e.g. a sweep in this process). */
  invalidate(channel?: string, platformUserId?: string): void {
    if (channel && platformUserId) this.forget(memberKey(channel, platformUserId));
    else this.cache.clear();
  }

  /** Drops a cached member under every address it is cached by. */
  private forget(key: string): void {
    const member = this.cache.get(key);
    this.cache.delete(key);
    if (member) for (const a of addressesOf(member)) this.cache.delete(memberKey(a.channel, a.platformUserId));
  }

  private async handleNow(message: InboundMessage, how: HandleOptions): Promise<OutboundMessage[] | null> {
    const key = memberKey(message.channel, message.platformUserId);
    const outbox = this.options.outbox;
    const replyId = replyIdOf(message);
    for (let attempt = 0; ; attempt++) {
      const member = this.cache.get(key) ?? (await findOrNewMember(message, languageFromHint(message.languageHint), this.now(), message.otherIds));
      if (member.handled.includes(message.messageId)) {
        // Handled before. A reply owed is only committed by a turn whose platform is answered after
        // it (below), so this message was never acknowledged: a crash came between the commit and
        // the answer, maybe before the send. It goes (again, if the crash came after the send).
        const owed = this.delivered.has(replyId) ? null : findOwed(member.owed, replyId);
        if (owed) await this.deliver(this.replyItem(message, member, owed.messages));
        return null;
      }
      const turn = new Turn(member, message);
      noteOtherIds(turn, this.now());
      await respond(this.kit, turn);
      const replies = turn.replies.map((reply) => ({ ...reply, language: turn.view.language }));
      const item = this.replyItem(message, member, replies);
      if (this.mayLeaveUncommitted(turn)) {
        // Nothing changed (the menu, a summary): no commit, and the reply goes out at once when
        // the dispatcher can send it without an outbox entry (else the entry's id, the message's,
        // dedupes a repeat). Sending it twice after a crash harms no one. The mark is kept here
        // for repeats meanwhile.
        await this.deliver(item);
        // A member from the cache is detached already: only the marks are new.
        const fromCache = this.cache.get(key) === member;
        this.remember(key, { ...member, handled: [...member.handled.slice(-(HANDLED_KEEP - 1)), message.messageId] }, fromCache);
        return replies;
      }
      // Acknowledged once this returns (Telegram's webhook, the simulator): the reply owed rides
      // on the commit, and the platform sends the message again if we die before answering.
      // Recorded in the inbox first (WhatsApp, a person with messages waiting): its "done" mark
      // comes later, so the reply goes into the outbox before the commit and the dispatcher's
      // sent mark is its record. So do the rare turns that change more than this member.
      const replyFirst = !how.acknowledgedAfter || turn.deleteMember || turn.linked;
      if (replyFirst) {
        if (turn.linked && member.unsaved && !(await saveNewMember(member))) {
          this.forget(key); // stored a moment before by someone else: read them and redo
          continue;
        }
        const written = replies.length ? await enqueue([item], this.enqueueOptions()) : [];
        if (turn.deleteMember) {
          await deleteMember(this.kit, turn);
          this.forget(key);
          outbox?.onEnqueued?.(written);
          return replies;
        }
        // Idempotent (keyed by run id): a replayed or redone step writes nothing new.
        if (turn.endedRuns.length) await recordRunEnds(turn.endedRuns);
        const committed = await this.commit(turn);
        if (committed) {
          this.remember(key, committed);
          outbox?.onEnqueued?.(written);
          return replies;
        }
        // Someone else changed the member meanwhile (another instance, a sweep): take back the
        // reply computed from the old state, read again and redo the step. Unless that someone
        // handled this very message (its lease ran out on us): its reply write found ours and its
        // commit relies on it, so ours stands and goes out. A link changes two members: both go.
        if (turn.linked) this.cache.clear();
        this.forget(key);
        if (written.length) {
          if ((await handledMarks(member._id)).includes(message.messageId)) {
            outbox?.onEnqueued?.(written);
            return null;
          }
          await withdrawReply(replyId);
        }
      } else {
        if (turn.endedRuns.length) await recordRunEnds(turn.endedRuns);
        // ONE write: the state, the handled mark and the reply owed. Then the reply goes out.
        const committed = await this.commit(turn, replies.length ? owedReply(replyId, replies, item.replyTo) : null);
        if (committed) {
          this.remember(key, committed);
          await this.deliver(item);
          return replies;
        }
        // Someone else changed the member meanwhile: nothing of this turn was written, so read
        // again and redo the step. If that someone handled this very message, its commit holds
        // the reply and it sends it.
        this.forget(key);
        if (!member.unsaved && (await handledMarks(member._id)).includes(message.messageId)) return null;
      }
      if (attempt >= 3) throw new Error('member changed underneath four times in a row');
    }
  }

  private replyItem(message: InboundMessage, member: MemberState, messages: OutboundMessage[]) {
    return {
      id: replyIdOf(message), kind: 'reply' as const, channel: message.channel, to: message.platformUserId,
      memberId: member._id, messages, replyTo: message.replyTo ?? null,
    };
  }

  private enqueueOptions() {
    const claimFor = this.options.outbox?.claimFor;
    return { now: this.now(), ...(claimFor ? { claimFor } : {}) };
  }

  /**
   * A reply goes out at once when the dispatcher can send it now (nothing of this person's in
   * hand, the pace allows), else into the outbox (its id, the message's, dedupes a repeat). A
   * failure to write it throws: the message is handled again, finds its mark and its reply owed.
   */
  private async deliver(item: ReturnType<ConversationService['replyItem']>): Promise<void> {
    if (item.messages.length === 0) return;
    const outbox = this.options.outbox;
    const sent = (await outbox?.sendAtOnce?.(item)) ?? 0;
    if (sent < item.messages.length) {
      // The rest (all of it, or what the pace held back) goes on from the outbox.
      const written = await enqueue([{ ...item, alreadySent: sent }], this.enqueueOptions());
      outbox?.onEnqueued?.(written);
    }
    this.delivered.add(item.id);
    // Only repeats within this process look here (a restart forgets, and then the reply owed goes again).
    if (this.delivered.size > MEMBER_CACHE_MAX) this.delivered.delete(this.delivered.values().next().value as string);
  }

  /**
   * A turn that changed nothing need not be committed: its reply can be written again after a
   * crash and harms no one (and its id dedupes it in the outbox). Not when the member must be
   * told apart as written to (blocked, or lastInboundAt, the WhatsApp window's start, gone stale).
   */
  private mayLeaveUncommitted(turn: Turn): boolean {
    const m = turn.member;
    const seen = lastSeenOn(m, turn.message.channel);
    return turn.changesNothing && !m.blocked && seen != null && this.now().getTime() - new Date(seen).getTime() < LAST_INBOUND_SLACK_MS;
  }

  /** One update: the state, the handled mark, the reply owed, rev + 1; null when rev moved on (someone else wrote). */
  private commit(turn: Turn, owed: OwedReply | null = null): Promise<MemberState | null> {
    const now = this.now();
    const handled = [...turn.member.handled.slice(-(HANDLED_KEEP - 1)), turn.message.messageId];
    // seenAt per channel: the WhatsApp window and the channel used last, whichever channel wrote.
    const seenAt = { ...turn.member.seenAt, ...(turn.set.seenAt ?? {}), [turn.message.channel]: now };
    const set: Record<string, unknown> = { ...turn.set, handled, lastInboundAt: now, seenAt, updatedAt: now };
    // The last few turns' replies: a repeat of a message before the last still finds its own.
    if (owed) set.owed = [...(turn.member.owed ?? []).slice(-(OWED_KEEP - 1)), owed];
    if (turn.member.blocked) set.blocked = false; // they wrote to us: not blocked any more
    return commitMember(turn.member, set);
  }

  /**
   * Caches a member as committed. Bounded (least recently written goes first): a read saved per
   * message is worth a few KB for the people writing now, not for everyone who ever wrote.
   * Stored detached (see detachIds): otherwise each cached member pins 8 KB pool slabs.
   */
  private remember(key: string, member: MemberState, detachedAlready = false): void {
    const detached = detachedAlready ? member : detachIds(member);
    for (const k of new Set([key, ...addressesOf(member).map((a) => memberKey(a.channel, a.platformUserId))])) {
      this.cache.delete(k); // re-insert: the Map's order is the age used to bound it
      this.cache.set(k, detached);
    }
    while (this.cache.size > MEMBER_CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
  }
}

/**
 * WhatsApp named the person by two ids (phone number and business-scoped id): the ones the
 * member does not have yet are linked with this turn's commit, so a later message carrying only
 * one of them finds the same member.
 */
function noteOtherIds(turn: Turn, now: Date): void {
  const { message, member } = turn;
  const known = new Set(addressesOf(member).map((a) => memberKey(a.channel, a.platformUserId)));
  const fresh = (message.otherIds ?? []).filter((id) => !known.has(memberKey(message.channel, id)));
  if (fresh.length === 0) return;
  const added: LinkedAddress[] = fresh.map((id) => ({ key: memberKey(message.channel, id), channel: message.channel, platformUserId: id, linkedAt: now }));
  turn.update({ links: [...(member.links ?? []), ...added] });
}

/**
 * A deep copy whose ObjectIds own their 12 bytes. bson builds each ObjectId it reads with
 * Buffer.allocUnsafe(12): a slice of Node's shared 8 KB buffer pool, so one id kept for long
 * keeps its whole 8 KB slab alive. Measured (bench:memory, 2,000 members cached): 1,635 slabs,
 * 12.8 MB of array buffers held by cached members' run ids, most of it other data's garbage.
 * Plain objects and arrays are copied; Dates and other values are shared as they are.
 */
export function detachIds<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if ((value as { _bsontype?: unknown })._bsontype === 'ObjectId') {
    return new Types.ObjectId(new Uint8Array((value as unknown as Types.ObjectId).id)) as T;
  }
  if (Array.isArray(value)) return value.map(detachIds) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = detachIds(v);
  return copy as T;
}

/** The id of a message's reply, wherever it is kept (owed on the member, the outbox). */
const replyIdOf = (message: InboundMessage): string => `reply:${message.channel}:${message.messageId}`;

/** Indonesian first: English only for a platform set to English. */
export function languageFromHint(hint: string | undefined): Language {
  return hint?.toLowerCase().startsWith('en') ? 'en' : 'id';
}
