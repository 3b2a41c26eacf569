/**
 * Photos and voice notes people send, kept in MongoDB (GridFS bucket `media`) soon after they arrive: WhatsApp
 * media URLs expire within minutes and media ids within days, Telegram files are fetched with
 * getFile. The file's _id is derived from the channel and the platform's file id, so the
 * inbound message (and the submission's answer) can carry the reference before the download is
 * done, and a repeated delivery never stores the photo twice.
 *
 *   const media = new MediaDownloader({ logger, maxBytes: 10 * 1024 * 1024 });
 *   media.schedule({ channel: 'whatsapp', fileId, fetch: () => graph.download(...) });
 *   await media.idle();   // tests
 */
import { createHash } from 'node:crypto';
import mongoose from 'mongoose';
import { VOICE_LIMITS, type InboundMessage } from '../messages/index.js';
import type { Logger } from '../logging/logger.js';

export const MEDIA_BUCKET = 'media';
/** Photos above this are not kept (the submission still has the platform's file id). */
export const DEFAULT_MEDIA_MAX_BYTES = 10 * 1024 * 1024;

/** The GridFS _id (24 hex) for a platform file: the same file id always gives the same id. */
export function mediaIdFor(channel: string, fileId: string): string {
  return createHash('sha256').update(`${channel}\u0000${fileId}`).digest('hex').slice(0, 24);
}

/** Adds the GridFS reference to a photo or voice message (what channels record in the inbox). */
export function withMediaId(message: InboundMessage): InboundMessage {
  if ((message.content.kind !== 'photo' && message.content.kind !== 'audio') || message.content.mediaId) return message;
  return { ...message, content: { ...message.content, mediaId: mediaIdFor(message.channel, message.content.fileId) } };
}

/** Whether a voice note is kept: what the platform said of it is within VOICE_LIMITS. */
export function withinVoiceLimits(content: { seconds?: number; bytes?: number }): boolean {
  return (content.seconds ?? 0) <= VOICE_LIMITS.seconds && (content.bytes ?? 0) <= VOICE_LIMITS.bytes;
}

export interface MediaJob {
  channel: string;
  fileId: string;
  /** Fetches the bytes; should refuse more than maxBytes itself (it is told the cap). */
  fetch(maxBytes: number): Promise<{ data: Buffer; contentType: string }>;
  /** Kept with the file (a voice note's length in seconds). */
  metadata?: Record<string, unknown>;
}

/** The bucket photos live in (pages read it, retention prunes it). */
export function mediaBucket(): mongoose.mongo.GridFSBucket {
  return new mongoose.mongo.GridFSBucket(mongoose.connection.db!, { bucketName: MEDIA_BUCKET });
}

/** Stores a file under the job's id unless it is there already. */
export async function storeMedia(job: MediaJob, maxBytes: number): Promise<'stored' | 'exists'> {
  const id = new mongoose.Types.ObjectId(mediaIdFor(job.channel, job.fileId));
  const b = mediaBucket();
  if ((await b.find({ _id: id }).limit(1).toArray()).length > 0) return 'exists';
  const { data, contentType } = await job.fetch(maxBytes);
  if (data.length > maxBytes) throw new Error(`too large: ${data.length} bytes (at most ${maxBytes})`);
  await new Promise<void>((resolve, reject) => {
    const upload = b.openUploadStreamWithId(id, `${job.channel}-${id.toHexString()}`, {
      metadata: { ...job.metadata, channel: job.channel, fileId: job.fileId, contentType, size: data.length },
    });
    upload.once('finish', () => resolve());
    upload.once('error', (err: Error & { code?: number }) => (err.code === 11000 ? resolve() : reject(err)));
    upload.end(data);
  });
  return 'stored';
}

/** True when the file of this channel's file id is stored (the simulator checks an upload before naming it in a message). */
export async function hasMedia(channel: string, fileId: string): Promise<boolean> {
  return (await storedMediaInfo(channel, fileId)) !== null;
}

/** What the stored file of a platform file says of itself (size, a voice note's seconds), or null before it is stored. */
export async function storedMediaInfo(channel: string, fileId: string): Promise<{ bytes: number; seconds?: number } | null> {
  const [file] = await mediaBucket().find({ _id: new mongoose.Types.ObjectId(mediaIdFor(channel, fileId)) }).limit(1).toArray();
  if (!file) return null;
  const seconds = (file.metadata as { seconds?: unknown } | undefined)?.seconds;
  return { bytes: file.length, ...(typeof seconds === 'number' ? { seconds } : {}) };
}

export interface MediaDownloaderOptions {
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  maxBytes?: number;
  /** Downloads at once (default 2). */
  concurrency?: number;
  /** Tries per file (default 4), with a doubling wait from retryBaseMs (default 1 s). */
  attempts?: number;
  retryBaseMs?: number;
}

/** Downloads photos in the background, a few at a time, with retries; never throws. */
export class MediaDownloader {
  private readonly queue: MediaJob[] = [];
  private running = 0;
  private waiters: (() => void)[] = [];
  /** Files queued or downloading. */
  private readonly pending = new Set<string>();
  readonly stats = { stored: 0, exists: 0, failed: 0 };
  private readonly maxBytes: number;

  constructor(private readonly options: MediaDownloaderOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES;
  }

  schedule(job: MediaJob): void {
    const key = mediaIdFor(job.channel, job.fileId);
    if (this.pending.has(key)) return; // the same photo delivered twice at once: one download
    this.pending.add(key);
    this.queue.push(job);
    this.pump();
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    while (this.running < (this.options.concurrency ?? 2) && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pending.delete(mediaIdFor(job.channel, job.fileId));
        this.pump();
        if (this.running === 0 && this.queue.length === 0) {
          const w = this.waiters;
          this.waiters = [];
          for (const f of w) f();
        }
      });
    }
  }

  private async run(job: MediaJob): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await storeMedia(job, this.maxBytes);
        this.stats[result]++;
        this.options.logger.debug({ channel: job.channel, result }, 'media: photo kept');
        return;
      } catch (err) {
        const message = (err as Error).message;
        if (attempt >= attempts || message.startsWith('too large')) {
          this.stats.failed++;
          this.options.logger.warn({ channel: job.channel, err: message, attempt }, 'media: photo not kept');
          return;
        }
        await new Promise((r) => setTimeout(r, (this.options.retryBaseMs ?? 1000) * 2 ** (attempt - 1)).unref?.());
      }
    }
  }
}

/** Reads a response body, giving up as soon as it passes maxBytes. */
export async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`too large: ${declared} bytes (at most ${maxBytes})`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error(`too large: more than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
