/**
 * The Telegram channel: grammY bot, long polling (runner) or webhook (express), inbound
 * mapping to InboundMessage, rendering of OutboundMessage within Telegram's limits, and the
 * ChannelSender for proactive sends.
 *
 *   const telegram = createTelegramChannel({ token, apiRoot, handler, logger, webhookUrl, webhookSecret });
 *   if (telegram.mode === 'webhook') mountTelegramWebhook(app, telegram);  // POST /telegram/webhook
 *   await telegram.start();            // setWebhook, or deleteWebhook + long polling
 *   await telegram.sender.send({ channel: 'telegram', platformUserId }, messages);
 *   await telegram.stop();
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { Bot, GrammyError, webhookCallback, type Api, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import type {
  Address,
  ChannelSender,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
  SendOutcome,
} from '../../chat/types.js';
import type { Logger } from '../../logging/logger.js';
import { escapeHtml, splitText } from './format.js';
import { mapMessage, profileOf, updateMessageId } from './inbound.js';
import { buildChoiceKeyboard, decodeCallbackData, pageCount, type KeyboardLabels, type StoredPrompt } from './keyboard.js';
import { MemoryPromptStore, type TelegramPromptStore } from './prompt-store.js';

export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';
/** The update types the bot asks Telegram for; everything else is not even delivered. */
export const TELEGRAM_ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;
/** The choice id the done button of a multiple-choice question sends (unless the prompt offers its own). */
export const MULTIPLE_DONE_CHOICE_ID = '__done__';

export type TelegramLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Texts the adapter adds itself. The service's messages arrive translated; these are short and neutral. */
export interface TelegramTexts extends KeyboardLabels {
  /** The reply-keyboard button that shares the location. */
  shareLocation: string;
  /** Placeholder in the input field while the location keyboard shows: the typed alternative. */
  locationPlaceholder: string;
  /** Toast when a button can no longer be resolved (e.g. paging after a restart). */
  expired: string;
}

export const DEFAULT_TELEGRAM_TEXTS: TelegramTexts = {
  done: '✔️ Selesai',
  previous: '◀',
  next: '▶',
  selectedPrefix: '✅ ',
  shareLocation: '📍 Kirim lokasi saya',
  locationPlaceholder: 'atau ketik nama dusun / tempat',
  expired: 'Tombol ini sudah tidak berlaku. Silakan jawab pertanyaan terakhir.',
};

export interface TelegramChannelOptions {
  token: string;
  /** Bot API server (no trailing slash). Default https://api.telegram.org. */
  apiRoot?: string;
  handler: InboundHandler;
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
  /** Extra repeat check (e.g. a MongoDB lookup); the service drops repeats by messageId anyway. */
  isDuplicateUpdate?: (updateId: number) => boolean | Promise<boolean>;
  /** How many handled update_ids to remember in memory to drop repeats early (default 2048, 0 = off). */
  recentUpdateCacheSize?: number;
  /** The adapter's own words per language ('id', 'en'), over `texts`; picked by OutboundMessage.language. */
  textsByLanguage?: Record<string, Partial<TelegramTexts>>;
  /** Where rendered choice lists are remembered for paging / index buttons (default in memory). */
  promptStore?: TelegramPromptStore;
  texts?: Partial<TelegramTexts>;
  /** Choices per page (default 8). */
  pageSize?: number;
  /** Choice id of the multiple-choice done button (default `__done__`). */
  doneChoiceId?: string;
  /** 429 handling: wait retry_after up to this many seconds (default 30), at most this many times (default 3). */
  retry?: { maxDelaySeconds?: number; maxRetryAttempts?: number };
  /** Long-poll timeout in seconds (default 30). */
  pollingTimeoutSeconds?: number;
  /** Answer the webhook request after this long even if handling goes on (default 9000 ms). */
  webhookTimeoutMs?: number;
}

export interface TelegramChannel {
  readonly bot: Bot;
  readonly sender: ChannelSender;
  readonly mode: 'polling' | 'webhook';
  /** Webhook mode: setWebhook with the secret. Polling mode: deleteWebhook, then long polling with the runner. */
  start(): Promise<void>;
  /** Stops long polling and waits for running handlers; a webhook stays registered (other instances may serve it). */
  stop(): Promise<void>;
  /** Express handler (JSON body parsing included) for POST /telegram/webhook. Webhook mode only. */
  webhookHandler(): express.RequestHandler;
}

type SendOther = NonNullable<Parameters<Api['sendMessage']>[2]>;

const isNotModified = (e: unknown) => e instanceof GrammyError && /message is not modified/i.test(e.description);

