/**
 * The Telegram outbound channel on the local Bot API: rendering as the adapter always did,
 * replies to a pressed button, in-place multiple-choice toggles, and errors mapped by code.
 */
import { Api } from 'grammy';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SendRequest } from '../../src/channels/channel.js';
import type { OutboundMessage } from '../../src/messages/index.js';
import { PROMPT_SEQ } from '../../src/messages/flows.js';
import { MULTIPLE_DONE_CHOICE_ID } from '../../src/channels/telegram/channel.js';
import type { StoredPrompt } from '../../src/channels/telegram/keyboard.js';
import { createTelegramOutbound } from '../../src/channels/telegram/outbound.js';
import { MemoryPromptStore } from '../../src/channels/telegram/prompt-store.js';
import { TOKEN, captureLogger, telegramSetup, type TelegramSetup } from './helpers.js';

const CHAT = 70_001;
let tg: TelegramSetup;
afterEach(async () => {
  await tg?.close();
});

const req = (messages: OutboundMessage[], extra: Partial<SendRequest> = {}): SendRequest => ({
  to: String(CHAT),
  messages,
  replyTo: null,
  alreadySent: 0,
  kind: 'reply',
  ...extra,
});
const methods = () => tg.fake.calls.map((c) => c.method);

async function setup(limits = { perChatBurst: 20, perChatPerSecond: 20 }) {
  tg = await telegramSetup({ fake: { limits } });
  tg.fake.addChat(CHAT);
}

describe('rendering', () => {
  it('escapes HTML, splits long text, paces every platform message after the first', async () => {
    await setup();
    let paced = 0;
    const long = Array.from({ length: 120 }, (_, i) => `Baris ${i} ${'kata '.repeat(8).trim()}`).join('\n');
    const r = await tg.channel.send(req([{ text: 'a < b & <i>c</i>' }, { text: long }], { pace: async () => void paced++ }));
    expect(r.ok).toBe(true);
    const bot = tg.fake.chat(CHAT).botMessages;
    expect(bot.map((m) => m.text)).toEqual(['a < b & <i>c</i>', expect.any(String), expect.any(String)]);
    expect(bot[0]!.parseMode).toBe('HTML');
    expect(`${bot[1]!.text}\n${bot[2]!.text}`).toBe(long);
    expect(paced).toBe(2);
    expect(r.ok && r.platformMessageIds).toEqual(bot.map((m) => String(m.message_id)));
  });

  it('a choice question: inline keyboard with the prompt number; long lists paged and stored', async () => {
    await setup();
    const choices = Array.from({ length: 12 }, (_, i) => ({ id: `opsi-${i}`, label: `Opsi ${i}` }));
    await tg.channel.send(req([{ text: 'Pilih', choices, promptSeq: 7 }]));
    const m = tg.fake.chat(CHAT).lastBotMessage!;
    const data = m.inlineKeyboard!.flat().map((b) => b.callback_data);
    expect(data).toContain('c:7:opsi-0');
    expect(data).toContain('p:7:1');
    expect(tg.channel.liveKeyboard(CHAT)).toBe(m.message_id);
  });

  it('typing past a question removes its buttons; the menu\'s stay (they are valid whatever comes next)', async () => {
    await setup();
    const menu = { text: 'Menu', choices: [{ id: 'laporan-risiko', label: 'Laporan risiko' }], promptSeq: PROMPT_SEQ.menu };
    await tg.channel.send(req([menu]));
    const first = tg.fake.chat(CHAT).lastBotMessage!;
    const before = tg.fake.calls.length;
    await tg.channel.send(req([menu])); // the person typed "menu"
    expect(methods().slice(before)).toEqual(['sendMessage']);
    expect(first.inlineKeyboard!.flat().map((b) => b.callback_data)).toEqual(['c:0:laporan-risiko']);
    await tg.channel.send(req([{ text: 'Jenis bencana?', choices: [{ id: 'banjir', label: 'Banjir' }], promptSeq: 4 }]));
    const question = tg.fake.chat(CHAT).lastBotMessage!;
    const typed = tg.fake.calls.length;
    await tg.channel.send(req([{ text: 'Kapan terjadi?', promptSeq: 5 }])); // the person typed "banjir"
    expect(methods().slice(typed)).toEqual(['editMessageReplyMarkup', 'sendMessage']);
    expect(question.inlineKeyboard).toBeUndefined();
  });

  it('a location question shows the location button; the next message removes that keyboard', async () => {
    await setup();
    await tg.channel.send(req([{ text: 'Di mana?', expect: 'location', choices: [{ id: 'skip', label: 'Lewati' }], language: 'id' }]));
    const kb = tg.fake.chat(CHAT).replyKeyboard as { keyboard: { text: string; request_location?: boolean }[][] };
    expect(kb.keyboard[0]![0]!.request_location).toBe(true);
    expect(kb.keyboard[1]![0]!.text).toBe('Lewati');
    await tg.channel.send(req([{ text: 'Terima kasih' }]));
    expect(tg.fake.chat(CHAT).replyKeyboard).toBeUndefined();
  });
});

