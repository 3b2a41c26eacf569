/**
 * Answering for someone who can't type: a facilitator or admin fills a resident's flow
 * (profil-desa, laporan-risiko: any flow a resident may start) on behalf of a named resident
 * who agreed aloud. The pure engine walks the flow, one question at a time in the pages (the
 * run state kept in a draft per actor, so a reload continues), or all at once for the API
 * (every answer parsed by the engine exactly as a typed one would be). The submission is
 * stored like a chat one, with no member and `proxy: { enteredBy, forName, consentAloud }`.
 */
import { Types } from 'mongoose';
import { ProxyDraftModel, SubmissionModel, VillageModel, VillagePlanModel } from '../db/models.js';
import {
  DONE_ID, NO_ID, SEND_ID, SKIP_ID, YES_ID, canStart, startRun, step, type AnswerQuestion, type EngineInput, type Flow, type RunState,
  type StepContext, type StepResult,
} from '../engine/index.js';
import { locate } from '../engine/navigation.js';
import { translatorFor } from '../i18n.js';
import type { OutboundMessage } from '../messages/index.js';
import { assertVillage, type Actor } from './access.js';
import { audit } from './audit.js';
import { WorkspaceError, badRequest, notFound } from './errors.js';
import type { Ctx } from './service.js';

export const PROXY_CHANNEL = 'workspace';
const DRAFT_DAYS = 7;
const MAX_STEPS = 2000;

/** Flows a resident may start (the registration aside): what may be filled on their behalf. */
export function proxyFlows(ctx: Pick<Ctx, 'flows'>): Flow[] {
  return [...ctx.flows.values()].filter((f) => f.id !== 'daftar' && canStart(f, 'warga'));
}

function proxyFlow(ctx: Pick<Ctx, 'flows'>, flowId: string): Flow {
  const flow = proxyFlows(ctx).find((f) => f.id === flowId);
  if (!flow) throw new WorkspaceError(400, 'unknown_flow', `"${flowId}" is not a flow a resident fills in (${proxyFlows(ctx).map((f) => f.id).join(', ')}).`);
  return flow;
}

/** What the engine needs: the clock, translations in the page's language, villages and the village plan's activities. */
async function engineContext(ctx: Ctx, villageCode: string, lang: 'id' | 'en'): Promise<StepContext> {
  const [villages, plan] = await Promise.all([
    VillageModel.find({}, { code: 1, name: 1, kecamatan: 1, aliases: 1 }).sort({ kecamatan: 1, name: 1 }).lean(),
    VillagePlanModel.findOne({ villageCode }, { activities: 1 }).sort({ year: -1 }).lean(),
  ]);
  return {
    now: ctx.now(),
    timeZone: ctx.timeZone,
    t: translatorFor(ctx.i18n, lang),
    data: {
      villages: villages.map((v) => ({ code: v.code, name: v.name, kecamatan: v.kecamatan, aliases: v.aliases ?? [] })),
      activities: (plan?.activities ?? []).map((a) => ({ id: String(a._id), title: a.title })),
    },
  };
}

/** The question a position asks (null for "add another?", the summary and "change which?"). */
export function questionAt(flow: Flow, state: RunState): AnswerQuestion | null {
  const pos = state.position;
  if (!pos || pos.at !== 'question') return null;
  const q = locate(flow, pos.id)?.q;
  return q && q.type !== 'group' && q.type !== 'note' && q.type !== 'calculate' && q.type !== 'meta' ? q : null;
}

/**
 * An answer in its stored shape (a choice id, ids, true/false, a number, text, an ISO date,
 * "HH:MM", { latitude, longitude }, a photo's description; null to skip) as the inputs a
 * person would send: the engine parses and checks it as if typed or tapped.
 */
