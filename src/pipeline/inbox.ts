/**
 * The inbound half of the pipeline: handle or record, then acknowledge.
 *
 *   const result = await inbox.receive(message);   // 'handled' | 'recorded' | 'duplicate'; throws InboxUnavailable
 *   // only now answer the platform (webhook 200, long-poll offset confirmed)
 *
 * The fast path handles the message at once, before the platform is answered: once the
 * conversation service resolves, the step, its "handled" mark and its replies are durable, so
 * nothing needs recording (one write fewer per message). The platform is answered only then; a
 * crash before it means the platform sends the message again, and the service recognises it.
 * A person with messages recorded and not yet handled goes the recorded way (order); so does a
 * message whose handling fails for a reason other than the database (a bug, a bad flow): it is
 * recorded, retried and given up kindly below, never sent again and again by the platform.
 * The database failing or slow: InboxUnavailable, and the platform sends it again later.
 *
 * An item is written pre-leased to this process and handed to a per-person queue at once, so
 * an idle service answers within milliseconds. Items whose handling failed (database away)
 * stay pending and are tried again with backoff; items a crashed process left behind are
 * picked up by the recovery poll once their lease expires. Handling is exactly once because
 * the conversation service writes the "handled" mark with the state it changed; this module
 * only guarantees that every recorded item is handled at least once, in order per person.
 *
 * Round trips: recording is one insert, on the critical path (the webhook waits for it); messages
 * arriving while one is under way share the next (src/db/coalesce.ts). The
 * item's own "done" mark is not: handled items are marked done together, one update for all
 * those handled in the last `doneFlushMs` (default 100 ms). A crash before that update leaves
 * them pending; the recovery poll hands them to the conversation service again, which finds
 * them in the member's handled marks and does nothing.
 *
 * Order across a crash: items a dead process had recorded stay pending until their lease runs
 * out. A person's newer messages, recorded meanwhile by this process, must not overtake them
 * (an answer would land on the wrong question). So the first thing this process does is note
 * which people have pending items in other hands (one read at start); their new messages wait
 * until those items are taken over here (lease expired) or finished by their owner.
 */
import { randomUUID } from 'node:crypto';
import type { HandleOptions, InboundMessage } from '../messages/index.js';
import { Coalescer, DuplicateKey, insertIgnoringDuplicates } from '../db/coalesce.js';
import { InboxModel } from '../db/models.js';
import { scrub, type Logger } from '../logging/logger.js';

export class InboxUnavailable extends Error {
  override name = 'InboxUnavailable';
}

export interface InboundHandlerFn {
  (message: InboundMessage, how: HandleOptions): Promise<unknown>;
}

export interface InboxOptions {
  handle: InboundHandlerFn;
  logger: Logger;
  owner?: string;
  /** How long an item stays with this process before another may take it over (default 60 s). */
  leaseMs?: number;
  /** Give up recording after this long, so a webhook can answer 503 quickly (default 2 s). */
  recordTimeoutMs?: number;
  /**
   * Which messages may be handled at once, before acknowledging, when the person has nothing
   * waiting (default all). Not for a platform that may deliver a message again days later
   * (WhatsApp, up to 7 days): its inbox record is the lasting dedupe mark (a member keeps only
   * its last 20 marks).
   */
  handleInline?: (message: InboundMessage) => boolean;
  /** Give up handling at once after this long: 503, the platform sends it again (default recordTimeoutMs). */
  inlineTimeoutMs?: number;
  /**
   * Recovery poll interval (default a quarter of the lease, 15 s). The poll (a query on status and
   * lease, indexed) finds work only after a crash or in another instance's hands, so it need not
   * run more often than leases can expire.
   */
  pollIntervalMs?: number;
  /** Handled items are marked done in one update at most this often (default 100 ms; 0 = one update each). */
  doneFlushMs?: number;
  /**
   * A message whose handling fails this many times for a reason other than the database (a bug,
   * a bad flow) is given up (status 'failed'), so it never holds the person's later messages back;
   * onGiveUp tells the person (default 5 tries, about 15 s).
   */
  maxAttempts?: number;
  onGiveUp?: (message: InboundMessage) => Promise<void>;
  now?: () => Date;
}

