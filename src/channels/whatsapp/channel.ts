/**
 * The WhatsApp channel, inbound side: the webhook at /whatsapp/webhook on the service's express app.
 *
 *   const whatsapp = createWhatsAppChannel({ appSecret, verifyToken, phoneNumberId, inbox, graph, media, logger });
 *   mountWhatsAppWebhook(app, whatsapp);
 *
 * GET is Meta's verification handshake: 200 with hub.challenge for the configured verify token,
 * 403 otherwise. POST: the X-Hub-Signature-256 header is checked first, an HMAC-SHA256 of the raw
 * bytes as received (Meta escapes non-ASCII as \uXXXX and / as \/ in what it signs: the bytes are
 * never re-serialised), compared in constant time: 401 and nothing stored when missing or wrong.
 * Then each message is recorded in the inbox and each status in the delivery records BEFORE the
 * answer; the conversation runs afterwards. Recorded: 200. Not recorded (database away): 503 and
 * Meta delivers again; repeats (same wamid, up to 7 days, across restarts) are dropped by the
 * inbox. Photos are downloaded into GridFS in the background right after they are recorded.
 * A voice note is downloaded BEFORE it is recorded (WhatsApp says neither its length nor its
 * size, and the chat must tell the limits): a few hundred KB, bounded by VOICE_MEASURE_MS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { VOICE_LIMITS, type InboundContent, type InboundMessage, type InboundSink } from '../../messages/index.js';
import { markSentMessageFailed, recordDeliveryStatus } from '../../db/repositories/sent-messages.js';
import type { Logger } from '../../logging/logger.js';
import { oggOpusSeconds } from '../../media/ogg.js';
import { storedMediaInfo, storeMedia, withMediaId, type MediaDownloader } from '../../media/store.js';
import type { GraphClient } from './graph.js';
import { mapWebhook, type StatusEvent } from './inbound.js';
import { WINDOW_CLOSED_CODE } from './outbound.js';

export const WHATSAPP_WEBHOOK_PATH = '/whatsapp/webhook';
/** How long a webhook waits for a voice note's download before recording it unmeasured. */
const VOICE_MEASURE_MS = 8000;

type AudioContent = Extract<InboundContent, { kind: 'audio' }>;

export interface WhatsAppChannelOptions {
  appSecret: string;
  /** The token typed into Meta's webhook settings; without it the handshake always answers 403. */
  verifyToken?: string;
  /** Notifications for another number are ignored. */
  phoneNumberId?: string;
  inbox: InboundSink;
  /** For photo downloads (media id -> URL -> bytes). */
  graph?: GraphClient;
  media?: MediaDownloader;
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** A status webhook arrived (after it was recorded). */
  onStatus?: (status: StatusEvent) => void;
  now?: () => Date;
}

export interface WhatsAppChannel {
  /** Express router with GET and POST on the webhook path. */
  router(path?: string): express.Router;
  /** Handles a verified, parsed body as the webhook would; resolves once it may be acknowledged. */
  accept(body: unknown): Promise<{ messages: number; statuses: number }>;
}