export function inputsFor(q: AnswerQuestion, value: unknown, state: RunState): EngineInput[] {
  const seq = state.promptSeq;
  const choice = (choiceId: string): EngineInput => ({ kind: 'choice', promptSeq: seq, choiceId });
  const wrong = (expected: string) => {
    throw new WorkspaceError(400, 'invalid_answer', `Question "${q.id}": expected ${expected}.`, { questionId: q.id, message: `expected ${expected}` });
  };
  if (value === null || value === undefined) return [choice(SKIP_ID)];
  switch (q.type) {
    case 'single':
      return typeof value === 'string' ? [choice(value)] : wrong('a choice id (string)');
    case 'multi': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return wrong('a list of choice ids');
      const wanted = [...new Set(value as string[])];
      const selected = state.selected ?? [];
      const toggles = [...wanted.filter((id) => !selected.includes(id)), ...selected.filter((id) => !wanted.includes(id))];
      return [...toggles.map(choice), choice(DONE_ID)];
    }
    case 'yesno':
      return typeof value === 'boolean' ? [choice(value ? YES_ID : NO_ID)] : wrong('true or false');
    case 'integer':
    case 'decimal':
      return typeof value === 'number' || typeof value === 'string' ? [{ kind: 'text', text: String(value) }] : wrong('a number');
    case 'location': {
      const v = value as { latitude?: unknown; longitude?: unknown };
      return typeof v === 'object' && typeof v.latitude === 'number' && typeof v.longitude === 'number'
        ? [{ kind: 'location', latitude: v.latitude, longitude: v.longitude }]
        : wrong('{ "latitude": number, "longitude": number }');
    }
    case 'photo': {
      const d = typeof value === 'string' ? value : (value as { description?: unknown }).description;
      return typeof d === 'string' ? [{ kind: 'text', text: d }] : wrong('a description of the photo (text); photos are sent from the chat');
    }
    default:
      return typeof value === 'string' ? [{ kind: 'text', text: value }] : wrong('text');
  }
}

/** The engine's complaint about the last input, if the question stayed open because of it. */
function complaint(before: RunState, result: StepResult): string | null {
  if (result.state.status !== 'active' || result.state.failures <= before.failures) return null;
  const last = [...result.messages].reverse().find((m) => m.prompt);
  return last?.prompt?.lead ?? last?.text ?? 'not accepted';
}

/** Applies inputs one after the other; stops at the first the engine refuses. */
function applyInputs(flow: Flow, state: RunState, inputs: EngineInput[], ectx: StepContext): { result: StepResult; error: string | null; messages: OutboundMessage[] } {
  let current: StepResult = { state, messages: [], effects: [] };
  const messages: OutboundMessage[] = [];
  for (const input of inputs) {
    const before = current.state;
    current = step(flow, before, input, ectx);
    messages.push(...current.messages);
    const error = complaint(before, current);
    if (error) return { result: current, error, messages };
    if (current.state.status === 'done') break;
  }
  return { result: current, error: null, messages };
}

type Submit = Extract<StepResult['effects'][number], { type: 'submit' }>;

interface StoreInput {
  runId: Types.ObjectId;
  flow: Flow;
  villageCode: string;
  forName: string;
  consentAt: Date;
  lang: 'id' | 'en';
  submit: Submit;
}

