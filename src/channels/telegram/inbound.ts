/**
 * Telegram updates in: parsed with a schema at the edge, then mapped to what the pipeline
 * knows. What cannot be a real update (odd shapes, a callback whose sender and chat differ)
 * is ignored, never stored; a location off the globe is kept as an "unsupported" message so
 * the person hears why.
 */
import type { Message } from 'grammy/types';
import { z } from 'zod';
import type { InboundContent, InboundMessage } from '../../messages/index.js';
import { decodeCallbackData } from './keyboard.js';

export function updateMessageId(updateId: number): string {
  return `tg:${updateId}`;
}

const userSchema = z.object({
  id: z.number().int().positive(),
  is_bot: z.boolean().optional(),
  first_name: z.string().max(256).optional(),
  last_name: z.string().max(256).optional(),
  language_code: z.string().max(35).optional(),
});
const chatSchema = z.object({ id: z.number().int(), type: z.string() });
/** A voice note (`voice`) or a sent audio file (`audio`, with title and file_name besides). */
const audioSchema = z.object({ file_id: z.string().min(1), duration: z.number().int().nonnegative().optional(), mime_type: z.string().max(100).optional(), file_size: z.number().int().nonnegative().optional() }).loose();
const messageSchema = z
  .object({
    message_id: z.number().int(),
    date: z.number().int(),
    chat: chatSchema,
    from: userSchema.optional(),
    text: z.string().optional(),
    caption: z.string().optional(),
    entities: z.array(z.object({ type: z.string(), offset: z.number().int(), length: z.number().int() })).optional(),
    location: z.object({ latitude: z.number(), longitude: z.number() }).loose().optional(),
    venue: z.object({ title: z.string() }).loose().optional(),
    photo: z.array(z.object({ file_id: z.string().min(1), width: z.number(), height: z.number() }).loose()).optional(),
    document: z.object({ file_id: z.string().min(1), mime_type: z.string().optional() }).loose().optional(),
    voice: audioSchema.optional(),
    audio: audioSchema.optional(),
  })
  .loose();
const callbackSchema = z.object({
  id: z.string().min(1),
  from: userSchema,
  message: z.object({ message_id: z.number().int(), chat: chatSchema }).loose().optional(),
  data: z.string().max(64).optional(),
});
const memberUpdateSchema = z.object({
  chat: chatSchema,
  from: userSchema.optional(),
  new_chat_member: z.object({ status: z.string() }).loose(),
});
export const updateSchema = z
  .object({
    update_id: z.number().int().nonnegative(),
    message: messageSchema.optional(),
    callback_query: callbackSchema.optional(),
    my_chat_member: memberUpdateSchema.optional(),
  })
  .loose();
export type ParsedUpdate = z.infer<typeof updateSchema>;

/** What an update means for the bot. */
export type TelegramEvent =
  | { type: 'inbound'; message: InboundMessage }
  /** ◀ ▶ on a long list: redrawn by the adapter, the conversation is not involved. */
  | { type: 'page'; chatId: number; messageId: number; promptSeq: number; page: number; callbackQueryId: string; languageCode?: string }
  /** A button the bot can't read any more (old scheme, missing data): answered, nothing else. */
  | { type: 'answer-only'; callbackQueryId: string }
  | { type: 'blocked'; chatId: number; blocked: boolean }
  | { type: 'ignore'; reason: string };

export function profileOf(from: { first_name?: string | undefined; last_name?: string | undefined; language_code?: string | undefined } | undefined): Pick<InboundMessage, 'profileName' | 'languageHint'> {
  const out: Pick<InboundMessage, 'profileName' | 'languageHint'> = {};
  const name = [from?.first_name, from?.last_name].filter(Boolean).join(' ').trim();
  if (name) out.profileName = name;
  if (from?.language_code) out.languageHint = from.language_code;
  return out;
}

