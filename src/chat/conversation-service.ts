/**
 * The conversation service: every inbound message from every channel passes here.
 *   drop duplicates -> find the member -> global commands -> the member's active run
 *   -> engine step -> persist run, submission and member changes -> replies.
 * Each write is one atomic single-document update; a run carries a `rev` guard.
 */
import type { i18n as I18n } from 'i18next';
import type { HydratedDocument } from 'mongoose';
import {
  AccessCodeModel, DataRequestModel, MemberModel, ProcessedMessageModel, RunModel, SubmissionModel,
  VillageModel, VillagePlanModel, type Language, type Member, type Run,
} from '../db/models.js';
import { cancelRun, canStart, repromptRun, startRun, step, type Effect, type EngineInput, type Flow, type RunState, type StepContext, type StepResult } from '../engine/index.js';
import { normalizeCommandWord, parseYesNo } from '../engine/text.js';
import { translatorFor, type Translate } from '../i18n.js';
import type { Logger } from '../logging/logger.js';
import { decodeVillagePayload } from './village-payload.js';
import { parseGlobalCommand, type GlobalCommand } from './commands.js';
import type { Address, InboundHandler, InboundMessage, OutboundMessage } from './types.js';
import { applySubmissionSideEffects } from './submission-effects.js';
import { deleteMemberData } from '../privacy/retention.js';

export const REGISTRATION_FLOW = 'daftar';
/** Buttons of the main menu carry this prompt number; flow prompts start at 1. */
const MENU_SEQ = 0;
const CONFIRM_SEQ = -1;

type MemberDoc = HydratedDocument<Member>;
type RunDoc = HydratedDocument<Run>;

export interface ConversationServiceOptions {
  flows: Map<string, Flow>;
  i18n: I18n;
  logger: Logger;
  timeZone: string;
  runExpiryHours: number;
  /** The clock, injectable so tests can jump days ahead. */
  now?: () => Date;
}

