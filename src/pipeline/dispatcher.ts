/**
 * The dispatcher: sends every outbox entry (src/pipeline/outbox.ts) once, in order per person,
 * at the platform's pace.
 *
 *   const dispatcher = new Dispatcher({ channels, logger, onBlocked });
 *   dispatcher.start();
 *   const ids = await enqueue(items, { claimFor: dispatcher.claimFor });
 *   dispatcher.wake(ids);           // replies go out at once
 *   ...
 *   await dispatcher.stop();        // claims no more, lets sends in flight finish
 *
 * How an entry travels:
 *   1. Claim. Due entries (pending with availableAt <= now, or 'sending' whose lease expired: a
 *      crashed owner) are read oldest seq first, and each is claimed with one atomic
 *      findOneAndUpdate guarded by its status and lease. Two dispatchers never hold one entry.
 *      Entries written pre-claimed by this dispatcher (`claimFor`) skip the claim.
 *   2. Order. An entry is sent only when no earlier entry (lower seq) to the same (channel, to)
 *      is unfinished: being sent, waiting for a retry, or due. A never-tried entry scheduled for
 *      later (a reminder for tomorrow) does not hold back today's replies.
 *   3. Pace. Token buckets per channel (all chats) and per chat, from the channel's rateLimits,
 *      a little under the platform's figures. Dispatchers sharing a channel each take an equal
 *      share (counted from the owners of live leases, refreshed every second).
 *   4. Send and record. The result is written at once; the gap between the platform's OK and
 *      that write is the only way a message can go twice (a crash or a lost database in that
 *      gap, longer than the lease). Multi-message batches record progress after each message
 *      (`sentCount`), so a retry or a re-claim goes on after what already went out. Each gap
 *      is kept (`sentRecordGapsMs`, the last 10,000) for bench:crash to print.
 *        ok            -> sent, platformMessageIds, doneAt
 *        retry         -> pending again at now + retry_after (exactly) or backoff with jitter;
 *                         the chat (or on a channel-wide limit the channel) waits as long;
 *                         after maxAttempts or maxAgeMs -> failed
 *        blocked       -> blocked, onBlocked(channel, to, memberId)
 *        window-closed -> failed, "window-closed: <reason>"
 *        skipped       -> skipped, the channel's reason (WhatsApp: window closed, no template)
 *        either, with a `fallback` (the person's linked Telegram) -> pending again, addressed there
 *        failed        -> failed, the platform's reason
 *        expiresAt passed before sending -> skipped
 *   Nothing here throws out of a timer: every path catches, logs (no message text, no platform
 *   ids above debug) and goes on. With the database away, claims fail and are retried with
 *   backoff; results already sent wait in memory and are written when it returns.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ChannelRegistry, OutboundChannel, SendRequest, SendResult } from '../channels/channel.js';
import type { OutboundMessage } from '../messages/index.js';
import { Coalescer, bulkWriteEach } from '../db/coalesce.js';
import { OutboxModel } from '../db/models.js';
import type { Logger } from '../logging/logger.js';
import type { EnqueueOptions } from './outbox.js';
import { BucketMap, TokenBucket, backoffMs } from './rate-limit.js';

export type DispatcherLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface DispatcherOptions {
  channels: ChannelRegistry;
  logger: DispatcherLogger;
  /** Identifies this process's leases (default random). */
  owner?: string;
  /** How long a claim holds (default 30 s). A crashed owner's entries are taken over after it. */
  leaseMs?: number;
  /** How often due entries are looked for when nothing wakes the dispatcher (default 1000 ms). */
  pollIntervalMs?: number;
  /** The outbox's clock: due times, leases, expiry (default the system clock). Pacing uses real time. */
  now?: () => Date;
  /** Transient failures (429, network, 5xx) are retried this many times (default 50)... */
  maxAttempts?: number;
  /** ...and for at most this long after the entry was written (default 24 h); then recorded as failed. */
  maxAgeMs?: number;
  /** Backoff when the platform gives no retry_after: base and cap (default 1 s, 5 min). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Called once per entry refused because the person blocked the bot (the service marks the member). */
  onBlocked?: (channel: string, to: string, memberId: string | null) => Promise<void>;
  /** Share of the platform's advertised rates actually used (default 0.98): room for timing jitter. */
  rateHeadroom?: number;
  /** Sends at once at most (default 16). */
  maxInFlight?: number;
  /** Due entries read per poll (default 100). */
  batchSize?: number;
}

export interface DispatcherStats {
  sent: number;
  retried: number;
  failed: number;
  blocked: number;
  skipped: number;
  /** 429 answers seen. */
  rateLimited: number;
  /** Claims lost to another dispatcher. */
  claimConflicts: number;
  /** Database operations that failed (claims, results). */
  dbErrors: number;
  /** Replies of turns that changed nothing, sent at once without an outbox entry (sendAtOnce). */
  sentAtOnce: number;
  /** Messages sent per platform call ordering: time of the first successful send (ms since epoch). */
  firstSentAt: number | null;
}

interface Entry {
  _id: string;
  kind: string;
  channel: string;
  to: string;
  memberId: unknown;
  messages: OutboundMessage[];
  replyTo: SendRequest['replyTo'];
  status: string;
  seq: number;
  availableAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  attempts: number;
  sentCount: number;
  expiresAt: Date | null;
  /** Where a WhatsApp proactive message goes when its window is closed (the person's linked Telegram). */
  fallback?: { channel: string; to: string } | null;
  createdAt: Date;
}

type OutboxUpdate = { updateOne: { filter: Record<string, unknown>; update: Record<string, unknown> } };

type Candidate = Pick<Entry, '_id' | 'channel' | 'to' | 'seq' | 'status' | 'leaseOwner' | 'expiresAt'>;

interface Pace {
  global: TokenBucket;
  chats: BucketMap;
  /** Recent 429s: chat keys and times, to tell a channel-wide limit from one chat's. */
  recent429: { chat: string; at: number }[];
  share: number;
}