describe('replies to a pressed button', () => {
  it('answers the callback query first, removes the answered question\'s keyboard, then sends', async () => {
    await setup();
    await tg.channel.send(req([{ text: 'Ya atau tidak?', choices: [{ id: 'ya', label: 'Ya' }, { id: 'tidak', label: 'Tidak' }], promptSeq: 3 }]));
    const q = tg.fake.chat(CHAT).lastBotMessage!;
    const press = tg.fake.pressButton(CHAT, q.message_id, 'c:3:ya');
    const callbackQueryId = (press.callback_query as { id: string }).id;
    const before = tg.fake.calls.length;
    const r = await tg.channel.send(req([{ text: 'Terima kasih' }], { replyTo: { callbackQueryId, sourceMessageId: String(q.message_id), promptSeq: 3 } }));
    expect(r.ok).toBe(true);
    expect(methods().slice(before)).toEqual(['answerCallbackQuery', 'editMessageReplyMarkup', 'sendMessage']);
    expect(q.inlineKeyboard).toBeUndefined();
    expect(tg.fake.callbackAnswers.map((a) => a.id)).toEqual([callbackQueryId]);
  });

  it('a query too old to answer is ignored; the reply still goes', async () => {
    await setup();
    const r = await tg.channel.send(req([{ text: 'ok' }], { replyTo: { callbackQueryId: '424242' } }));
    expect(r.ok).toBe(true);
    expect(tg.fake.chat(CHAT).lastBotMessage!.text).toBe('ok');
  });

  it('a multiple-choice toggle of the same prompt redraws the pressed message in place', async () => {
    await setup();
    const choices = [{ id: 'a', label: 'Sagu' }, { id: 'b', label: 'Ikan' }];
    await tg.channel.send(req([{ text: 'Pilih semua', choices, promptSeq: 5, multiple: { selected: [] } }]));
    const q = tg.fake.chat(CHAT).lastBotMessage!;
    const r = await tg.channel.send(
      req([{ text: 'Pilih semua', choices, promptSeq: 5, multiple: { selected: ['b'] } }], { replyTo: { sourceMessageId: String(q.message_id), promptSeq: 5 } }),
    );
    expect(r).toEqual({ ok: true, platformMessageIds: [String(q.message_id)] });
    expect(tg.fake.chat(CHAT).botMessages).toHaveLength(1);
    expect(q.editCount).toBe(1);
    expect(q.inlineKeyboard!.flat().map((b) => b.text)).toEqual(['Sagu', '✅ Ikan', '✔️ Selesai']);
    expect(q.inlineKeyboard!.flat().at(-1)!.callback_data).toBe(`c:5:${MULTIPLE_DONE_CHOICE_ID}`);
  });

  it('a typed answer to a question with buttons removes those buttons', async () => {
    await setup();
    await tg.channel.send(req([{ text: 'Ya?', choices: [{ id: 'ya', label: 'Ya' }], promptSeq: 1 }]));
    const q = tg.fake.chat(CHAT).lastBotMessage!;
    await tg.channel.send(req([{ text: 'Berikutnya' }]));
    expect(q.inlineKeyboard).toBeUndefined();
    // a proactive message does not touch the live question
    await tg.channel.send(req([{ text: 'Q2', choices: [{ id: 'ya', label: 'Ya' }], promptSeq: 2 }]));
    const q2 = tg.fake.chat(CHAT).lastBotMessage!;
    await tg.channel.send(req([{ text: 'Siaran' }], { kind: 'broadcast' }));
    expect(q2.inlineKeyboard).toBeDefined();
  });

  it('a retry starts after what already went out and does not answer or edit again', async () => {
    await setup();
    const before = tg.fake.calls.length;
    const r = await tg.channel.send(req([{ text: 'satu' }, { text: 'dua' }], { alreadySent: 1, replyTo: { callbackQueryId: '1', sourceMessageId: '1' } }));
    expect(r.ok).toBe(true);
    expect(methods().slice(before)).toEqual(['sendMessage']);
    expect(tg.fake.chat(CHAT).botMessages.map((m) => m.text)).toEqual(['dua']);
  });
});

