/**
 * Global commands: work in any state and are never swallowed by a flow. Indonesian words
 * and /commands both work, case- and accent-insensitive. Only a message that is the command
 * alone counts ("batal"), so an answer that merely contains the word is still an answer.
 */
import { normalizeCommandWord } from '../engine/text.js';

export type GlobalCommand =
  | { name: 'menu' }
  | { name: 'cancel' }
  | { name: 'back' }
  | { name: 'help' }
  | { name: 'language' }
  | { name: 'stop' }
  | { name: 'start'; payload?: string }
  | { name: 'mydata' }
  | { name: 'deletedata' }
  | { name: 'privacy' };

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
  const word = normalized.replace(/@\w+$/, '').replace(/[.!?]+$/, '');
  const name = WORDS.get(word);
  return name ? ({ name } as GlobalCommand) : null;
}
