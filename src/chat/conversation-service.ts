/**
 * The conversation service: every inbound message from every channel passes here.
 *   find the member (one read, or none: cached by rev) -> repeat? -> confirmations -> global
 *   commands -> the member's active run -> engine step -> writes -> replies to the outbox ->
 *   ONE guarded update of the member: new state, rev + 1, and the message's "handled" mark.
 *
 * Exactly once: the mark travels with the state it stands for, so a crash before the update
 * means the message is handled again from the inbox (src/pipeline/inbox.ts), and a crash after
 * it means the repeat is recognised. Every write before the update is idempotent: keyed by the
 * run id (submission), the message id (reply `reply:<channel>:<id>`, help request), or the
 * member (registration), so doing it twice changes nothing. No multi-document transactions.
 */
import type { i18n as I18n } from 'i18next';
import { Types } from 'mongoose';
import {
  AccessCodeModel, DataRequestModel, HelpRequestModel, MemberModel, OutboxModel, RunModel, SubmissionModel,
  VillageModel, VillagePlanModel, type Language, type Role,
} from '../db/models.js';
import { cancelRun, canStart, repromptRun, startRun, step, type Effect, type EngineInput, type Flow, type RunState, type StepContext, type StepResult } from '../engine/index.js';
import { normalizeCommandWord, parseYesNo } from '../engine/text.js';
import { translatorFor, type Translate } from '../i18n.js';
import type { Logger } from '../logging/logger.js';
import { enqueue, type EnqueueOptions } from '../pipeline/outbox.js';
import { deleteMemberData } from '../privacy/retention.js';
import { parseGlobalCommand, type GlobalCommand } from './commands.js';
import { ACTION_PROMPT_SEQ, proxyReporterName, type ChatExtensions, type HookContext, type MemberSnapshot } from './extensions.js';
import { applyPlanProgress } from './submission-effects.js';
import type { Address, InboundHandler, InboundMessage, OutboundMessage } from '../messages/index.js';
import { decodeVillagePayload } from './village-payload.js';

export const REGISTRATION_FLOW = 'daftar';
/** Filling a form for a resident who can't type: on submit it starts the chosen form on their behalf. */
export const PROXY_FLOW = 'isi-untuk-warga';
/** Buttons of the main menu carry this prompt number; flow prompts count on from 1. */
const MENU_SEQ = 0;
/** Yes/no buttons of the service's own confirmations (delete my data, cancel with answers). */
const CONFIRM_SEQ = -1;
/** "Minta dihubungi" and other buttons of the help message. */
const HELP_SEQ = -3;
/** How many recent inbound ids a member keeps as "handled" marks (repeats come soon after). */
const HANDLED_KEEP = 20;
/** Members kept in the cache (the people writing now; a cache miss costs one read). */
const MEMBER_CACHE_MAX = 5000;
/** Wrong access codes checked per person per hour. */
const CODE_FAILURES_PER_HOUR = 5;
/** Menu order: a flow keeps its number for every role (a resident simply doesn't see 3). */
const MENU_ORDER = ['profil-desa', 'laporan-risiko', 'kemajuan-kegiatan'];

interface AccessCodeEntry {
  id: string;
  code: string;
  role: string;
  villageCode: string | null;
  simulatorOnly: boolean;
}

export interface ActiveRun {
  id: Types.ObjectId;
  flowId: string;
  flowVersion: number;
  state: RunState;
  startedAt: Date;
  lastActivityAt: Date;
  expiresAt: Date;
  reminderSentAt: Date | null;
  /** Filled on behalf of a resident (PROXY_FLOW): the submission is theirs, entered by the member. */
  proxy?: ProxyEntry | null;
}

export interface ProxyEntry {
  forName: string;
  villageCode: string;
  consentAloud: true;
  consentAt: Date;
}

/** The member document as the service reads and writes it (plain, lean). */
export interface MemberState {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  name: string | null;
  villageCode: string | null;
  villageOther?: string | null;
  role: Role;
  language: Language;
  consent: { version: string; givenAt: Date; guardianConsent?: boolean } | null;
  registeredAt: Date | null;
  optedOut: boolean;
  blocked: boolean;
  lastInboundAt: Date | null;
  pendingConfirmation: 'deletedata' | 'cancel' | null;
  roleCodeId?: Types.ObjectId | null;
  codeFailures?: { count: number; since: Date | null };
  run: ActiveRun | null;
  promptSeq: number;
  handled: string[];
  rev: number;
}

export interface ConversationServiceOptions {
  flows: Map<string, Flow>;
  i18n: I18n;
  logger: Logger;
  timeZone: string;
  runExpiryHours: number;
  /** The clock, injectable so tests can jump days ahead. */
  now?: () => Date;
  extensions?: ChatExtensions;
  /** Older versions of flows (re-imported forms): a run finishes on the version it started with. */
  flowForRun?: (flowId: string, version: number) => Flow | undefined;
  /** How replies are written to the outbox (pre-claimed for this process's dispatcher) and announced. */
  outbox?: { claimFor?: EnqueueOptions['claimFor']; onEnqueued?: (ids: string[]) => void };
}

/** The outcome of handling one message, before it is committed. */
class Turn {
  readonly replies: OutboundMessage[] = [];
  /** Fields of the member to set in the final guarded update. */
  readonly set: Partial<MemberState> = {};
  deleteMember: 'forget' | 'delete-request' | null = null;

  constructor(public member: MemberState) {}

  /** The member as it will be after this turn. */
  get view(): MemberState {
    return { ...this.member, ...this.set };
  }

  update(fields: Partial<MemberState>): void {
    Object.assign(this.set, fields);
  }

  say(...messages: OutboundMessage[]): void {
    this.replies.push(...messages);
  }
}