/** Stores the submission exactly as the chat does (idempotent by runId), with who entered it and for whom. */
async function storeProxySubmission(ctx: Ctx, actor: Actor, input: StoreInput): Promise<string> {
  const village = await VillageModel.findOne({ code: input.villageCode }, { name: 1 }).lean();
  const now = ctx.now();
  const res = await SubmissionModel.collection.findOneAndUpdate(
    { runId: input.runId },
    {
      $setOnInsert: {
        runId: input.runId,
        memberId: null,
        villageCode: input.villageCode,
        villageName: village?.name ?? null,
        flowId: input.submit.flowId,
        flowVersion: input.submit.flowVersion,
        channel: PROXY_CHANNEL,
        language: input.lang,
        answers: input.submit.answers,
        display: input.submit.display,
        submittedAt: now,
        review: { status: 'baru', note: null, reviewedAt: null, notes: [] },
        proxy: { enteredBy: new Types.ObjectId(actor.memberId), forName: input.forName, consentAloud: true, consentAt: input.consentAt },
        reporterRemovedAt: null,
        demo: false,
        createdAt: now,
        updatedAt: now,
      },
    },
    { upsert: true, returnDocument: 'after', projection: { _id: 1 } },
  );
  const id = String((res as unknown as { _id: Types.ObjectId })._id);
  await audit(actor, {
    action: 'submission.proxy', targetType: 'submission', targetId: id, villageCode: input.villageCode,
    details: { flowId: input.flow.id, forName: input.forName, consentAloud: true },
  }, now);
  try {
    await ctx.onProxySubmitted?.({
      id, enteredBy: actor.memberId, forName: input.forName, flowId: input.submit.flowId, flowVersion: input.submit.flowVersion,
      villageCode: input.villageCode, answers: input.submit.answers,
    });
  } catch (err) {
    ctx.logger.warn({ err, id }, 'After a form entered for a resident: the follow-up failed');
  }
  return id;
}

// ---- the API: all answers at once --------------------------------------------------------------

export interface ProxyBody {
  flowId: string;
  villageCode: string;
  forName: string;
  consentAloud: true;
  lang?: 'id' | 'en';
  answers: Record<string, unknown>;
}

/**
 * Walks the flow with the given answers as the engine would with a person: each answer is
 * parsed and checked (constraints, skip logic, repeat groups). Refused with 400 naming the
 * question and the engine's message when one doesn't parse, a required one is missing, or an
 * answer is given to a question the walk never asks.
 */
export async function submitProxyAnswers(ctx: Ctx, actor: Actor, body: ProxyBody): Promise<{ id: string }> {
  const flow = proxyFlow(ctx, body.flowId);
  assertVillage(actor, body.villageCode);
  if (!(await VillageModel.exists({ code: body.villageCode }))) throw notFound('village');
  const lang = body.lang ?? actor.language;
  for (const id of Object.keys(body.answers)) {
    const loc = locate(flow, id);
    if (!loc || loc.group || loc.q.type === 'note') throw badRequest(`"${id}" is not a question of ${flow.id}.`, { questionId: id, message: 'unknown question' });
  }
  const ectx = await engineContext(ctx, body.villageCode, lang);
  let result = startRun(flow, ectx);
  const asked = new Set<string>();
  for (let n = 0; result.state.status === 'active' && n < MAX_STEPS; n++) {
    const state = result.state;
    const pos = state.position!;
    let inputs: EngineInput[];
    let questionId: string;
    if (pos.at === 'question') {
      const q = questionAt(flow, state)!;
      const item = pos.group ? (body.answers[pos.group.id] as Record<string, unknown>[] | undefined)?.[pos.group.index] : undefined;
      if (pos.group && body.answers[pos.group.id] !== undefined && !Array.isArray(body.answers[pos.group.id])) {
        throw badRequest(`Question "${pos.group.id}": expected a list of items.`, { questionId: pos.group.id, message: 'expected a list of items' });
      }
      const value = pos.group ? (item && typeof item === 'object' ? item[q.id] : undefined) : body.answers[q.id];
      asked.add(pos.group ? pos.group.id : q.id);
      questionId = pos.group ? `${pos.group.id}[${pos.group.index}].${q.id}` : q.id;
      inputs = inputsFor(q, value, state);
    } else if (pos.at === 'more') {
      const list = body.answers[pos.group];
      const more = Array.isArray(list) && list.length > pos.index + 1;
      questionId = pos.group;
      inputs = [{ kind: 'choice', promptSeq: state.promptSeq, choiceId: more ? YES_ID : NO_ID }];
    } else if (pos.at === 'summary') {
      questionId = 'summary';
      inputs = [{ kind: 'choice', promptSeq: state.promptSeq, choiceId: SEND_ID }];
    } else {
      throw new WorkspaceError(500, 'walk_failed', 'The flow could not be walked.');
    }
    const applied = applyInputs(flow, state, inputs, ectx);
    if (applied.error) {
      throw new WorkspaceError(400, 'invalid_answer', `Question "${questionId}": ${applied.error}`, { questionId, message: applied.error });
    }
    result = applied.result;
    if (result.state.status === 'done' && !result.effects.some((e) => e.type === 'submit')) {
      const said = result.messages.map((m) => m.text).join('\n');
      throw new WorkspaceError(400, 'flow_ended', `The flow ended at "${questionId}" without a submission: ${said}`, { questionId, message: said });
    }
  }
  const submit = result.effects.find((e): e is Submit => e.type === 'submit');
  if (!submit) throw new WorkspaceError(400, 'incomplete', 'The answers did not lead to a submission.');
  const notAsked = Object.keys(body.answers).filter((id) => !asked.has(id) && body.answers[id] !== null);
  if (notAsked.length) {
    throw badRequest(`Not asked with these answers (skip logic): ${notAsked.join(', ')}.`, { questionId: notAsked[0], message: 'not asked with these answers' });
  }
  const id = await storeProxySubmission(ctx, actor, {
    runId: new Types.ObjectId(), flow, villageCode: body.villageCode, forName: body.forName, consentAt: ctx.now(), lang, submit,
  });
  return { id };
}