/** `sha256=<hex>` of the raw body with the app secret: what Meta sends in X-Hub-Signature-256. */
export function signatureOf(raw: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** Constant-time check of X-Hub-Signature-256 against the raw bytes. */
export function verifySignature(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signatureOf(raw, appSecret));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createWhatsAppChannel(options: WhatsAppChannelOptions): WhatsAppChannel {
  const { logger } = options;
  const now = options.now ?? (() => new Date());

  function fetchMedia(fileId: string) {
    const graph = options.graph!;
    return async (maxBytes: number) => {
      const meta = await graph.get<{ url?: string; file_size?: number }>(encodeURIComponent(fileId));
      if (!meta.url) throw new Error('no media url');
      if (typeof meta.file_size === 'number' && meta.file_size > maxBytes) throw new Error(`too large: ${meta.file_size} bytes (at most ${maxBytes})`);
      return graph.download(meta.url, maxBytes);
    };
  }

  /** Stores the voice note and says its size and length; over the size limit it is measured, not kept. */
  async function measureVoice(content: AudioContent): Promise<AudioContent> {
    const known = await storedMediaInfo('whatsapp', content.fileId); // a repeat: stored already
    if (known) return { ...content, ...known };
    const graph = options.graph!;
    const meta = await graph.get<{ url?: string; file_size?: number; mime_type?: string }>(encodeURIComponent(content.fileId));
    if (typeof meta.file_size === 'number' && meta.file_size > VOICE_LIMITS.bytes) return { ...content, bytes: meta.file_size };
    if (!meta.url) throw new Error('no media url');
    const { data, contentType } = await graph.download(meta.url, VOICE_LIMITS.bytes);
    const seconds = oggOpusSeconds(data);
    if (seconds === undefined || seconds <= VOICE_LIMITS.seconds) {
      await storeMedia({ channel: 'whatsapp', fileId: content.fileId, metadata: seconds === undefined ? {} : { seconds }, fetch: async () => ({ data, contentType }) }, VOICE_LIMITS.bytes);
    }
    return { ...content, bytes: data.length, ...(seconds !== undefined ? { seconds } : {}) };
  }

  /** The voice message with its size and length, or as it came when the download is slow or fails (then in the background). */
  async function withVoiceMeasured(message: InboundMessage): Promise<InboundMessage> {
    const content = message.content;
    if (content.kind !== 'audio' || !options.graph) return message;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('voice download too slow')), VOICE_MEASURE_MS); });
    try {
      return { ...message, content: await Promise.race([measureVoice(content), late]) };
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'whatsapp: voice note not measured; kept in the background');
      options.media?.schedule({ channel: 'whatsapp', fileId: content.fileId, fetch: fetchMedia(content.fileId) });
      return message;
    } finally {
      clearTimeout(timer);
    }
  }

  async function recordStatus(s: StatusEvent): Promise<void> {
    const stored = await recordDeliveryStatus(
      { channel: 'whatsapp', platformMessageId: s.messageId, status: s.status, at: s.at, recipient: s.recipient, platformErrors: s.errors },
      now(),
    );
    if (!stored) return; // a repeat: handled once
    if (s.status === 'failed') {
      // Refused after it was accepted (131047 may come back this way too): the entry says so.
      const first = s.errors[0];
      const reason = first ? `${first.code}: ${first.title}` : 'failed';
      await markSentMessageFailed('whatsapp', s.messageId, first?.code === WINDOW_CLOSED_CODE ? `window-closed: ${reason}` : reason);
    }
    options.onStatus?.(s);
  }

  async function accept(body: unknown): Promise<{ messages: number; statuses: number }> {
    const mapped = mapWebhook(body, options.phoneNumberId);
    for (const reason of mapped.ignored) logger.debug({ reason }, 'whatsapp: notification ignored');
    for (const raw of mapped.messages) {
      const message = await withVoiceMeasured(withMediaId(raw));
      await options.inbox.receive(message);
      const content = message.content;
      // A repeat too: its first delivery may have been recorded after a 503 without a download (a stored file is not fetched again).
      if (content.kind === 'photo' && options.media && options.graph) {
        options.media.schedule({ channel: 'whatsapp', fileId: content.fileId, fetch: fetchMedia(content.fileId) });
      }
    }
    for (const s of mapped.statuses) await recordStatus(s);
    return { messages: mapped.messages.length, statuses: mapped.statuses.length };
  }

  return {
    accept,
    router(path = WHATSAPP_WEBHOOK_PATH) {
      const router = express.Router();
      router.get(path, (req, res) => {
        const mode = req.query['hub.mode'];
        const token = req.query['hub.verify_token'];
        const challenge = req.query['hub.challenge'];
        const expected = Buffer.from(options.verifyToken ?? '');
        const given = Buffer.from(typeof token === 'string' ? token : '');
        const ok = mode === 'subscribe' && expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected) && typeof challenge === 'string';
        if (!ok) return void res.status(403).json({ error: 'forbidden', message: 'Wrong verify token.' });
        res.status(200).type('text/plain').send(challenge);
      });
      router.post(path, express.raw({ type: () => true, limit: '3mb' }), (req, res) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        // The signature first, over the bytes exactly as received: a stranger's body is never parsed.
        if (!verifySignature(raw, req.get('X-Hub-Signature-256'), options.appSecret)) {
          return void res.status(401).json({ error: 'unauthorized', message: 'Missing or wrong X-Hub-Signature-256.' });
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return void res.status(400).json({ error: 'invalid_json', message: 'The body is not valid JSON.' });
        }
        accept(body).then(
          () => res.status(200).json({ ok: true }),
          (err: unknown) => {
            if ((err as Error).name === 'ZodError') {
              return void res.status(400).json({ error: 'not_a_notification', message: 'The body is not a WhatsApp webhook notification.' });
            }
            // Not recorded: Meta delivers it again later; what was recorded is dropped as a repeat then.
            logger.warn({ err: (err as Error).message }, 'whatsapp: notification not recorded; answering 503');
            res.status(503).json({ error: 'unavailable', message: 'Could not record the notification; send it again later.' });
          },
        );
      });
      return router;
    },
  };
}

/** Mounts GET and POST /whatsapp/webhook on the service's express app. */
export function mountWhatsAppWebhook(app: express.Application, channel: WhatsAppChannel, path = WHATSAPP_WEBHOOK_PATH): void {
  app.use(channel.router(path));
}
