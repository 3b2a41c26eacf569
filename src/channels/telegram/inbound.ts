/** Maps Telegram messages to the normalized InboundMessage. */
import type { Message, User } from 'grammy/types';
import type { InboundContent, InboundMessage } from '../../chat/types.js';

export function updateMessageId(updateId: number): string {
  return `tg:${updateId}`;
}

export function profileOf(from: User | undefined): Pick<InboundMessage, 'profileName' | 'languageHint'> {
  const out: Pick<InboundMessage, 'profileName' | 'languageHint'> = {};
  const name = [from?.first_name, from?.last_name].filter(Boolean).join(' ').trim();
  if (name) out.profileName = name;
  if (from?.language_code) out.languageHint = from.language_code;
  return out;
}

/**
 * The content of a private-chat message: what the bot reads, `unsupported` for what a person
 * sent but the bot can't read (voice, stickers...), or null for service messages (joins...). Commands pass through as text with any `@BotName`
 * suffix removed from the command, so `/start@SuaraDesaBot 81_05` reads `/start 81_05`.
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
    const content: InboundContent = { kind: 'location', latitude: message.location.latitude, longitude: message.location.longitude };
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
  // Told apart so the person hears that a voice note or a sticker can't be read, not silence.
  const what = (['voice', 'audio', 'video', 'video_note', 'sticker', 'animation', 'document', 'contact', 'poll', 'dice'] as const).find((k) => k in message);
  if (what) return { kind: 'unsupported', what };
  return null;
}

export function mapMessage(message: Message, updateId: number): InboundMessage | null {
  const content = mapMessageContent(message);
  if (!content || !message.from) return null;
  return {
    channel: 'telegram',
    platformUserId: String(message.from.id),
    messageId: updateMessageId(updateId),
    receivedAt: new Date(message.date * 1000),
    ...profileOf(message.from),
    content,
  };
}