interface PendingWrite {
  id: string;
  chatKey: string;
  filter: Record<string, unknown>;
  update: Record<string, unknown>;
  tries: number;
  after?: () => Promise<void>;
  /** When the platform's OK for what this write records came back (performance.now()). */
  okAt?: number;
}

const FINISHED = ['sent', 'failed', 'blocked', 'skipped', 'cancelled'] as const;
const chatKeyOf = (e: { channel: string; to: string }) => `${e.channel}\u0000${e.to}`;
/** One claim of an entry: every claim (and renewal) gives the lease a new end. */
const claimOf = (e: Pick<Entry, '_id' | 'leaseUntil'>) => `${e._id}\u0000${e.leaseUntil ? new Date(e.leaseUntil).getTime() : ''}`;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

/** sendAtOnce's pace would keep the caller waiting: the rest of the reply goes through the outbox. */
class PacedOut extends Error {
  override name = 'PacedOut';
}

/** A wait that a notify() ends early. */
class Signal {
  private waiters: (() => void)[] = [];
  private pending = false;
  notify(): void {
    this.pending = true;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Resolves true when notified, false when `ms` passed. */
  wait(ms: number): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.pending = false;
        resolve(true);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((f) => f !== done);
        resolve(false);
      }, ms);
      this.waiters.push(done);
    });
  }
}

export class Dispatcher {
  readonly owner: string;
  readonly stats: DispatcherStats = {
    sent: 0, retried: 0, failed: 0, blocked: 0, skipped: 0, rateLimited: 0, claimConflicts: 0, dbErrors: 0, sentAtOnce: 0, firstSentAt: null,
  };

  private readonly channels: ChannelRegistry;
  private readonly logger: DispatcherLogger;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly maxAgeMs: number;
  private readonly backoff: { baseMs?: number; maxMs?: number };
  private readonly onBlocked: DispatcherOptions['onBlocked'];
  private readonly headroom: number;
  private readonly maxInFlight: number;
  private readonly batchSize: number;

  private running = false;
  private abandoned = false;
  private loop: Promise<void> | null = null;
  private readonly kick = new Signal();
  private readonly events = new EventEmitter();
  /** Claimed by this dispatcher, not started yet, in seq order. */
  private readonly ready = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Chats with an entry of ours claimed, in flight or waiting for its result write. */
  private readonly busyChats = new Set<string>();
  /** Our claimed entries waiting for their chat's entry in flight here, in seq order per chat. */
  private readonly parked = new Map<string, Entry[]>();
  /** Entries this process just wrote pre-claimed: wake(ids) takes them from here instead of reading them back. */
  private readonly written = new Map<string, Entry>();
  /**
   * Claims this dispatcher has taken to send (claimOf). A read made while one was being sent
   * can come back after its result was written, still showing it 'sending' under our lease:
   * that copy is no longer ours to send without a claim.
   */
  private readonly taken = new Set<string>();
  /**
   * Claims made but not read back (the database went away between the claim and its read):
   * lease end -> the ids asked for. Read again once it answers, instead of leaving those
   * entries to wait for their lease to run out.
   */
  private readonly unread = new Map<number, string[]>();
  /** Woken ids waiting for the next turn of the event loop, taken together. */
  private readonly wokenIds = new Set<string>();
  private wakeScheduled = false;
  /** Results and progress of sends finishing together are written in one bulk command. */
  private readonly updates = new Coalescer((ops: OutboxUpdate[]) => bulkWriteEach(OutboxModel.collection, ops as never[]));
  private readonly pendingWrites = new Map<string, PendingWrite>();
  private writeTimer: NodeJS.Timeout | null = null;
  private sendTimer: NodeJS.Timeout | null = null;
  private sendTimerAt = 0;
  private readonly paces = new Map<string, Pace>();
  private sharesAt = 0;
  private dbFailures = 0;
  private pollNow = true;
  /** The last poll left due entries behind (batch or room full): poll again as soon as there is room. */
  private moreDue = false;
  /** Chats whose next entry waits for the one of theirs in flight here: poll when it is done. */
  private readonly waitingChats = new Set<string>();
  /** Addresses held back at the last poll (an earlier entry elsewhere): left out of the next one, so a long queue for one person cannot fill every batch. */
  private heldBack = new Set<string>();
  /** Chats whose woken entries are on their way from the wake to ready or parked (takeWoken). */
  private readonly chatsTaking = new Map<string, number>();
  /** Woken entries not known in memory are being read: their chats are unknown until then. */
  private takingUnknown = 0;
  /** Chats whose entries were given back to the database to go after an earlier one: when. */
  private readonly releasedChats = new Map<string, number>();