export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const { handler, logger } = options;
  const mode = options.mode ?? (options.webhookUrl ? 'webhook' : 'polling');
  if (mode === 'webhook') {
    if (!options.webhookSecret || !/^[A-Za-z0-9_-]{1,256}$/.test(options.webhookSecret)) {
      throw new Error('Telegram webhook mode needs webhookSecret: 1-256 characters of A-Z, a-z, 0-9, _ and -');
    }
  }
  const texts: TelegramTexts = { ...DEFAULT_TELEGRAM_TEXTS, ...options.texts };
  /** The adapter's own words in the reader's language (the message's, or Telegram's language_code). */
  const textsFor = (language: string | undefined): TelegramTexts => {
    const own = language ? options.textsByLanguage?.[language.slice(0, 2).toLowerCase()] : undefined;
    return own ? { ...texts, ...own } : texts;
  };
  const store = options.promptStore ?? new MemoryPromptStore();
  const doneChoiceId = options.doneChoiceId ?? MULTIPLE_DONE_CHOICE_ID;
  const pageSize = options.pageSize ?? 8;
  const keyboardOptions = { labels: texts, doneChoiceId, pageSize };

  const bot = new Bot(options.token, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) },
  });
  bot.api.config.use(
    autoRetry({
      maxDelaySeconds: options.retry?.maxDelaySeconds ?? 30,
      maxRetryAttempts: options.retry?.maxRetryAttempts ?? 3,
      // Network failures surface at once (the caller or the outbox retries) instead of an open-ended backoff.
      rethrowHttpErrors: true,
    }),
  );

  /** The message whose inline keyboard is live in each chat (best effort, per process, bounded). */
  const liveKeyboard = new Map<number, number>();
  /** Chats that currently show our location reply keyboard (best effort, per process). */
  const replyKeyboardChats = new Set<number>();
  const recent = new Set<number>();
  const recentMax = options.recentUpdateCacheSize ?? 2048;

  const addressOf = (chatId: number): Address => ({ channel: 'telegram', platformUserId: String(chatId) });

  async function setBlocked(chatId: number, blocked: boolean) {
    try {
      await handler.setBlocked(addressOf(chatId), blocked);
    } catch (err) {
      logger.error({ err }, 'telegram: setBlocked failed');
    }
  }

  async function failure(chatId: number, err: unknown): Promise<SendOutcome> {
    if (err instanceof GrammyError) {
      if (err.error_code === 403) {
        // Blocked, deactivated, or never started: no retry, and the member is marked unreachable.
        await setBlocked(chatId, true);
        return { ok: false, blocked: true, error: err.description };
      }
      const retryAfter = err.parameters?.retry_after;
      return { ok: false, blocked: false, error: err.description, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) };
    }
    return { ok: false, blocked: false, error: err instanceof Error ? err.message : String(err) };
  }

  async function sendOne(chatId: number, message: OutboundMessage): Promise<void> {
    const chunks = splitText(message.text.trim() ? message.text : '…');
    for (let i = 0; i < chunks.length; i++) {
      const last = i === chunks.length - 1;
      const other: SendOther = { parse_mode: 'HTML' };
      let prompt: StoredPrompt | undefined;
      let showsLocationKeyboard = false;
      let removesKeyboard = false;
      if (last && message.expect === 'location') {
        // A reply keyboard: the one-tap location button, and the prompt's choices (e.g. "Lewati")
        // as plain buttons that send their label as text. Inline buttons can't sit beside it.
        other.reply_markup = {
          keyboard: [
            [{ text: textsFor(message.language).shareLocation, request_location: true }],
            ...(message.choices ?? []).map((c) => [{ text: c.label }]),
          ],
          one_time_keyboard: true,
          resize_keyboard: true,
          input_field_placeholder: textsFor(message.language).locationPlaceholder.slice(0, 64),
        };
        showsLocationKeyboard = true;
      } else if (last && message.choices && message.choices.length > 0) {
        prompt = {
          promptSeq: message.promptSeq ?? 0,
          choices: message.choices,
          page: 0,
          ...(message.multiple ? { selected: [...message.multiple.selected] } : {}),
        };
        other.reply_markup = { inline_keyboard: buildChoiceKeyboard(prompt, 0, keyboardOptions) };
      } else if (replyKeyboardChats.has(chatId)) {
        other.reply_markup = { remove_keyboard: true };
        removesKeyboard = true;
      }
      const sent = await bot.api.sendMessage(chatId, escapeHtml(chunks[i]!), other);
      if (prompt) {
        await store.set(chatId, sent.message_id, prompt);
        liveKeyboard.delete(chatId); // re-insert: the Map's order is the age used to bound it
        liveKeyboard.set(chatId, sent.message_id);
        if (liveKeyboard.size > 10_000) liveKeyboard.delete(liveKeyboard.keys().next().value as number);
      }
      if (showsLocationKeyboard) replyKeyboardChats.add(chatId);
      if (removesKeyboard) replyKeyboardChats.delete(chatId);
    }
  }

  async function deliver(chatId: number, messages: OutboundMessage[]): Promise<SendOutcome> {
    for (const m of messages) {
      try {
        await sendOne(chatId, m);
      } catch (err) {
        return failure(chatId, err);
      }
    }
    return { ok: true };
  }

  async function deliverReplies(chatId: number, messages: OutboundMessage[]): Promise<void> {
    const outcome = await deliver(chatId, messages);
    if (!outcome.ok && !outcome.blocked) logger.warn({ error: outcome.error, retryAfterSeconds: outcome.retryAfterSeconds }, 'telegram: reply not delivered');
  }

  async function removeKeyboard(chatId: number, messageId: number | undefined): Promise<void> {
    if (messageId === undefined) return;
    try {
      await bot.api.editMessageReplyMarkup(chatId, messageId);
    } catch (err) {
      if (!isNotModified(err)) logger.debug({ err }, 'telegram: could not remove an old keyboard');
    }
  }

  async function answer(ctx: Context, text?: string): Promise<void> {
    try {
      await ctx.answerCallbackQuery(text ? { text: text.slice(0, 200) } : undefined);
    } catch (err) {
      logger.debug({ err }, 'telegram: answerCallbackQuery failed');
    }
  }

  // ---- middleware ---------------------------------------------------------------------------

  // Per-chat order under the runner's concurrency (and for concurrent webhook requests).
  bot.use(sequentialize((ctx: Context) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));

  // Drop repeats early; an update counts as handled only once its handling succeeded, so a
  // redelivery after a failure is processed again.
  bot.use(async (ctx, next) => {
    const id = ctx.update.update_id;
    if (recent.has(id)) {
      logger.debug({ updateId: id }, 'telegram: repeated update dropped');
      return;
    }
    if (options.isDuplicateUpdate && (await options.isDuplicateUpdate(id))) return;
    await next();
    if (recentMax > 0) {
      recent.add(id);
      if (recent.size > recentMax) recent.delete(recent.values().next().value as number);
    }
  });

  bot.on('message', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const inbound = mapMessage(ctx.message, ctx.update.update_id);
    if (!inbound) return; // service messages (joins, pins...): nothing a person said
    // Typed instead of tapped: the question's buttons go too, as after a tap.
    const live = liveKeyboard.get(ctx.chat.id);
    if (live !== undefined) {
      liveKeyboard.delete(ctx.chat.id);
      await removeKeyboard(ctx.chat.id, live);
    }
    const replies = await handler.handle(inbound);
    if (replies) await deliverReplies(ctx.chat.id, replies);
  });

  bot.on('callback_query:data', async (ctx) => {
    const cq = ctx.callbackQuery;
    const chatId = cq.message?.chat.id ?? cq.from.id;
    if (cq.message && cq.message.chat.type !== 'private') return void (await answer(ctx));
    const messageId = cq.message?.message_id;
    const action = decodeCallbackData(cq.data);
    if (!action || action.type === 'noop') return void (await answer(ctx));

    if (action.type === 'page') {
      const prompt = messageId !== undefined ? await store.get(chatId, messageId) : undefined;
      if (!prompt || prompt.promptSeq !== action.promptSeq) {
        await answer(ctx, textsFor(cq.from.language_code).expired);
        return void (await removeKeyboard(chatId, messageId));
      }
      await answer(ctx);
      const listed = prompt.selected !== undefined ? prompt.choices.filter((c) => c.id !== doneChoiceId).length : prompt.choices.length;
      prompt.page = Math.min(Math.max(0, action.page), pageCount(listed, pageSize) - 1);
      try {
        await bot.api.editMessageReplyMarkup(chatId, messageId!, { reply_markup: { inline_keyboard: buildChoiceKeyboard(prompt, prompt.page, keyboardOptions) } });
      } catch (err) {
        // Not worth a redelivery (the message may be gone): the user can press again.
        if (!isNotModified(err)) return void logger.debug({ err }, 'telegram: could not turn the page');
      }
      await store.set(chatId, messageId!, prompt);
      return;
    }

    let choiceId: string | undefined;
    if (action.type === 'choice') {
      choiceId = action.choiceId;
    } else {
      const prompt = messageId !== undefined ? await store.get(chatId, messageId) : undefined;
      if (prompt && prompt.promptSeq === action.promptSeq) {
        choiceId =
          prompt.choices[action.index]?.id ??
          (prompt.selected !== undefined && action.index === prompt.choices.length ? doneChoiceId : undefined);
      }
    }
    if (choiceId === undefined) {
      await answer(ctx, textsFor(cq.from.language_code).expired);
      return void (await removeKeyboard(chatId, messageId));
    }

    // Answer first: the spinner on the button stops while the slow work runs.
    await answer(ctx);
    const inbound: InboundMessage = {
      channel: 'telegram',
      platformUserId: String(cq.from.id),
      messageId: updateMessageId(ctx.update.update_id),
      receivedAt: new Date(),
      ...profileOf(cq.from),
      content: { kind: 'choice', promptSeq: action.promptSeq, choiceId },
    };
    const replies = await handler.handle(inbound);
    if (replies === null) return;

    let rest = replies;
    const first = replies[0];
    if (
      messageId !== undefined &&
      first?.multiple &&
      first.choices &&
      first.choices.length > 0 &&
      first.promptSeq === action.promptSeq &&
      splitText(first.text).length === 1
    ) {
      // A toggle of a multiple-choice question: redraw the same message in place, same page.
      const before = await store.get(chatId, messageId);
      const prompt: StoredPrompt = { promptSeq: action.promptSeq, choices: first.choices, selected: [...first.multiple.selected], page: before?.page ?? 0 };
      try {
        await bot.api.editMessageText(chatId, messageId, escapeHtml(splitText(first.text)[0]!), {
          parse_mode: 'HTML',
          reply_markup: { inline_keyboard: buildChoiceKeyboard(prompt, prompt.page, keyboardOptions) },
        });
        await store.set(chatId, messageId, prompt);
        rest = replies.slice(1);
      } catch (err) {
        if (isNotModified(err)) {
          await store.set(chatId, messageId, prompt);
          rest = replies.slice(1);
        } else {
          logger.debug({ err }, 'telegram: in-place edit failed; sending anew');
          await removeKeyboard(chatId, messageId);
        }
      }
    } else {
      // The question was answered: its buttons go, so a stale press can't reach a later step.
      if (liveKeyboard.get(chatId) === messageId) liveKeyboard.delete(chatId);
      await removeKeyboard(chatId, messageId);
    }
    if (rest.length > 0) await deliverReplies(chatId, rest);
  });

  bot.on('my_chat_member', async (ctx) => {
    const change = ctx.myChatMember;
    if (change.chat.type !== 'private') return;
    const status = change.new_chat_member.status;
    if (status === 'kicked') await setBlocked(change.chat.id, true);
    else if (status === 'member') await setBlocked(change.chat.id, false);
  });
  // Any other update type falls through: nothing to do, no error.

  bot.catch((err) => {
    logger.error({ err: err.error, updateId: err.ctx.update.update_id }, 'telegram: update handling failed');
  });

  // ---- lifecycle ----------------------------------------------------------------------------

  let runner: RunnerHandle | undefined;
  let hook: express.RequestHandler | undefined;

  const sender: ChannelSender = {
    channel: 'telegram',
    async send(to, messages) {
      if (to.channel !== 'telegram') return { ok: false, blocked: false, error: `not a Telegram address (${to.channel})` };
      const chatId = Number(to.platformUserId);
      if (!Number.isSafeInteger(chatId)) return { ok: false, blocked: false, error: 'invalid Telegram chat id' };
      return deliver(chatId, messages);
    },
  };

  return {
    bot,
    sender,
    mode,
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
      runner = run(bot, {
        runner: {
          fetch: { allowed_updates: [...TELEGRAM_ALLOWED_UPDATES], timeout: options.pollingTimeoutSeconds ?? 30 },
        },
      });
      logger.info({ username: bot.botInfo.username }, 'telegram: long polling started');
    },
    async stop() {
      const r = runner;
      runner = undefined;
      if (r?.isRunning()) await r.stop();
    },
    webhookHandler() {
      if (mode !== 'webhook') throw new Error('The Telegram channel runs in polling mode: no webhook to mount');
      if (!hook) {
        const callback = webhookCallback(bot, 'express', {
          secretToken: options.webhookSecret!,
          onTimeout: 'return',
          timeoutMilliseconds: options.webhookTimeoutMs ?? 9000,
        });
        const json = express.json({ limit: '1mb' });
        const expected = Buffer.from(options.webhookSecret!);
        hook = (req, res, next) => {
          // The secret first, in constant time: a stranger's request is refused before its body is read.
          const given = Buffer.from(req.get('X-Telegram-Bot-Api-Secret-Token') ?? '');
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
            return void res.status(401).json({ error: 'unauthorized', message: 'Wrong or missing X-Telegram-Bot-Api-Secret-Token.' });
          }
          json(req, res, (err?: unknown) => {
            if (err) return next(err);
            callback(req, res).catch(next);
          });
        };
      }
      return hook;
    },
  };
}

/** Mounts the webhook route (POST /telegram/webhook by default) on the service's express app. */
export function mountTelegramWebhook(app: express.Application, channel: TelegramChannel, path = TELEGRAM_WEBHOOK_PATH): void {
  app.post(path, channel.webhookHandler());
}
