/**
 * The Telegram channel, inbound side: webhook (express) or long polling (getUpdates), each
 * update parsed with a schema (inbound.ts) and given to the inbox, which handles or records it
 * BEFORE Telegram is told it arrived. Sending is the outbound side (outbound.ts), driven by the dispatcher.
 *
 *   const telegram = createTelegramChannel({ token, apiRoot, inbox, setBlocked, logger, webhookUrl, webhookSecret });
 *   if (telegram.mode === 'webhook') mountTelegramWebhook(app, telegram);  // POST /telegram/webhook
 *   await telegram.start();   // setWebhook, or deleteWebhook + the polling loop
 *   await telegram.stop();
 *
 * Database down: the webhook answers 503 within a couple of seconds (Telegram sends the update
 * again later), and the polling loop keeps the offset where it is until the update is recorded.
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { Bot, type Api } from 'grammy';
import { createBotApiFetch } from './http-client.js';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { Address, InboundMessage, InboundSink } from '../../messages/index.js';
import { readCapped, withinVoiceLimits, withMediaId, type MediaDownloader } from '../../media/store.js';
import { mapUpdate, type TelegramEvent } from './inbound.js';
import { buildChoiceKeyboard, pageCount } from './keyboard.js';
import { MemoryPromptStore, type TelegramPromptStore } from './prompt-store.js';
import { isNotModified, MULTIPLE_DONE_CHOICE_ID, textsResolver, type TelegramLogger, type TelegramTexts } from './texts.js';

export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';
/** The update types the bot asks Telegram for; everything else is not even delivered. */
export const TELEGRAM_ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;
export { DEFAULT_TELEGRAM_TEXTS, MULTIPLE_DONE_CHOICE_ID, type TelegramLogger, type TelegramTexts } from './texts.js';

export interface TelegramChannelOptions {
  token: string;
  /** Bot API server (no trailing slash). Default https://api.telegram.org. */
  apiRoot?: string;
  inbox: InboundSink;
  /** The person blocked (true) or unblocked (false) the bot. */
  setBlocked(address: Address, blocked: boolean): Promise<void>;
  logger: TelegramLogger;
  /** Skip the getMe call at start (tests, or when known). */
  botInfo?: UserFromGetMe;
  /** 'webhook' when webhookUrl is set, else 'polling'. */
  mode?: 'polling' | 'webhook';
  /** Public HTTPS URL Telegram POSTs to; setWebhook is called with it at start. */
  webhookUrl?: string;
  /** Required in webhook mode: sent by Telegram in X-Telegram-Bot-Api-Secret-Token; a wrong one gets 401. */
  webhookSecret?: string;
  /** Drop updates that queued up while the bot was down (default false). */
  dropPendingUpdates?: boolean;
  /** The adapter's own words per language ('id', 'en'), over `texts`. */
  textsByLanguage?: Record<string, Partial<TelegramTexts>>;
  /** Where rendered choice lists are remembered for paging / index buttons (default in memory). */
  promptStore?: TelegramPromptStore;
  texts?: Partial<TelegramTexts>;
  /** Choices per page (default 8). */
  pageSize?: number;
  /** Choice id of the multiple-choice done button (default `__done__`). */
  doneChoiceId?: string;
  /** Long-poll timeout in seconds (default 30). */
  pollingTimeoutSeconds?: number;
  /** Photos are fetched with getFile into GridFS right after they are recorded (the answer keeps the reference). */
  media?: MediaDownloader;
}

export interface TelegramChannel {
  readonly bot: Bot;
  readonly api: Api;
  readonly mode: 'polling' | 'webhook';
  readonly promptStore: TelegramPromptStore;
  /** The adapter's words in a language. */
  textsFor(language: string | undefined): TelegramTexts;
  /** Webhook mode: setWebhook with the secret. Polling mode: deleteWebhook, then the polling loop. */
  start(): Promise<void>;
  /** Stops polling (an update in hand is recorded first); a webhook stays registered. */
  stop(): Promise<void>;
  /** Express handler for POST /telegram/webhook. Webhook mode only. */
  webhookHandler(): express.RequestHandler;
  /** Handles one update as the webhook or the poller would; resolves once it may be acknowledged. */
  accept(update: unknown): Promise<void>;
}