export class ConversationService implements InboundHandler {
  private readonly flows: Map<string, Flow>;
  private readonly i18n: I18n;
  private readonly logger: Logger;
  private readonly now: () => Date;
  /** One message at a time per member within this process; across processes the run's rev guard holds. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private villageCache: { at: number; villages: StepContext['data']['villages'] } | null = null;

  constructor(private readonly options: ConversationServiceOptions) {
    this.flows = options.flows;
    this.i18n = options.i18n;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
  }

  async handle(message: InboundMessage): Promise<OutboundMessage[] | null> {
    const key = `${message.channel}:${message.platformUserId}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.handleNow(message));
    current.catch(() => undefined); // failures are answered below; the queue must not reject unhandled
    this.queues.set(key, current);
    try {
      return await current;
    } catch (err) {
      // Nothing was applied (the dedupe mark is undone), so the person can simply send it again.
      this.logger.error({ err, channel: message.channel }, 'Handling an inbound message failed');
      const language = languageFromHint(message.languageHint);
      return [{ text: translatorFor(this.i18n, language)('bot:errors.generic'), language }];
    } finally {
      if (this.queues.get(key) === current) this.queues.delete(key);
    }
  }

  async setBlocked(address: Address, blocked: boolean): Promise<void> {
    await MemberModel.updateOne({ channel: address.channel, platformUserId: address.platformUserId }, { $set: { blocked } });
  }

  private async handleNow(message: InboundMessage): Promise<OutboundMessage[] | null> {
    const dedupeId = `${message.channel}:${message.messageId}`;
    try {
      await ProcessedMessageModel.create({ _id: dedupeId, receivedAt: message.receivedAt });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return null;
      throw err;
    }
    try {
      return await this.process(message);
    } catch (err) {
      // Let the platform's retry reach us again: the message was not handled.
      await ProcessedMessageModel.deleteOne({ _id: dedupeId }).catch(() => undefined);
      throw err;
    }
  }

  private async process(message: InboundMessage): Promise<OutboundMessage[]> {
    const now = this.now();
    const member = await MemberModel.findOneAndUpdate(
      { channel: message.channel, platformUserId: message.platformUserId },
      {
        $set: { lastInboundAt: now, blocked: false },
        $setOnInsert: { language: languageFromHint(message.languageHint) },
      },
      { upsert: true, new: true },
    );
    if (!member) throw new Error('member upsert returned nothing');
    const replies = await this.respond(member, message, now);
    // Stamped last: a "bahasa" command has changed member.language by then.
    return replies.map((reply) => ({ ...reply, language: member.language }));
  }

  private async respond(member: MemberDoc, message: InboundMessage, now: Date): Promise<OutboundMessage[]> {
    const t = this.t(member);

    if (member.pendingConfirmation && !(message.content.kind === 'choice' && message.content.promptSeq === CONFIRM_SEQ)) {
      // Anything but a tap on the confirmation buttons answers it by text.
      const answer = message.content.kind === 'text' ? parseYesNo(message.content.text) : undefined;
      await MemberModel.updateOne({ _id: member._id }, { $set: { pendingConfirmation: null } });
      if (answer === true) return this.deleteMemberData(member, t);
      if (answer === false) return [{ text: t('bot:delete.kept') }, ...(await this.idleOrReprompt(member))];
      member.pendingConfirmation = null;
    }
    if (message.content.kind === 'choice' && message.content.promptSeq === CONFIRM_SEQ) {
      await MemberModel.updateOne({ _id: member._id }, { $set: { pendingConfirmation: null } });
      if (message.content.choiceId === 'yes' && member.pendingConfirmation) return this.deleteMemberData(member, t);
      return [{ text: t('bot:delete.kept') }, ...(await this.idleOrReprompt(member))];
    }

    const command = message.content.kind === 'text' ? parseGlobalCommand(message.content.text) : null;
    if (command) return this.runCommand(command, member, message);
    if (message.content.kind === 'unsupported') return [{ text: t('bot:errors.unsupported') }, ...(await this.idleOrReprompt(member))];

    const run = await this.activeRun(member);
    if (run && run.expiresAt.getTime() <= now.getTime()) {
      // The sweep may not have run yet: expire it now, answers kept as a draft.
      await RunModel.updateOne({ _id: run._id, rev: run.rev }, { $set: { status: 'expired' }, $inc: { rev: 1 } });
      const expired: OutboundMessage[] = [{ text: t('bot:run.expired') }];
      return expired.concat(this.isRegistered(member) ? await this.menu(member) : await this.startFlow(member, REGISTRATION_FLOW, message));
    }

    if (!this.isRegistered(member)) {
      if (run?.flowId === REGISTRATION_FLOW) return this.advance(member, run, message.content, message);
      return this.startFlow(member, REGISTRATION_FLOW, message);
    }
    if (run && message.content.kind === 'choice' && message.content.promptSeq === MENU_SEQ) {
      // A menu button while a run is paused: its own flow continues it; another flow waits.
      const other = message.content.choiceId !== run.flowId;
      return [...(other ? [{ text: t('bot:menu.finishFirst', { flow: this.flowTitle(run.flowId, t) }) }] : []), ...(await this.reprompt(member, run))];
    }
    if (run) return this.advance(member, run, message.content, message);
    return this.fromMenu(member, message);
  }

  // ---- global commands ---------------------------------------------------------------

  private async runCommand(command: GlobalCommand, member: MemberDoc, message: InboundMessage): Promise<OutboundMessage[]> {
    const t = this.t(member);
    const run = await this.activeRun(member);
    switch (command.name) {
      case 'menu':
        if (!this.isRegistered(member)) return this.idleOrReprompt(member);
        return this.menu(member, run ? t('bot:menu.runPaused', { flow: this.flowTitle(run.flowId, t) }) : undefined);
      case 'cancel': {
        if (!run) return [{ text: t('bot:cancel.nothing') }, ...(await this.idleOrReprompt(member))];
        await this.cancel(member, run);
        if (!this.isRegistered(member)) {
          // Registration cancelled before consent: nothing about this person is kept.
          await this.forget(member);
          return [{ text: t('bot:cancel.registration') }];
        }
        return [{ text: t('bot:cancel.done', { flow: this.flowTitle(run.flowId, t) }) }, ...(await this.menu(member))];
      }
      case 'back':
        if (!run) return this.idleOrReprompt(member);
        return this.advance(member, run, { kind: 'back' }, message);
      case 'help':
        return [{ text: t('bot:help.text') }, ...(await this.idleOrReprompt(member))];
      case 'language': {
        const language: Language = member.language === 'id' ? 'en' : 'id';
        await MemberModel.updateOne({ _id: member._id }, { $set: { language } });
        member.language = language;
        return [{ text: this.t(member)('bot:language.changed') }, ...(await this.idleOrReprompt(member))];
      }
      case 'stop':
        if (!this.isRegistered(member)) {
          await this.forget(member);
          return [{ text: t('bot:stop.unregistered') }];
        }
        await MemberModel.updateOne({ _id: member._id }, { $set: { optedOut: true } });
        return [{ text: t('bot:stop.done') }];
      case 'start': {
        if (!this.isRegistered(member)) {
          if (run?.flowId === REGISTRATION_FLOW && !command.payload) return this.reprompt(member, run);
          if (run) await this.cancel(member, run);
          return this.startFlow(member, REGISTRATION_FLOW, message, command.payload);
        }
        const wasOptedOut = member.optedOut;
        if (wasOptedOut) await MemberModel.updateOne({ _id: member._id }, { $set: { optedOut: false } });
        const intro = wasOptedOut ? t('bot:start.resumed') : t('bot:start.welcomeBack', { name: member.name ?? '' });
        if (run) return [{ text: intro }, ...(await this.reprompt(member, run))];
        return this.menu(member, intro);
      }
      case 'mydata':
        return [...(await this.showMemberData(member, t)), ...(run ? await this.reprompt(member, run) : [])];
      case 'deletedata':
        await MemberModel.updateOne({ _id: member._id }, { $set: { pendingConfirmation: 'deletedata' } });
        return [
          {
            text: t('bot:delete.confirm'),
            choices: [
              { id: 'yes', label: t('bot:delete.yes') },
              { id: 'no', label: t('bot:delete.no') },
            ],
            promptSeq: CONFIRM_SEQ,
            expect: 'choice',
          },
        ];
    }
  }

  // ---- runs -------------------------------------------------------------------------

  private async startFlow(member: MemberDoc, flowId: string, message: InboundMessage, startPayload?: string): Promise<OutboundMessage[]> {
    const flow = this.flow(flowId);
    const preset: Record<string, unknown> = {};
    if (flowId === REGISTRATION_FLOW && startPayload) {
      const villageCode = decodeVillagePayload(startPayload);
      const village = villageCode ? (await this.villages()).find((v) => v.code === villageCode) : undefined;
      if (village) Object.assign(preset, { kecamatan: village.kecamatan, village: village.code });
    }
    const ctx = await this.context(member, flow, preset);
    const result = startRun(flow, ctx);
    const now = this.now();
    const run = await RunModel.create({
      memberId: member._id,
      flowId: flow.id,
      flowVersion: flow.version,
      state: result.state,
      lastActivityAt: now,
      expiresAt: this.expiry(now),
    });
    return this.persist(member, run, result, message);
  }

  private async advance(member: MemberDoc, run: RunDoc, input: EngineInput, message: InboundMessage): Promise<OutboundMessage[]> {
    const flow = this.flowForRun(run);
    const ctx = await this.context(member, flow);
    const result = step(flow, run.state as RunState, input, ctx);
    return this.persist(member, run, result, message);
  }

  private async reprompt(member: MemberDoc, run: RunDoc): Promise<OutboundMessage[]> {
    const flow = this.flowForRun(run);
    const result = repromptRun(flow, run.state as RunState, await this.context(member, flow));
    await RunModel.updateOne({ _id: run._id, rev: run.rev }, { $set: { state: result.state }, $inc: { rev: 1 } });
    return result.messages;
  }

  /** Writes the new run state (guarded by rev), then carries out the engine's effects. */
  private async persist(member: MemberDoc, run: RunDoc, result: StepResult, message: InboundMessage): Promise<OutboundMessage[]> {
    const now = this.now();
    const ended = result.effects.find((e): e is Extract<Effect, { type: 'ended' }> => e.type === 'ended');
    const submit = result.effects.find((e): e is Extract<Effect, { type: 'submit' }> => e.type === 'submit');

    // The submission first: keyed by run id, so a retry after a crash cannot store it twice.
    if (submit) {
      await SubmissionModel.updateOne(
        { runId: run._id },
        {
          $setOnInsert: {
            runId: run._id,
            memberId: member._id,
            villageCode: submit.flowId === REGISTRATION_FLOW ? (submit.answers.village as string) : member.villageCode,
            flowId: submit.flowId,
            flowVersion: submit.flowVersion,
            channel: message.channel,
            answers: submit.answers,
            submittedAt: now,
          },
        },
        { upsert: true },
      );
    }

    const updated = await RunModel.findOneAndUpdate(
      { _id: run._id, rev: run.rev },
      {
        $set: {
          state: result.state,
          status: ended ? (ended.outcome === 'submitted' ? 'done' : ended.outcome) : 'active',
          lastActivityAt: now,
          expiresAt: this.expiry(now),
          reminderSentAt: null,
        },
        $inc: { rev: 1 },
      },
      { new: true },
    );
    if (!updated) throw new Error(`run ${String(run._id)} changed underneath (concurrent update)`);

    const replies = [...result.messages];
    if (submit) {
      await applySubmissionSideEffects(member, submit, now);
      // After registration the member has a role and a village: the menu reflects them.
      const fresh = submit.flowId === REGISTRATION_FLOW ? await MemberModel.findById(member._id) : member;
      if (fresh) replies.push(...(await this.menu(fresh)));
    } else if (ended?.outcome === 'declined' && run.flowId === REGISTRATION_FLOW) {
      await this.forget(member);
    } else if (ended) {
      replies.push(...(await this.menu(member)));
    }
    return replies;
  }

