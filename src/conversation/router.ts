/**
 * Routing: what a message is to the person's state, in this order: the answer to a pending
 * confirmation, a button of the help message or of a feature, a global command, a feature's
 * command, something unreadable, an expired run, registration, the active run, the menu.
 */
import { parseYesNo } from '../engine/text.js';
import type { EngineInput } from '../engine/index.js';
import { FLOW, PROMPT_SEQ } from '../messages/flows.js';
import { findExtensionCommand, parseGlobalCommand, requestHelp, runCommand, runExtensionCommand } from './commands.js';
import type { ConversationKit } from './kit.js';
import { menu, pickFromMenu } from './menu.js';
import { parseLinkCode, redeemLinkCode } from './linking.js';
import { advance, cancel, expire, hasAnswers, idleOrReprompt, reprompt, startFlow } from './runs.js';
import type { Turn } from './turn.js';

export async function respond(kit: ConversationKit, turn: Turn): Promise<void> {
  const member = turn.member;
  const t = kit.t(member);
  const content = turn.message.content;

  // The service's own yes/no questions: a tap on their buttons, or a typed yes/no.
  if (member.pendingConfirmation) {
    const tapped = content.kind === 'choice' && content.promptSeq === PROMPT_SEQ.confirm ? content.choiceId === 'yes' : undefined;
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
      cancel(kit, turn);
      turn.say({ text: t('bot:cancel.done', { flow: kit.flowTitle(member.run.flowId, t) }) }, ...menu(kit, turn.view));
      return;
    }
    if (answer !== undefined || (content.kind === 'choice' && content.promptSeq === PROMPT_SEQ.confirm)) {
      turn.say({ text: pending === 'deletedata' ? t('bot:delete.kept') : t('bot:cancel.kept') }, ...(await idleOrReprompt(kit, turn)));
      return;
    }
    // Anything else: the question is dropped and the message is taken as it is.
  } else if (content.kind === 'choice' && content.promptSeq === PROMPT_SEQ.confirm) {
    turn.say({ text: t('bot:menu.staleButton') }, ...(await idleOrReprompt(kit, turn)));
    return;
  }

  if (content.kind === 'choice' && content.promptSeq === PROMPT_SEQ.help) {
    if (content.choiceId === 'contact') return requestHelp(kit, turn);
    turn.say(...(await idleOrReprompt(kit, turn)));
    return;
  }
  if (content.kind === 'choice' && content.promptSeq === PROMPT_SEQ.action) {
    const [prefix, ...rest] = content.choiceId.split(':');
    const action = prefix && Object.hasOwn(kit.ext.actions ?? {}, prefix) ? kit.ext.actions![prefix] : undefined;
    if (action && kit.isRegistered(member)) {
      turn.wrote(); // an action records something (an RSVP, a review)
      turn.say(...(await action(kit.hookContext(turn), rest.join(':'))));
      return;
    }
    turn.say({ text: t('bot:menu.staleButton') }, ...(await idleOrReprompt(kit, turn)));
    return;
  }

  if (content.kind === 'text') {
    const command = parseGlobalCommand(content.text);
    if (command) return runCommand(kit, turn, command);
    const extension = kit.isRegistered(member) ? findExtensionCommand(kit, content.text, member) : undefined;
    if (extension) return runExtensionCommand(kit, turn, extension, content.text);
  }
  if (content.kind === 'unsupported') {
    turn.say({ text: t(content.what === 'invalid-location' ? 'bot:errors.badLocation' : 'bot:errors.unsupported') }, ...(await idleOrReprompt(kit, turn)));
    return;
  }

  const run = member.run;
  if (run && run.expiresAt.getTime() <= kit.now().getTime()) return expire(kit, turn, run);

  // A link code sent alone: outside a run (or before registration said anything), digits are no answer.
  const code = content.kind === 'text' && (!run || (run.flowId === FLOW.registration && !hasAnswers(run))) ? parseLinkCode(content.text) : null;
  if (code) return redeemLinkCode(kit, turn, code);

  if (!kit.isRegistered(member)) {
    if (run?.flowId === FLOW.registration) return advance(kit, turn, content as EngineInput);
    return startFlow(kit, turn, FLOW.registration);
  }
  if (run && content.kind === 'choice' && content.promptSeq === PROMPT_SEQ.menu) {
    // A menu button while a run is paused: its own flow continues it; another flow waits.
    if (content.choiceId !== run.flowId) turn.say({ text: t('bot:menu.finishFirst', { flow: kit.flowTitle(run.flowId, t) }) });
    turn.say(...(await reprompt(kit, turn)));
    return;
  }
  if (run) return advance(kit, turn, content as EngineInput);
  if (content.kind === 'audio') return void turn.say(...menu(kit, member, t('bot:errors.voiceNoQuestion')));
  // No run: a menu pick (button, number or name) starts its flow, anything else shows the menu again.
  const picked = pickFromMenu(kit, member, content);
  if (picked.flow) return startFlow(kit, turn, picked.flow.id);
  if (picked.stale) return void turn.say(...menu(kit, member, t('bot:menu.staleButton')));
  turn.say(...menu(kit, member, content.kind === 'text' ? t('bot:menu.notUnderstood') : undefined));
}
