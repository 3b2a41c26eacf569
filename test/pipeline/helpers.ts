/** Shared pieces of the pipeline tests: a Telegram channel on the local Bot API, outbox items, a capturing logger. */
import { Api } from 'grammy';
import { ChannelRegistry, type ChannelRateLimits } from '../../src/channels/channel.js';
import { createTelegramOutbound, type TelegramOutbound } from '../../src/channels/telegram/outbound.js';
import type { OutboundMessage } from '../../src/messages/index.js';
import { OutboxModel } from '../../src/db/models.js';
import type { OutboxItem } from '../../src/pipeline/outbox.js';
import { startFakeTelegram, type FakeTelegram, type FakeTelegramOptions } from '../fakes/telegram-bot-api.js';

export const TOKEN = '777001:pipeline-test-token-abcdefghijklmnopqrstuvwxyz';

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every line, for asserting what reaches the log. */
export function captureLogger(): { lines: LogLine[]; logger: { debug: Fn; info: Fn; warn: Fn; error: Fn } } {
  const lines: LogLine[] = [];
  const at = (level: string): Fn => (obj: unknown, msg?: unknown) => {
    lines.push({ level, obj: typeof obj === 'object' && obj ? (obj as Record<string, unknown>) : {}, msg: String(msg ?? (typeof obj === 'string' ? obj : '')) });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}
type Fn = (obj: unknown, msg?: string) => void;

export interface TelegramSetup {
  fake: FakeTelegram;
  channel: TelegramOutbound;
  channels: ChannelRegistry;
  close(): Promise<void>;
}

/** A registry with the Telegram outbound channel on a Bot API root. */
export function telegramChannels(apiRoot: string, rateLimits?: Partial<ChannelRateLimits>): ChannelRegistry {
  const channels = new ChannelRegistry();
  const api = new Api(TOKEN, { apiRoot, timeoutSeconds: 10 });
  channels.register(createTelegramOutbound({ api, logger: captureLogger().logger, ...(rateLimits ? { rateLimits } : {}) }));
  return channels;
}

export async function telegramSetup(options: { fake?: FakeTelegramOptions; rateLimits?: Partial<ChannelRateLimits> } = {}): Promise<TelegramSetup> {
  const fake = await startFakeTelegram({ token: TOKEN, ...options.fake });
  const api = new Api(TOKEN, { apiRoot: fake.apiRoot, timeoutSeconds: 10 });
  const channel = createTelegramOutbound({ api, logger: captureLogger().logger, ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}) });
  const channels = new ChannelRegistry();
  channels.register(channel);
  return { fake, channel, channels, close: () => fake.close() };
}

/** One text message per entry; the text names the entry so the fake's record shows which went where. */
export function textItem(id: string, chatId: number, extra: Partial<OutboxItem> = {}): OutboxItem {
  return { id, kind: 'broadcast', channel: 'telegram', to: String(chatId), messages: [{ text: `pesan ${id}` }], ...extra };
}

export function texts(messages: OutboundMessage[]): string[] {
  return messages.map((m) => m.text);
}

export async function outboxById(id: string) {
  return OutboxModel.findById(id).lean();
}

/** Texts the chat received, in order. */
export function receivedTexts(fake: FakeTelegram, chatId: number): string[] {
  return fake.chat(chatId).botMessages.map((m) => m.text ?? '');
}
