/**
 * The main menu: the flows a member may start, numbered 1, 2, 3... for each role, and reading
 * a pick from it (a button, a number or a flow's name).
 */
import type { MemberState } from '../db/repositories/members.js';
import { canStart, type Flow } from '../engine/index.js';
import { normalizeCommandWord } from '../engine/text.js';
import { FLOW, MENU_ORDER, PROMPT_SEQ } from '../messages/flows.js';
import type { InboundContent, OutboundMessage } from '../messages/index.js';
import type { ConversationKit } from './kit.js';
import type { Turn } from './turn.js';

/** Every flow in menu order: residents' flows first, then registration, then staff-only flows. */
function menuFlows(kit: ConversationKit): Flow[] {
  const rank = (f: Flow) =>
    MENU_ORDER.includes(f.id) ? MENU_ORDER.indexOf(f.id) : f.id === FLOW.registration ? 1000 : canStart(f, 'warga') || canStart(f, 'pokja') ? 100 : 2000;
  return [...kit.flows.values()].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

function availableFlows(kit: ConversationKit, member: MemberState): { flow: Flow; number: number }[] {
  // Numbered after the filter: a resident's menu runs 1, 2, 3 with no gaps where staff flows sit.
  return menuFlows(kit)
    .filter((flow) => flow.id === FLOW.registration || canStart(flow, member.role))
    .map((flow, i) => ({ flow, number: i + 1 }));
}

export function menu(kit: ConversationKit, member: MemberState, intro?: string): OutboundMessage[] {
  const t = kit.t(member);
  const items = availableFlows(kit, member);
  const label = (flow: Flow) => (flow.id === FLOW.registration ? t('bot:menu.reregister') : t(`${flow.namespace}:${flow.title}`));
  const lines = items.map(({ flow, number }) => `${number}. ${label(flow)}`);
  const choices = items.map(({ flow, number }) => ({ id: flow.id, label: `${number}. ${label(flow)}` }));
  return [{ text: [intro, `${t('bot:menu.prompt')}\n${lines.join('\n')}`, t('bot:menu.footer')].filter(Boolean).join('\n\n'), choices, promptSeq: PROMPT_SEQ.menu, expect: 'choice' }];
}

export function menuIfRegistered(kit: ConversationKit, turn: Turn): OutboundMessage[] {
  return kit.isRegistered(turn.view) ? menu(kit, turn.view) : [];
}

/** The flow a message picks from the menu; undefined when it picks none (`stale`: an old button). */
export function pickFromMenu(kit: ConversationKit, member: MemberState, content: InboundContent): { flow?: Flow; stale?: boolean } {
  const items = availableFlows(kit, member);
  if (content.kind === 'choice') {
    if (content.promptSeq !== PROMPT_SEQ.menu) return { stale: true };
    return { flow: items.find(({ flow }) => flow.id === content.choiceId)?.flow };
  }
  if (content.kind !== 'text') return {};
  const t = kit.t(member);
  const typed = normalizeCommandWord(content.text).replace(/[.)]$/, '');
  return {
    flow: /^\d+$/.test(typed)
      ? items.find(({ number }) => number === Number(typed))?.flow
      : items.find(({ flow }) => flow.id === typed || normalizeCommandWord(t(`${flow.namespace}:${flow.title}`)) === typed)?.flow,
  };
}