  /** Ends a run without a submission; the engine empties its answers, so nothing is kept. */
  private async cancel(member: MemberDoc, run: RunDoc): Promise<void> {
    const flow = this.flowForRun(run);
    const { state } = cancelRun(flow, run.state as RunState, await this.context(member, flow));
    await RunModel.updateOne({ _id: run._id }, { $set: { state, status: 'cancelled' }, $inc: { rev: 1 } });
  }

  private async activeRun(member: MemberDoc): Promise<RunDoc | null> {
    return RunModel.findOne({ memberId: member._id, status: 'active' }).sort({ createdAt: -1 });
  }

  // ---- menu -------------------------------------------------------------------------

  /** The flows a member may start, registration last (to correct one's own data). */
  private availableFlows(member: MemberDoc): Flow[] {
    const flows = [...this.flows.values()].filter((f) => f.id !== REGISTRATION_FLOW && canStart(f, member.role));
    const registration = this.flows.get(REGISTRATION_FLOW);
    return registration ? [...flows, registration] : flows;
  }

  private async menu(member: MemberDoc, intro?: string): Promise<OutboundMessage[]> {
    const t = this.t(member);
    const choices = this.availableFlows(member).map((f) => ({ id: f.id, label: t(`${f.namespace}:${f.title}`) }));
    return [{ text: [intro, t('bot:menu.prompt')].filter(Boolean).join('\n\n'), choices, promptSeq: MENU_SEQ, expect: 'choice' }];
  }