describe('errors by code', () => {
  it('429 -> retry with retry_after in ms; without it, no time; progress says what went out', async () => {
    await setup();
    const progress: number[] = [];
    tg.fake.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
    const r = await tg.channel.send(req([{ text: 'x' }]));
    expect(r).toMatchObject({ ok: false, outcome: 'retry', retryAfterMs: 3000, sentCount: 0 });
    // the second message of a batch is refused: sentCount 1, the first's id reported through progress
    const first = await tg.channel.send(
      req([{ text: 'a' }, { text: 'b' }], {
        progress: async (n) => {
          progress.push(n);
          tg.fake.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests' });
        },
      }),
    );
    expect(first).toMatchObject({ ok: false, outcome: 'retry', sentCount: 1 });
    expect(first.ok === false && 'retryAfterMs' in first).toBe(false);
    expect(progress).toEqual([1]);
  });

  it('403 -> blocked, 400 -> failed with the reason, 5xx, 502 pages and refused connections -> retry', async () => {
    await setup();
    tg.fake.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    expect(await tg.channel.send(req([{ text: 'x' }]))).toMatchObject({ ok: false, outcome: 'retry', error: '500: Internal Server Error' });
    expect(await tg.channel.send(req([{ text: 'x' }], { to: '123' }))).toMatchObject({ ok: false, outcome: 'failed', error: '400: Bad Request: chat not found' });
    expect(await tg.channel.send(req([{ text: 'x' }], { to: 'bukan-angka' }))).toMatchObject({ ok: false, outcome: 'failed' });
    await tg.fake.goDown('502');
    expect(await tg.channel.send(req([{ text: 'x' }]))).toMatchObject({ ok: false, outcome: 'retry' });
    await tg.fake.goDown('refuse');
    expect(await tg.channel.send(req([{ text: 'x' }]))).toMatchObject({ ok: false, outcome: 'retry' });
    await tg.fake.comeBack();
    tg.fake.blockUser(CHAT);
    expect(await tg.channel.send(req([{ text: 'x' }]))).toMatchObject({ ok: false, outcome: 'blocked', error: '403: Forbidden: bot was blocked by the user' });
    expect(tg.fake.received(CHAT)).toBe(0);
  });
});

describe('the window between Telegram\'s OK and the record', () => {
  it('a question with buttons is reported sent as soon as Telegram accepts it, not after its prompt is stored', async () => {
    await setup();
    // A prompt store whose writes wait (a busy database): until it answers, the message is out but unrecorded.
    let release!: () => void;
    const busy = new Promise<void>((resolve) => (release = resolve));
    class SlowStore extends MemoryPromptStore {
      override async set(chatId: number, messageId: number, prompt: StoredPrompt): Promise<void> {
        await busy;
        await super.set(chatId, messageId, prompt);
      }
    }
    const store = new SlowStore();
    const channel = createTelegramOutbound({ api: new Api(TOKEN, { apiRoot: tg.fake.apiRoot }), logger: captureLogger().logger, promptStore: store });
    // Twelve choices: more than a page, so its ◀ ▶ buttons need the prompt stored (short lists whose
    // buttons carry their own ids are not stored at all).
    const choices = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, label: `Pilihan ${i + 1}` }));
    const sending = channel.send(req([{ text: 'Pilih', choices, promptSeq: 4 }]));
    const result = await Promise.race([sending, new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting for the prompt store'))]);
    const shown = tg.fake.chat(CHAT).lastBotMessage!;
    expect(result).toEqual({ ok: true, platformMessageIds: [String(shown.message_id)] });
    release();
    // The prompt is stored all the same, for the buttons' paging.
    await vi.waitFor(async () => expect(await store.get(CHAT, shown.message_id)).toMatchObject({ promptSeq: 4 }));
  });
});