interface QueueItem {
  id: string;
  message: InboundMessage;
  attempts: number;
  /** Arrival order: a person's queue is kept in it. */
  seq: number;
}

export class Inbox {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly recordTimeoutMs: number;
  private readonly inlineTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => Date;
  private readonly queues = new Map<string, QueueItem[]>();
  private readonly running = new Set<string>();
  /** Items known to this process (queued or running), so the recovery poll doesn't take them twice. */
  private readonly known = new Set<string>();
  private pollTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private seqCounter = 0;
  private readonly doneFlushMs: number;
  private readonly maxAttempts: number;
  /** Handled, not yet marked done in the database. */
  private doneBatch: string[] = [];
  private doneTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** People with items pending in other hands when this process started (a crashed predecessor): id sets by person. */
  private readonly orphans = new Map<string, Set<string>>();
  private orphansLoaded: Promise<void> | null = null;
  /** Items whose handling is under way. */
  private readonly active = new Set<string>();
  /** Messages being handled at once (the fast path), by person. */
  private readonly inline = new Map<string, number>();
  private orphansKnown = false;
  /** Messages arriving together (many webhooks at once) are recorded in one insert. */
  private readonly recorder = new Coalescer((docs: Record<string, unknown>[]) => insertIgnoringDuplicates(InboxModel.collection, docs));

