/** Pure parts of the Telegram channel: escaping, splitting, callback data, keyboards, deep links, QR codes. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, splitText } from '../../src/channels/telegram/format.js';
import { buildChoiceKeyboard, decodeCallbackData, encodeChoiceData, type StoredPrompt } from '../../src/channels/telegram/keyboard.js';
import { DEFAULT_TELEGRAM_TEXTS, MULTIPLE_DONE_CHOICE_ID } from '../../src/channels/telegram/channel.js';
import { decodeVillagePayload, encodeVillagePayload, parseStartCommand, telegramDeepLink } from '../../src/channels/telegram/deep-link.js';
import { MemoryPromptStore } from '../../src/channels/telegram/prompt-store.js';
import { mapMessageContent } from '../../src/channels/telegram/inbound.js';
import { parseTelegramHtml } from '../fakes/telegram-bot-api.js';

const kbOpts = { labels: DEFAULT_TELEGRAM_TEXTS, doneChoiceId: MULTIPLE_DONE_CHOICE_ID };

describe('escapeHtml', () => {
  it('round-trips any text through Telegram HTML parsing', () => {
    for (const s of ['a < b > c & d', '<b>not bold</b>', '&amp; &lt; &#65;', 'Tom & Jerry "quoted" \'single\'', '🌾 sagu & ikan']) {
      expect(parseTelegramHtml(escapeHtml(s)).text).toBe(s);
    }
  });
});

describe('splitText', () => {
  it('keeps short text whole', () => {
    expect(splitText('halo')).toEqual(['halo']);
    expect(splitText('x'.repeat(4096))).toHaveLength(1);
  });

  it('prefers paragraph, then line, then word boundaries', () => {
    const para = `${'a'.repeat(60)}\n\n${'b'.repeat(30)}\n${'c'.repeat(30)}`;
    expect(splitText(para, 100)).toEqual(['a'.repeat(60), `${'b'.repeat(30)}\n${'c'.repeat(30)}`]);
    const words = Array.from({ length: 50 }, (_, i) => `kata${i}`).join(' ');
    const chunks = splitText(words, 40);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(40);
      expect(c).toMatch(/^kata\d+( kata\d+)*$/);
    }
    expect(chunks.join(' ')).toBe(words);
  });

  it('cuts an endless word without breaking a surrogate pair', () => {
    const s = '🌾'.repeat(3000); // 6000 UTF-16 units
    const chunks = splitText(s);
    expect(chunks.every((c) => c.length <= 4096)).toBe(true);
    expect(chunks.join('')).toBe(s);
    expect(chunks.every((c) => !/[\uD800-\uDBFF]$/.test(c))).toBe(true);
  });

  it('escaped chunks stay within the limit as Telegram counts them', () => {
    const s = '<&>'.repeat(3000);
    for (const c of splitText(s)) expect(parseTelegramHtml(escapeHtml(c)).text.length).toBeLessThanOrEqual(4096);
  });
});

describe('callback data', () => {
  it('encodes short ids directly and long ids as an index, always within 64 bytes', () => {
    expect(encodeChoiceData(12, 'ya', 0)).toBe('c:12:ya');
    const long = 'x'.repeat(200);
    expect(encodeChoiceData(12, long, 5)).toBe('i:12:5');
    expect(encodeChoiceData(12, 'é'.repeat(30), 1)).toBe('i:12:1'); // 60 chars but 60+ bytes with prefix
    expect(encodeChoiceData(1, 'a'.repeat(60), 0)).toBe('c:1:' + 'a'.repeat(60)); // exactly 64 bytes
    expect(encodeChoiceData(1, 'a'.repeat(61), 0)).toBe('i:1:0');
  });

  it('decodes what it encodes and refuses foreign data', () => {
    expect(decodeCallbackData('c:7:opsi:dengan:titik-dua')).toEqual({ type: 'choice', promptSeq: 7, choiceId: 'opsi:dengan:titik-dua' });
    expect(decodeCallbackData('i:7:12')).toEqual({ type: 'choiceIndex', promptSeq: 7, index: 12 });
    expect(decodeCallbackData('p:7:2')).toEqual({ type: 'page', promptSeq: 7, page: 2 });
    expect(decodeCallbackData('x')).toEqual({ type: 'noop' });
    for (const bad of ['', 'c:7', 'c:abc:x', 'i:7:abc', 'p:7:-1', 'z:1:2', 'hello']) expect(decodeCallbackData(bad), bad).toBeNull();
  });
});

describe('buildChoiceKeyboard', () => {
  const prompt = (n: number, label = (i: number) => `Opsi ${i}`): StoredPrompt => ({
    promptSeq: 3,
    choices: Array.from({ length: n }, (_, i) => ({ id: `o${i}`, label: label(i) })),
    page: 0,
  });

  it('two short labels a row, one long label a row', () => {
    expect(buildChoiceKeyboard(prompt(4), 0, kbOpts).map((r) => r.length)).toEqual([2, 2]);
    const long = buildChoiceKeyboard(prompt(3, (i) => `Pilihan yang cukup panjang ${i}`), 0, kbOpts);
    expect(long.map((r) => r.length)).toEqual([1, 1, 1]);
  });

  it('no paging up to 8 choices; paging with ◀ n/m ▶ beyond', () => {
    expect(buildChoiceKeyboard(prompt(8), 0, kbOpts).flat().map((b) => b.text)).not.toContain('▶');
    const p2 = buildChoiceKeyboard(prompt(20), 1, kbOpts);
    expect(p2.at(-1)!.map((b) => b.text)).toEqual(['◀', '2/3', '▶']);
    expect(p2.flat().filter((b) => 'callback_data' in b && b.callback_data!.startsWith('c:')).map((b) => b.text)).toEqual(
      Array.from({ length: 8 }, (_, i) => `Opsi ${i + 8}`),
    );
    const last = buildChoiceKeyboard(prompt(20), 9, kbOpts); // clamped
    expect(last.at(-1)!.map((b) => b.text)).toEqual(['◀', '3/3']);
  });

  it('marks selected options and adds a done button for multiple choice', () => {
    const kb = buildChoiceKeyboard({ ...prompt(3), selected: ['o1'] }, 0, kbOpts);
    expect(kb.flat().map((b) => b.text)).toEqual(['Opsi 0', '✅ Opsi 1', 'Opsi 2', '✔️ Selesai']);
    expect(kb.at(-1)![0]).toMatchObject({ callback_data: `c:3:${MULTIPLE_DONE_CHOICE_ID}` });
    // a prompt offering its own done choice gets no second one
    const own = buildChoiceKeyboard({ promptSeq: 3, choices: [{ id: 'a', label: 'A' }, { id: MULTIPLE_DONE_CHOICE_ID, label: 'Sudah' }], selected: [], page: 0 }, 0, kbOpts);
    expect(own.flat().map((b) => b.text)).toEqual(['A', 'Sudah']);
  });

  it('shortens very long labels', () => {
    const kb = buildChoiceKeyboard(prompt(1, () => 'panjang '.repeat(30)), 0, kbOpts);
    expect([...kb[0]![0]!.text].length).toBeLessThanOrEqual(64);
    expect(kb[0]![0]!.text.endsWith('…')).toBe(true);
  });
});

describe('MemoryPromptStore', () => {
  it('evicts the least recently used entries', async () => {
    const s = new MemoryPromptStore(2);
    const p: StoredPrompt = { promptSeq: 1, choices: [], page: 0 };
    await s.set(1, 1, p);
    await s.set(1, 2, p);
    await s.get(1, 1);
    await s.set(1, 3, p);
    expect(await s.get(1, 2)).toBeUndefined();
    expect(await s.get(1, 1)).toEqual(p);
    expect(s.size).toBe(2);
  });
});

describe('inbound mapping', () => {
  const base = { message_id: 1, date: 1_700_000_000, chat: { id: 1, type: 'private' as const, first_name: 'A' }, from: { id: 1, is_bot: false, first_name: 'A' } };
  it('strips @BotName from commands', () => {
    expect(mapMessageContent({ ...base, text: '/start@SuaraDesaBot 81_05', entities: [{ type: 'bot_command', offset: 0, length: 19 }] })).toEqual({ kind: 'text', text: '/start 81_05' });
  });
  it('takes venues with their name and image documents as photos', () => {
    expect(mapMessageContent({ ...base, location: { latitude: 1, longitude: 2 }, venue: { location: { latitude: 1, longitude: 2 }, title: 'Balai Desa', address: 'x' } })).toEqual({ kind: 'location', latitude: 1, longitude: 2, name: 'Balai Desa' });
    expect(mapMessageContent({ ...base, document: { file_id: 'D', file_unique_id: 'u', mime_type: 'image/jpeg' }, caption: 'c' })).toEqual({ kind: 'photo', fileId: 'D', caption: 'c' });
    expect(mapMessageContent({ ...base, document: { file_id: 'D', file_unique_id: 'u', mime_type: 'application/pdf' } })).toEqual({ kind: 'unsupported', what: 'document' });
  });
});

describe('deep links', () => {
  it('encodes village codes as start payloads and back', () => {
    expect(encodeVillagePayload('81.05.15.2004')).toBe('81_05_15_2004');
    expect(decodeVillagePayload('81_05_15_2004')).toBe('81.05.15.2004');
    expect(decodeVillagePayload('promo-2025')).toBeNull();
    expect(decodeVillagePayload('')).toBeNull();
    expect(() => encodeVillagePayload('81.05 15')).toThrow();
    expect(() => encodeVillagePayload('1.'.repeat(40))).toThrow();
  });
  it('parses /start commands', () => {
    expect(parseStartCommand('/start 81_05_15_2004')).toEqual({ payload: '81_05_15_2004' });
    expect(parseStartCommand('/start@SuaraDesaBot abc')).toEqual({ payload: 'abc' });
    expect(parseStartCommand('/start')).toEqual({ payload: undefined });
    expect(parseStartCommand('/help')).toBeNull();
  });
  it('builds t.me links', () => {
    expect(telegramDeepLink('@SuaraDesaBot', '81_05_15_2004')).toBe('https://t.me/SuaraDesaBot?start=81_05_15_2004');
    expect(() => telegramDeepLink('SuaraDesaBot', 'has space')).toThrow();
  });
});