export class ConversationService implements InboundHandler {
  private readonly flows: Map<string, Flow>;
  private readonly i18n: I18n;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly ext: ChatExtensions;
  /** One message at a time per member within this process; across processes the rev guard holds. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Members as last written by this process: a message needs no read when nobody else wrote since. */
  private readonly cache = new Map<string, MemberState>();
  private villageCache: { at: number; villages: StepContext['data']['villages'] } | null = null;
  private codeCache: { at: number; codes: AccessCodeEntry[] } | null = null;
  private villagesLoading: Promise<StepContext['data']['villages']> | null = null;
  private codesLoading: Promise<AccessCodeEntry[]> | null = null;

  constructor(private readonly options: ConversationServiceOptions) {
    this.flows = options.flows;
    this.i18n = options.i18n;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.ext = options.extensions ?? {};
  }

  /**
   * Handles one message and returns what the person is told, or null for a repeat. The replies
   * are in the outbox (`reply:<channel>:<messageId>`) before this resolves. Throws when the
   * database fails: nothing was committed, and the same message can be handled again.
   */
  async handle(message: InboundMessage): Promise<OutboundMessage[] | null> {
    const key = memberKey(message.channel, message.platformUserId);
    const previous = this.queues.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.handleNow(message));
    current.catch(() => undefined); // the caller gets the error; the queue must not reject unhandled
    this.queues.set(key, current);
    try {
      return await current;
    } finally {
      if (this.queues.get(key) === current) this.queues.delete(key);
    }
  }

  async setBlocked(address: Address, blocked: boolean): Promise<void> {
    this.cache.delete(memberKey(address.channel, address.platformUserId));
    await MemberModel.updateOne({ channel: address.channel, platformUserId: address.platformUserId }, { $set: { blocked }, $inc: { rev: 1 } });
  }

  /** Forget cached members (another writer changed them, e.g. a sweep in this process). */
  invalidate(channel?: string, platformUserId?: string): void {
    if (channel && platformUserId) this.cache.delete(memberKey(channel, platformUserId));
    else this.cache.clear();
  }

  private async handleNow(message: InboundMessage): Promise<OutboundMessage[] | null> {
    const key = memberKey(message.channel, message.platformUserId);
    for (let attempt = 0; ; attempt++) {
      const member = this.cache.get(key) ?? (await this.loadMember(message));
      if (member.handled.includes(message.messageId)) return null;
      const turn = new Turn(member);
      await this.respond(turn, message);
      const replies = turn.replies.map((reply) => ({ ...reply, language: turn.view.language }));
      const replyId = `reply:${message.channel}:${message.messageId}`;
      const written = replies.length
        ? await enqueue(
            [{ id: replyId, kind: 'reply', channel: message.channel, to: message.platformUserId, memberId: member._id, messages: replies, replyTo: message.replyTo ?? null }],
            { now: this.now(), ...(this.options.outbox?.claimFor ? { claimFor: this.options.outbox.claimFor } : {}) },
          )
        : [];
      if (turn.deleteMember) {
        await this.deleteMember(turn, message);
        this.cache.delete(key);
        this.options.outbox?.onEnqueued?.(written);
        return replies;
      }
      const committed = await this.commit(turn, message);
      if (committed) {
        this.remember(key, committed);
        this.options.outbox?.onEnqueued?.(written);
        return replies;
      }
      // Someone else changed the member meanwhile (another instance, a sweep): take back the
      // replies computed from the old state, read again and redo the step. Unless that someone
      // handled this very message (its lease ran out on us): its reply write found ours and its
      // commit relies on it, so ours stands and goes out.
      this.cache.delete(key);
      if (written.length) {
        const fresh = await MemberModel.collection.findOne({ _id: member._id }, { projection: { handled: 1 } });
        if ((fresh?.handled as string[] | undefined)?.includes(message.messageId)) {
          this.options.outbox?.onEnqueued?.(written);
          return null;
        }
        await this.withdrawReply(replyId);
      }
      if (attempt >= 3) throw new Error('member changed underneath four times in a row');
    }
  }

  /**
   * Caches a member as committed. Bounded (least recently written goes first): a read saved per
   * message is worth a few KB for the people writing now, not for everyone who ever wrote.
   * Stored detached (see detachIds): otherwise each cached member pins 8 KB pool slabs.
   */
  private remember(key: string, member: MemberState): void {
    this.cache.delete(key); // re-insert: the Map's order is the age used to bound it
    this.cache.set(key, detachIds(member));
    if (this.cache.size > MEMBER_CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
  }

  private async loadMember(message: InboundMessage): Promise<MemberState> {
    const now = this.now();
    const doc = await MemberModel.collection.findOneAndUpdate(
      { channel: message.channel, platformUserId: message.platformUserId },
      {
        $setOnInsert: {
          channel: message.channel,
          platformUserId: message.platformUserId,
          name: null, villageCode: null, villageOther: null, role: 'warga',
          language: languageFromHint(message.languageHint),
          consent: null, registeredAt: null, optedOut: false, blocked: false, lastInboundAt: now,
          pendingConfirmation: null, roleCodeId: null, codeFailures: { count: 0, since: null },
          run: null, promptSeq: 0, handled: [], rev: 0, createdAt: now, updatedAt: now,
        },
      },
      { upsert: true, returnDocument: 'after' },
    );
    if (!doc) throw new Error('member upsert returned nothing');
    return normalizeMember(doc as unknown as MemberState);
  }

  /** One update: the state, the handled mark, rev + 1; null when rev moved on (someone else wrote). */
  private async commit(turn: Turn, message: InboundMessage): Promise<MemberState | null> {
    const now = this.now();
    const handled = [...turn.member.handled.slice(-(HANDLED_KEEP - 1)), message.messageId];
    const set: Record<string, unknown> = { ...turn.set, handled, lastInboundAt: now, updatedAt: now };
    if (turn.member.blocked) set.blocked = false; // they wrote to us: not blocked any more
    const doc = await MemberModel.collection.findOneAndUpdate(
      { _id: turn.member._id, rev: turn.member.rev },
      { $set: set, $inc: { rev: 1 } },
      { returnDocument: 'after' },
    );
    return doc ? normalizeMember(doc as unknown as MemberState) : null;
  }

  private async withdrawReply(replyId: string): Promise<void> {
    await OutboxModel.deleteOne({ _id: replyId, sentCount: 0, status: { $in: ['pending', 'sending'] } });
  }

  // ---- what to answer ---------------------------------------------------------------

  private async respond(turn: Turn, message: InboundMessage): Promise<void> {
    const member = turn.member;
    const t = this.t(member);
    const content = message.content;
    const now = this.now();

    // The service's own yes/no questions: a tap on their buttons, or a typed yes/no.
    if (member.pendingConfirmation) {
      const tapped = content.kind === 'choice' && content.promptSeq === CONFIRM_SEQ ? content.choiceId === 'yes' : undefined;
      const typed = content.kind === 'text' ? parseYesNo(content.text) : undefined;
      const answer = tapped ?? typed;
      const pending = member.pendingConfirmation;
      turn.update({ pendingConfirmation: null });
      if (answer === true && pending === 'deletedata') {
        turn.deleteMember = 'delete-request';
        turn.say({ text: t('bot:delete.done') });
        return;
      }
      if (answer === true && pending === 'cancel' && member.run) {
        this.cancel(turn);
        turn.say({ text: t('bot:cancel.done', { flow: this.flowTitle(member.run.flowId, t) }) }, ...this.menu(turn.view));
        return;
      }
      if (answer !== undefined || (content.kind === 'choice' && content.promptSeq === CONFIRM_SEQ)) {
        turn.say({ text: pending === 'deletedata' ? t('bot:delete.kept') : t('bot:cancel.kept') }, ...(await this.idleOrReprompt(turn)));
        return;
      }
      // Anything else: the question is dropped and the message is taken as it is.
    } else if (content.kind === 'choice' && content.promptSeq === CONFIRM_SEQ) {
      turn.say({ text: t('bot:menu.staleButton') }, ...(await this.idleOrReprompt(turn)));
      return;
    }

    if (content.kind === 'choice' && content.promptSeq === HELP_SEQ) {
      if (content.choiceId === 'contact') return this.requestHelp(turn, message);
      turn.say(...(await this.idleOrReprompt(turn)));
      return;
    }
    if (content.kind === 'choice' && content.promptSeq === ACTION_PROMPT_SEQ) {
      const [prefix, ...rest] = content.choiceId.split(':');
      const action = prefix && Object.hasOwn(this.ext.actions ?? {}, prefix) ? this.ext.actions![prefix] : undefined;
      if (action && this.isRegistered(member)) {
        turn.say(...(await action(this.hookContext(turn, message), rest.join(':'))));
        return;
      }
      turn.say({ text: t('bot:menu.staleButton') }, ...(await this.idleOrReprompt(turn)));
      return;
    }

    if (content.kind === 'text') {
      const command = parseGlobalCommand(content.text);
      if (command) return this.runCommand(turn, command, message);
      const extension = this.isRegistered(member) ? this.extensionCommand(content.text, member) : undefined;
      if (extension) return this.runExtensionCommand(turn, extension, content.text, message);
    }
    if (content.kind === 'unsupported') {
      turn.say({ text: t(content.what === 'invalid-location' ? 'bot:errors.badLocation' : 'bot:errors.unsupported') }, ...(await this.idleOrReprompt(turn)));
      return;
    }

    const run = member.run;
    if (run && run.expiresAt.getTime() <= now.getTime()) {
      // The sweep may not have run yet: expire it now, answers kept as a draft.
      await archiveRun(member._id, run, now);
      turn.update({ run: null });
      turn.say({ text: t('bot:run.expired') });
      if (this.isRegistered(member)) turn.say(...this.menu(turn.view));
      else await this.startFlow(turn, REGISTRATION_FLOW, message);
      return;
    }

    if (!this.isRegistered(member)) {
      if (run?.flowId === REGISTRATION_FLOW) return this.advance(turn, content as EngineInput, message);
      return this.startFlow(turn, REGISTRATION_FLOW, message);
    }
    if (run && content.kind === 'choice' && content.promptSeq === MENU_SEQ) {
      // A menu button while a run is paused: its own flow continues it; another flow waits.
      if (content.choiceId !== run.flowId) turn.say({ text: t('bot:menu.finishFirst', { flow: this.flowTitle(run.flowId, t) }) });
      turn.say(...(await this.reprompt(turn)));
      return;
    }
    if (run) return this.advance(turn, content as EngineInput, message);
    return this.fromMenu(turn, message);
  }

  // ---- global commands ---------------------------------------------------------------

  private async runCommand(turn: Turn, command: GlobalCommand, message: InboundMessage): Promise<void> {
    const member = turn.member;
    const t = this.t(member);
    const run = member.run;
    switch (command.name) {
      case 'menu':
        if (!this.isRegistered(member)) return void turn.say(...(await this.idleOrReprompt(turn)));
        return void turn.say(...this.menu(member, run ? t('bot:menu.runPaused', { flow: this.flowTitle(run.flowId, t) }) : undefined));
      case 'cancel': {
        if (!run) return void turn.say({ text: t('bot:cancel.nothing') }, ...(await this.idleOrReprompt(turn)));
        if (!this.isRegistered(member) && !hasAnswers(run)) {
          // Registration cancelled before anything was said: nothing about this person is kept.
          turn.deleteMember = 'forget';
          return void turn.say({ text: t('bot:cancel.registration') });
        }
        if (hasAnswers(run)) {
          // Answers would be lost: ask first.
          turn.update({ pendingConfirmation: 'cancel' });
          return void turn.say(this.confirmation(t('bot:cancel.confirm', { flow: this.flowTitle(run.flowId, t) }), t('bot:cancel.yes'), t('bot:cancel.no')));
        }
        this.cancel(turn);
        return void turn.say({ text: t('bot:cancel.done', { flow: this.flowTitle(run.flowId, t) }) }, ...this.menuIfRegistered(turn));
      }
      case 'back':
        if (!run) return void turn.say(...(await this.idleOrReprompt(turn)));
        return this.advance(turn, { kind: 'back' }, message);
      case 'help':
        return void turn.say(
          {
            text: t('bot:help.text'),
            choices: [
              { id: 'contact', label: t('bot:help.contact') },
              { id: 'continue', label: t(run ? 'bot:help.continue' : 'bot:help.toMenu') },
            ],
            promptSeq: HELP_SEQ,
            expect: 'choice',
          },
        );
      case 'privacy':
        return void turn.say({ text: t('daftar:consent.full', { defaultValue: t('bot:privacy.text') }) }, ...(await this.idleOrReprompt(turn)));
      case 'language': {
        const language: Language = member.language === 'id' ? 'en' : 'id';
        turn.update({ language });
        const t2 = this.t(turn.view);
        return void turn.say({ text: t2('bot:language.changed') }, ...(await this.idleOrReprompt(turn)));
      }
      case 'stop':
        if (!this.isRegistered(member)) {
          turn.deleteMember = 'forget';
          return void turn.say({ text: t('bot:stop.unregistered') });
        }
        turn.update({ optedOut: true });
        return void turn.say({ text: t('bot:stop.done') });
      case 'start': {
        if (!this.isRegistered(member)) {
          if (run?.flowId === REGISTRATION_FLOW && !command.payload) return void turn.say(...(await this.reprompt(turn)));
          if (run) this.cancel(turn);
          return this.startFlow(turn, REGISTRATION_FLOW, message, command.payload);
        }
        const wasOptedOut = member.optedOut;
        if (wasOptedOut) turn.update({ optedOut: false });
        const intro = wasOptedOut ? t('bot:start.resumed') : t('bot:start.welcomeBack', { name: member.name ?? '' });
        if (run) return void turn.say({ text: intro }, ...(await this.reprompt(turn)));
        return void turn.say(...this.menu(member, intro));
      }
      case 'mydata':
        turn.say(...(await this.showMemberData(member, t)));
        if (run) turn.say(...(await this.reprompt(turn)));
        return;
      case 'deletedata':
        if (!this.isRegistered(member) && !run) return void turn.say({ text: t('bot:mydata.none') });
        turn.update({ pendingConfirmation: 'deletedata' });
        return void turn.say(this.confirmation(t('bot:delete.confirm'), t('bot:delete.yes'), t('bot:delete.no')));
    }
  }

  /**
   * A feature's command: its word, for a role that may use it, followed by nothing or by what the
   * command takes. During a flow only the word alone. Anything else stays an answer or a menu pick
   * ("laporan risiko" picks the risk report; "jadwal tanam bergeser" answers the question).
   */
  private extensionCommand(text: string, member: MemberState) {
    const [word = '', ...rest] = normalizeCommandWord(text).split(' ');
    const args = rest.join(' ');
    if (member.run && args) return undefined;
    return (this.ext.commands ?? []).find((c) => c.words.includes(word) && c.roles.includes(member.role) && (!args || (c.args?.test(args) ?? false)));
  }

  private async runExtensionCommand(turn: Turn, command: NonNullable<ReturnType<ConversationService['extensionCommand']>>, text: string, message: InboundMessage): Promise<void> {
    const member = turn.member;
    const t = this.t(member);
    if (member.run) return void turn.say({ text: t('bot:menu.finishFirst', { flow: this.flowTitle(member.run.flowId, t) }) }, ...(await this.reprompt(turn)));
    const args = normalizeCommandWord(text).split(' ').slice(1).join(' ');
    const result = await command.run({ ...this.hookContext(turn, message), args });
    if (Array.isArray(result)) return void turn.say(...result);
    return this.startFlow(turn, result.startFlow, message);
  }

  private confirmation(text: string, yes: string, no: string): OutboundMessage {
    return { text, choices: [{ id: 'yes', label: yes }, { id: 'no', label: no }], promptSeq: CONFIRM_SEQ, expect: 'choice' };
  }

  private async requestHelp(turn: Turn, message: InboundMessage): Promise<void> {
    const member = turn.member;
    const t = this.t(member);
    const position = member.run?.state.position;
    const context = member.run ? `${member.run.flowId}${position && position.at === 'question' ? `/${position.id}` : ''}` : null;
    await HelpRequestModel.updateOne(
      { _id: `help:${message.channel}:${message.messageId}` },
      { $setOnInsert: { memberId: member._id, villageCode: member.villageCode, channel: member.channel, context, status: 'baru', requestedAt: this.now() } },
      { upsert: true },
    );
    const extra = (await this.ext.onHelpRequest?.(this.hookContext(turn, message), { id: `help:${message.channel}:${message.messageId}`, context })) ?? [];
    turn.say({ text: extra.length ? t('bot:help.requestedTold') : t('bot:help.requested') }, ...extra, ...(await this.idleOrReprompt(turn)));
  }

  // ---- runs -------------------------------------------------------------------------

  private async startFlow(turn: Turn, flowId: string, message: InboundMessage, startPayload?: string, proxy?: ProxyEntry): Promise<void> {
    const member = turn.view;
    const flow = this.flow(flowId);
    const preset: Record<string, unknown> = {};
    if (flowId === REGISTRATION_FLOW && startPayload) {
      const villageCode = decodeVillagePayload(startPayload);
      const village = villageCode ? (await this.villages()).find((v) => v.code === villageCode) : undefined;
      if (village) Object.assign(preset, { kecamatan: village.kecamatan, village: village.code });
    }
    const ctx = await this.context(member, flow, preset);
    ctx.firstPromptSeq = member.promptSeq;
    const result = startRun(flow, ctx);
    const now = this.now();
    const run: ActiveRun = {
      id: new Types.ObjectId(),
      flowId: flow.id,
      flowVersion: flow.version,
      state: result.state,
      startedAt: now,
      lastActivityAt: now,
      expiresAt: this.expiry(now),
      reminderSentAt: null,
      ...(proxy ? { proxy } : {}),
    };
    turn.update({ run });
    await this.afterStep(turn, run, result, message);
  }

  private async advance(turn: Turn, input: EngineInput, message: InboundMessage): Promise<void> {
    const member = turn.view;
    const run = member.run!;
    const flow = this.flowForRun(run);
    const t = this.t(member);
    const atCode = run.flowId === REGISTRATION_FLOW && run.state.position?.at === 'question' && run.state.position.id === 'role_code';
    if (atCode && input.kind === 'text' && this.codeFailuresThisHour(member) >= CODE_FAILURES_PER_HOUR) {
      // Guessing codes: no more checks this hour, kindly.
      return void turn.say({ text: t('bot:codes.tooMany') }, ...(await this.reprompt(turn)));
    }
    const ctx = await this.context(member, flow);
    const result = step(flow, run.state, input, ctx);
    if (atCode && input.kind === 'text' && result.state.failures > run.state.failures) {
      // Counted within the hour that began with the first wrong code.
      const count = this.codeFailuresThisHour(member);
      turn.update({ codeFailures: count ? { count: count + 1, since: member.codeFailures!.since } : { count: 1, since: this.now() } });
    }
    await this.afterStep(turn, { ...run, state: result.state }, result, message);
  }

  private async reprompt(turn: Turn): Promise<OutboundMessage[]> {
    const member = turn.view;
    const run = member.run;
    if (!run) return [];
    const flow = this.flowForRun(run);
    const result = repromptRun(flow, run.state, await this.context(member, flow));
    turn.update({ run: { ...run, state: result.state }, promptSeq: Math.max(member.promptSeq, result.state.promptSeq) });
    return result.messages;
  }

  /** Applies an engine result: the run moves on or ends, a submission is stored, replies follow. */
  private async afterStep(turn: Turn, run: ActiveRun, result: StepResult, message: InboundMessage): Promise<void> {
    const now = this.now();
    const member = turn.view;
    const t = this.t(member);
    const ended = result.effects.find((e): e is Extract<Effect, { type: 'ended' }> => e.type === 'ended');
    const submit = result.effects.find((e): e is Extract<Effect, { type: 'submit' }> => e.type === 'submit');
    turn.update({ promptSeq: Math.max(member.promptSeq, result.state.promptSeq) });
    turn.say(...result.messages);

    if (!ended) {
      turn.update({ run: { ...run, state: result.state, lastActivityAt: now, expiresAt: this.expiry(now), reminderSentAt: null } });
      return;
    }
    turn.update({ run: null });
    if (submit) {
      if (submit.flowId === REGISTRATION_FLOW) {
        await this.register(turn, submit, run, message);
      } else if (submit.flowId === PROXY_FLOW && !run.proxy) {
        // The consent given aloud is kept as this flow's submission; the chosen form follows at once.
        await this.storeSubmission(member, run, submit, message);
        const a = submit.answers;
        const form = typeof a.form === 'string' ? this.options.flows.get(a.form) : undefined;
        if (form && a.consent_aloud === true && typeof a.resident_name === 'string' && typeof a.village === 'string') {
          return this.startFlow(turn, form.id, message, undefined, { forName: a.resident_name, villageCode: a.village, consentAloud: true, consentAt: now });
        }
      } else {
        const submissionId = await this.storeSubmission(member, run, submit, message);
        await applyPlanProgress(member, submit, now);
        const hook = this.hookContext(turn, message);
        // Entered for a resident: hooks (alerts) name the resident, reached through the member.
        if (run.proxy) hook.member = { ...hook.member, name: proxyReporterName(run.proxy.forName, member.name) };
        const extra = await this.ext.onSubmit?.(hook, {
          id: submissionId,
          flowId: submit.flowId,
          flowVersion: submit.flowVersion,
          villageCode: run.proxy?.villageCode ?? member.villageCode,
          answers: submit.answers,
          display: submit.display,
        });
        if (extra) turn.say(...extra);
      }
      turn.say(...this.menu(turn.view));
      return;
    }
    if (ended.outcome === 'declined' && run.flowId === REGISTRATION_FLOW) {
      if (this.isRegistered(member)) {
        // Re-registration only ever corrects: saying no keeps everything as it was.
        turn.say({ text: t('bot:reregister.cancelled') }, ...this.menu(turn.view));
      } else {
        turn.deleteMember = 'forget';
      }
      return;
    }
    turn.say(...this.menuIfRegistered(turn));
  }

  /** Registration: the member's own fields change in the same update as the run ends. */
  private async register(turn: Turn, submit: Extract<Effect, { type: 'submit' }>, run: ActiveRun, message: InboundMessage): Promise<void> {
    const member = turn.member;
    const t = this.t(member);
    const a = submit.answers;
    const now = this.now();
    let role: Role = a.role === 'pokja' || a.role === 'fasilitator' ? (a.role as Role) : 'warga';
    let roleCodeId: Types.ObjectId | null = null;
    if (role !== 'warga') {
      // The flow keeps the granting code's id (keepAs: roleCodeId), never the code itself.
      const codeId = typeof a.roleCodeId === 'string' ? a.roleCodeId : null;
      roleCodeId = codeId && Types.ObjectId.isValid(codeId) ? await this.consumeCode(codeId, member._id, role, a.village) : null;
      if (!roleCodeId) {
        // Used up or expired between the question and "kirim": registered as a resident, and told.
        turn.say({ text: t('bot:codes.usedUp', { role: t(`bot:roles.${role}`) }) });
        role = member.role === 'pokja' || member.role === 'fasilitator' || member.role === 'admin' ? member.role : 'warga';
        roleCodeId = member.roleCodeId ?? null;
      }
    } else if (member.role !== 'warga' && member.roleCodeId) {
      role = 'warga'; // choosing "warga" when correcting gives the higher role up
    }
    const village = typeof a.village === 'string' && a.village !== '__other__' ? a.village : null;
    const villageOther = typeof a.village_other === 'string' ? a.village_other : null;
    await this.storeSubmission({ ...turn.view, villageCode: village }, run, submit, message);
    turn.update({
      name: typeof a.name === 'string' ? a.name : null,
      villageCode: village,
      villageOther,
      role,
      roleCodeId,
      consent: member.consent && this.isRegistered(member)
        ? member.consent
        : { version: `daftar v${submit.flowVersion}`, givenAt: now, guardianConsent: a.guardian_consent === true },
      registeredAt: member.registeredAt ?? now,
    });
  }

  private async storeSubmission(member: MemberState, run: ActiveRun, submit: Extract<Effect, { type: 'submit' }>, message: InboundMessage): Promise<Types.ObjectId> {
    const villageCode = run.proxy?.villageCode ?? member.villageCode;
    const village = villageCode ? (await this.villages()).find((v) => v.code === villageCode) : undefined;
    const res = await SubmissionModel.collection.findOneAndUpdate(
      { runId: run.id },
      {
        $setOnInsert: {
          runId: run.id,
          // For a resident without the bot the submission is theirs (by name), entered by the member.
          memberId: run.proxy ? null : member._id,
          villageCode,
          villageName: village?.name ?? null,
          flowId: submit.flowId,
          flowVersion: submit.flowVersion,
          channel: message.channel,
          language: member.language,
          answers: submit.answers,
          display: submit.display,
          submittedAt: this.now(),
          review: { status: 'baru', note: null, reviewedAt: null },
          proxy: run.proxy ? { enteredBy: member._id, forName: run.proxy.forName, consentAloud: true, consentAt: run.proxy.consentAt } : null,
          createdAt: this.now(),
          updatedAt: this.now(),
        },
      },
      { upsert: true, returnDocument: 'after', projection: { _id: 1 } },
    );
    return (res as unknown as { _id: Types.ObjectId })._id;
  }

  /** Ends a run without a submission; the engine empties its answers, so nothing is kept. */
  private cancel(turn: Turn): void {
    const run = turn.view.run;
    if (!run) return;
    const flow = this.flowForRun(run);
    cancelRun(flow, run.state, this.syncContext(turn.view));
    turn.update({ run: null });
  }

  // ---- menu -------------------------------------------------------------------------

  /** Every flow in menu order (registration last); a member sees those their role may start. */
  private menuFlows(): Flow[] {
    // Residents' flows first, then registration, then staff-only flows: a resident's numbers have no gaps.
    const rank = (f: Flow) =>
      MENU_ORDER.includes(f.id) ? MENU_ORDER.indexOf(f.id) : f.id === REGISTRATION_FLOW ? 1000 : canStart(f, 'warga') || canStart(f, 'pokja') ? 100 : 2000;
    return [...this.flows.values()].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  }

  private availableFlows(member: MemberState): { flow: Flow; number: number }[] {
    return this.menuFlows()
      .map((flow, i) => ({ flow, number: i + 1 }))
      .filter(({ flow }) => flow.id === REGISTRATION_FLOW || canStart(flow, member.role));
  }

  private menu(member: MemberState, intro?: string): OutboundMessage[] {
    const t = this.t(member);
    const items = this.availableFlows(member);
    const label = (flow: Flow) => (flow.id === REGISTRATION_FLOW ? t('bot:menu.reregister') : t(`${flow.namespace}:${flow.title}`));
    const lines = items.map(({ flow, number }) => `${number}. ${label(flow)}`);
    const choices = items.map(({ flow, number }) => ({ id: flow.id, label: `${number}. ${label(flow)}` }));
    return [{ text: [intro, `${t('bot:menu.prompt')}\n${lines.join('\n')}`, t('bot:menu.footer')].filter(Boolean).join('\n\n'), choices, promptSeq: MENU_SEQ, expect: 'choice' }];
  }

  private menuIfRegistered(turn: Turn): OutboundMessage[] {
    return this.isRegistered(turn.view) ? this.menu(turn.view) : [];
  }

  /** A message when no run is active: a menu pick (button, number or name), else the menu again. */
  private async fromMenu(turn: Turn, message: InboundMessage): Promise<void> {
    const member = turn.member;
    const t = this.t(member);
    const items = this.availableFlows(member);
    const content = message.content;
    let picked: Flow | undefined;
    if (content.kind === 'choice') {
      if (content.promptSeq !== MENU_SEQ) return void turn.say(...this.menu(member, t('bot:menu.staleButton')));
      picked = items.find(({ flow }) => flow.id === content.choiceId)?.flow;
    } else if (content.kind === 'text') {
      const typed = normalizeCommandWord(content.text).replace(/[.)]$/, '');
      picked = /^\d+$/.test(typed)
        ? items.find(({ number }) => number === Number(typed))?.flow
        : items.find(({ flow }) => flow.id === typed || normalizeCommandWord(t(`${flow.namespace}:${flow.title}`)) === typed)?.flow;
    }
    if (!picked) return void turn.say(...this.menu(member, content.kind === 'text' ? t('bot:menu.notUnderstood') : undefined));
    return this.startFlow(turn, picked.id, message);
  }

  private async idleOrReprompt(turn: Turn): Promise<OutboundMessage[]> {
    const member = turn.view;
    if (member.run) return this.reprompt(turn);
    if (!this.isRegistered(member)) return [{ text: this.t(member)('bot:start.hint') }];
    return this.menu(member);
  }

  // ---- personal data (UU 27/2022) -------------------------------------------------------

  private async showMemberData(member: MemberState, t: Translate): Promise<OutboundMessage[]> {
    await DataRequestModel.create({ kind: 'access', channel: member.channel, memberRef: String(member._id), requestedAt: this.now(), completedAt: this.now() });
    if (!this.isRegistered(member)) return [{ text: t('bot:mydata.none') }];
    const village = member.villageCode ? await VillageModel.findOne({ code: member.villageCode }).lean() : null;
    const counts = await SubmissionModel.aggregate<{ _id: string; n: number }>([
      { $match: { memberId: member._id, flowId: { $ne: REGISTRATION_FLOW } } },
      { $group: { _id: '$flowId', n: { $sum: 1 } } },
    ]);
    const reports = counts.length ? counts.map((c) => `• ${this.flowTitle(c._id, t)}: ${c.n}`).join('\n') : t('bot:mydata.noReports');
    const text = t('bot:mydata.text', {
      name: member.name ?? '-',
      village: village ? `${village.name} (${village.kecamatan})` : member.villageOther ? `${member.villageOther} (${t('bot:mydata.villageUnmatched')})` : '-',
      role: t(`bot:roles.${member.role}`),
      language: t(`bot:languages.${member.language}`),
      consentDate: member.consent ? formatDate(member.consent.givenAt, this.options.timeZone) : '-',
      broadcasts: member.optedOut ? t('bot:mydata.broadcastsOff') : t('bot:mydata.broadcastsOn'),
      reports,
      reregister: t('bot:menu.reregister'),
    });
    return [{ text }];
  }

  private async deleteMember(turn: Turn, message: InboundMessage): Promise<void> {
    const member = turn.member;
    // The reply to this very message ("deleted", "nothing kept") is already in the outbox: it must still go out.
    const keepOutboxIds = [`reply:${message.channel}:${message.messageId}`];
    if (turn.deleteMember === 'delete-request') {
      const now = this.now();
      const request = await DataRequestModel.create({ kind: 'delete', channel: member.channel, memberRef: 'deleted', requestedAt: now });
      const result = await deleteMemberData(member, { keepReports: true, keepOutboxIds });
      await DataRequestModel.updateOne({ _id: request._id }, { $set: { completedAt: this.now(), detail: result } });
      return;
    }
    await deleteMemberData(member, { keepReports: false, keepOutboxIds });
  }

  // ---- helpers ----------------------------------------------------------------------

  private hookContext(turn: Turn, message: InboundMessage): HookContext {
    const m = turn.view;
    const member: MemberSnapshot = { _id: m._id, channel: m.channel, platformUserId: m.platformUserId, name: m.name, villageCode: m.villageCode, role: m.role, language: m.language };
    return { member, t: this.t(m), now: this.now(), inboundId: `${message.channel}:${message.messageId}` };
  }

  private isRegistered(member: MemberState): boolean {
    return member.consent != null && member.registeredAt != null;
  }

  private t(member: { language?: string | null }): Translate {
    return translatorFor(this.i18n, member.language ?? 'id');
  }

  private flow(id: string): Flow {
    const flow = this.flows.get(id);
    if (!flow) throw new Error(`flow "${id}" is not loaded`);
    return flow;
  }

  /** The flow a run was started with: its own version when it is still on disk, else the current one. */
  private flowForRun(run: ActiveRun): Flow {
    return this.options.flowForRun?.(run.flowId, run.flowVersion) ?? this.flow(run.flowId);
  }

  private flowTitle(flowId: string, t: Translate): string {
    const flow = this.flows.get(flowId);
    return flow ? t(`${flow.namespace}:${flow.title}`) : flowId;
  }

  private expiry(from: Date): Date {
    return new Date(from.getTime() + this.options.runExpiryHours * 3600_000);
  }

  private codeFailuresThisHour(member: MemberState): number {
    const f = member.codeFailures;
    if (!f?.since || this.now().getTime() - new Date(f.since).getTime() >= 3600_000) return 0;
    return f.count;
  }

  private async villages(): Promise<StepContext['data']['villages']> {
    // 40 villages: cached for a minute, so staff edits show up quickly.
    if (this.villageCache && Date.now() - this.villageCache.at < 60_000) return this.villageCache.villages;
    // One read at a time: messages arriving while it is on its way wait for the same answer.
    this.villagesLoading ??= (async () => {
      try {
        const docs = await VillageModel.collection
          .find({}, { projection: { code: 1, name: 1, kecamatan: 1, aliases: 1 }, sort: { kecamatan: 1, name: 1 } })
          .toArray();
        const villages = docs.map((v) => ({ code: String(v.code), name: String(v.name), kecamatan: String(v.kecamatan), aliases: (v.aliases as string[] | undefined) ?? [] }));
        this.villageCache = { at: Date.now(), villages };
        return villages;
      } finally {
        this.villagesLoading = null;
      }
    })();
    return this.villagesLoading;
  }

  private async accessCodes() {
    // Read at most every few seconds: a code made by `npm run access-code` works within seconds.
    if (this.codeCache && Date.now() - this.codeCache.at < 5_000) return this.codeCache.codes;
    this.codesLoading ??= (async () => {
      try {
        const now = this.now();
        const docs = await AccessCodeModel.find({ $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] }).lean();
        const codes = docs
          .filter((c) => c.maxUses == null || (c.uses ?? 0) < c.maxUses)
          .map((c) => ({ id: String(c._id), code: c.code, role: c.role, villageCode: c.villageCode ?? null, simulatorOnly: c.simulatorOnly === true }));
        this.codeCache = { at: Date.now(), codes };
        return codes;
      } finally {
        this.codesLoading = null;
      }
    })();
    return this.codesLoading;
  }

  /** The id of a valid code for this role (and this village, when the code is bound to one), else null. */
  private codeIdFor(role: string, typed: string, member: MemberState, village: unknown): string | null {
    const wanted = typed.trim().toUpperCase();
    const code = (this.codeCache?.codes ?? []).find(
      (c) => c.role === role && c.code === wanted && (!c.simulatorOnly || member.channel === 'web') && (!c.villageCode || c.villageCode === village),
    );
    return code?.id ?? null;
  }

  /** Uses a code once for this member (a replay does not count twice); null when it can't be used. */
  private async consumeCode(codeId: string, memberId: Types.ObjectId, role: Role, village: unknown): Promise<Types.ObjectId | null> {
    const _id = new Types.ObjectId(codeId);
    this.codeCache = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = await AccessCodeModel.findById(_id).lean();
      if (!code || code.role !== role) return null;
      if ((code.usedBy ?? []).some((id) => id.equals(memberId))) return _id;
      if (code.expiresAt && code.expiresAt.getTime() <= this.now().getTime()) return null;
      if (code.maxUses != null && (code.uses ?? 0) >= code.maxUses) return null;
      if (code.villageCode && code.villageCode !== village) return null;
      // Guarded by the use count read above: two people racing for the last use can't both win.
      const taken = await AccessCodeModel.updateOne({ _id, uses: code.uses ?? 0 }, { $inc: { uses: 1 }, $push: { usedBy: memberId } });
      if (taken.modifiedCount === 1) return _id;
    }
    return null;
  }

  /** Enough context for cancelling (no lookups needed). */
  private syncContext(member: MemberState): StepContext {
    return {
      now: this.now(),
      timeZone: this.options.timeZone,
      t: this.t(member),
      data: { villages: this.villageCache?.villages ?? [], activities: [] },
    };
  }

  private async context(member: MemberState, flow: Flow, preset?: Record<string, unknown>): Promise<StepContext> {
    const ctx: StepContext = {
      now: this.now(),
      timeZone: this.options.timeZone,
      t: this.t(member),
      // Only the lookups this flow draws choices from: one query less per message otherwise.
      data: {
        villages: usesSource(flow, 'villages') || usesSource(flow, 'kecamatan') || preset ? await this.villages() : [],
        activities: usesSource(flow, 'activities') ? await activitiesOf(member.villageCode) : [],
      },
    };
    if (preset && Object.keys(preset).length) ctx.preset = preset;
    if (flow.id === REGISTRATION_FLOW) {
      await this.accessCodes();
      const village = member.run?.state.answers.village;
      // Returns the granting code's id (truthy) or null; a code bound to a village works only there.
      ctx.checkRoleCode = (role, code) => this.codeIdFor(role, code, member, village);
    }
    return ctx;
  }
}

