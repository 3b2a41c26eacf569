/**
 * The database client's watchdog. The MongoDB driver reconnects by itself when the database
 * comes back, but it can get stuck: after kill -9 of the embedded database under load (1 run in
 * 3) the service answered 503 for good (mongoose readyState 0, the server Unknown, the pool
 * paused, the driver's monitor waiting for ever on a destroyed socket) while a new client
 * pinged the same server in 176 ms.
 *
 *   const watchdog = new DatabaseWatchdog({ uri, connectOptions, logger, onStuck: 'reconnect' });
 *   watchdog.start();
 *   ...
 *   watchdog.stop();
 *
 * Every `intervalMs` the service's own client (mongoose.connection) is asked for a ping. While
 * it fails, a fresh client is tried too. When ours has failed and fresh ones have answered for
 * `stuckAfterMs` together, the database is there and our client is not:
 *   'reconnect' (default): the client is recreated in place: mongoose.connection opens a new
 *     MongoClient on the same URI and options, and every model's collection moves to it (models
 *     keep working; nothing else holds the old client). Operations still waiting on the old
 *     client fail (it is closed) and are retried by their callers as after any network error.
 *   'exit': one fatal line and exit code 1, for a supervisor that restarts the process.
 * A database that is away (fresh clients fail too) is waited for: nothing to recover.
 */
import mongoose from 'mongoose';
import type { Logger } from '../logging/logger.js';

export type StuckAction = 'reconnect' | 'exit';

export interface DatabaseWatchdogOptions {
  /** What the service's client was opened with. */
  uri: string;
  connectOptions: mongoose.ConnectOptions;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'fatal'>;
  /** How long our client must have failed while fresh ones answered (default 10 s). */
  stuckAfterMs?: number;
  /** Between checks (default 2 s). */
  intervalMs?: number;
  /** A ping (ours or a fresh client's) that has not answered after this long has failed (default 3 s). */
  pingTimeoutMs?: number;
  onStuck?: StuckAction;
  /** For 'exit' (default process.exit). */
  exit?: (code: number) => void;
}

/** Resolves what `promise` resolves to, or rejects after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Does the service's own client answer a ping? */
export async function mainClientAnswers(timeoutMs: number): Promise<boolean> {
  const conn = mongoose.connection;
  if (conn.readyState !== mongoose.ConnectionStates.connected || !conn.db) return false;
  try {
    await withTimeout(conn.db.admin().ping(), timeoutMs);
    return true;
  } catch {
    return false;
  }
}

export class DatabaseWatchdog {
  /** Times the client was recreated. */
  recoveries = 0;
  /** Checks done so far. */
  checks = 0;
  private readonly stuckAfterMs: number;
  private readonly intervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly onStuck: StuckAction;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private checking: Promise<void> | null = null;
  /** Since when ours has failed while fresh clients answered (null: not so). */
  private stuckSince: number | null = null;

  constructor(private readonly options: DatabaseWatchdogOptions) {
    this.stuckAfterMs = options.stuckAfterMs ?? 10_000;
    this.intervalMs = options.intervalMs ?? 2_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 3_000;
    this.onStuck = options.onStuck ?? 'reconnect';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.plan();
  }

  /** Stops checking; a check or a reconnection under way is let finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.checking;
  }

  private plan(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.checking = this.check()
        .catch((err: unknown) => this.options.logger.error({ err }, 'database watchdog: check failed'))
        .finally(() => {
          this.checks++;
          this.checking = null;
          this.plan();
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (await mainClientAnswers(this.pingTimeoutMs)) {
      this.stuckSince = null;
      return;
    }
    if (!this.running || !(await this.freshClientAnswers())) {
      this.stuckSince = null; // the database is away: the driver's own reconnection is all there is to wait for
      return;
    }
    const now = Date.now();
    this.stuckSince ??= now;
    if (now - this.stuckSince < this.stuckAfterMs || !this.running) return;
    const seconds = Math.round((now - this.stuckSince) / 1000);
    if (this.onStuck === 'exit') {
      this.options.logger.fatal(`The database answers a new connection but not this service's for ${seconds} s: exiting for a restart`);
      (this.options.exit ?? process.exit)(1);
      return;
    }
    this.options.logger.error({ stuckSeconds: seconds }, `The database answers a new connection but not this service's for ${seconds} s: connecting again`);
    await this.reconnect();
    this.stuckSince = null;
  }

  private async freshClientAnswers(): Promise<boolean> {
    const client = new mongoose.mongo.MongoClient(this.options.uri, {
      serverSelectionTimeoutMS: this.pingTimeoutMs,
      connectTimeoutMS: this.pingTimeoutMs,
      maxPoolSize: 1,
    });
    try {
      await withTimeout(client.connect().then((c) => c.db('admin').command({ ping: 1 })), this.pingTimeoutMs);
      return true;
    } catch {
      return false;
    } finally {
      void client.close().catch(() => undefined);
    }
  }

  /** A new MongoClient for mongoose.connection, on the same URI and options; the old one closed. */
  private async reconnect(): Promise<void> {
    const conn = mongoose.connection;
    const old = conn.getClient();
    // Mongoose listens on the old client (heartbeats, server state): they must not speak for the new one.
    old.removeAllListeners();
    // openUri does nothing on a connection that still calls itself connected.
    (conn as unknown as { readyState: number }).readyState = mongoose.ConnectionStates.disconnected;
    try {
      await conn.openUri(this.options.uri, { ...this.options.connectOptions });
      this.recoveries++;
      this.options.logger.info({ recoveries: this.recoveries }, 'The database client was recreated; the database answers again');
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'database watchdog: connecting again failed; trying again at the next check');
    } finally {
      // Fails the operations still waiting on it at once; the rest of closing may wait for ever on a stuck client.
      if (old !== conn.getClient()) void old.close(true).catch(() => undefined);
    }
  }
}