// ---- the pages: one question at a time, a draft per actor -----------------------------------

export interface DraftView {
  flow: Flow;
  villageCode: string;
  villageName: string;
  forName: string;
  lang: 'id' | 'en';
  state: RunState;
  messages: OutboundMessage[];
  rev: number;
}

export async function loadDraft(ctx: Ctx, actor: Actor): Promise<DraftView | null> {
  const d = await ProxyDraftModel.findOne({ actorId: actor.memberId }).lean();
  if (!d) return null;
  const flow = ctx.flows.get(d.flowId);
  // Expired (the TTL monitor may not have run yet), the flow gone, or the village no longer the actor's: dropped.
  if (d.expiresAt.getTime() <= ctx.now().getTime() || !flow || !(actor.villages === 'all' || actor.villages.includes(d.villageCode))) {
    await ProxyDraftModel.deleteOne({ _id: d._id });
    return null;
  }
  const village = await VillageModel.findOne({ code: d.villageCode }, { name: 1 }).lean();
  return {
    flow, villageCode: d.villageCode, villageName: village?.name ?? d.villageCode, forName: d.forName, lang: d.language === 'en' ? 'en' : 'id',
    state: d.state as RunState, messages: (d.messages ?? []) as OutboundMessage[], rev: d.rev,
  };
}

/** Starts (or starts over) the actor's draft: the first question is asked. */
export async function startDraft(ctx: Ctx, actor: Actor, input: { flowId: string; villageCode: string; forName: string; lang: 'id' | 'en' }): Promise<void> {
  const flow = proxyFlow(ctx, input.flowId);
  assertVillage(actor, input.villageCode);
  if (!(await VillageModel.exists({ code: input.villageCode }))) throw notFound('village');
  const ectx = await engineContext(ctx, input.villageCode, input.lang);
  const result = startRun(flow, ectx);
  if (result.state.status !== 'active') throw badRequest(result.messages.map((m) => m.text).join('\n'));
  const now = ctx.now();
  await ProxyDraftModel.findOneAndReplace(
    { actorId: actor.memberId },
    {
      actorId: new Types.ObjectId(actor.memberId), runId: new Types.ObjectId(), flowId: flow.id, flowVersion: flow.version, villageCode: input.villageCode,
      forName: input.forName, consentAt: now, language: input.lang, state: result.state, messages: result.messages, rev: 0, startedAt: now,
      expiresAt: new Date(now.getTime() + DRAFT_DAYS * 86_400_000),
    },
    { upsert: true },
  );
  await audit(actor, { action: 'proxy.start', targetType: 'flow', targetId: flow.id, villageCode: input.villageCode, details: { forName: input.forName, consentAloud: true } }, now);
}

