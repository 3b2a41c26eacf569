/**
 * Plays a person talking to the real conversation service (real flows, translations and
 * database), as the web channel would deliver their messages. Reads what they would see.
 */
import { randomUUID } from 'node:crypto';
import type { i18n as I18n } from 'i18next';
import { ConversationService } from '../../src/chat/conversation-service.js';
import type { ChannelName, InboundContent, OutboundMessage } from '../../src/chat/types.js';
import { loadFlows, type Flow } from '../../src/engine/index.js';
import { createI18n } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { flowsDir } from '../../src/paths.js';

let shared: { flows: Map<string, Flow>; i18n: I18n } | null = null;

export async function loadRealFlows(): Promise<{ flows: Map<string, Flow>; i18n: I18n }> {
  shared ??= { flows: await loadFlows(flowsDir), i18n: await createI18n() };
  return shared;
}

/** A settable clock, so a test can let two days pass. */
export class TestClock {
  constructor(public current = new Date('2026-11-27T02:00:00Z')) {}
  now = () => new Date(this.current);
  advanceHours(hours: number) {
    this.current = new Date(this.current.getTime() + hours * 3600_000);
  }
}

export async function createService(clock = new TestClock(), runExpiryHours = 168): Promise<ConversationService> {
  const { flows, i18n } = await loadRealFlows();
  return new ConversationService({ flows, i18n, logger: createLogger({ level: 'silent' }), timeZone: 'Asia/Jayapura', runExpiryHours, now: clock.now });
}

export class ChatUser {
  readonly id: string;
  /** Everything the bot said to this person, in order. */
  readonly seen: OutboundMessage[] = [];
  last: OutboundMessage[] = [];

  constructor(
    public service: ConversationService,
    id?: string,
    private readonly languageHint = 'id',
    readonly channel: ChannelName = 'web',
  ) {
    this.id = id ?? `user-${randomUUID().slice(0, 8)}`;
  }

  async send(content: InboundContent, messageId: string = randomUUID()): Promise<OutboundMessage[] | null> {
    const replies = await this.service.handle({
      channel: this.channel, platformUserId: this.id, messageId, receivedAt: new Date(), languageHint: this.languageHint, content,
    });
    if (replies) {
      this.last = replies;
      this.seen.push(...replies);
    }
    return replies;
  }

  say(text: string) {
    return this.send({ kind: 'text', text });
  }

  /** The last message that offered buttons. */
  get prompt(): OutboundMessage {
    const withChoices = [...this.last].reverse().find((m) => m.choices?.length) ?? this.last[this.last.length - 1];
    if (!withChoices) throw new Error('the bot said nothing');
    return withChoices;
  }

  /** Presses the button whose label matches (case-insensitive substring). */
  press(label: string | RegExp) {
    const prompt = this.prompt;
    const match = (l: string) => (typeof label === 'string' ? l.toLowerCase().includes(label.toLowerCase()) : label.test(l));
    const choice = prompt.choices?.find((c) => match(c.label));
    if (!choice) throw new Error(`no button "${String(label)}" in: ${JSON.stringify(prompt.choices?.map((c) => c.label))} (${prompt.text})`);
    return this.send({ kind: 'choice', promptSeq: prompt.promptSeq ?? 0, choiceId: choice.id });
  }

  pressId(choiceId: string) {
    return this.send({ kind: 'choice', promptSeq: this.prompt.promptSeq ?? 0, choiceId });
  }

  /** All text of the last replies, joined. */
  get lastText(): string {
    return this.last.map((m) => m.text).join('\n---\n');
  }
}

/** Registers a resident of Solang; returns the user at the main menu. */
export async function registerAsWarga(user: ChatUser, name = 'Ibu Siti') {
  await user.say('halo');
  await user.press('Ya'); // consent
  await user.press('Tidak'); // not under 17
  await user.say(name);
  await user.press('Teluk Waru');
  await user.say('Solan'); // a field spelling of Solang
  await user.press('Warga desa');
  await user.press('Kirim');
}

