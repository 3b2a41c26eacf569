/**
 * Global commands: work in any state and are never swallowed by a flow. Indonesian words
 * and /commands both work, case- and accent-insensitive. Only a message that is the command
 * alone counts ("batal"), so an answer that merely contains the word is still an answer.
 */
import { recordHelpRequest } from '../db/repositories/requests.js';
import { normalizeCommandWord } from '../engine/text.js';
import type { Language } from '../vocabulary.js';
import type { MemberState } from '../db/repositories/members.js';
import { FLOW, PROMPT_SEQ } from '../messages/flows.js';
import type { ConversationKit } from './kit.js';
import { menu, menuIfRegistered } from './menu.js';
import { chooseChannel, giveLinkCode, parseLinkCode, redeemLinkCode, type LinkableChannel } from './linking.js';
import { showMemberData } from './personal-data.js';
import { advance, cancel, hasAnswers, idleOrReprompt, reprompt, startFlow } from './runs.js';
import type { Turn } from './turn.js';

export type GlobalCommand =
  | { name: 'menu' }
  | { name: 'cancel' }
  | { name: 'back' }
  | { name: 'help' }
  | { name: 'language' }
  | { name: 'stop' }
  | { name: 'newsStop' }
  | { name: 'newsResume' }
  | { name: 'start'; payload?: string }
  | { name: 'mydata' }
  | { name: 'deletedata' }
  | { name: 'privacy' }
  | { name: 'link'; code?: string }
  | { name: 'use'; channel: LinkableChannel };

/** Own keys only (a Map): "constructor" or "__proto__" are words, not commands. */
const WORDS = new Map<string, GlobalCommand['name']>(Object.entries({
  menu: 'menu',
  batal: 'cancel',
  cancel: 'cancel',
  kembali: 'back',
  back: 'back',
  bantuan: 'help',
  help: 'help',
  tolong: 'help',
  bahasa: 'language',
  language: 'language',
  berhenti: 'stop',
  stop: 'stop',
  // Only the monthly village news (kabar desa); "berhenti" alone stops everything.
  'berhenti kabar': 'newsStop',
  'stop news': 'newsStop',
  'kabar lagi': 'newsResume',
  'news again': 'newsResume',
  mulai: 'start',
  start: 'start',
  datasaya: 'mydata',
  'data saya': 'mydata',
  mydata: 'mydata',
  hapusdata: 'deletedata',
  'hapus data': 'deletedata',
  deletedata: 'deletedata',
  'delete my data': 'deletedata',
  privasi: 'privacy',
  privacy: 'privacy',
} satisfies Record<string, GlobalCommand['name']>));

export function parseGlobalCommand(text: string): GlobalCommand | null {
  const normalized = normalizeCommandWord(text);
  // Telegram deep links arrive as "/start <payload>"; in groups commands may carry "@botname".
  const startWithPayload = /^start(?:@\w+)? ([A-Za-z0-9_-]{1,64})$/.exec(normalized);
  if (startWithPayload && text.trim().startsWith('/')) {
    return { name: 'start', payload: text.trim().split(/\s+/)[1] };
  }
  // WhatsApp poster links type "DAFTAR 81_05_15_2004" (src/channels/whatsapp/deep-link.ts).
  const register = /^daftar (\d[\d_.]{0,63})$/.exec(normalized);
  if (register) return { name: 'start', payload: register[1]!.replace(/\./g, '_') };
  const link = /^(?:hubungkan|link)(?: (\d{3}[ -]?\d{3}))?$/.exec(normalized);
  if (link) return link[1] ? { name: 'link', code: parseLinkCode(link[1])! } : { name: 'link' };
  const use = /^(?:pakai|use) (whatsapp|wa|telegram|tg)$/.exec(normalized);
  if (use) return { name: 'use', channel: use[1]!.startsWith('t') ? 'telegram' : 'whatsapp' };
  const word = normalized.replace(/@\w+$/, '').replace(/[.!?]+$/, '');
  const name = WORDS.get(word);
  return name ? ({ name } as GlobalCommand) : null;
}