  /** A message when no run is active: a menu pick (button, number or name), else the menu again. */
  private async fromMenu(member: MemberDoc, message: InboundMessage): Promise<OutboundMessage[]> {
    const t = this.t(member);
    const flows = this.availableFlows(member);
    const content = message.content;
    let picked: Flow | undefined;
    if (content.kind === 'choice') {
      if (content.promptSeq !== MENU_SEQ) return this.menu(member, t('bot:menu.staleButton'));
      picked = flows.find((f) => f.id === content.choiceId);
    } else if (content.kind === 'text') {
      const typed = normalizeCommandWord(content.text);
      const index = /^\d+$/.test(typed) ? Number(typed) - 1 : -1;
      picked = flows[index] ?? flows.find((f) => f.id === typed || normalizeCommandWord(t(`${f.namespace}:${f.title}`)) === typed);
    }
    if (!picked) return this.menu(member, content.kind === 'text' ? t('bot:menu.notUnderstood') : undefined);
    return this.startFlow(member, picked.id, message);
  }

  private async idleOrReprompt(member: MemberDoc): Promise<OutboundMessage[]> {
    const run = await this.activeRun(member);
    if (run) return this.reprompt(member, run);
    if (!this.isRegistered(member)) return [{ text: this.t(member)('bot:start.hint') }];
    return this.menu(member);
  }