  constructor(private readonly options: InboxOptions) {
    this.owner = options.owner ?? `inbox-${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.recordTimeoutMs = options.recordTimeoutMs ?? 2_000;
    this.pollIntervalMs = options.pollIntervalMs ?? Math.max(1_000, Math.round(this.leaseMs / 4));
    this.now = options.now ?? (() => new Date());
    this.doneFlushMs = options.doneFlushMs ?? 100;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.inlineTimeoutMs = options.inlineTimeoutMs ?? this.recordTimeoutMs;
  }

  /** Handles or records the message; resolves once it is safe to acknowledge it to the platform. */
  async receive(message: InboundMessage): Promise<'handled' | 'recorded' | 'duplicate'> {
    if (this.stopped) throw new InboxUnavailable('shutting down');
    const key = `${message.channel}:${message.platformUserId}`;
    // What a crashed predecessor left is read once, first: its people's messages keep their order.
    if (!this.orphansKnown) await withTimeout(this.loadOrphans(), this.recordTimeoutMs).catch(() => undefined);
    if ((this.options.handleInline?.(message) ?? true) && this.canHandleInline(key)) {
      const handled = await this.handleInline(key, message);
      if (handled) return handled;
    }
    return this.record(message);
  }

  /** Nothing of this person's is recorded and waiting (here, or left by a crashed predecessor). */
  private canHandleInline(key: string): boolean {
    return this.orphansKnown && !this.orphans.has(key) && !this.running.has(key) && !(this.queues.get(key)?.length);
  }

  /** The fast path: null when the message must be recorded instead (a fault of ours, not the database's). */
  private async handleInline(key: string, message: InboundMessage): Promise<'handled' | 'duplicate' | null> {
    this.inline.set(key, (this.inline.get(key) ?? 0) + 1);
    try {
      const replies = await withTimeout(Promise.resolve(this.options.handle(message, { acknowledgedAfter: true })), this.inlineTimeoutMs);
      return replies === null ? 'duplicate' : 'handled';
    } catch (err) {
      if (isDatabaseTrouble(err) || err instanceof HandlingTimeout) {
        throw new InboxUnavailable(`could not handle the message: ${(err as Error).message}`);
      }
      this.options.logger.warn({ err, channel: message.channel }, 'inbox: handling failed at once; recorded to try again');
      return null;
    } finally {
      const left = (this.inline.get(key) ?? 1) - 1;
      if (left > 0) this.inline.set(key, left);
      else this.inline.delete(key);
      this.notifyIdle();
    }
  }

  /** Records the message durably, to be handled in order by this process. */
  private async record(message: InboundMessage): Promise<'recorded' | 'duplicate'> {
    const id = `${message.channel}:${message.messageId}`;
    const now = this.now();
    const doc = {
      _id: id,
      memberKey: `${message.channel}:${message.platformUserId}`,
      message,
      status: 'pending',
      seq: now.getTime() * 1000 + (this.seqCounter++ % 1000),
      receivedAt: now,
      leaseOwner: this.owner,
      leaseUntil: new Date(now.getTime() + this.leaseMs),
      attempts: 0,
      lastError: null,
      doneAt: null,
    };
    try {
      await withTimeout(this.recorder.submit(doc), this.recordTimeoutMs);
    } catch (err) {
      if (err instanceof DuplicateKey) {
        await this.adoptOrphan(id);
        return 'duplicate';
      }
      throw new InboxUnavailable(`could not record the message: ${(err as Error).message}`);
    }
    this.enqueue({ id, message, attempts: 0, seq: doc.seq });
    return 'recorded';
  }

  /** Starts the recovery poll (items left pending by a crash or a failed attempt). */
  start(): void {
    this.stopped = false;
    void this.loadOrphans();
    const tick = () => {
      this.pollTimer = setTimeout(() => {
        this.recover()
          .catch((err: unknown) => this.options.logger.debug({ err }, 'inbox: recovery poll failed'))
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, this.pollIntervalMs);
      this.pollTimer.unref();
    };
    tick();
  }

  /** Stops taking new items; resolves when the items in hand are handled or given back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    // People waiting for a predecessor's items: theirs stay pending for the next start.
    for (const key of [...this.queues.keys()]) {
      if (this.running.has(key)) continue;
      for (const item of this.queues.get(key) ?? []) this.known.delete(item.id);
      this.queues.delete(key);
    }
    this.notifyIdle();
    await this.drained();
  }

  /** Resolves when nothing is queued or running in this process and the done marks are written (or failed for now). */
  async drained(): Promise<void> {
    if (!this.idle()) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.flushDone();
  }

  /**
   * A repeat of an item that is recorded but in nobody's hands: an earlier attempt whose insert
   * went through after we had already answered 503 (the database came back late). This process
   * holds its lease (or the lease ran out), so it is handled now instead of after the lease.
   * If that can't be checked, the repeat is not acknowledged either (InboxUnavailable: 503, the
   * platform sends it again): acknowledged, it would wait for its lease while the person's next
   * messages, handled at once, overtook it.
   */
  private async adoptOrphan(id: string): Promise<void> {
    if (this.known.has(id)) return;
    const now = this.now();
    const item = await withTimeout(
      InboxModel.collection.findOneAndUpdate(
        { _id: id as never, status: 'pending', $or: [{ leaseOwner: this.owner }, { leaseUntil: { $lt: now } }] },
        { $set: { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + this.leaseMs) } },
        { returnDocument: 'after' },
      ),
      this.recordTimeoutMs,
    ).catch((err: unknown) => {
      throw new InboxUnavailable(`could not check the recorded message: ${(err as Error).message}`);
    });
    if (item?.message && !this.known.has(id)) this.enqueue({ id, message: item.message as InboundMessage, attempts: (item.attempts as number) ?? 0, seq: (item.seq as number) ?? 0 });
  }

  /** Takes over pending items whose lease expired (a crashed process, or failed attempts). */
  async recover(): Promise<number> {
    const now = this.now();
    const stale = await InboxModel.collection
      .find({ status: 'pending', leaseUntil: { $lt: now } }, { projection: { _id: 1, message: 1, leaseUntil: 1, attempts: 1, seq: 1 } })
      .sort({ seq: 1 })
      .limit(200)
      .toArray();
    let taken = 0;
    for (const item of stale) {
      const id = String(item._id);
      if (this.known.has(id) || !item.message) continue;
      const claimed = await InboxModel.collection.updateOne(
        { _id: id as never, status: 'pending', leaseUntil: item.leaseUntil },
        { $set: { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + this.leaseMs) } },
      );
      if (claimed.modifiedCount !== 1) continue;
      taken++;
      this.enqueue({ id, message: item.message as InboundMessage, attempts: (item.attempts as number) ?? 0, seq: (item.seq as number) ?? 0 });
    }
    if (taken) this.options.logger.info({ taken }, 'inbox: took over pending messages');
    await this.settleOrphans();
    return taken;
  }

  /** Reads, once, which people have pending items in other hands; until then no item is handled. */
  private loadOrphans(): Promise<void> {
    this.orphansLoaded ??= (async () => {
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          const items = await InboxModel.collection
            .find({ status: 'pending', leaseOwner: { $ne: this.owner } }, { projection: { _id: 1, memberKey: 1 } })
            .toArray();
          for (const item of items) {
            const id = String(item._id);
            if (this.known.has(id)) continue;
            const key = String(item.memberKey);
            const ids = this.orphans.get(key) ?? new Set<string>();
            ids.add(id);
            this.orphans.set(key, ids);
          }
          if (this.orphans.size) this.options.logger.info({ people: this.orphans.size }, 'inbox: messages of a previous process are pending; those people\'s new messages wait for them');
          this.orphansKnown = true;
          return;
        } catch (err) {
          this.options.logger.debug({ err, attempt }, 'inbox: could not read pending messages at start; trying again');
          await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))));
        }
      }
    })();
    return this.orphansLoaded;
  }

  /** Lets people go on whose predecessor's items were finished elsewhere (not pending any more). */
  private async settleOrphans(): Promise<void> {
    if (this.orphans.size === 0) return;
    const ids = [...this.orphans.values()].flatMap((set) => [...set]);
    const still = new Set(
      (await InboxModel.collection.find({ _id: { $in: ids as never[] }, status: 'pending' }, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)),
    );
    for (const [key, set] of [...this.orphans]) {
      for (const id of [...set]) if (!still.has(id)) set.delete(id);
      if (set.size === 0) this.release(key);
    }
  }

  private release(key: string): void {
    this.orphans.delete(key);
    if ((this.queues.get(key)?.length ?? 0) > 0 && !this.running.has(key)) void this.work(key);
  }

  private enqueue(item: QueueItem): void {
    const key = `${item.message.channel}:${item.message.platformUserId}`;
    this.known.add(item.id);
    const queue = this.queues.get(key) ?? [];
    // In arrival order: a predecessor's item taken over now goes before the newer ones waiting.
    // (An item being handled keeps its place.)
    const floor = queue[0] && this.active.has(queue[0].id) ? 1 : 0;
    let at = queue.length;
    while (at > floor && queue[at - 1]!.seq > item.seq) at--;
    queue.splice(at, 0, item);
    this.queues.set(key, queue);
    const orphans = this.orphans.get(key);
    if (orphans?.delete(item.id) && orphans.size === 0) this.orphans.delete(key);
    if (!this.running.has(key)) void this.work(key);
  }

  /** Handles one person's items strictly in order; a failing item holds back the ones after it. */
  private async work(key: string): Promise<void> {
    this.running.add(key);
    let held = false;
    try {
      await this.loadOrphans();
      const queue = this.queues.get(key) ?? [];
      while (queue.length > 0) {
        if (this.orphans.has(key)) {
          // A predecessor's message of this person is still pending: it goes first.
          held = true;
          break;
        }
        const item = queue[0]!;
        this.active.add(item.id);
        try {
          await this.options.handle(item.message, { acknowledgedAfter: false });
          this.active.delete(item.id);
          queue.shift();
          // Stays known until its done mark is written, so a repeat meanwhile isn't taken up again.
          this.markDone(item.id);
        } catch (err) {
          this.active.delete(item.id);
          item.attempts++;
          if (!isDatabaseTrouble(err) && item.attempts >= this.maxAttempts && (await this.giveUp(item, err))) {
            queue.shift();
            continue;
          }
          this.options.logger.warn({ err, attempts: item.attempts, channel: item.message.channel }, 'inbox: handling failed; will try again');
          if (this.stopped) {
            // Left pending in the database: the next start (or another instance) takes it over.
            queue.length = 0;
            break;
          }
          await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** Math.min(item.attempts, 7))).unref?.());
        }
      }
      if (!held) this.queues.delete(key);
    } finally {
      this.running.delete(key);
      // Taken over while this loop was finishing: start again.
      if (!held && !this.stopped && (this.queues.get(key)?.length ?? 0) > 0) void this.work(key);
      this.notifyIdle();
    }
  }

  /** Tells the person, then marks the item failed. False when that could not be written (try again later). */
  private async giveUp(item: QueueItem, err: unknown): Promise<boolean> {
    try {
      await this.options.onGiveUp?.(item.message);
      await InboxModel.updateOne(
        { _id: item.id },
        { $set: { status: 'failed', message: null, lastError: scrub(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300), doneAt: this.now(), leaseOwner: null, leaseUntil: null } },
      );
      this.options.logger.error({ err, attempts: item.attempts, channel: item.message.channel }, 'inbox: gave up on a message that keeps failing; the person was told');
      return true;
    } catch (writeErr) {
      this.options.logger.warn({ err: writeErr }, 'inbox: could not record giving up; will try again');
      return false;
    }
  }

  private idle(): boolean {
    return this.running.size === 0 && this.inline.size === 0 && [...this.queues.values()].every((q) => q.length === 0);
  }

  private notifyIdle(): void {
    if (this.idle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private markDone(id: string): void {
    this.doneBatch.push(id);
    if (this.doneFlushMs <= 0 || this.doneBatch.length >= 500) return void this.flushDone().catch(() => undefined);
    if (!this.doneTimer) {
      this.doneTimer = setTimeout(() => void this.flushDone().catch(() => undefined), this.doneFlushMs);
      this.doneTimer.unref();
    }
  }

  /** Writes the done marks of the items handled so far (one update). Resolves once they are written or given up for now. */
  async flushDone(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.doneTimer) clearTimeout(this.doneTimer);
    this.doneTimer = null;
    const ids = this.doneBatch;
    if (ids.length === 0) return;
    this.doneBatch = [];
    this.flushing = (async () => {
      try {
        // The payload goes (it may hold personal data); the id stays as the dedupe mark.
        await InboxModel.collection.updateMany(
          { _id: { $in: ids as never[] } },
          { $set: { status: 'done', message: null, doneAt: this.now(), leaseOwner: null, leaseUntil: null } },
        );
        for (const id of ids) this.known.delete(id);
      } catch (err) {
        // Left pending: tried again with the next batch; after a crash the recovery poll replays
        // them and the conversation service recognises them as handled.
        this.doneBatch.unshift(...ids);
        this.options.logger.debug({ err, items: ids.length }, 'inbox: could not mark items done; will try again');
        if (!this.stopped && !this.doneTimer) {
          this.doneTimer = setTimeout(() => void this.flushDone().catch(() => undefined), Math.max(1000, this.doneFlushMs));
          this.doneTimer.unref();
        }
      } finally {
        this.flushing = null;
      }
    })();
    await this.flushing;
  }
}

class HandlingTimeout extends Error {
  override name = 'HandlingTimeout';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HandlingTimeout(`no answer from the database within ${ms} ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e as Error)),
    );
  });
}

/** The database (or the driver's connection to it) failing: worth retrying for as long as it takes. */
function isDatabaseTrouble(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return err instanceof InboxUnavailable || (typeof name === 'string' && /^Mongo|^Mongoose|^BulkWrite/.test(name));
}
