/**
 * Plays a person talking to the real conversation service (real flows, translations and
 * database), as the web channel would deliver their messages. Reads what they would see.
 *
 * Buttons are pressed by id where the id is stable (yes/no, send, a flow id, a village code),
 * so texts being reworded elsewhere don't break these tests.
 */
import { randomUUID } from 'node:crypto';
import type { i18n as I18n } from 'i18next';
import { ConversationService } from '../../src/conversation/service.js';
import type { ChannelName, InboundContent, OutboundMessage } from '../../src/messages/index.js';
import { MemberModel, OutboxModel } from '../../src/db/models.js';
import { loadFlows, NO_ID, SEND_ID, YES_ID, type Flow } from '../../src/engine/index.js';
import { createI18n, translatorFor, type Translate } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { flowsDir } from '../../src/paths.js';
import { planProgressExtension } from '../../src/workspace/plan-progress.js';
import { proxyHandOffExtension } from '../../src/workspace/proxy-handoff.js';
import { combineExtensions } from '../../src/conversation/extensions.js';

let shared: { flows: Map<string, Flow>; i18n: I18n } | null = null;

export async function loadRealFlows(): Promise<{ flows: Map<string, Flow>; i18n: I18n }> {
  shared ??= { flows: await loadFlows(flowsDir), i18n: await createI18n() };
  return shared;
}

/** The real translations, to assert on the bot's own texts rather than copies of them. */
export async function translator(language = 'id'): Promise<Translate> {
  return translatorFor((await loadRealFlows()).i18n, language);
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
  // Plan progress and the hand-off of isi-untuk-warga are extensions in the product too (src/service.ts wires them).
  return new ConversationService({ flows, i18n, logger: createLogger({ level: 'silent' }), timeZone: 'Asia/Jayapura', runExpiryHours, now: clock.now, extensions: combineExtensions(planProgressExtension(), proxyHandOffExtension(flows)) });
}

export class ChatUser {
  readonly id: string;
  /** Everything the bot said to this person, in order. */
  readonly seen: OutboundMessage[] = [];
  last: OutboundMessage[] = [];
  /** The id of the last message this person sent. */
  lastMessageId = '';

  constructor(
    public service: ConversationService,
    id?: string,
    private readonly languageHint = 'id',
    readonly channel: ChannelName = 'web',
  ) {
    this.id = id ?? `user-${randomUUID().slice(0, 8)}`;
  }

  async send(content: InboundContent, messageId: string = randomUUID()): Promise<OutboundMessage[] | null> {
    this.lastMessageId = messageId;
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

  /** Presses the button with this id on the last prompt (it must be offered). */
  pressId(choiceId: string) {
    const prompt = this.prompt;
    if (!prompt.choices?.some((c) => c.id === choiceId)) {
      throw new Error(`no button "${choiceId}" in: ${JSON.stringify(prompt.choices?.map((c) => c.id))} (${prompt.text})`);
    }
    return this.send({ kind: 'choice', promptSeq: prompt.promptSeq ?? 0, choiceId });
  }

  yes() {
    return this.pressId(YES_ID);
  }

  no() {
    return this.pressId(NO_ID);
  }

  /** All text of the last replies, joined. */
  get lastText(): string {
    return this.last.map((m) => m.text).join('\n---\n');
  }

  /** The member document as stored (null when there is none). */
  member() {
    return MemberModel.findOne({ channel: this.channel, platformUserId: this.id }).lean();
  }

  /** The active run as stored on the member (null when there is none). */
  async run() {
    return (await this.member())?.run ?? null;
  }

  /** Where the active run stands: a question id, 'summary', 'more', 'change', or null without a run. */
  async at(): Promise<string | null> {
    const p = (await this.run())?.state.position as { at: string; id?: string } | null | undefined;
    if (!p) return null;
    return p.at === 'question' ? p.id! : p.at;
  }

  /** Outbox entries addressed to this person. */
  outbox() {
    return OutboxModel.find({ channel: this.channel, to: this.id }).lean();
  }
}

export interface Registration {
  name?: string;
  kecamatan?: string;
  /** Typed, so a list being reordered or renumbered doesn't matter. */
  village?: string;
  role?: 'warga' | 'pokja' | 'fasilitator';
  code?: string;
}

/** Answers the registration up to its summary (not sent). */
export async function registerUntilSummary(user: ChatUser, r: Registration = {}) {
  await user.say('halo');
  await user.yes(); // consent
  await user.no(); // not under 17
  await user.say(r.name ?? 'Ibu Siti');
  await user.press(r.kecamatan ?? 'Teluk Waru');
  await user.say(r.village ?? 'Solang');
  await user.pressId(r.role ?? 'warga');
  if (r.code !== undefined) await user.say(r.code);
}

/** Registers a person (a resident of Solang by default); returns with the user at the main menu. */
export async function register(user: ChatUser, r: Registration = {}) {
  await registerUntilSummary(user, r);
  await user.pressId(SEND_ID);
}

/** Registers a resident of Solang; returns the user at the main menu. */
export async function registerAsWarga(user: ChatUser, name = 'Ibu Siti') {
  await register(user, { name });
}