  // ---- personal data (UU 27/2022) -------------------------------------------------------

  private async showMemberData(member: MemberDoc, t: Translate): Promise<OutboundMessage[]> {
    await DataRequestModel.create({ kind: 'access', channel: member.channel, memberRef: String(member._id), requestedAt: this.now(), completedAt: this.now() });
    if (!this.isRegistered(member)) return [{ text: t('bot:mydata.none') }];
    const village = member.villageCode ? await VillageModel.findOne({ code: member.villageCode }).lean() : null;
    const counts = await SubmissionModel.aggregate<{ _id: string; n: number }>([
      { $match: { memberId: member._id, flowId: { $ne: REGISTRATION_FLOW } } },
      { $group: { _id: '$flowId', n: { $sum: 1 } } },
    ]);
    const reports = counts.length
      ? counts.map((c) => `• ${this.flowTitle(c._id, t)}: ${c.n}`).join('\n')
      : t('bot:mydata.noReports');
    const text = t('bot:mydata.text', {
      name: member.name ?? '-',
      village: village ? `${village.name} (${village.kecamatan})` : '-',
      role: t(`bot:roles.${member.role}`),
      language: t(`bot:languages.${member.language}`),
      consentDate: member.consent ? formatDate(member.consent.givenAt, this.options.timeZone) : '-',
      consentVersion: member.consent?.version ?? '-',
      broadcasts: member.optedOut ? t('bot:mydata.broadcastsOff') : t('bot:mydata.broadcastsOn'),
      reports,
      reregister: this.flowTitle(REGISTRATION_FLOW, t),
    });
    return [{ text }];
  }

  private async deleteMemberData(member: MemberDoc, t: Translate): Promise<OutboundMessage[]> {
    const now = this.now();
    const request = await DataRequestModel.create({ kind: 'delete', channel: member.channel, memberRef: String(member._id), requestedAt: now });
    await this.forget(member);
    await DataRequestModel.updateOne({ _id: request._id }, { $set: { completedAt: this.now() } });
    return [{ text: t('bot:delete.done') }];
  }

  /** Deletes the member, their runs and their submissions. */
  private async forget(member: MemberDoc): Promise<void> {
    await deleteMemberData(member._id);
  }

  // ---- helpers ----------------------------------------------------------------------

  private isRegistered(member: MemberDoc): boolean {
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

  /** The flow a run was started with. A run of an older version goes on with the loaded one. */
  private flowForRun(run: RunDoc): Flow {
    return this.flow(run.flowId);
  }

  private flowTitle(flowId: string, t: Translate): string {
    const flow = this.flows.get(flowId);
    return flow ? t(`${flow.namespace}:${flow.title}`) : flowId;
  }

  private expiry(from: Date): Date {
    return new Date(from.getTime() + this.options.runExpiryHours * 3600_000);
  }

  private async villages(): Promise<StepContext['data']['villages']> {
    // 40 villages: cached for a minute, so staff edits show up quickly.
    if (this.villageCache && Date.now() - this.villageCache.at < 60_000) return this.villageCache.villages;
    const docs = await VillageModel.find({}, { code: 1, name: 1, kecamatan: 1, aliases: 1 }).sort({ kecamatan: 1, name: 1 }).lean();
    const villages = docs.map((v) => ({ code: v.code, name: v.name, kecamatan: v.kecamatan, aliases: v.aliases ?? [] }));
    this.villageCache = { at: Date.now(), villages };
    return villages;
  }

  private async context(member: MemberDoc, flow: Flow, preset?: Record<string, unknown>): Promise<StepContext> {
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
      const codes = (await AccessCodeModel.find({ $or: [{ expiresAt: null }, { expiresAt: { $gt: ctx.now } }] }).lean())
        .filter((c) => !c.simulatorOnly || member.channel === 'web');
      ctx.checkRoleCode = (role, code) => codes.some((c) => c.role === role && c.code === code.trim().toUpperCase());
    }
    return ctx;
  }
}

/** Indonesian first: English only for a platform set to English. */
function languageFromHint(hint: string | undefined): Language {
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

function formatDate(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('id-ID', { timeZone, day: 'numeric', month: 'long', year: 'numeric' }).format(date);
}
