/**
 * How features outside the conversation core (workshops, broadcasts, alerts, the workspace)
 * hook into chat without the service knowing them. Registered at start-up in src/service.ts.
 *
 * Replay rule: the service calls these BEFORE it commits the step (the member's state and its
 * "handled" mark go in one update afterwards). A crash between the two replays the step, so
 * every write a hook makes must be idempotent, keyed by ids it is given (the submission id,
 * the inbound message id): e.g. an outbox entry `alert:<submissionId>:<memberId>`.
 */
import type { Types } from 'mongoose';
import type { Role } from '../vocabulary.js';
import type { Translate } from '../i18n.js';
import type { ProxyEntry } from '../db/repositories/members.js';
import type { OutboundMessage } from '../messages/index.js';

/** What a hook knows about the person (a plain, read-only snapshot). */
export interface MemberSnapshot {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  name: string | null;
  villageCode: string | null;
  role: Role;
  language: 'id' | 'en';
}

export interface HookContext {
  member: MemberSnapshot;
  /** The member's language. */
  t: Translate;
  now: Date;
  /** Id of the inbound message being handled: a stable key for idempotent writes. */
  inboundId: string;
}

export interface SubmissionInfo {
  id: Types.ObjectId;
  flowId: string;
  flowVersion: number;
  villageCode: string | null;
  answers: Record<string, unknown>;
  display?: Record<string, unknown>;
}

/** A command typed in chat, e.g. "jadwal", "siaran", "laporan", "ringkasan", "masuk". */
export interface ChatCommand {
  /** Words that call it (lower case, without "/"); Indonesian first. */
  words: string[];
  /** Who may use it. For anyone else the words are ordinary text (a resident's "laporan" still means a report). */
  roles: Role[];
  /** What may follow the word ("jadwal baru", "ringkasan solang"); absent: the word alone. Text that doesn't fit is not this command. */
  args?: RegExp;
  /** Returns replies, or asks the service to start a flow (e.g. the `jadwal` flow). */
  run(ctx: HookContext & { args: string }): Promise<OutboundMessage[] | { startFlow: string }>;
}

/** What a feature adds to one of its flows while it runs. */
export interface FlowScope {
  /** The only villages the flow's village and kecamatan lists offer (a facilitator's own). */
  villageCodes?: string[];
  /** Lines under the review's answers (see StepContext.reviewNote). */
  reviewNote?: (answers: Record<string, unknown>) => string | null;
}

export interface ChatExtensions {
  /**
   * Called before each step of a flow: its village lists limited and its review note, from data
   * loaded now; undefined when the flow is not this extension's.
   */
  flowScope?: (member: MemberSnapshot, flowId: string, t: Translate, now: Date) => Promise<FlowScope | undefined>;
  /**
   * After a submission is stored, before the step commits. May return extra messages for the
   * submitter (e.g. "the facilitator was told"), appended after the flow's thank-you.
   */
  onSubmit?: (ctx: HookContext, submission: SubmissionInfo) => Promise<OutboundMessage[] | void>;
  /**
   * Button presses outside any flow: a choice with promptSeq PROMPT_SEQ.action and an id
   * "<prefix>:<rest>" goes to actions[prefix] (e.g. "rsvp:<workshopId>:hadir").
   */
  actions?: Record<string, (ctx: HookContext, rest: string) => Promise<OutboundMessage[]>>;
  commands?: ChatCommand[];
  /**
   * A person asked to be contacted ("minta dihubungi" in BANTUAN); the request is stored with
   * id `help:<inbound id>`. Returns messages for the person when a facilitator was told.
   */
  onHelpRequest?: (ctx: HookContext, request: { id: string; context: string | null }) => Promise<OutboundMessage[] | void>;
  /**
   * A submitted flow that hands over to another, e.g. filling a form for a resident: returns the
   * flow to start on their behalf, null when it is this extension's flow but can't go on (the
   * menu follows), undefined when the flow is not this extension's. A hand-off skips onSubmit.
   */
  handOff?: (ctx: HookContext, submission: SubmissionInfo) => { flowId: string; proxy: ProxyEntry } | null | undefined;
}

/** How hooks name the reporter of a form entered for a resident: the resident, reached through who entered it. */
export const proxyReporterName = (forName: string, enteredBy: string | null): string => `${forName} (${enteredBy ?? '-'})`;

/** One set of extensions from several: commands and actions together, hooks called in turn. */
export function combineExtensions(...all: ChatExtensions[]): ChatExtensions {
  const hooks = <K extends 'onSubmit' | 'onHelpRequest'>(key: K) =>
    all.map((e) => e[key]).filter((f): f is NonNullable<ChatExtensions[K]> => Boolean(f));
  const inTurn = async <A extends unknown[]>(fns: ((...args: A) => Promise<OutboundMessage[] | void>)[], ...args: A) => {
    const out: OutboundMessage[] = [];
    for (const f of fns) out.push(...((await f(...args)) ?? []));
    return out;
  };
  const onSubmit = hooks('onSubmit');
  const onHelpRequest = hooks('onHelpRequest');
  const handOffs = all.map((e) => e.handOff).filter((f): f is NonNullable<ChatExtensions['handOff']> => Boolean(f));
  const scopes = all.map((e) => e.flowScope).filter((f): f is NonNullable<ChatExtensions['flowScope']> => Boolean(f));
  return {
    flowScope: async (member, flowId, t, now) => {
      for (const f of scopes) {
        const scope = await f(member, flowId, t, now);
        if (scope) return scope;
      }
      return undefined;
    },
    handOff: (ctx, submission) => {
      for (const f of handOffs) {
        const target = f(ctx, submission);
        if (target !== undefined) return target;
      }
      return undefined;
    },
    commands: all.flatMap((e) => e.commands ?? []),
    actions: Object.assign({}, ...all.map((e) => e.actions ?? {})) as NonNullable<ChatExtensions['actions']>,
    onSubmit: (ctx, submission) => inTurn(onSubmit, ctx, submission),
    onHelpRequest: (ctx, request) => inTurn(onHelpRequest, ctx, request),
  };
}