export type DraftAnswer =
  | { kind: 'answer'; value: unknown }
  /** Typed as is (an empty answer): the engine says what it wants. */
  | { kind: 'text'; text: string }
  | { kind: 'choice'; choiceId: string }
  | { kind: 'back' };

export type StepOutcome =
  | { done: false; stale?: boolean }
  | { done: true; outcome: 'submitted'; submissionId: string; forName: string }
  | { done: true; outcome: 'declined' | 'cancelled'; message: string };

/**
 * One step of the draft. `rev` is the draft the page showed: an older page (a second tab, a
 * double click) changes nothing and shows the question asked now.
 */
export async function stepDraft(ctx: Ctx, actor: Actor, rev: number, answer: DraftAnswer): Promise<StepOutcome> {
  const d = await ProxyDraftModel.findOne({ actorId: actor.memberId }).lean();
  const draft = await loadDraft(ctx, actor);
  // No draft (sent or cancelled meanwhile: a double click on "Kirim"), or an older page: nothing changes.
  if (!d || !draft || draft.rev !== rev) return { done: false, stale: true };
  const { flow, state } = draft;
  const ectx = await engineContext(ctx, draft.villageCode, draft.lang);
  let inputs: EngineInput[];
  if (answer.kind === 'back') inputs = [{ kind: 'back' }];
  else if (answer.kind === 'text') inputs = [{ kind: 'text', text: answer.text }];
  else if (answer.kind === 'choice') inputs = [{ kind: 'choice', promptSeq: state.promptSeq, choiceId: answer.choiceId }];
  else {
    const q = questionAt(flow, state);
    if (!q) throw badRequest('This step is answered with one of its buttons.');
    inputs = inputsFor(q, answer.value, state);
  }
  const applied = applyInputs(flow, state, inputs, ectx);
  const result = applied.result;
  if (result.state.status === 'done') {
    const submit = result.effects.find((e): e is Submit => e.type === 'submit');
    let outcome: StepOutcome;
    if (submit) {
      const submissionId = await storeProxySubmission(ctx, actor, {
        runId: d.runId, flow, villageCode: draft.villageCode, forName: draft.forName, consentAt: d.consentAt, lang: draft.lang, submit,
      });
      outcome = { done: true, outcome: 'submitted', submissionId, forName: draft.forName };
    } else {
      outcome = { done: true, outcome: result.state.outcome === 'declined' ? 'declined' : 'cancelled', message: result.messages.map((m) => m.text).join('\n') };
    }
    await ProxyDraftModel.deleteOne({ _id: d._id, rev });
    return outcome;
  }
  // Only the last prompt (with the notes shown on the way to it) is kept for a reload.
  const lastPrompt = applied.messages.map((m, i) => (m.prompt ? i : -1)).filter((i) => i >= 0).pop() ?? applied.messages.length - 1;
  const firstShown = applied.messages.slice(0, lastPrompt).map((m, i) => (m.prompt ? i : -1)).filter((i) => i >= 0).pop() ?? -1;
  const messages = applied.messages.slice(firstShown + 1, lastPrompt + 1);
  const now = ctx.now();
  const res = await ProxyDraftModel.updateOne(
    { _id: d._id, rev },
    { $set: { state: result.state, messages, expiresAt: new Date(now.getTime() + DRAFT_DAYS * 86_400_000) }, $inc: { rev: 1 } },
  );
  return { done: false, ...(res.modifiedCount === 0 ? { stale: true } : {}) };
}

export async function cancelDraft(ctx: Ctx, actor: Actor): Promise<boolean> {
  const d = await ProxyDraftModel.findOneAndDelete({ actorId: actor.memberId }).lean();
  if (d) await audit(actor, { action: 'proxy.cancel', targetType: 'flow', targetId: d.flowId, villageCode: d.villageCode, details: { forName: d.forName } }, ctx.now());
  return !!d;
}
