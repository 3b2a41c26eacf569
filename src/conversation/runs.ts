/**
 * Runs: starting a flow, moving it on with an answer, asking its question again, and what
 * happens when it ends (a submission stored, registration completed, a hand-off to another
 * flow, the extensions told, the menu shown). The engine computes; this part applies.
 */
import { Types } from 'mongoose';
import { archiveRun } from '../db/repositories/drafts.js';
import type { ActiveRun, ProxyEntry } from '../db/repositories/members.js';
import { cancelRun, repromptRun, startRun, step, type Effect, type EngineInput, type StepResult } from '../engine/index.js';
import { reachedQuestions, stoppedAt } from '../engine/funnel.js';
import { FLOW } from '../messages/flows.js';
import type { OutboundMessage } from '../messages/index.js';
import { proxyReporterName } from './extensions.js';
import type { ConversationKit } from './kit.js';
import { menu, menuIfRegistered } from './menu.js';
import { CODE_FAILURES_PER_HOUR, codeFailuresThisHour, completeRegistration } from './registration.js';
import { storeRunSubmission } from './submissions.js';
import type { Turn } from './turn.js';
import { decodeVillagePayload } from '../messages/village-payload.js';

export async function startFlow(kit: ConversationKit, turn: Turn, flowId: string, startPayload?: string, proxy?: ProxyEntry): Promise<void> {
  const member = turn.view;
  const flow = kit.flow(flowId);
  const preset: Record<string, unknown> = {};
  if (flowId === FLOW.registration && startPayload) {
    const villageCode = decodeVillagePayload(startPayload);
    const village = villageCode ? (await kit.villages()).find((v) => v.code === villageCode) : undefined;
    if (village) Object.assign(preset, { kecamatan: village.kecamatan, village: village.code });
  }
  const ctx = await kit.context(member, flow, preset);
  ctx.firstPromptSeq = member.promptSeq;
  const result = startRun(flow, ctx);
  const now = kit.now();
  const run: ActiveRun = {
    id: new Types.ObjectId(),
    flowId: flow.id,
    flowVersion: flow.version,
    state: result.state,
    startedAt: now,
    lastActivityAt: now,
    expiresAt: kit.expiry(now),
    reminderSentAt: null,
    ...(proxy ? { proxy } : {}),
  };
  turn.update({ run });
  await afterStep(kit, turn, run, result);
}

export async function advance(kit: ConversationKit, turn: Turn, input: EngineInput): Promise<void> {
  const member = turn.view;
  const run = member.run!;
  const flow = kit.flowForRun(run);
  const t = kit.t(member);
  const now = kit.now();
  const atCode = run.flowId === FLOW.registration && run.state.position?.at === 'question' && run.state.position.id === 'role_code';
  if (atCode && input.kind === 'text' && codeFailuresThisHour(member, now) >= CODE_FAILURES_PER_HOUR) {
    // Guessing codes: no more checks this hour, kindly.
    return void turn.say({ text: t('bot:codes.tooMany') }, ...(await reprompt(kit, turn)));
  }
  const result = step(flow, run.state, input, await kit.context(member, flow));
  if (atCode && input.kind === 'text' && result.state.failures > run.state.failures) {
    const count = codeFailuresThisHour(member, now);
    turn.update({ codeFailures: count ? { count: count + 1, since: member.codeFailures!.since } : { count: 1, since: now } });
  }
  await afterStep(kit, turn, { ...run, state: result.state }, result, run);
}

/** The run's current question again (after an interruption), or nothing when no run is active. */
export async function reprompt(kit: ConversationKit, turn: Turn): Promise<OutboundMessage[]> {
  const member = turn.view;
  const run = member.run;
  if (!run) return [];
  const flow = kit.flowForRun(run);
  const result = repromptRun(flow, run.state, await kit.context(member, flow));
  turn.update({ run: { ...run, state: result.state }, promptSeq: Math.max(member.promptSeq, result.state.promptSeq) });
  return result.messages;
}

/** Back to where the person was: the run's question, else the menu (or how to start). */
export async function idleOrReprompt(kit: ConversationKit, turn: Turn): Promise<OutboundMessage[]> {
  const member = turn.view;
  if (member.run) return reprompt(kit, turn);
  if (!kit.isRegistered(member)) return [{ text: kit.t(member)('bot:start.hint') }];
  return menu(kit, member);
}