/** A global command, whatever state the person is in. */
export async function runCommand(kit: ConversationKit, turn: Turn, command: GlobalCommand): Promise<void> {
  const member = turn.member;
  const t = kit.t(member);
  const run = member.run;
  switch (command.name) {
    case 'menu':
      if (!kit.isRegistered(member)) return void turn.say(...(await idleOrReprompt(kit, turn)));
      return void turn.say(...menu(kit, member, run ? t('bot:menu.runPaused', { flow: kit.flowTitle(run.flowId, t) }) : undefined));
    case 'cancel': {
      if (!run) return void turn.say({ text: t('bot:cancel.nothing') }, ...(await idleOrReprompt(kit, turn)));
      if (!kit.isRegistered(member) && !hasAnswers(run)) {
        // Registration cancelled before anything was said: nothing about this person is kept.
        turn.deleteMember = 'forget';
        return void turn.say({ text: t('bot:cancel.registration') });
      }
      if (hasAnswers(run)) {
        // Answers would be lost: ask first.
        turn.update({ pendingConfirmation: 'cancel' });
        return void turn.say(kit.confirmation(t('bot:cancel.confirm', { flow: kit.flowTitle(run.flowId, t) }), t('bot:cancel.yes'), t('bot:cancel.no')));
      }
      cancel(kit, turn);
      return void turn.say({ text: t('bot:cancel.done', { flow: kit.flowTitle(run.flowId, t) }) }, ...menuIfRegistered(kit, turn));
    }
    case 'back':
      if (!run) return void turn.say(...(await idleOrReprompt(kit, turn)));
      return advance(kit, turn, { kind: 'back' });
    case 'help':
      return void turn.say({
        text: t('bot:help.text'),
        choices: [
          { id: 'contact', label: t('bot:help.contact') },
          { id: 'continue', label: t(run ? 'bot:help.continue' : 'bot:help.toMenu') },
        ],
        promptSeq: PROMPT_SEQ.help,
        expect: 'choice',
      });
    case 'privacy':
      return void turn.say({ text: t('daftar:consent.full', { defaultValue: t('bot:privacy.text') }) }, ...(await idleOrReprompt(kit, turn)));
    case 'language': {
      const language: Language = member.language === 'id' ? 'en' : 'id';
      turn.update({ language });
      return void turn.say({ text: kit.t(turn.view)('bot:language.changed') }, ...(await idleOrReprompt(kit, turn)));
    }
    case 'stop':
      if (!kit.isRegistered(member)) {
        turn.deleteMember = 'forget';
        return void turn.say({ text: t('bot:stop.unregistered') });
      }
      turn.update({ optedOut: true });
      return void turn.say({ text: t('bot:stop.done') });
    case 'newsStop':
    case 'newsResume': {
      const newsOff = command.name === 'newsStop';
      if (kit.isRegistered(member)) turn.update({ newsOff });
      turn.say({ text: t(newsOff ? 'bot:news.stopped' : 'bot:news.resumed') });
      if (run) turn.say(...(await reprompt(kit, turn)));
      return;
    }
    case 'start': {
      if (!kit.isRegistered(member)) {
        if (run?.flowId === FLOW.registration && !command.payload) return void turn.say(...(await reprompt(kit, turn)));
        if (run) cancel(kit, turn);
        return startFlow(kit, turn, FLOW.registration, command.payload);
      }
      const wasOptedOut = member.optedOut;
      if (wasOptedOut) turn.update({ optedOut: false });
      const intro = wasOptedOut ? t('bot:start.resumed') : t('bot:start.welcomeBack', { name: member.name ?? '' });
      if (run) return void turn.say({ text: intro }, ...(await reprompt(kit, turn)));
      return void turn.say(...menu(kit, member, intro));
    }
    case 'mydata':
      turn.say(...(await showMemberData(kit, turn, t)));
      if (run) turn.say(...(await reprompt(kit, turn)));
      return;
    case 'link':
      return command.code ? redeemLinkCode(kit, turn, command.code) : giveLinkCode(kit, turn);
    case 'use':
      return chooseChannel(kit, turn, command.channel);
    case 'deletedata':
      if (!kit.isRegistered(member) && !run) return void turn.say({ text: t('bot:mydata.none') });
      turn.update({ pendingConfirmation: 'deletedata' });
      return void turn.say(kit.confirmation(t('bot:delete.confirm'), t('bot:delete.yes'), t('bot:delete.no')));
  }
}

/**
 * A feature's command: its word, for a role that may use it, followed by nothing or by what the
 * command takes. During a flow only the word alone. Anything else stays an answer or a menu pick
 * ("laporan risiko" picks the risk report; "jadwal tanam bergeser" answers the question).
 */
export function findExtensionCommand(kit: ConversationKit, text: string, member: MemberState) {
  const [word = '', ...rest] = normalizeCommandWord(text).split(' ');
  const args = rest.join(' ');
  if (member.run && args) return undefined;
  return (kit.ext.commands ?? []).find((c) => c.words.includes(word) && c.roles.includes(member.role) && (!args || (c.args?.test(args) ?? false)));
}

export async function runExtensionCommand(kit: ConversationKit, turn: Turn, command: NonNullable<ReturnType<typeof findExtensionCommand>>, text: string): Promise<void> {
  const member = turn.member;
  const t = kit.t(member);
  if (member.run) return void turn.say({ text: t('bot:menu.finishFirst', { flow: kit.flowTitle(member.run.flowId, t) }) }, ...(await reprompt(kit, turn)));
  const args = normalizeCommandWord(text).split(' ').slice(1).join(' ');
  // A feature may write (a workshop answered, a review set): never taken for a turn that changed nothing.
  turn.wrote();
  const result = await command.run({ ...kit.hookContext(turn), args });
  if (Array.isArray(result)) return void turn.say(...result);
  return startFlow(kit, turn, result.startFlow);
}

/** "Minta dihubungi" from the help message: stored once per message, the village's facilitators told. */
export async function requestHelp(kit: ConversationKit, turn: Turn): Promise<void> {
  const member = turn.member;
  const t = kit.t(member);
  const { message } = turn;
  const position = member.run?.state.position;
  const context = member.run ? `${member.run.flowId}${position && position.at === 'question' ? `/${position.id}` : ''}` : null;
  const id = `help:${message.channel}:${message.messageId}`;
  await recordHelpRequest(id, { memberId: member._id, villageCode: member.villageCode, channel: member.channel, context }, kit.now());
  turn.wrote();
  const extra = (await kit.ext.onHelpRequest?.(kit.hookContext(turn), { id, context })) ?? [];
  turn.say({ text: extra.length ? t('bot:help.requestedTold') : t('bot:help.requested') }, ...extra, ...(await idleOrReprompt(kit, turn)));
}
