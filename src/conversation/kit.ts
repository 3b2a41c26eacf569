/**
 * What every part of a turn needs: the flows, translations, the clock, the extensions, and the
 * lookups flows draw on (villages, access codes, plan activities), cached briefly. One kit per
 * conversation service; the parts (router, commands, runs, registration, menu, personal data)
 * are functions of (kit, turn).
 */
import type { i18n as I18n } from 'i18next';
import { consumeCode, listUsableCodes, type UsableCode } from '../db/repositories/access-codes.js';
import type { ActiveRun, MemberState } from '../db/repositories/members.js';
import { activitiesOf } from '../db/repositories/plans.js';
import { listVillageChoices, type VillageChoice } from '../db/repositories/villages.js';
import type { Role } from '../vocabulary.js';
import type { Flow, StepContext } from '../engine/index.js';
import { translatorFor, type Translate } from '../i18n.js';
import type { Logger } from '../logging/logger.js';
import { FLOW, PROMPT_SEQ } from '../messages/flows.js';
import type { OutboundMessage, ReplyContext } from '../messages/index.js';
import type { EnqueueOptions } from '../pipeline/outbox.js';
import type { ChatExtensions, HookContext, MemberSnapshot } from './extensions.js';
import type { Turn } from './turn.js';
import type { Types } from 'mongoose';

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
  /**
   * How replies are written to the outbox (pre-claimed for this process's dispatcher) and
   * announced; and how a reply whose turn changed nothing may go out at once, without an entry
   * (false: not sent, write it).
   */
  outbox?: {
    claimFor?: EnqueueOptions['claimFor'];
    onEnqueued?: (ids: string[]) => void;
    /** Sends a reply now if it can; how many of its messages went out (the rest go to the outbox). */
    sendAtOnce?: (item: { channel: string; to: string; messages: OutboundMessage[]; replyTo: ReplyContext | null; kind: string }) => Promise<number>;
  };
}

/** Villages change rarely (staff edits show within a minute); codes made by the CLI work within seconds. */
const VILLAGES_TTL_MS = 60_000;
const CODES_TTL_MS = 5_000;

export class ConversationKit {
  readonly flows: Map<string, Flow>;
  readonly ext: ChatExtensions;
  readonly now: () => Date;
  private readonly villageList: CachedLookup<VillageChoice[]>;
  private readonly codes: CachedLookup<UsableCode[]>;

  constructor(readonly options: ConversationServiceOptions) {
    this.flows = options.flows;
    this.ext = options.extensions ?? {};
    this.now = options.now ?? (() => new Date());
    this.villageList = new CachedLookup(VILLAGES_TTL_MS, listVillageChoices);
    this.codes = new CachedLookup(CODES_TTL_MS, () => listUsableCodes(this.now()));
  }

  get logger(): Logger {
    return this.options.logger;
  }

  t(member: { language?: string | null }): Translate {
    return translatorFor(this.options.i18n, member.language ?? 'id');
  }

  isRegistered(member: MemberState): boolean {
    return member.consent != null && member.registeredAt != null;
  }

  flow(id: string): Flow {
    const flow = this.flows.get(id);
    if (!flow) throw new Error(`flow "${id}" is not loaded`);
    return flow;
  }

  /** The flow a run was started with: its own version when it is still on disk, else the current one. */
  flowForRun(run: ActiveRun): Flow {
    return this.options.flowForRun?.(run.flowId, run.flowVersion) ?? this.flow(run.flowId);
  }

  flowTitle(flowId: string, t: Translate): string {
    const flow = this.flows.get(flowId);
    return flow ? t(`${flow.namespace}:${flow.title}`) : flowId;
  }

  expiry(from: Date): Date {
    return new Date(from.getTime() + this.options.runExpiryHours * 3600_000);
  }

  /** A yes/no question of the service's own (delete my data, cancel with answers). */
  confirmation(text: string, yes: string, no: string): OutboundMessage {
    return { text, choices: [{ id: 'yes', label: yes }, { id: 'no', label: no }], promptSeq: PROMPT_SEQ.confirm, expect: 'choice' };
  }

  hookContext(turn: Turn): HookContext {
    return { member: snapshotOf(turn.view), t: this.t(turn.view), now: this.now(), inboundId: `${turn.message.channel}:${turn.message.messageId}` };
  }

  villages(): Promise<VillageChoice[]> {
    return this.villageList.get();
  }

  /** The id of a valid code for this role (and this village, when the code is bound to one), else null. */
  private codeIdFor(role: string, typed: string, member: MemberState, village: unknown): string | null {
    const wanted = typed.trim().toUpperCase();
    const code = (this.codes.cached ?? []).find(
      (c) => c.role === role && c.code === wanted && (!c.simulatorOnly || member.channel === 'web') && (!c.villageCode || c.villageCode === village),
    );
    return code?.id ?? null;
  }

  /** Uses a code once for this member; null when it can't be used (used up, expired, another village). */
  async consumeCode(codeId: string, memberId: Types.ObjectId, role: Role, village: unknown): Promise<Types.ObjectId | null> {
    this.codes.forget();
    return consumeCode(codeId, memberId, role, village, this.now());
  }

  /** Enough context for cancelling (no lookups needed). */
  syncContext(member: MemberState): StepContext {
    return { now: this.now(), timeZone: this.options.timeZone, t: this.t(member), data: { villages: this.villageList.cached ?? [], activities: [] } };
  }

  async context(member: MemberState, flow: Flow, preset?: Record<string, unknown>): Promise<StepContext> {
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
    const scope = await this.ext.flowScope?.(snapshotOf(member), flow.id, ctx.t, ctx.now);
    if (scope?.villageCodes) {
      const allowed = new Set(scope.villageCodes);
      ctx.data.villages = ctx.data.villages.filter((v) => allowed.has(v.code));
    }
    if (scope?.reviewNote) ctx.reviewNote = scope.reviewNote;
    if (flow.id === FLOW.registration) {
      await this.codes.get();
      const village = member.run?.state.answers.village;
      // Returns the granting code's id (truthy) or null; a code bound to a village works only there.
      ctx.checkRoleCode = (role, code) => this.codeIdFor(role, code, member, village);
    }
    return ctx;
  }
}

/** A small lookup read at most once per `ttlMs`; callers arriving while it loads share the read. */
class CachedLookup<T> {
  private value: { at: number; data: T } | null = null;
  private loading: Promise<T> | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Promise<T>,
  ) {}

  get cached(): T | null {
    return this.value?.data ?? null;
  }

  forget(): void {
    this.value = null;
  }

  get(): Promise<T> {
    if (this.value && Date.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.data);
    this.loading ??= this.load()
      .then((data) => {
        this.value = { at: Date.now(), data };
        return data;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}

function snapshotOf(m: MemberState): MemberSnapshot {
  return { _id: m._id, channel: m.channel, platformUserId: m.platformUserId, name: m.name, villageCode: m.villageCode, role: m.role, language: m.language };
}

function usesSource(flow: Flow, source: 'villages' | 'kecamatan' | 'activities'): boolean {
  return flow.questions.some((q) =>
    q.type === 'group'
      ? q.questions.some((c) => (c.type === 'single' || c.type === 'multi') && c.choicesFrom === source)
      : (q.type === 'single' || q.type === 'multi') && q.choicesFrom === source,
  );
}
