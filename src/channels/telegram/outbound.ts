/**
 * The Telegram channel's outbound side: renders each OutboundMessage within Telegram's limits
 * and sends it, for the dispatcher (src/pipeline/dispatcher.ts). One platform call at a time,
 * no in-memory retries: a refusal is reported as a SendResult and the outbox retries durably.
 *
 *   const api = new Api(token, { apiRoot, timeoutSeconds: 20 });   // no auto-retry on this one
 *   channels.register(createTelegramOutbound({ api, logger, promptStore }));
 *
 * Rendering (as the adapter always did): text HTML-escaped and split at 4096; a choice question
 * gets an inline keyboard (paged, long ids through the prompt store); a location question a
 * reply keyboard with the location button; that reply keyboard is removed by the next message.
 * Replies (`replyTo`): the callback query is answered first, the pressed message loses its
 * keyboard, or for a multiple-choice toggle of the same prompt it is redrawn in place. A reply
 * to a typed answer removes the keyboard of the question it answered (known in this process).
 *
 * Errors by code: 429 -> retry after retry_after (ms); 403 -> blocked; 400 -> failed with the
 * platform's reason; network, 5xx and anything else -> retry.
 */
import { GrammyError, InputFile, type Api } from 'grammy';
import { isUrl, type FlowMedia } from '../../media/flow-media.js';
import type { ChannelCapabilities, ChannelRateLimits, OutboundChannel, SendRequest, SendResult } from '../channel.js';
import { isLongList, shortListText, type OutboundMessage } from '../../messages/index.js';
import { PROMPT_SEQ } from '../../messages/flows.js';
import { isNotModified, MULTIPLE_DONE_CHOICE_ID, textsResolver, type TelegramLogger, type TelegramTexts } from './texts.js';
import { escapeHtml, splitText } from './format.js';
import { buildChoiceKeyboard, needsStoredPrompt, type StoredPrompt } from './keyboard.js';
import { MemoryPromptStore, type TelegramPromptStore } from './prompt-store.js';

export const TELEGRAM_CAPABILITIES: ChannelCapabilities = {
  buttons: true,
  maxButtons: 100,
  lists: false,
  maxListRows: 0,
  editing: true,
  maxButtonTitle: 64,
  maxText: 4096,
  templates: false,
};

/** Telegram: about 30 messages/s in all, about 1/s to one chat with short bursts. */
export const TELEGRAM_RATE_LIMITS: ChannelRateLimits = { perSecond: 30, perChatPerSecond: 1, perChatBurst: 3 };

export interface TelegramOutboundOptions {
  /** A grammY Api pointed at any Bot API root. Without @grammyjs/auto-retry: the outbox retries. */
  api: Api;
  /** Where questions' pictures come from (OutboundMessage.image); without it they are not sent. */
  flowMedia?: FlowMedia;
  logger: TelegramLogger;
  texts?: Partial<TelegramTexts>;
  /** The adapter's own words per language ('id', 'en'), over `texts`; picked by OutboundMessage.language. */
  textsByLanguage?: Record<string, Partial<TelegramTexts>>;
  /** Where rendered choice lists are remembered for paging and index buttons (share it with the inbound side). */
  promptStore?: TelegramPromptStore;
  /** Choices per page (default 8). */
  pageSize?: number;
  /** Choice id of the multiple-choice done button (default `__done__`). */
  doneChoiceId?: string;
  /** Override the platform's pace (tests, or a local Bot API with other limits). */
  rateLimits?: Partial<ChannelRateLimits>;
}

export interface TelegramOutbound extends OutboundChannel {
  /** The message whose inline keyboard is live in a chat (best effort, this process only). */
  liveKeyboard(chatId: number): number | undefined;
}

type SendOther = NonNullable<Parameters<Api['sendMessage']>[2]>;

/** Buttons of a flow question or a confirmation go stale once answered; the menu's, help's and actions' never do. */
const expiresOnceAnswered = (promptSeq: number): boolean => promptSeq > 0 || promptSeq === PROMPT_SEQ.confirm;