export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const { logger } = options;
  const mode = options.mode ?? (options.webhookUrl ? 'webhook' : 'polling');
  if (mode === 'webhook') {
    if (!options.webhookSecret || !/^[A-Za-z0-9_-]{1,256}$/.test(options.webhookSecret)) {
      throw new Error('Telegram webhook mode needs webhookSecret: 1-256 characters of A-Z, a-z, 0-9, _ and -');
    }
  }
  const { textsFor } = textsResolver(options.texts, options.textsByLanguage);
  const store = options.promptStore ?? new MemoryPromptStore();
  const doneChoiceId = options.doneChoiceId ?? MULTIPLE_DONE_CHOICE_ID;
  const pageSize = options.pageSize ?? 8;

  const bot = new Bot(options.token, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), fetch: createBotApiFetch() as unknown as typeof fetch },
  });

  /** Best effort, never throws: answering a tap only stops its spinner. */
  async function answerCallback(id: string, text?: string): Promise<void> {
    try {
      await bot.api.answerCallbackQuery(id, text ? { text: text.slice(0, 200) } : undefined);
    } catch (err) {
      logger.debug({ err }, 'telegram: answerCallbackQuery failed');
    }
  }

  async function removeKeyboard(chatId: number, messageId: number): Promise<void> {
    try {
      await bot.api.editMessageReplyMarkup(chatId, messageId);
    } catch (err) {
      if (!isNotModified(err)) logger.debug({ err }, 'telegram: could not remove an old keyboard');
    }
  }

  /** ◀ ▶: redraws the stored list's other page. UI only: a failure is answered, never thrown. */
  async function turnPage(event: Extract<TelegramEvent, { type: 'page' }>): Promise<void> {
    try {
      const prompt = await store.get(event.chatId, event.messageId);
      if (!prompt || prompt.promptSeq !== event.promptSeq) {
        await answerCallback(event.callbackQueryId, textsFor(event.languageCode).expired);
        return void (await removeKeyboard(event.chatId, event.messageId));
      }
      await answerCallback(event.callbackQueryId);
      const listed = prompt.selected !== undefined ? prompt.choices.filter((c) => c.id !== doneChoiceId).length : prompt.choices.length;
      prompt.page = Math.min(Math.max(0, event.page), pageCount(listed, pageSize) - 1);
      try {
        await bot.api.editMessageReplyMarkup(event.chatId, event.messageId, {
          reply_markup: { inline_keyboard: buildChoiceKeyboard(prompt, prompt.page, { labels: textsFor(event.languageCode), doneChoiceId, pageSize }) },
        });
      } catch (err) {
        if (!isNotModified(err)) return void logger.debug({ err }, 'telegram: could not turn the page');
      }
      await store.set(event.chatId, event.messageId, prompt);
    } catch (err) {
      // The database or the API is away: the person can simply press again.
      logger.warn({ err }, 'telegram: page button failed');
      await answerCallback(event.callbackQueryId, textsFor(event.languageCode).expired);
    }
  }

  /** getFile, then the file's URL; Bot API downloads stop at 20 MB, the cap here is the downloader's. */
  function downloadFile(fileId: string, fallbackType = 'image/jpeg'): void {
    options.media!.schedule({
      channel: 'telegram',
      fileId,
      fetch: async (maxBytes) => {
        const file = await bot.api.getFile(fileId);
        if (!file.file_path) throw new Error('getFile gave no file_path');
        if (typeof file.file_size === 'number' && file.file_size > maxBytes) throw new Error(`too large: ${file.file_size} bytes (at most ${maxBytes})`);
        const root = options.apiRoot ?? 'https://api.telegram.org';
        const res = await fetch(`${root}/file/bot${options.token}/${file.file_path}`, { signal: AbortSignal.timeout(60_000) });
        if (!res.ok) throw new Error(`file download: HTTP ${res.status}`);
        return { data: await readCapped(res, maxBytes), contentType: res.headers.get('content-type') ?? fallbackType };
      },
    });
  }

  /** Index buttons (`i:`) carry a position in the stored list: resolve it before recording. */
  async function resolveIndexButton(message: InboundMessage): Promise<InboundMessage | null> {
    const content = message.content;
    if (content.kind !== 'choice' || !content.choiceId.startsWith('#')) return message;
    const index = Number(content.choiceId.slice(1));
    const chatId = Number(message.platformUserId);
    const sourceId = Number(message.replyTo?.sourceMessageId);
    const prompt = Number.isFinite(sourceId) ? await store.get(chatId, sourceId) : undefined;
    const choiceId =
      prompt && prompt.promptSeq === content.promptSeq
        ? (prompt.choices[index]?.id ?? (prompt.selected !== undefined && index === prompt.choices.length ? doneChoiceId : undefined))
        : undefined;
    if (choiceId === undefined) return null;
    return { ...message, content: { ...content, choiceId } };
  }

  async function accept(raw: unknown): Promise<void> {
    const event = mapUpdate(raw);
    switch (event.type) {
      case 'ignore':
        logger.debug({ reason: event.reason }, 'telegram: update ignored');
        return;
      case 'answer-only':
        void answerCallback(event.callbackQueryId);
        return;
      case 'page':
        void turnPage(event);
        return;
      case 'blocked':
        await options.setBlocked({ channel: 'telegram', platformUserId: String(event.chatId) }, event.blocked);
        return;
      case 'inbound': {
        const message = await resolveIndexButton(event.message);
        if (!message) {
          const cq = event.message.replyTo;
          if (cq?.callbackQueryId) void answerCallback(cq.callbackQueryId, textsFor(event.message.languageHint).expired);
          if (cq?.sourceMessageId) void removeKeyboard(Number(event.message.platformUserId), Number(cq.sourceMessageId));
          return;
        }
        const cq = message.replyTo?.callbackQueryId;
        const content = message.content;
        if ((content.kind === 'photo' || content.kind === 'audio') && options.media) {
          const withId = withMediaId(message);
          await options.inbox.receive(withId);
          // A repeat too: a stored file is not fetched again. A voice note over the limits is refused in chat, never kept.
          if (content.kind === 'photo') downloadFile(content.fileId);
          else if (withinVoiceLimits(content)) downloadFile(content.fileId, content.mimeType ?? 'audio/ogg');
          return;
        }
        if (cq) {
          // The tap is answered at once: the spinner stops while the work runs. (Sent again by
          // Telegram after a failure, the query is already answered: that answer fails harmlessly.)
          const { callbackQueryId: _answered, ...rest } = message.replyTo!;
          void answerCallback(cq);
          await options.inbox.receive({ ...message, replyTo: rest });
          return;
        }
        await options.inbox.receive(message);
        return;
      }
    }
  }

  // ---- long polling ---------------------------------------------------------------------

  let polling: { stop: AbortController; done: Promise<void> } | null = null;

  async function pollLoop(signal: AbortSignal): Promise<void> {
    let offset = 0;
    let failures = 0;
    /** Batches in a row held back by an update that could not be taken in (the backoff grows). */
    let held = 0;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await bot.api.getUpdates({ offset, timeout: options.pollingTimeoutSeconds ?? 30, allowed_updates: [...TELEGRAM_ALLOWED_UPDATES] }, signal as Parameters<Api['getUpdates']>[1]);
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        logger.warn({ err, failures }, 'telegram: getUpdates failed; trying again');
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), signal);
        continue;
      }
      // A batch is taken in at once (one person's updates keep their order: the conversation
      // queues them in arrival order). The offset moves past an update only once it is handled
      // or recorded: a database outage holds it at the first that failed, and the ones after it
      // come again (handled already: recognised as repeats).
      const results = await Promise.allSettled(updates.map((update) => accept(update)));
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed === -1) {
        held = 0;
        if (updates.length) offset = updates.at(-1)!.update_id + 1;
        continue;
      }
      offset = updates[failed]!.update_id;
      held++;
      logger.warn({ err: (results[failed] as PromiseRejectedResult).reason, attempt: held }, 'telegram: could not take in an update; holding the offset');
      await sleep(Math.min(30_000, 250 * 2 ** Math.min(held, 7)), signal);
    }
  }

  let hook: express.RequestHandler | undefined;

  return {
    bot,
    api: bot.api,
    mode,
    promptStore: store,
    textsFor,
    accept,
    async start() {
      await bot.init();
      if (mode === 'webhook') {
        await bot.api.setWebhook(options.webhookUrl!, {
          secret_token: options.webhookSecret!,
          allowed_updates: [...TELEGRAM_ALLOWED_UPDATES],
          drop_pending_updates: options.dropPendingUpdates ?? false,
        });
        logger.info({ username: bot.botInfo.username }, 'telegram: webhook registered');
        return;
      }
      await bot.api.deleteWebhook({ drop_pending_updates: options.dropPendingUpdates ?? false });
      const stop = new AbortController();
      polling = { stop, done: pollLoop(stop.signal).catch((err: unknown) => logger.error({ err }, 'telegram: polling stopped')) };
      logger.info({ username: bot.botInfo.username }, 'telegram: long polling started');
    },
    async stop() {
      const p = polling;
      polling = null;
      if (!p) return;
      p.stop.abort();
      await p.done;
    },
    webhookHandler() {
      if (mode !== 'webhook') throw new Error('The Telegram channel runs in polling mode: no webhook to mount');
      if (!hook) {
        const raw = express.raw({ type: () => true, limit: '1mb' });
        const expected = Buffer.from(options.webhookSecret!);
        hook = (req, res, next) => {
          // The secret first, in constant time: a stranger's request is refused before its body is read.
          const given = Buffer.from(req.get('X-Telegram-Bot-Api-Secret-Token') ?? '');
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
            return void res.status(401).json({ error: 'unauthorized', message: 'Wrong or missing X-Telegram-Bot-Api-Secret-Token.' });
          }
          raw(req, res, (err?: unknown) => {
            if (err) return next(err);
            let body: unknown;
            try {
              body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
            } catch {
              return void res.status(400).json({ error: 'invalid_json', message: 'The body is not valid JSON.' });
            }
            accept(body).then(
              () => res.status(200).json({ ok: true }),
              (error: unknown) => {
                // Not recorded: Telegram must send it again, and the person is told nothing untrue.
                logger.warn({ err: error }, 'telegram: update not recorded; answering 503');
                res.status(503).json({ error: 'unavailable', message: 'Could not record the update; send it again later.' });
              },
            );
          });
        };
      }
      return hook;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Mounts the webhook route (POST /telegram/webhook by default) on the service's express app. */
export function mountTelegramWebhook(app: express.Application, channel: TelegramChannel, path = TELEGRAM_WEBHOOK_PATH): void {
  app.post(path, channel.webhookHandler());
}