/** Moves an expired run off the member into the drafts (idempotent: keyed by the run id). */
export async function archiveRun(memberId: Types.ObjectId, run: ActiveRun, now: Date): Promise<void> {
  try {
    await RunModel.collection.insertOne({
      _id: run.id, memberId, flowId: run.flowId, flowVersion: run.flowVersion, status: 'expired',
      state: run.state, startedAt: run.startedAt, lastActivityAt: run.lastActivityAt, expiredAt: now,
    } as never);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}

export function memberKey(channel: string, platformUserId: string): string {
  return `${channel}:${platformUserId}`;
}

function normalizeMember(doc: MemberState): MemberState {
  return {
    ...doc,
    handled: doc.handled ?? [],
    promptSeq: doc.promptSeq ?? 0,
    rev: doc.rev ?? 0,
    run: doc.run ?? null,
    pendingConfirmation: doc.pendingConfirmation ?? null,
  };
}

/**
 * A deep copy whose ObjectIds own their 12 bytes. bson builds each ObjectId it reads with
 * Buffer.allocUnsafe(12): a slice of Node's shared 8 KB buffer pool, so one id kept for long
 * keeps its whole 8 KB slab alive. Measured (bench:memory, 2,000 members cached): 1,635 slabs,
 * 12.8 MB of array buffers held by cached members' run ids, most of it other data's garbage.
 * Plain objects and arrays are copied; Dates and other values are shared as they are.
 */
export function detachIds<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if ((value as { _bsontype?: unknown })._bsontype === 'ObjectId') {
    return new Types.ObjectId(new Uint8Array((value as unknown as Types.ObjectId).id)) as T;
  }
  if (Array.isArray(value)) return value.map(detachIds) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = detachIds(v);
  return copy as T;
}

