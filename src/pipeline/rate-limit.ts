/**
 * Token buckets for the dispatcher: one per channel (all chats together) and one per chat,
 * so messages leave at the platform's pace instead of being refused with 429.
 *
 *   const bucket = new TokenBucket({ perSecond: 29.4, capacity: 5 });
 *   const wait = bucket.take(Date.now());   // 0: go; else the ms to wait before asking again
 *
 * A bucket can also be paused (a 429 told us to wait): nothing is taken before that moment.
 * Time is always passed in, so the buckets are tested without a clock.
 */

export interface TokenBucketOptions {
  /** Sustained rate. */
  perSecond: number;
  /** Tokens available at once (the burst); at least 1. */
  capacity: number;
  /** Start full (default) or empty. */
  full?: boolean;
}

export class TokenBucket {
  private tokens: number;
  private last: number | undefined;
  private pausedUntil = 0;
  private rate: number;
  private cap: number;

  constructor(options: TokenBucketOptions) {
    this.rate = Math.max(1e-6, options.perSecond);
    this.cap = Math.max(1, options.capacity);
    this.tokens = options.full === false ? 0 : this.cap;
  }

  private refill(now: number): void {
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.cap, this.tokens + ((now - this.last) / 1000) * this.rate);
    }
    if (this.last === undefined || now > this.last) this.last = now;
  }

  /** Milliseconds until a token is available (0 when one is now). Takes nothing. */
  waitMs(now: number): number {
    this.refill(now);
    if (now < this.pausedUntil) return this.pausedUntil - now;
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
  }

  /** Takes one token when available: returns 0; else takes nothing and returns the ms to wait. */
  take(now: number): number {
    const wait = this.waitMs(now);
    if (wait === 0) this.tokens -= 1;
    return wait;
  }

  /**
   * The send a token was taken for is known to have arrived only by `now` (its answer came):
   * the time in between earns no refill. The platform counts from arrival, and a first send
   * that arrived late must not let the next one arrive early (a 429 after a slow burst).
   */
  settle(now: number): void {
    if (this.last === undefined || now > this.last) this.last = now;
  }

  /** Gives a token back (a send that did not happen). */
  refund(): void {
    this.tokens = Math.min(this.cap, this.tokens + 1);
  }

  /** Nothing goes before `until` (ms since the epoch). */
  pause(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  isPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  /** Changes the rate (e.g. when another dispatcher starts sharing the channel). */
  setRate(perSecond: number, capacity?: number): void {
    this.rate = Math.max(1e-6, perSecond);
    if (capacity !== undefined) this.cap = Math.max(1, capacity);
    this.tokens = Math.min(this.tokens, this.cap);
  }

  get perSecond(): number {
    return this.rate;
  }
}

/** Per-key buckets (one per chat) that forget idle keys, so a broadcast to thousands leaves no garbage. */
export class BucketMap {
  private readonly buckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();

  constructor(
    private readonly options: TokenBucketOptions,
    /** A bucket untouched this long is full again anyway: dropped (default 60 s). */
    private readonly idleMs = 60_000,
  ) {}

  get(key: string, now: number): TokenBucket {
    let e = this.buckets.get(key);
    if (!e) {
      e = { bucket: new TokenBucket(this.options), usedAt: now };
      this.buckets.set(key, e);
      if (this.buckets.size % 1024 === 0) this.sweep(now);
    }
    e.usedAt = now;
    return e.bucket;
  }

  sweep(now: number): void {
    for (const [k, e] of this.buckets) {
      if (now - e.usedAt > this.idleMs && !e.bucket.isPaused(now)) this.buckets.delete(k);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * Exponential backoff with jitter for a retry the platform gave no time for:
 * attempt 1 → about 1 s, doubling, capped; the delay is drawn from [half, full].
 */
export function backoffMs(attempt: number, options: { baseMs?: number; maxMs?: number; random?: () => number } = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 5 * 60_000;
  const full = Math.min(max, base * 2 ** Math.max(0, Math.min(30, attempt - 1)));
  const r = (options.random ?? Math.random)();
  return Math.round(full / 2 + (full / 2) * r);
}