export function createTelegramOutbound(options: TelegramOutboundOptions): TelegramOutbound {
  const { api, logger } = options;
  const { texts, textsFor } = textsResolver(options.texts, options.textsByLanguage);
  const store = options.promptStore ?? new MemoryPromptStore();
  const doneChoiceId = options.doneChoiceId ?? MULTIPLE_DONE_CHOICE_ID;
  const pageSize = options.pageSize ?? 8;
  const keyboardOptions = { labels: texts, doneChoiceId, pageSize };

  /**
   * The message whose question's inline keyboard is live in each chat (best effort, per process,
   * bounded). Only keyboards that expire once answered: the menu's, the help message's and
   * features' action buttons stay valid whatever comes next (their buttons carry no question
   * number), so they are left in place rather than removed with one more platform call.
   */
  const liveKeyboard = new Map<number, number>();
  /** Chats that currently show our location reply keyboard (best effort, per process). */
  const replyKeyboardChats = new Set<number>();

  const remember = (chatId: number, messageId: number) => {
    liveKeyboard.delete(chatId); // re-insert: the Map's order is the age used to bound it
    liveKeyboard.set(chatId, messageId);
    if (liveKeyboard.size > 10_000) liveKeyboard.delete(liveKeyboard.keys().next().value as number);
  };

  /** A question's picture as a photo: a URL as it is, a form's file as bytes; a missing file is left out, not retried. */
  async function sendImage(chatId: number, image: NonNullable<OutboundMessage['image']>, pace: () => Promise<void>): Promise<string[]> {
    const bytes = isUrl(image.file) ? null : await options.flowMedia?.read(image);
    if (!isUrl(image.file) && !bytes) {
      logger.warn({ flow: image.flow, file: image.file }, 'telegram: question picture not found; sent without it');
      return [];
    }
    await pace();
    const sent = await api.sendPhoto(chatId, bytes ? new InputFile(bytes, image.file) : image.file);
    return [String(sent.message_id)];
  }

  // A list longer than one page of buttons (24 villages) is buttons only, under a short text.
  const shownText = (m: OutboundMessage) => {
    if (!isLongList(m, pageSize + 1)) return m.text;
    const words = textsFor(m.language);
    return shortListText(m, words.engineChooseHint, words.tapOrType);
  };

  /** Sends one OutboundMessage (one or more Telegram messages); `pace` is awaited before each. Returns their ids. */
  async function sendOne(chatId: number, message: OutboundMessage, pace: () => Promise<void>): Promise<string[]> {
    if (message.image) return sendImage(chatId, message.image, pace);
    const ids: string[] = [];
    const body = shownText(message);
    const chunks = splitText(body.trim() ? body : '…');
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
      await pace();
      const sent = await api.sendMessage(chatId, escapeHtml(chunks[i]!), other);
      ids.push(String(sent.message_id));
      if (prompt && expiresOnceAnswered(prompt.promptSeq)) remember(chatId, sent.message_id);
      if (prompt && needsStoredPrompt(prompt, keyboardOptions)) {
        // Not awaited: the message is out, and until the dispatcher has recorded that, a crash
        // sends it again; the prompt is stored meanwhile (a press before then finds it in memory).
        // If it can't be stored, paging of this list may not work, but it is never sent twice for that.
        void store.set(chatId, sent.message_id, prompt).catch((err: unknown) =>
          logger.warn({ err: (err as Error).message }, 'telegram: prompt not stored; its paging buttons will answer "expired"'),
        );
      }
      if (showsLocationKeyboard) {
        replyKeyboardChats.delete(chatId); // re-insert: the Set's order is the age used to bound it
        replyKeyboardChats.add(chatId);
        // Bounded like liveKeyboard: a chat forgotten here keeps a stale location button, no more.
        if (replyKeyboardChats.size > 10_000) replyKeyboardChats.delete(replyKeyboardChats.values().next().value as number);
      }
      if (removesKeyboard) replyKeyboardChats.delete(chatId);
    }
    return ids;
  }

  async function removeKeyboard(chatId: number, messageId: number): Promise<void> {
    if (liveKeyboard.get(chatId) === messageId) liveKeyboard.delete(chatId);
    try {
      await api.editMessageReplyMarkup(chatId, messageId);
    } catch (err) {
      if (!isNotModified(err)) logger.debug({ err: (err as Error).message }, 'telegram: could not remove an old keyboard');
    }
  }

  async function answerCallback(id: string): Promise<void> {
    try {
      await api.answerCallbackQuery(id);
    } catch (err) {
      // "query is too old" (a retry, or a slow queue) and the like: the spinner stops by itself.
      logger.debug({ err: (err as Error).message }, 'telegram: answerCallbackQuery failed');
    }
  }

  /** A toggle of a multiple-choice question: redraw the pressed message in place. True when done. */
  async function editInPlace(chatId: number, messageId: number, first: OutboundMessage, promptSeq: number): Promise<boolean> {
    const before = await store.get(chatId, messageId).catch(() => undefined);
    const prompt: StoredPrompt = { promptSeq, choices: first.choices!, selected: [...first.multiple!.selected], page: before?.page ?? 0 };
    try {
      await api.editMessageText(chatId, messageId, escapeHtml(splitText(shownText(first))[0]!), {
        parse_mode: 'HTML',
        reply_markup: { inline_keyboard: buildChoiceKeyboard(prompt, prompt.page, keyboardOptions) },
      });
    } catch (err) {
      if (!isNotModified(err)) {
        logger.debug({ err: (err as Error).message }, 'telegram: in-place edit failed; sending anew');
        await removeKeyboard(chatId, messageId);
        return false;
      }
    }
    remember(chatId, messageId);
    if (needsStoredPrompt(prompt, keyboardOptions)) {
      await store.set(chatId, messageId, prompt).catch((err: Error) => logger.warn({ err: err.message }, 'telegram: prompt not stored'));
    }
    return true;
  }

  function failure(err: unknown, sentCount: number, platformMessageIds: string[]): SendResult {
    const base = { sentCount, platformMessageIds };
    if (err instanceof GrammyError) {
      const error = `${err.error_code}: ${err.description}`;
      if (err.error_code === 429) {
        const after = err.parameters?.retry_after;
        return { ok: false, outcome: 'retry', error, ...(typeof after === 'number' ? { retryAfterMs: after * 1000 } : {}), ...base };
      }
      if (err.error_code === 403) return { ok: false, outcome: 'blocked', error, ...base };
      if (err.error_code === 400) return { ok: false, outcome: 'failed', error, ...base };
      return { ok: false, outcome: 'retry', error, ...base };
    }
    return { ok: false, outcome: 'retry', error: err instanceof Error ? err.message : String(err), ...base };
  }

  async function send(request: SendRequest): Promise<SendResult> {
    const chatId = Number(request.to);
    if (!/^-?\d{1,20}$/.test(request.to) || !Number.isSafeInteger(chatId)) {
      return { ok: false, outcome: 'failed', error: 'not a Telegram chat id', sentCount: request.alreadySent, platformMessageIds: [] };
    }
    const { messages, replyTo } = request;
    let sent = request.alreadySent;
    const ids: string[] = [];
    // The first platform message's turn was taken by the dispatcher before send().
    let turnTaken = true;
    const pace = async () => {
      if (turnTaken) {
        turnTaken = false;
        return;
      }
      await request.pace?.();
    };
    try {
      if (sent === 0) {
        if (replyTo?.callbackQueryId) await answerCallback(replyTo.callbackQueryId);
        const source = replyTo?.sourceMessageId !== undefined && /^\d+$/.test(replyTo.sourceMessageId) ? Number(replyTo.sourceMessageId) : undefined;
        const first = messages[0];
        if (source !== undefined) {
          const toggle =
            !!first?.multiple &&
            !!first.choices &&
            first.choices.length > 0 &&
            replyTo?.promptSeq !== undefined &&
            first.promptSeq === replyTo.promptSeq &&
            splitText(shownText(first)).length === 1;
          if (!toggle) {
            // The question was answered: its buttons go, so a stale press can't reach a later step.
            await removeKeyboard(chatId, source);
          } else if (await editInPlace(chatId, source, first!, replyTo!.promptSeq!)) {
            // Redrawn in place (a failed edit removed the old keyboard: the prompt is sent anew).
            sent = 1;
            ids.push(String(source));
            if (messages.length > 1) await request.progress?.(sent, [String(source)]);
          }
        } else if (request.kind === 'reply') {
          // Typed instead of tapped: the question's buttons go too, as after a tap.
          const live = liveKeyboard.get(chatId);
          if (live !== undefined) await removeKeyboard(chatId, live);
        }
      }
      for (let i = sent; i < messages.length; i++) {
        const got = await sendOne(chatId, messages[i]!, pace);
        sent = i + 1;
        ids.push(...got);
        if (i < messages.length - 1) await request.progress?.(sent, got);
      }
      return { ok: true, platformMessageIds: ids };
    } catch (err) {
      return failure(err, sent, ids);
    }
  }

  return {
    name: 'telegram',
    capabilities: TELEGRAM_CAPABILITIES,
    rateLimits: { ...TELEGRAM_RATE_LIMITS, ...options.rateLimits },
    send,
    liveKeyboard: (chatId) => liveKeyboard.get(chatId),
  };
}