/** Parses a raw update body; every shape that isn't a real private-chat update becomes `ignore`. */
export function mapUpdate(raw: unknown): TelegramEvent {
  const parsed = updateSchema.safeParse(raw);
  if (!parsed.success) return { type: 'ignore', reason: `not an update: ${parsed.error.issues[0]?.path.join('.') || 'body'} ${parsed.error.issues[0]?.message ?? ''}` };
  const update = parsed.data;
  if (update.message) {
    const m = update.message;
    if (m.chat.type !== 'private') return { type: 'ignore', reason: 'not a private chat' };
    if (!m.from || m.from.id !== m.chat.id) return { type: 'ignore', reason: 'sender and chat differ' };
    const content = mapMessageContent(m as unknown as Message);
    if (!content) return { type: 'ignore', reason: 'service message' };
    return {
      type: 'inbound',
      message: {
        channel: 'telegram',
        platformUserId: String(m.from.id),
        messageId: updateMessageId(update.update_id),
        receivedAt: new Date(m.date * 1000),
        ...profileOf(m.from),
        content,
      },
    };
  }
  if (update.callback_query) {
    const cq = update.callback_query;
    if (cq.message && cq.message.chat.type !== 'private') return { type: 'answer-only', callbackQueryId: cq.id };
    if (cq.message && cq.message.chat.id !== cq.from.id) return { type: 'ignore', reason: 'callback sender and chat differ' };
    const action = cq.data ? decodeCallbackData(cq.data) : null;
    if (!action || action.type === 'noop') return { type: 'answer-only', callbackQueryId: cq.id };
    const messageId = cq.message?.message_id;
    if (action.type === 'page') {
      if (messageId === undefined) return { type: 'answer-only', callbackQueryId: cq.id };
      return { type: 'page', chatId: cq.from.id, messageId, promptSeq: action.promptSeq, page: action.page, callbackQueryId: cq.id, ...(cq.from.language_code ? { languageCode: cq.from.language_code } : {}) };
    }
    const content: InboundContent =
      action.type === 'choice'
        ? { kind: 'choice', promptSeq: action.promptSeq, choiceId: action.choiceId }
        : // An index button: resolved to the choice id from the stored prompt by the channel before recording.
          { kind: 'choice', promptSeq: action.promptSeq, choiceId: `#${action.index}` };
    return {
      type: 'inbound',
      message: {
        channel: 'telegram',
        platformUserId: String(cq.from.id),
        messageId: updateMessageId(update.update_id),
        receivedAt: new Date(),
        ...profileOf(cq.from),
        content,
        replyTo: { callbackQueryId: cq.id, promptSeq: action.promptSeq, ...(messageId !== undefined ? { sourceMessageId: String(messageId) } : {}) },
      },
    };
  }
  if (update.my_chat_member) {
    const change = update.my_chat_member;
    if (change.chat.type !== 'private') return { type: 'ignore', reason: 'not a private chat' };
    const status = change.new_chat_member.status;
    if (status === 'kicked') return { type: 'blocked', chatId: change.chat.id, blocked: true };
    if (status === 'member') return { type: 'blocked', chatId: change.chat.id, blocked: false };
    return { type: 'ignore', reason: `chat member status ${status}` };
  }
  return { type: 'ignore', reason: 'update type not used' };
}

/**
 * The content of a private-chat message: what the bot reads, `unsupported` for what a person
 * sent but the bot can't read (voice, stickers...), or null for service messages (joins...).
 * Commands pass through as text with any `@BotName` suffix removed from the command, so
 * `/start@SuaraDesaBot 81_05` reads `/start 81_05`.
 */
export function mapMessageContent(message: Message): InboundContent | null {
  if (typeof message.text === 'string') {
    let text = message.text;
    const cmd = message.entities?.find((e) => e.type === 'bot_command' && e.offset === 0);
    if (cmd) {
      const command = text.slice(0, cmd.length).replace(/@[A-Za-z0-9_]+$/, '');
      text = command + text.slice(cmd.length);
    }
    return { kind: 'text', text };
  }
  if (message.location) {
    const { latitude, longitude } = message.location;
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return { kind: 'unsupported', what: 'invalid-location' };
    const content: InboundContent = { kind: 'location', latitude, longitude };
    if (message.venue?.title) content.name = message.venue.title;
    return content;
  }
  if (message.photo && message.photo.length > 0) {
    // Sizes come smallest first; pick the largest by area rather than trusting the order.
    const largest = message.photo.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
    const content: InboundContent = { kind: 'photo', fileId: largest.file_id };
    if (message.caption) content.caption = message.caption;
    return content;
  }
  if (message.document && message.document.mime_type?.startsWith('image/')) {
    // A photo sent "as file" keeps its full quality: take it as a photo.
    const content: InboundContent = { kind: 'photo', fileId: message.document.file_id };
    if (message.caption) content.caption = message.caption;
    return content;
  }
  const sound = message.voice ?? message.audio;
  if (sound) {
    return {
      kind: 'audio',
      fileId: sound.file_id,
      ...(sound.duration !== undefined ? { seconds: sound.duration } : {}),
      ...(sound.file_size !== undefined ? { bytes: sound.file_size } : {}),
      ...(sound.mime_type ? { mimeType: sound.mime_type } : {}),
    };
  }
  // Told apart so the person hears that a sticker or a video can't be read, not silence.
  const what = (['video', 'video_note', 'sticker', 'animation', 'document', 'contact', 'poll', 'dice'] as const).find((k) => k in message);
  if (what) return { kind: 'unsupported', what };
  return null;
}

/** @deprecated kept for callers that map a single message; prefer mapUpdate. */
export function mapMessage(message: Message, updateId: number): InboundMessage | null {
  const event = mapUpdate({ update_id: updateId, message });
  return event.type === 'inbound' ? event.message : null;
}