function hasAnswers(run: ActiveRun): boolean {
  const preset = new Set(run.state.preset ?? []);
  return Object.keys(run.state.answers).some((k) => !preset.has(k));
}

/** Indonesian first: English only for a platform set to English. */
export function languageFromHint(hint: string | undefined): Language {
  return hint?.toLowerCase().startsWith('en') ? 'en' : 'id';
}

function usesSource(flow: Flow, source: 'villages' | 'kecamatan' | 'activities'): boolean {
  return flow.questions.some((q) =>
    q.type === 'group'
      ? q.questions.some((c) => (c.type === 'single' || c.type === 'multi') && c.choicesFrom === source)
      : (q.type === 'single' || q.type === 'multi') && q.choicesFrom === source,
  );
}

async function activitiesOf(villageCode: string | null | undefined): Promise<{ id: string; title: string }[]> {
  if (!villageCode) return [];
  const plan = await VillagePlanModel.findOne({ villageCode }).sort({ year: -1 }).lean();
  return (plan?.activities ?? []).map((a) => ({ id: String(a._id), title: a.title }));
}

/** Making an Intl.DateTimeFormat costs far more than using one: one per zone, made once. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function formatDate(date: Date, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('id-ID', { timeZone, day: 'numeric', month: 'long', year: 'numeric' });
    dateFormats.set(timeZone, format);
  }
  return format.format(date);
}