  constructor(options: DispatcherOptions) {
    this.channels = options.channels;
    this.logger = options.logger;
    this.owner = options.owner ?? `dispatcher:${randomUUID()}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 50;
    this.maxAgeMs = options.maxAgeMs ?? 24 * 3600_000;
    this.backoff = options.backoff ?? {};
    this.onBlocked = options.onBlocked;
    this.headroom = options.rateHeadroom ?? 0.98;
    this.maxInFlight = options.maxInFlight ?? 16;
    this.batchSize = options.batchSize ?? 100;
    this.events.setMaxListeners(0);
  }

  /**
   * Milliseconds from a platform's OK to its durable record (the result, or the progress of a
   * batch), per send, the last 10,000: the window in which a crash sends a message twice.
   */
  readonly sentRecordGapsMs: number[] = [];

  private noteGap(okAt: number): void {
    if (this.sentRecordGapsMs.length >= 10_000) this.sentRecordGapsMs.splice(0, 5_000);
    this.sentRecordGapsMs.push(performance.now() - okAt);
  }

  /** Sends running now (tests: the size of the crash window when abandoning). */
  get inFlightCount(): number {
    // And those done whose result is not written yet: after a crash they go again too.
    let count = this.inFlight.size;
    for (const id of this.pendingWrites.keys()) if (!this.inFlight.has(id)) count++;
    return count;
  }

  /** Pass to enqueue() to write entries already claimed by this dispatcher, then wake(ids). */
  get claimFor(): NonNullable<EnqueueOptions['claimFor']> {
    return { owner: this.owner, leaseMs: this.leaseMs, written: (entries) => this.rememberWritten(entries as unknown as Entry[]) };
  }

  private rememberWritten(entries: Entry[]): void {
    for (const e of entries) this.written.set(e._id, e);
    // Only a wake takes them out; one that never comes (a withdrawn reply) must not pile up.
    while (this.written.size > 2000) this.written.delete(this.written.keys().next().value as string);
  }

  start(): void {
    if (this.running || this.abandoned) return;
    this.running = true;
    this.pollNow = true;
    this.loop = this.claimLoop();
  }

  /** Stops claiming, puts claimed-but-unsent entries back, lets sends in flight finish and their results be written. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.kick.notify();
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = null;
    await this.loop?.catch(() => undefined);
    await this.releaseReady();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
    if (this.pendingWrites.size > 0) await this.flushWrites();
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    if (this.pendingWrites.size > 0) {
      this.logger.error({ results: this.pendingWrites.size }, 'dispatcher: stopped with results not written (the database is away); their leases will expire and they may be sent again');
    }
    this.emit();
  }

  /**
   * For tests and crash drills: stops at once as a killed process would. Nothing is released,
   * no result is written any more; the leases expire by themselves.
   */
  abandon(): void {
    this.abandoned = true;
    this.running = false;
    this.kick.notify();
    if (this.sendTimer) clearTimeout(this.sendTimer);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.sendTimer = null;
    this.writeTimer = null;
    this.ready.clear();
    this.parked.clear();
    this.pendingWrites.clear();
  }

  /**
   * Something was enqueued. With ids: those entries are sent at once (pre-claimed ones by this
   * dispatcher without a claim); without: a poll is triggered.
   */
  wake(ids?: string[]): void {
    if (!this.running) return;
    if (!ids || ids.length === 0) {
      this.pollNow = true;
      this.kick.notify();
      return;
    }
    this.takeSoon(ids);
  }

  /**
   * Wakes in the same turn of the event loop (replies to messages that arrived together, chats
   * freed together) are taken together: one order check for all their chats.
   */
  private takeSoon(ids: string[]): void {
    for (const id of ids) this.wokenIds.add(id);
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const batch = [...this.wokenIds];
      this.wokenIds.clear();
      void this.takeWoken(batch).catch((err) => {
        this.stats.dbErrors++;
        this.logger.warn({ err: errorText(err) }, 'dispatcher: could not load woken entries; the next poll takes them');
        this.pollNow = true;
        this.kick.notify();
      });
    });
  }

  /**
   * Resolves when nothing is due in the outbox for this dispatcher's channels (no entry pending
   * and due, none waiting for a retry, none being sent by anyone) and nothing is in flight here.
   * Entries scheduled for later and never tried yet do not count.
   */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      let checking = false;
      const check = async () => {
        if (checking) return;
        checking = true;
        try {
          if (this.ready.size > 0 || this.inFlight.size > 0 || this.pendingWrites.size > 0 || this.parked.size > 0) return;
          const open = await OutboxModel.countDocuments({
            channel: { $in: this.channels.names() },
            $or: [
              { status: 'sending' },
              { status: 'pending', availableAt: { $lte: this.now() } },
              { status: 'pending', attempts: { $gt: 0 } },
            ],
          });
          if (open === 0 && this.ready.size === 0 && this.inFlight.size === 0 && this.pendingWrites.size === 0) {
            this.events.off('tick', onTick);
            resolve();
          }
        } catch {
          // the database is away: check again on the next tick
        } finally {
          checking = false;
        }
      };
      const onTick = () => void check();
      this.events.on('tick', onTick);
      void check();
    });
  }

  /** Deletes finished entries (sent, failed, blocked, skipped, cancelled) done more than `days` ago. Returns how many. */
  async deleteFinished(days: number): Promise<number> {
    const before = new Date(this.now().getTime() - days * 24 * 3600_000);
    const r = await OutboxModel.deleteMany({ status: { $in: [...FINISHED] }, doneAt: { $lt: before } });
    return r.deletedCount ?? 0;
  }

  // ---- claiming -------------------------------------------------------------------------------

  private emit(): void {
    this.events.emit('tick');
  }

  private prefetchTarget(): number {
    let total = 0;
    // About 3 s of work claimed ahead: a slow database round never leaves the pace idle.
    for (const name of this.channels.names()) total += this.paceOf(this.channels.get(name)!).global.perSecond * 3;
    return Math.max(10, Math.ceil(total));
  }

  private async claimLoop(): Promise<void> {
    let delay = 0;
    while (this.running) {
      // Woken by wake(), by room for more, by a chat becoming free; else a poll every interval.
      const notified = await this.kick.wait(delay);
      if (!this.running) break;
      if (!notified) this.pollNow = true;
      delay = this.pollIntervalMs;
      try {
        if (Date.now() - this.sharesAt >= 1000 && (this.ready.size > 0 || this.inFlight.size > 0)) await this.refreshShares();
        if (this.unread.size > 0) await this.readUnread();
        const target = this.prefetchTarget();
        const room = target - this.ready.size;
        if (this.pollNow || (this.moreDue && room >= target / 2)) {
          this.pollNow = false;
          // Idle until now: claim a few first so the first message leaves at once, the rest right after.
          const idle = this.ready.size === 0 && this.inFlight.size === 0;
          this.moreDue = await this.fill(Math.max(1, idle ? Math.min(room, 10) : room));
          if (idle && this.moreDue) this.kick.notify();
        }
        if (this.dbFailures > 0) {
          this.logger.info({ failures: this.dbFailures }, 'dispatcher: database reachable again, sending resumes');
          this.dbFailures = 0;
        }
      } catch (err) {
        this.dbFailures++;
        this.stats.dbErrors++;
        this.pollNow = true;
        delay = Math.min(Math.max(this.pollIntervalMs, 5000), this.pollIntervalMs * 2 ** Math.min(6, this.dbFailures));
        const log = this.dbFailures === 1 ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
        log({ err: errorText(err), retryInMs: delay }, 'dispatcher: claiming failed (database away?); retrying');
      }
      this.emit();
    }
  }

  private channelNames(): string[] {
    return this.channels.names();
  }

  /** Reads due entries and claims up to `room` of them. Returns true when more may be due. */
  private async fill(room: number): Promise<boolean> {
    const now = this.now();
    // Chats busy here or held back last time can't send now: leave them out of the batch.
    const skip = new Set(this.heldBack);
    for (const key of this.busyChats) skip.add(key.slice(key.indexOf('\u0000') + 1));
    this.heldBack = new Set();
    const candidates = (await OutboxModel.find(
      {
        channel: { $in: this.channelNames() },
        ...(skip.size > 0 ? { to: { $nin: [...skip].slice(0, 2000) } } : {}),
        $or: [
          { status: 'pending', availableAt: { $lte: now } },
          { status: 'sending', leaseUntil: { $lt: now } },
        ],
      },
      { _id: 1, channel: 1, to: 1, seq: 1, status: 1, leaseOwner: 1, expiresAt: 1 },
    )
      .sort({ seq: 1 })
      .limit(this.batchSize)
      .lean()) as unknown as Candidate[];
    if (candidates.length === 0) return false;
    const roomFull = await this.claimCandidates(candidates, room, false);
    return roomFull || candidates.length >= this.batchSize;
  }

  private async takeWoken(ids: string[]): Promise<void> {
    if (!this.running) return;
    const docs: Entry[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const e = this.written.get(id);
      if (e) {
        this.written.delete(id);
        docs.push(e);
      } else {
        unknown.push(id);
      }
    }
    // Until they have their place (ready, parked, released), their chats are in hand here.
    const taking = docs.map(chatKeyOf);
    for (const key of taking) this.chatsTaking.set(key, (this.chatsTaking.get(key) ?? 0) + 1);
    if (unknown.length > 0) this.takingUnknown++;
    try {
      if (unknown.length > 0) docs.push(...((await OutboxModel.find({ _id: { $in: unknown } }).lean()) as unknown as Entry[]));
      const now = this.now();
      const ours = docs.filter((d) => d.status === 'sending' && d.leaseOwner === this.owner);
      const due = docs.filter((d) => d.status === 'pending' && d.availableAt <= now);
      if (ours.length > 0 || due.length > 0) {
        await this.claimCandidates([...ours, ...due].sort((a, b) => a.seq - b.seq), Infinity, true);
      }
    } finally {
      if (unknown.length > 0) this.takingUnknown--;
      for (const key of taking) {
        const left = (this.chatsTaking.get(key) ?? 1) - 1;
        if (left > 0) this.chatsTaking.set(key, left);
        else this.chatsTaking.delete(key);
      }
    }
  }

  /**
   * Sends a reply that need not be durable (its turn changed nothing: the menu, a summary) at
   * once, without an outbox entry. Returns how many of its messages went out: all of them, or
   * fewer (0 when this chat has anything in hand here, a reply before it keeping its place; the
   * pace says wait; the send fails), and the caller writes the rest to the outbox. It may go
   * before a reminder of another process not yet taken: never before a reply.
   */
  async sendAtOnce(item: { channel: string; to: string; messages: OutboundMessage[]; replyTo: SendRequest['replyTo']; kind: string }): Promise<number> {
    if (!this.running) return 0;
    const channel = this.channels.get(item.channel);
    if (!channel) return 0;
    const key = chatKeyOf(item);
    if (this.chatInHand(key)) return 0;
    const pace = this.paceOf(channel);
    // The first message's turn a moment away is worth waiting for (the person is waiting too;
    // nothing has gone out yet). Later messages only while the pace allows them now: the caller
    // answers its platform once this returns, and a crash before that brings the message again
    // and its reply goes again. What must wait goes through the outbox, whose sent marks are
    // kept (bench:crash: waiting up to 250 ms between messages here doubled ~50 replies in
    // 1,100 under three kills at Telegram's 30 messages/s).
    for (let wait = this.turn(pace, key); wait > 0; wait = this.turn(pace, key)) {
      if (wait > 250) return 0;
      await new Promise((r) => setTimeout(r, wait));
      if (!this.running) return 0;
    }
    const turnSoon = async () => {
      if (!this.running || this.turn(pace, key) > 0) throw new PacedOut();
    };
    if (this.chatInHand(key)) return 0;
    this.busyChats.add(key);
    try {
      const result = await channel.send({ to: item.to, messages: item.messages, replyTo: item.replyTo, alreadySent: 0, kind: item.kind, pace: turnSoon });
      const sent = result.ok ? item.messages.length : Math.min(result.sentCount, item.messages.length);
      this.stats.sent += sent;
      if (sent > 0) this.stats.sentAtOnce++;
      return sent;
    } catch (err) {
      this.logger.debug({ err: errorText(err) }, 'dispatcher: a send at once failed; it goes through the outbox');
      return 0;
    } finally {
      this.chatFree(key);
      this.emit();
    }
  }

  private chatInHand(key: string): boolean {
    if (this.busyChats.has(key) || this.parked.has(key) || this.waitingChats.has(key) || this.chatsTaking.has(key) || this.takingUnknown > 0) return true;
    const released = this.releasedChats.get(key);
    if (released !== undefined) {
      if (Date.now() - released < 2 * this.pollIntervalMs + 1000) return true;
      this.releasedChats.delete(key);
    }
    for (const e of this.ready.values()) if (chatKeyOf(e) === key) return true;
    for (const e of this.written.values()) if (chatKeyOf(e) === key) return true;
    return false;
  }

  /**
   * Keeps the candidates whose chat has no earlier unfinished entry, claims them (or takes them
   * as they are, when pre-claimed by us) and queues them for sending. Returns true when `room`
   * left some eligible candidates unclaimed.
   */
  private async claimCandidates(candidates: Candidate[], room: number, woken: boolean): Promise<boolean> {
    if (!this.running) return false;
    const firsts: Candidate[] = [];
    const seen = new Set<string>();
    // Later entries of ours for a chat already in this batch: looked at again once the first is
    // placed (then the chat is busy here and they wait for it, or held back with it).
    const later: string[] = [];
    for (const c of candidates) {
      const key = chatKeyOf(c);
      if (seen.has(key)) {
        if (this.isOurs(c, woken)) later.push(c._id);
        continue; // an entry not ours is taken by a poll after the earlier
      }
      seen.add(key);
      if (this.ready.has(c._id) || this.inFlight.has(c._id)) continue;
      if (this.busyChats.has(key)) {
        // This chat has an entry in flight here: the next goes after it. One of ours, read whole,
        // waits here still claimed (no release, no claim and read again); others at the next poll.
        if (this.isOurs(c, woken)) this.park(c);
        else this.waitingChats.add(key);
        continue;
      }
      if (!this.channels.get(c.channel)) continue;
      firsts.push(c);
    }
    try {
      return await this.placeFirsts(firsts, room, woken);
    } finally {
      if (later.length > 0) this.takeSoon(later);
    }
  }

  private async placeFirsts(firsts: Candidate[], room: number, woken: boolean): Promise<boolean> {
    if (firsts.length === 0) return false;

    // Order per person: an earlier entry being sent, waiting for a retry, or due holds this one back.
    const now = this.now();
    const earlier = (await OutboxModel.find(
      { to: { $in: [...new Set(firsts.map((c) => c.to))] }, status: { $in: ['pending', 'sending'] } },
      { _id: 1, channel: 1, to: 1, seq: 1, status: 1, attempts: 1, availableAt: 1 },
    ).lean()) as unknown as (Candidate & { attempts: number; availableAt: Date })[];
    const holdsBack = new Map<string, number>(); // chat -> lowest seq of an entry that must go first
    for (const e of earlier) {
      if (e.status === 'pending' && e.attempts === 0 && e.availableAt > now) continue;
      const key = chatKeyOf(e);
      holdsBack.set(key, Math.min(holdsBack.get(key) ?? Infinity, e.seq));
    }

    const toClaim: Candidate[] = [];
    let roomFull = false;
    for (const c of firsts) {
      if ((holdsBack.get(chatKeyOf(c)) ?? Infinity) < c.seq) {
        this.heldBack.add(c.to);
        this.noteReleased(chatKeyOf(c));
        if (this.isOurs(c, woken)) {
          await this.release(c._id);
          await this.releaseParked(chatKeyOf(c)); // they come after it: a poll takes them in order
        }
        continue;
      }
      if (toClaim.length >= room) {
        roomFull = true;
        break;
      }
      toClaim.push(c);
    }

    // Entries written pre-claimed by us and read whole need no claim round trip.
    const preclaimed = (c: Candidate): c is Entry => this.isOurs(c, woken);
    // Entries not pre-claimed are claimed together: one guarded updateMany (atomic per entry)
    // marking them with a lease end unique to this claim, then one read of what we got.
    const others = toClaim.filter((c) => !preclaimed(c));
    const got = others.length > 0 ? await this.claimMany(others.map((c) => c._id)) : [];
    this.stats.claimConflicts += others.length - got.length;
    const claimed = [...toClaim.filter(preclaimed), ...got].sort((a, b) => a.seq - b.seq);
    await mapLimit(claimed, 8, async (e) => {
      const key = chatKeyOf(e);
      if (this.running && this.busyChats.has(key)) return void this.park(e);
      if (!this.running) return void (await this.release(e._id));
      this.busyChats.add(key);
      this.releasedChats.delete(key); // given back earlier, taken again now: in hand as busy
      this.markTaken(e);
      if (e.expiresAt && e.expiresAt <= this.now()) {
        return void this.record(e, { status: 'skipped', lastError: 'expired before it could be sent' }, 'skipped');
      }
      this.ready.set(e._id, e);
      this.schedule(0);
    });
    return roomFull;
  }

  /** Written pre-claimed by this dispatcher and read whole (woken from memory), a claim not taken yet: it can be sent as it is. */
  private isOurs(c: Candidate, woken: boolean): c is Entry {
    return woken && c.status === 'sending' && c.leaseOwner === this.owner && 'messages' in c && !this.taken.has(claimOf(c as Entry));
  }

  private markTaken(e: Entry): void {
    this.taken.add(claimOf(e));
    // A read older than the last 10,000 sends is not waiting anywhere.
    if (this.taken.size > 10_000) this.taken.delete(this.taken.values().next().value as string);
  }

  /** Holds one of our claimed entries until the chat's entry in flight here is done. */
  private park(e: Entry): void {
    const key = chatKeyOf(e);
    const queue = this.parked.get(key) ?? [];
    if (!queue.some((p) => p._id === e._id)) queue.push(e);
    queue.sort((a, b) => a.seq - b.seq);
    this.parked.set(key, queue);
  }

  /**
   * The chat's entry here is done: its next parked one goes through the usual path, read again
   * from the database (a poll may have taken it meanwhile, had its lease run out: then it is
   * in flight or sent, and the read says so).
   */
  private chatFree(key: string): void {
    this.busyChats.delete(key);
    const queue = this.parked.get(key);
    if (!queue) return;
    const next = queue.shift()!;
    if (queue.length === 0) this.parked.delete(key);
    this.takeSoon([next._id]);
  }

  /** Bounded like `written`: a chat forgotten here only loses the caution of sendAtOnce. */
  private noteReleased(key: string): void {
    this.releasedChats.delete(key);
    this.releasedChats.set(key, Date.now());
    if (this.releasedChats.size > 2000) this.releasedChats.delete(this.releasedChats.keys().next().value as string);
  }

  private async releaseParked(key: string): Promise<void> {
    const queue = this.parked.get(key);
    if (!queue) return;
    this.noteReleased(key);
    this.parked.delete(key);
    for (const e of queue) await this.release(e._id);
  }

  private lastMarker = 0;

  private async claimMany(ids: string[]): Promise<Entry[]> {
    const now = this.now();
    const marker = Math.max(now.getTime() + this.leaseMs, this.lastMarker + 1);
    this.lastMarker = marker;
    const leaseUntil = new Date(marker);
    this.unread.set(marker, ids); // until read back: a failed answer may still have claimed them
    await OutboxModel.updateMany(
      { _id: { $in: ids }, $or: [{ status: 'pending', availableAt: { $lte: now } }, { status: 'sending', leaseUntil: { $lt: now } }] },
      { $set: { status: 'sending', leaseOwner: this.owner, leaseUntil } },
    );
    const got = (await OutboxModel.find({ _id: { $in: ids }, status: 'sending', leaseOwner: this.owner, leaseUntil }).lean()) as unknown as Entry[];
    this.unread.delete(marker);
    return got;
  }

  /** Reads back the claims that could not be read when made, and takes them as entries of ours. */
  private async readUnread(): Promise<void> {
    for (const [marker, ids] of [...this.unread]) {
      const got = (await OutboxModel.find({ _id: { $in: ids }, status: 'sending', leaseOwner: this.owner, leaseUntil: new Date(marker) }).lean()) as unknown as Entry[];
      this.unread.delete(marker);
      if (got.length > 0) await this.claimCandidates(got.sort((a, b) => a.seq - b.seq), Infinity, true);
    }
  }

  private async claim(c: Candidate, woken: boolean): Promise<Entry | null> {
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const guard =
      woken && c.status === 'sending' && c.leaseOwner === this.owner
        ? { status: 'sending', leaseOwner: this.owner }
        : { $or: [{ status: 'pending', availableAt: { $lte: now } }, { status: 'sending', leaseUntil: { $lt: now } }] };
    const doc = (await OutboxModel.findOneAndUpdate(
      { _id: c._id, ...guard },
      { $set: { status: 'sending', leaseOwner: this.owner, leaseUntil } },
      { new: true },
    ).lean()) as unknown as Entry | null;
    if (!doc) this.stats.claimConflicts++;
    return doc;
  }

  /** Puts one of our claimed entries back to pending, due at once. */
  private async release(id: string): Promise<void> {
    try {
      await OutboxModel.updateOne(
        { _id: id, status: 'sending', leaseOwner: this.owner },
        { $set: { status: 'pending', leaseOwner: null, leaseUntil: null } },
      );
    } catch (err) {
      this.stats.dbErrors++;
      this.logger.debug({ err: errorText(err) }, 'dispatcher: release failed; the lease will expire');
    }
  }

  private async releaseReady(): Promise<void> {
    const entries = [...this.ready.values(), ...[...this.parked.values()].flat()];
    this.ready.clear();
    this.parked.clear();
    for (const e of entries) this.busyChats.delete(chatKeyOf(e));
    await mapLimit(entries, 8, (e) => this.release(e._id));
  }

  // ---- pacing -------------------------------------------------------------------------------

  private paceOf(channel: OutboundChannel): Pace {
    let p = this.paces.get(channel.name);
    if (!p) {
      const limits = channel.rateLimits;
      const rate = limits.perSecond * this.headroom;
      p = {
        global: new TokenBucket({ perSecond: rate, capacity: Math.max(1, Math.floor(rate / 3)) }),
        chats: new BucketMap({ perSecond: limits.perChatPerSecond * 0.95, capacity: Math.max(1, limits.perChatBurst) }),
        recent429: [],
        share: 1,
      };
      this.paces.set(channel.name, p);
    }
    return p;
  }

  /** Dispatchers sharing a channel each take an equal share of its rate: counted from the owners of live leases. */
  private async refreshShares(): Promise<void> {
    this.sharesAt = Date.now();
    const now = this.now();
    for (const name of this.channelNames()) {
      const channel = this.channels.get(name)!;
      const owners = (await OutboxModel.find({ channel: name, status: 'sending', leaseUntil: { $gt: now } }, { leaseOwner: 1, _id: 0 }).lean()) as { leaseOwner: string | null }[];
      const distinct = new Set(owners.map((o) => o.leaseOwner).filter((o): o is string => !!o));
      distinct.add(this.owner);
      const share = distinct.size;
      const pace = this.paceOf(channel);
      if (share !== pace.share) {
        pace.share = share;
        const rate = (channel.rateLimits.perSecond * this.headroom) / share;
        pace.global.setRate(rate, Math.max(1, Math.floor(rate / 3)));
        this.logger.debug({ channel: name, dispatchers: share }, 'dispatcher: channel rate shared');
      }
    }
  }

  /** Takes a turn for the first message of a send now, or says how long to wait. */
  private turn(pace: Pace, chatKey: string): number {
    const now = Date.now();
    const chat = pace.chats.get(chatKey, now);
    const wait = Math.max(chat.waitMs(now), pace.global.waitMs(now));
    if (wait > 0) return wait;
    chat.take(now);
    pace.global.take(now);
    return 0;
  }

  /** Waits for a turn (the next message of a batch). */
  private async waitTurn(pace: Pace, chatKey: string): Promise<void> {
    for (;;) {
      const wait = this.turn(pace, chatKey);
      if (wait === 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Runs dispatchReady after `ms` (or sooner if already planned). */
  private schedule(ms: number): void {
    if (!this.running) return;
    const at = Date.now() + ms;
    if (this.sendTimer && this.sendTimerAt <= at) return;
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimerAt = at;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = null;
      try {
        this.dispatchReady();
      } catch (err) {
        this.logger.error({ err: errorText(err) }, 'dispatcher: dispatch failed');
        this.schedule(this.pollIntervalMs);
      }
    }, ms);
  }

  /** Starts sends for claimed entries whose chat and channel have a turn; plans the next look. */
  private dispatchReady(): void {
    if (!this.running) return;
    let next = Infinity;
    const channelWaiting = new Set<string>();
    let started = 0;
    for (const e of this.ready.values()) {
      if (this.inFlight.size >= this.maxInFlight) break;
      if (channelWaiting.has(e.channel)) continue;
      const channel = this.channels.get(e.channel);
      if (!channel) continue;
      const pace = this.paceOf(channel);
      const now = Date.now();
      const globalWait = pace.global.waitMs(now);
      if (globalWait > 0) {
        channelWaiting.add(e.channel);
        next = Math.min(next, globalWait);
        continue;
      }
      const wait = this.turn(pace, chatKeyOf(e));
      if (wait > 0) {
        next = Math.min(next, wait);
        continue;
      }
      this.ready.delete(e._id);
      started++;
      const p = this.sendEntry(e, channel, pace)
        .catch((err) => this.logger.error({ err: errorText(err), kind: e.kind }, 'dispatcher: send path failed'))
        .finally(() => {
          this.inFlight.delete(e._id);
          this.schedule(0);
          this.emit();
        });
      this.inFlight.set(e._id, p);
    }
    if (started > 0 && this.moreDue && this.prefetchTarget() - this.ready.size >= this.prefetchTarget() / 2) this.kick.notify();
    if (next < Infinity && this.ready.size > 0) this.schedule(next);
  }

  // ---- sending and recording ------------------------------------------------------------------

  private async sendEntry(e: Entry, channel: OutboundChannel, pace: Pace): Promise<void> {
    const key = chatKeyOf(e);
    if (this.now().getTime() > (e.leaseUntil?.getTime() ?? 0) - Math.min(5000, this.leaseMs / 3)) {
      // Waited here so long that the lease is nearly gone: renew it, or let it go.
      const renewed = await this.claim({ ...e, status: 'sending', leaseOwner: this.owner }, true).catch(() => null);
      if (!renewed) {
        this.chatFree(key);
        return;
      }
      e.leaseUntil = renewed.leaseUntil;
      this.markTaken(e);
    }
    if (e.expiresAt && e.expiresAt <= this.now()) {
      this.record(e, { status: 'skipped', lastError: 'expired before it could be sent' }, 'skipped');
      return;
    }
    let sentCount = e.sentCount ?? 0;
    const sentIds: string[] = [];
    const request: SendRequest = {
      to: e.to,
      messages: e.messages,
      replyTo: e.replyTo ?? null,
      alreadySent: sentCount,
      kind: e.kind,
      pace: () => {
        // The previous platform message of this send has its answer: the chat's pace counts from now.
        pace.chats.get(key, Date.now()).settle(Date.now());
        return this.waitTurn(pace, key);
      },
      progress: async (count, ids) => {
        const okAt = performance.now();
        sentCount = Math.max(sentCount, count);
        sentIds.push(...ids);
        if (this.abandoned) return;
        try {
          await this.updates.submit({
            updateOne: {
              filter: { _id: e._id, status: 'sending', leaseOwner: this.owner },
              update: { $set: { sentCount: count }, $push: { platformMessageIds: { $each: ids } } },
            },
          });
          this.noteGap(okAt);
        } catch (err) {
          this.stats.dbErrors++;
          this.logger.debug({ err: errorText(err) }, 'dispatcher: progress not recorded; the result write carries it');
        }
      },
    };
    let result: SendResult;
    try {
      result = await channel.send(request);
    } catch (err) {
      result = { ok: false, outcome: 'retry', error: errorText(err), sentCount, platformMessageIds: [] };
    }
    pace.chats.get(key, Date.now()).settle(Date.now());
    if (this.abandoned) return;
    // What progress() recorded is not repeated in the result's ids.
    const ids = result.platformMessageIds.filter((id) => !sentIds.includes(id));
    const now = this.now();
    if (result.ok) {
      this.stats.sent++;
      this.stats.firstSentAt ??= Date.now();
      this.record(e, { status: 'sent', sentCount: e.messages.length, lastError: null }, 'sent', ids);
      return;
    }
    const total = Math.max(sentCount, result.sentCount);
    const error = result.error.slice(0, 500);
    if (result.outcome === 'retry') {
      const attempts = (e.attempts ?? 0) + 1;
      const is429 = result.retryAfterMs !== undefined || /\b429\b|too many requests/i.test(error);
      if (is429) this.stats.rateLimited++;
      const delay = result.retryAfterMs ?? backoffMs(attempts, this.backoff);
      const until = Date.now() + delay;
      pace.chats.get(key, Date.now()).pause(until);
      if (is429) this.maybePauseChannel(pace, key, until, result.scope, channel.name);
      if (attempts >= this.maxAttempts || now.getTime() - new Date(e.createdAt).getTime() > this.maxAgeMs) {
        this.stats.failed++;
        this.logger.warn({ channel: e.channel, kind: e.kind, attempts, error }, 'dispatcher: gave up retrying; recorded as failed');
        this.record(e, { status: 'failed', sentCount: total, lastError: `gave up after ${attempts} attempts: ${error}` }, 'failed', ids, attempts);
        return;
      }
      this.stats.retried++;
      this.logger.debug({ id: e._id, channel: e.channel, kind: e.kind, attempts, delayMs: delay, error }, 'dispatcher: will retry');
      this.record(
        e,
        { status: 'pending', sentCount: total, lastError: error, availableAt: new Date(now.getTime() + delay) },
        'retry',
        ids,
        attempts,
      );
      return;
    }
    if (result.outcome === 'blocked') {
      this.stats.blocked++;
      this.logger.info({ channel: e.channel, kind: e.kind }, 'dispatcher: recipient blocked the bot');
      this.record(e, { status: 'blocked', sentCount: total, lastError: error }, 'blocked', ids, undefined, async () => {
        if (!this.onBlocked) return;
        try {
          await this.onBlocked(e.channel, e.to, e.memberId ? String(e.memberId) : null);
        } catch (err) {
          this.logger.error({ err: errorText(err) }, 'dispatcher: onBlocked failed');
        }
      });
      return;
    }
    if ((result.outcome === 'skipped' || result.outcome === 'window-closed') && e.fallback && total === 0) return this.reroute(e, error, ids);
    if (result.outcome === 'skipped') {
      this.logger.info({ channel: e.channel, kind: e.kind, error }, 'dispatcher: not sent on purpose; recorded as skipped');
      this.record(e, { status: 'skipped', sentCount: total, lastError: error }, 'skipped', ids);
      return;
    }
    this.stats.failed++;
    const reason = result.outcome === 'window-closed' ? `window-closed: ${error}` : error;
    this.logger.warn({ channel: e.channel, kind: e.kind, outcome: result.outcome, error }, 'dispatcher: message refused by the platform; recorded as failed');
    this.record(e, { status: 'failed', sentCount: total, lastError: reason }, 'failed', ids);
  }

  /**
   * The WhatsApp window is closed and no template fits: the entry goes back to pending, addressed
   * to the person's linked Telegram, in one write (a crash leaves it either here or there, never lost).
   */
  private reroute(e: Entry, error: string, ids: string[]): void {
    const fallback = e.fallback!;
    this.logger.info({ channel: e.channel, kind: e.kind, instead: fallback.channel }, 'dispatcher: window closed; sending on the linked channel instead');
    const set = { status: 'pending', channel: fallback.channel, to: fallback.to, fallback: null, route: 'fallback', sentCount: 0, lastError: error, availableAt: this.now() };
    this.record(e, set, 'retry', ids, e.attempts ?? 0, async () => this.wake());
  }

  /** A 429 for the whole channel (said by the channel, or two chats refused within a second): everyone waits. */
  private maybePauseChannel(pace: Pace, chatKey: string, until: number, scope: 'chat' | 'channel' | undefined, name: string): void {
    const now = Date.now();
    pace.recent429 = pace.recent429.filter((r) => now - r.at < 1000 && r.chat !== chatKey);
    pace.recent429.push({ chat: chatKey, at: now });
    if (scope === 'channel' || (scope === undefined && pace.recent429.length >= 2)) {
      pace.global.pause(until);
      this.logger.info({ channel: name, pauseMs: until - now }, 'dispatcher: channel rate limit hit; pausing the channel');
    }
  }

  /**
   * Writes an entry's outcome at once; when the database is away the write waits in memory and
   * is retried, and the chat stays busy here until it is written.
   */
  private record(
    e: Entry,
    set: Record<string, unknown>,
    what: 'sent' | 'retry' | 'blocked' | 'failed' | 'skipped',
    ids: string[] = [],
    attempts?: number,
    after?: () => Promise<void>,
  ): void {
    const now = this.now();
    const finished = what !== 'retry';
    const filter: Record<string, unknown> = finished
      ? { _id: e._id, status: { $in: ['pending', 'sending'] } }
      : { _id: e._id, status: 'sending', leaseOwner: this.owner };
    const update: Record<string, unknown> = {
      $set: { ...set, leaseOwner: null, leaseUntil: null, ...(finished ? { doneAt: now } : {}), ...(attempts !== undefined ? { attempts } : {}) },
      ...(attempts === undefined && what !== 'skipped' ? { $inc: { attempts: 1 } } : {}),
      ...(ids.length > 0 ? { $push: { platformMessageIds: { $each: ids } } } : {}),
    };
    if (what === 'skipped') this.stats.skipped++;
    const w: PendingWrite = {
      id: e._id, chatKey: chatKeyOf(e), filter, update, tries: 0, ...(after ? { after } : {}),
      // Recorded right as the send returned: the platform's OK is now.
      ...(what === 'sent' ? { okAt: performance.now() } : {}),
    };
    this.pendingWrites.set(e._id, w);
    return void this.write(w);
  }

  private async write(w: PendingWrite): Promise<boolean> {
    try {
      await this.updates.submit({ updateOne: { filter: w.filter, update: w.update } });
    } catch (err) {
      w.tries++;
      this.stats.dbErrors++;
      const log = w.tries === 1 ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
      log({ err: errorText(err), tries: w.tries }, 'dispatcher: result not written (database away?); keeping it and retrying');
      this.planWrites();
      return false;
    }
    if (this.abandoned) return true;
    if (w.okAt !== undefined) this.noteGap(w.okAt);
    this.pendingWrites.delete(w.id);
    this.chatFree(w.chatKey);
    if (this.waitingChats.delete(w.chatKey)) {
      this.pollNow = true;
      this.kick.notify();
    }
    this.emit();
    if (w.after) await w.after();
    this.schedule(0);
    return true;
  }

  private planWrites(): void {
    if (this.writeTimer || this.abandoned) return;
    const maxTries = Math.max(0, ...[...this.pendingWrites.values()].map((w) => w.tries));
    const delay = Math.min(5000, 200 * 2 ** Math.min(5, maxTries));
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      void this.flushWrites();
    }, delay);
  }

  private async flushWrites(): Promise<void> {
    for (const w of [...this.pendingWrites.values()]) {
      if (this.abandoned) return;
      if (!(await this.write(w))) return; // still away: the next timer tries again
    }
  }
}

/** Maps with at most `limit` promises running. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const k = i++;
      out[k] = await fn(items[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
