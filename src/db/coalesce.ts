/**
 * Group commit: many callers' writes to one collection leave as one database command.
 *
 *   const inserts = new Coalescer((docs) => insertIgnoringDuplicates(collection, docs));
 *   const outcome = await inserts.submit(doc);   // resolves when *this* document is durable
 *
 * While a batch is in flight, new items queue and go together in the next one; items that
 * arrive in the same turn of the event loop go together too. So an idle service adds no
 * delay, and a busy one sends one command for many messages instead of one each: the
 * per-command cost (driver, socket, the server's commit) is what limits throughput, not the
 * bytes. Each caller still learns its own outcome, and nothing is acknowledged before the
 * command that carried it returned.
 */
import type { mongo } from 'mongoose';

type Collection<D extends mongo.Document> = mongo.Collection<D>;
type Document = mongo.Document;
type AnyBulkWriteOperation<D extends mongo.Document> = mongo.AnyBulkWriteOperation<D>;

export interface CoalescerOptions {
  /** Items per command at most (default 500). */
  maxBatch?: number;
  /** Commands in flight at once (default 2): a second batch need not wait for a slow first. */
  concurrency?: number;
  /**
   * A command that has not answered after this long (default 10 s) fails for its callers and
   * frees its place. A connection cut mid-command can leave the driver waiting for ever, and
   * one such command must not hold every later write back.
   */
  timeoutMs?: number;
}

export class WriteTimeout extends Error {
  override name = 'WriteTimeout';
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class Coalescer<T, R> {
  private queue: Waiting<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;

  /** `flush` writes a batch and returns one outcome per item, in order (an Error rejects that item only). */
  constructor(
    private readonly flush: (items: T[]) => Promise<(R | Error)[]>,
    options: CoalescerOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.concurrency = options.concurrency ?? 2;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Let the rest of this turn's callers join the batch.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WriteTimeout(`no answer from the database after ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      Promise.race([this.flush(batch.map((w) => w.item)), timeout])
        .then(
          (results) => batch.forEach((w, i) => {
            const r = results[i];
            if (r instanceof Error) w.reject(r);
            else w.resolve(r as R);
          }),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          clearTimeout(timer);
          this.inFlight--;
          this.pump();
        });
    }
  }
}

interface WriteErrorLike {
  index: number;
  code?: number;
  errmsg?: string;
}

/**
 * The per-item errors of a failed bulk command, or null when the command as a whole failed.
 * Careful: the driver reports a lost connection during insertMany as a bulk error with an
 * empty writeErrors list; that is a failure of everything, never "all written".
 */
function writeErrorsOf(err: unknown): WriteErrorLike[] | null {
  const e = err as { writeErrors?: WriteErrorLike[] | WriteErrorLike; writeConcernError?: unknown };
  if (e.writeConcernError) return null;
  const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors && typeof e.writeErrors === 'object' ? [e.writeErrors] : [];
  return errors.length > 0 ? errors : null;
}

/** One refused item's error: DuplicateKey for a duplicate key, else the server's message and code. */
function itemError(w: WriteErrorLike): Error {
  return w.code === 11000 ? new DuplicateKey(w.errmsg ?? 'duplicate key') : Object.assign(new Error(w.errmsg ?? 'write failed'), { code: w.code });
}

export class DuplicateKey extends Error {
  override name = 'DuplicateKey';
}

/** A driver error for a duplicate key (E11000): the document, or one with its unique key, is there already. */
export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === 11000;
}

/**
 * Inserts the documents in one unordered command. Returns per document 'inserted', or a
 * DuplicateKey error when one with its `_id` (or another unique key) was there already.
 */
export async function insertIgnoringDuplicates<D extends Document>(collection: Collection<D>, docs: D[]): Promise<('inserted' | Error)[]> {
  try {
    await collection.insertMany(docs as never[], { ordered: false });
    return docs.map(() => 'inserted');
  } catch (err) {
    // A lone document's duplicate may come back as a plain error rather than a bulk one.
    const lone: WriteErrorLike[] | null = docs.length === 1 && (err as { code?: number }).code === 11000 ? [{ index: 0, code: 11000 }] : null;
    const errors = writeErrorsOf(err) ?? lone;
    if (!errors) throw err;
    const out: ('inserted' | Error)[] = docs.map(() => 'inserted');
    for (const w of errors) out[w.index] = itemError(w);
    return out;
  }
}

/**
 * Runs the operations in one unordered bulk command; per operation 'ok' or the error it got.
 * Fields set to undefined are left out, as mongoose's own updates do (the driver would store null).
 */
export async function bulkWriteEach<D extends Document>(collection: Collection<D>, ops: AnyBulkWriteOperation<D>[]): Promise<('ok' | Error)[]> {
  try {
    await collection.bulkWrite(ops, { ordered: false, ignoreUndefined: true });
    return ops.map(() => 'ok');
  } catch (err) {
    const errors = writeErrorsOf(err);
    if (!errors) throw err;
    const out: ('ok' | Error)[] = ops.map(() => 'ok');
    for (const w of errors) out[w.index] = itemError(w);
    return out;
  }
}
