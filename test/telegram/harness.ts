/** A running Telegram channel and pipeline against the fake Bot API, in polling or webhook mode, with a scripted handler. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import type { Address, ChoiceOption, InboundHandler, InboundMessage, OutboundMessage } from '../../src/messages/index.js';
import { ChannelRegistry, type ChannelRateLimits } from '../../src/channels/channel.js';
import {
  createTelegramChannel,
  MemoryPromptStore,
  MULTIPLE_DONE_CHOICE_ID,
  type TelegramChannel,
  type TelegramChannelOptions,
} from '../../src/channels/telegram/index.js';
import { createTelegramOutbound } from '../../src/channels/telegram/outbound.js';
import { InboxModel, OutboxModel } from '../../src/db/models.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { enqueue } from '../../src/pipeline/outbox.js';
import { startFakeTelegram, type FakeTelegram, type FakeTelegramOptions } from '../fakes/telegram-bot-api.js';

export const TOKEN = '777000:harness-token-abcdefghijklmnopqrstuvwxyz';
export const SECRET = 'webhook_secret-123';

export const THIRTY: ChoiceOption[] = Array.from({ length: 30 }, (_, i) => ({ id: `opsi-${i + 1}`, label: `Opsi ${i + 1}` }));
export const LONG_IDS: ChoiceOption[] = ['a', 'b', 'c'].map((x) => ({ id: `${x}-${'🌾'.repeat(10)}-${'x'.repeat(178)}`, label: `Pilihan ${x.toUpperCase()}` }));
export const MULTI: ChoiceOption[] = [
  { id: 'padi', label: 'Padi' },
  { id: 'jagung', label: 'Jagung' },
  { id: 'sagu', label: 'Sagu' },
];
export const LONG_TEXT = Array.from({ length: 100 }, (_, i) => `Baris ${i + 1}: ` + 'kata '.repeat(9).trim()).join('\n'); // ~5,000 chars

/**
 * Echoes text, and answers a few keywords: "pilih" (30 choices, promptSeq 7), "panjang"
 * (choice ids of 200 characters, promptSeq 8), "teks" (5,000 characters), "lokasi"
 * (expect location), "multi" (multiple choice, promptSeq 9, toggled by presses).
 */
export class ScriptedHandler implements InboundHandler {
  received: InboundMessage[] = [];
  blocked: { address: Address; blocked: boolean }[] = [];
  finishedAt: number[] = [];
  /** Slow work: handling waits for this (set it to a promise the test resolves). */
  hold: Promise<void> | null = null;
  private seen = new Set<string>();
  private selected = new Set<string>();

  async handle(m: InboundMessage): Promise<OutboundMessage[] | null> {
    if (this.seen.has(m.messageId)) return null;
    this.seen.add(m.messageId);
    this.received.push(m);
    if (this.hold) await this.hold;
    try {
      return this.reply(m);
    } finally {
      this.finishedAt.push(Date.now());
    }
  }

  private multiPrompt(): OutboundMessage {
    return { text: 'Tanaman apa saja?', choices: MULTI, multiple: { selected: [...this.selected] }, promptSeq: 9, expect: 'choice' };
  }

  private reply(m: InboundMessage): OutboundMessage[] {
    const c = m.content;
    if (c.kind === 'choice') {
      if (c.promptSeq === 9 && c.choiceId !== MULTIPLE_DONE_CHOICE_ID) {
        if (this.selected.has(c.choiceId)) this.selected.delete(c.choiceId);
        else this.selected.add(c.choiceId);
        return [this.multiPrompt()];
      }
      if (c.promptSeq === 9) return [{ text: `Dipilih: ${[...this.selected].join(', ')}` }];
      return [{ text: `Pilihan: ${c.choiceId}` }];
    }
    if (c.kind === 'location') return [{ text: `Lokasi: ${c.latitude},${c.longitude}` }];
    if (c.kind === 'photo') return [{ text: `Foto diterima${c.caption ? `: ${c.caption}` : ''}` }];
    if (c.kind === 'unsupported') return [{ text: `Tidak terbaca: ${c.what}` }];
    if (c.kind === 'audio') return [{ text: `Suara diterima: ${c.seconds ?? '?'} detik` }];
    switch (c.text) {
      case 'pilih':
        return [{ text: 'Pilih salah satu:', choices: THIRTY, promptSeq: 7, expect: 'choice' }];
      case 'panjang':
        return [{ text: 'Pilih:', choices: LONG_IDS, promptSeq: 8, expect: 'choice' }];
      case 'teks':
        return [{ text: LONG_TEXT }];
      case 'lokasi':
        return [{ text: 'Di mana kebun Anda?', expect: 'location', promptSeq: 10 }];
      case 'multi':
        return [this.multiPrompt()];
      default:
        return [{ text: `Kamu menulis: ${c.text}` }];
    }
  }