/** Ends a run without a submission; the engine empties its answers, so nothing is kept. */
export function cancel(kit: ConversationKit, turn: Turn): void {
  const run = turn.view.run;
  if (!run) return;
  cancelRun(kit.flowForRun(run), run.state, kit.syncContext(turn.view));
  endedWithout(kit, turn, run, 'cancelled');
  turn.update({ run: null });
}

/** Notes a run that ends without a submission, for the drop-out funnel (where it stopped). */
function endedWithout(kit: ConversationKit, turn: Turn, run: ActiveRun, outcome: 'cancelled' | 'declined'): void {
  turn.endedRuns.push({
    id: run.id, flowId: run.flowId, villageCode: run.proxy?.villageCode ?? turn.view.villageCode, channel: turn.message.channel,
    startedAt: run.startedAt, endedAt: kit.now(), outcome, reached: reachedQuestions(run.state), stoppedAt: stoppedAt(run.state),
  });
}

/** A run past its expiry (the sweep may not have run yet): answers kept as a draft, and the person told. */
export async function expire(kit: ConversationKit, turn: Turn, run: ActiveRun): Promise<void> {
  await archiveRun(turn.member._id, run, kit.now());
  turn.wrote();
  turn.update({ run: null });
  turn.say({ text: kit.t(turn.member)('bot:run.expired') });
  if (kit.isRegistered(turn.member)) turn.say(...menu(kit, turn.view));
  else await startFlow(kit, turn, FLOW.registration);
}

export function hasAnswers(run: ActiveRun): boolean {
  const preset = new Set(run.state.preset ?? []);
  return Object.keys(run.state.answers).some((k) => !preset.has(k));
}

/** Applies an engine result: the run moves on or ends, a submission is stored, replies follow. */
/** `before`: the run as it was before this step (where it stood, for the funnel). */
async function afterStep(kit: ConversationKit, turn: Turn, run: ActiveRun, result: StepResult, before: ActiveRun = run): Promise<void> {
  const now = kit.now();
  const member = turn.view;
  const t = kit.t(member);
  const ended = result.effects.find((e): e is Extract<Effect, { type: 'ended' }> => e.type === 'ended');
  const submit = result.effects.find((e): e is Extract<Effect, { type: 'submit' }> => e.type === 'submit');
  turn.update({ promptSeq: Math.max(member.promptSeq, result.state.promptSeq) });
  turn.say(...result.messages);

  if (!ended) {
    turn.update({ run: { ...run, state: result.state, lastActivityAt: now, expiresAt: kit.expiry(now), reminderSentAt: null } });
    return;
  }
  turn.update({ run: null });
  if (submit) {
    if (submit.flowId === FLOW.registration) {
      await completeRegistration(kit, turn, submit, run);
      turn.say(...menu(kit, turn.view));
      return;
    }
    const submissionId = await storeRunSubmission(kit, turn, member, run, submit);
    const hook = kit.hookContext(turn);
    const info = {
      id: submissionId,
      flowId: submit.flowId,
      flowVersion: submit.flowVersion,
      villageCode: run.proxy?.villageCode ?? member.villageCode,
      answers: submit.answers,
      display: submit.display,
    };
    // A flow that hands over to another (filling a form for a resident): the chosen form follows at once.
    const handOff = run.proxy ? undefined : kit.ext.handOff?.(hook, info);
    if (handOff) return startFlow(kit, turn, handOff.flowId, undefined, handOff.proxy);
    if (handOff === undefined) {
      // Entered for a resident: hooks (alerts) name the resident, reached through the member.
      if (run.proxy) hook.member = { ...hook.member, name: proxyReporterName(run.proxy.forName, member.name) };
      const extra = (await kit.ext.onSubmit?.(hook, info)) ?? [];
      turn.say(...extra);
      // Buttons still waiting (stop a broadcast) stay the last thing on screen: the menu is a word away.
      if (extra.some((m) => m.choices?.length)) return;
    }
    turn.say(...menu(kit, turn.view));
    return;
  }
  endedWithout(kit, turn, before, ended.outcome === 'declined' ? 'declined' : 'cancelled');
  if (ended.outcome === 'declined' && run.flowId === FLOW.registration) {
    if (kit.isRegistered(member)) {
      // Re-registration only ever corrects: saying no keeps everything as it was.
      turn.say({ text: t('bot:reregister.cancelled') }, ...menu(kit, turn.view));
    } else {
      turn.deleteMember = 'forget';
    }
    return;
  }
  turn.say(...menuIfRegistered(kit, turn));
}