  async setBlocked(address: Address, blocked: boolean): Promise<void> {
    this.blocked.push({ address, blocked });
  }
}

export interface Harness {
  fake: FakeTelegram;
  channel: TelegramChannel;
  handler: ScriptedHandler;
  inbox: Inbox;
  dispatcher: Dispatcher;
  /** Webhook mode: the app's URL root. */
  appUrl?: string;
  /** A new channel (fresh in-memory prompt store) on the same fake, as after a process restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real pipeline around a scripted handler: the channel records each update in the inbox
 * (the test database: call useTestDatabase() in the file), the handler's replies go to the
 * outbox, and the dispatcher sends them through the Telegram outbound to the fake.
 */
export async function startHarness(
  mode: 'polling' | 'webhook',
  opts: { fake?: FakeTelegramOptions; channel?: Partial<TelegramChannelOptions>; handler?: ScriptedHandler; rateLimits?: Partial<ChannelRateLimits> } = {},
): Promise<Harness> {
  // Each fake Bot API counts update_ids from 1 again: start from an empty inbox and outbox.
  await InboxModel.deleteMany({});
  await OutboxModel.deleteMany({});
  const fake = await startFakeTelegram({ token: TOKEN, webhook: { retryBaseMs: 20, retryMaxMs: 200 }, ...opts.fake });
  const handler = opts.handler ?? new ScriptedHandler();
  const logger = pino({ level: 'silent' });
  const channels = new ChannelRegistry();
  const dispatcher = new Dispatcher({ channels, logger, pollIntervalMs: 100, backoff: { baseMs: 100, maxMs: 2000 } });
  const inbox = new Inbox({
    logger,
    pollIntervalMs: 200,
    handle: async (m) => {
      const replies = await handler.handle(m);
      if (!replies?.length) return;
      const ids = await enqueue(
        [{ id: `reply:${m.channel}:${m.messageId}`, kind: 'reply', channel: m.channel, to: m.platformUserId, messages: replies, replyTo: m.replyTo ?? null }],
        { claimFor: dispatcher.claimFor },
      );
      dispatcher.wake(ids);
    },
  });
  let server: Server | undefined;
  let appUrl: string | undefined;
  const make = (store?: MemoryPromptStore) => {
    const promptStore = store ?? new MemoryPromptStore();
    const common = {
      token: TOKEN,
      apiRoot: fake.apiRoot,
      inbox,
      setBlocked: (address: Address, blocked: boolean) => handler.setBlocked(address, blocked),
      logger,
      promptStore,
      ...opts.channel,
    };
    const channel =
      mode === 'webhook'
        ? createTelegramChannel({ ...common, webhookUrl: `${appUrl}/telegram/webhook`, webhookSecret: SECRET })
        : createTelegramChannel({ ...common, pollingTimeoutSeconds: 2 });
    channels.register(createTelegramOutbound({ api: channel.api, logger, promptStore: channel.promptStore, ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}) }));
    return channel;
  };
  let channel: TelegramChannel;
  const app = express();
  if (mode === 'webhook') {
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  channel = make();
  // One route that always calls the current channel, so a restart swaps it in place.
  if (mode === 'webhook') app.post('/telegram/webhook', (req, res, next) => channel.webhookHandler()(req, res, next));
  inbox.start();
  dispatcher.start();
  await channel.start();
  const harness: Harness = {
    fake,
    channel,
    handler,
    inbox,
    dispatcher,
    ...(appUrl ? { appUrl } : {}),
    async restart() {
      await channel.stop();
      channel = make();
      harness.channel = channel;
      await channel.start();
    },
    async close() {
      await channel.stop();
      await inbox.stop();
      await dispatcher.stop();
      await fake.close();
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
    },
  };
  return harness;
}
