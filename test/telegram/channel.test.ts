/**
 * The Telegram channel through grammY and the fake Bot API, in long-polling and webhook mode.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MULTIPLE_DONE_CHOICE_ID } from '../../src/channels/telegram/index.js';
import type { FakeChatMessage } from '../fakes/telegram-bot-api.js';
import { useTestDatabase } from '../helpers/db.js';
import { LONG_IDS, LONG_TEXT, SECRET, startHarness, THIRTY, type Harness } from './harness.js';

const USER = 880001;
const flat = (m: FakeChatMessage | undefined) => (m?.inlineKeyboard ?? []).flat();
const choiceButtons = (m: FakeChatMessage | undefined) => flat(m).filter((b) => /^[ci]:/.test(b.callback_data ?? ''));

useTestDatabase();

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(['polling', 'webhook'] as const)('%s mode', (mode) => {
  it('maps text in and escapes HTML out', async () => {
    h = await startHarness(mode);
    h.fake.sendText({ id: USER, first_name: 'Siti', last_name: 'Rumalutur', language_code: 'id' }, 'a < b & <i>c</i>');
    const reply = await h.fake.nextBotMessage(USER);
    expect(reply.text).toBe('Kamu menulis: a < b & <i>c</i>');
    expect(reply.parseMode).toBe('HTML');
    const m = h.handler.received[0]!;
    expect(m).toMatchObject({
      channel: 'telegram',
      platformUserId: String(USER),
      profileName: 'Siti Rumalutur',
      languageHint: 'id',
      content: { kind: 'text', text: 'a < b & <i>c</i>' },
    });
    expect(m.messageId).toBe(`tg:${h.fake.updates[0]!.update_id}`);
    expect(m.receivedAt).toBeInstanceOf(Date);
  });

  it('passes /start deep-link payloads through', async () => {
    h = await startHarness(mode);
    h.fake.sendCommand(USER, 'start', '81_05_15_2004');
    await h.fake.nextBotMessage(USER);
    expect(h.handler.received[0]!.content).toEqual({ kind: 'text', text: '/start 81_05_15_2004' });
  });

  it('pages a 30-choice list in place and a press on page 3 yields the right choiceId', async () => {
    h = await startHarness(mode);
    h.fake.sendText(USER, 'pilih');
    const list = await h.fake.nextBotMessage(USER);
    expect(choiceButtons(list).map((b) => b.text)).toEqual(THIRTY.slice(0, 8).map((c) => c.label));
    expect(list.inlineKeyboard!.slice(0, 4).every((row) => row.length === 2)).toBe(true); // short labels: two a row
    expect(flat(list).map((b) => b.text)).toContain('1/4');
    expect(flat(list).map((b) => b.text)).not.toContain('◀');

    const calledBefore = h.handler.received.length;
    for (const expectedPage of ['2/4', '3/4']) {
      const edits = list.editCount;
      h.fake.pressButtonText(USER, '▶');
      await h.fake.waitFor(() => list.editCount === edits + 1);
      expect(flat(list).map((b) => b.text)).toContain(expectedPage);
    }
    expect(h.handler.received.length).toBe(calledBefore); // paging never reaches the service
    expect(choiceButtons(list).map((b) => b.text)).toEqual(THIRTY.slice(16, 24).map((c) => c.label));
    expect(flat(list).map((b) => b.text)).toEqual(expect.arrayContaining(['◀', '▶']));
    expect(h.fake.chat(USER).botMessages).toHaveLength(1); // edited, not re-sent

    h.fake.pressButtonText(USER, 'Opsi 20');
    const answer = await h.fake.nextBotMessage(USER);
    expect(answer.text).toBe('Pilihan: opsi-20');
    expect(h.handler.received.at(-1)!.content).toEqual({ kind: 'choice', promptSeq: 7, choiceId: 'opsi-20' });
    expect(list.inlineKeyboard).toBeUndefined(); // the answered question lost its buttons
    // every press was answered
    expect(h.fake.callbackAnswers).toHaveLength(3);
    // and the last page holds the remaining 6
    h.fake.sendText(USER, 'pilih');
    const again = await h.fake.nextBotMessage(USER);
    for (let i = 0; i < 3; i++) {
      const edits = again.editCount;
      h.fake.pressButtonText(USER, '▶', { messageId: again.message_id });
      await h.fake.waitFor(() => again.editCount === edits + 1);
    }
    expect(choiceButtons(again).map((b) => b.text)).toEqual(THIRTY.slice(24).map((c) => c.label));
    expect(flat(again).map((b) => b.text)).not.toContain('▶');
  });

  it('keeps callback_data within 64 bytes for 200-character choice ids and maps them back', async () => {
    h = await startHarness(mode);
    h.fake.sendText(USER, 'panjang');
    const list = await h.fake.nextBotMessage(USER);
    const data = flat(list).map((b) => b.callback_data!);
    expect(data).toHaveLength(3);
    for (const d of data) expect(Buffer.byteLength(d, 'utf8')).toBeLessThanOrEqual(64);
    expect(LONG_IDS[1]!.id.length).toBeGreaterThanOrEqual(200);
    h.fake.pressButtonText(USER, 'Pilihan B');
    await h.fake.nextBotMessage(USER);
    expect(h.handler.received.at(-1)!.content).toEqual({ kind: 'choice', promptSeq: 8, choiceId: LONG_IDS[1]!.id });
  });

  it('splits a 5,000-character text on line boundaries', async () => {
    h = await startHarness(mode, { fake: { limits: { perChatBurst: 5 } } });
    h.fake.sendText(USER, 'teks');
    const first = await h.fake.nextBotMessage(USER);
    const second = await h.fake.nextBotMessage(USER);
    expect(LONG_TEXT.length).toBeGreaterThan(4096);
    expect(first.text!.length).toBeLessThanOrEqual(4096);
    expect(second.text!.length).toBeLessThanOrEqual(4096);
    expect(first.text!.endsWith('kata')).toBe(true); // cut at a line end, not mid-word
    expect(second.text!.startsWith('Baris ')).toBe(true);
    expect(`${first.text}\n${second.text}`).toBe(LONG_TEXT);
  });

  it('offers a location button and takes a location', async () => {
    h = await startHarness(mode);
    h.fake.sendText(USER, 'lokasi');
    await h.fake.nextBotMessage(USER);
    const kb = h.fake.chat(USER).replyKeyboard as { keyboard: { text: string; request_location?: boolean }[][]; one_time_keyboard: boolean; input_field_placeholder: string };
    expect(kb.keyboard[0]![0]!.request_location).toBe(true);
    expect(kb.one_time_keyboard).toBe(true);
    expect(kb.input_field_placeholder).toMatch(/ketik/);
    h.fake.sendLocation(USER, -3.9, 130.9, { horizontal_accuracy: 12 });
    const reply = await h.fake.nextBotMessage(USER);
    expect(reply.text).toBe('Lokasi: -3.9,130.9');
    expect(h.handler.received.at(-1)!.content).toEqual({ kind: 'location', latitude: -3.9, longitude: 130.9 });
    expect(reply.replyMarkup).toEqual({ remove_keyboard: true });
  });

  it('takes a photo: largest size and caption', async () => {
    h = await startHarness(mode);
    const u = h.fake.sendPhoto(USER, { caption: 'longsor di jalan' });
    await h.fake.nextBotMessage(USER);
    const sizes = (u.message as { photo: { file_id: string; width: number }[] }).photo;
    const largest = sizes.reduce((a, b) => (b.width > a.width ? b : a));
    expect(h.handler.received[0]!.content).toEqual({ kind: 'photo', fileId: largest.file_id, caption: 'longsor di jalan' });
  });

  it('toggles multiple choice in place and finishes with the done button', async () => {
    h = await startHarness(mode);
    h.fake.sendText(USER, 'multi');
    const prompt = await h.fake.nextBotMessage(USER);
    expect(flat(prompt).map((b) => b.text)).toEqual(['Padi', 'Jagung', 'Sagu', '✔️ Selesai']);
    h.fake.pressButtonText(USER, 'Jagung');
    await h.fake.waitFor(() => prompt.editCount === 1);
    expect(flat(prompt).map((b) => b.text)).toEqual(['Padi', '✅ Jagung', 'Sagu', '✔️ Selesai']);
    h.fake.pressButtonText(USER, 'Sagu');
    await h.fake.waitFor(() => prompt.editCount === 2);
    expect(flat(prompt).map((b) => b.text)).toEqual(['Padi', '✅ Jagung', '✅ Sagu', '✔️ Selesai']);
    expect(h.fake.chat(USER).botMessages).toHaveLength(1);
    h.fake.pressButtonText(USER, 'Selesai');
    const done = await h.fake.nextBotMessage(USER);
    expect(done.text).toBe('Dipilih: jagung, sagu');
    expect(h.handler.received.at(-1)!.content).toEqual({ kind: 'choice', promptSeq: 9, choiceId: MULTIPLE_DONE_CHOICE_ID });
    expect(prompt.inlineKeyboard).toBeUndefined();
  });

  it('answers a callback query before the slow work', async () => {
    h = await startHarness(mode);
    h.fake.sendText(USER, 'pilih');
    await h.fake.nextBotMessage(USER);
    const { fake, handler } = h;
    let finishWork = () => undefined as void;
    handler.hold = new Promise((resolve) => (finishWork = resolve));
    const finished = handler.finishedAt.length;
    fake.pressButtonText(USER, 'Opsi 2');
    // Answered while the work is under way (it can't finish before it is let go).
    await vi.waitFor(() => {
      expect(fake.callbackAnswers).toHaveLength(1);
      expect(handler.received.at(-1)!.content).toMatchObject({ kind: 'choice' });
    }, { timeout: 15_000, interval: 20 });
    expect(handler.finishedAt).toHaveLength(finished);
    finishWork();
    await h.fake.nextBotMessage(USER);
    expect(h.fake.callbackAnswers).toHaveLength(1);
    // The order itself is proven above (answered while the work was held); these are millisecond
    // clocks, and the answer and the end of the work let go right after it can share a millisecond.
    expect(h.fake.callbackAnswers[0]!.at).toBeLessThanOrEqual(h.handler.finishedAt.at(-1)!);
  });

  it('marks a user blocked from my_chat_member, and unblocked again', async () => {
    h = await startHarness(mode);
    h.fake.sendText(USER, 'halo');
    await h.fake.nextBotMessage(USER);
    h.fake.blockBot(USER);
    await h.fake.waitFor(() => h!.handler.blocked.length === 1);
    h.fake.unblockBot(USER);
    await h.fake.waitFor(() => h!.handler.blocked.length === 2);
    expect(h.handler.blocked).toEqual([
      { address: { channel: 'telegram', platformUserId: String(USER) }, blocked: true },
      { address: { channel: 'telegram', platformUserId: String(USER) }, blocked: false },
    ]);
  });

  it('drops a repeated update_id', async () => {
    h = await startHarness(mode);
    const u = h.fake.sendText(USER, 'sekali');
    await h.fake.nextBotMessage(USER);
    h.fake.injectUpdate(structuredClone(u));
    h.fake.sendText(USER, 'dua');
    await h.fake.nextBotMessage(USER);
    expect(h.handler.received.map((m) => (m.content.kind === 'text' ? m.content.text : ''))).toEqual(['sekali', 'dua']);
    expect(h.fake.chat(USER).botMessages).toHaveLength(2);
  });
});

describe('webhook specifics', () => {
  it('registers the webhook with the secret and the allowed updates', async () => {
    h = await startHarness('webhook');
    const set = h.fake.callsTo('setWebhook')[0]!;
    expect(set.ok).toBe(true);
    expect(set.params).toMatchObject({ url: `${h.appUrl}/telegram/webhook`, secret_token: SECRET, allowed_updates: ['message', 'callback_query', 'my_chat_member'] });
    expect(h.fake.webhookInfo()).toMatchObject({ url: `${h.appUrl}/telegram/webhook` });
  });

  it('a wrong secret gets 401 and the handler is not called', async () => {
    h = await startHarness('webhook');
    const update = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: USER, type: 'private', first_name: 'X' }, from: { id: USER, is_bot: false, first_name: 'X' }, text: 'halo' } };
    const variants: Record<string, string>[] = [{ 'X-Telegram-Bot-Api-Secret-Token': 'wrong' }, {}];
    for (const headers of variants) {
      const res = await fetch(`${h.appUrl}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(update) });
      expect(res.status).toBe(401);
    }
    expect(h.handler.received).toEqual([]);
    const ok = await fetch(`${h.appUrl}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': SECRET }, body: JSON.stringify(update) });
    expect(ok.status).toBe(200);
    expect(h.handler.received).toHaveLength(1);
  });

  it('ignores unknown update types without errors, and passes on what a person sent but the bot cannot read', async () => {
    h = await startHarness('webhook');
    const post = (body: unknown) =>
      fetch(`${h!.appUrl}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': SECRET }, body: JSON.stringify(body) });
    const chat = { id: USER, type: 'private', first_name: 'X' };
    const from = { id: USER, is_bot: false, first_name: 'X' };
    // The person has a chat with the bot already, so replies can reach them.
    h.fake.sendText(USER, 'halo');
    expect((await h.fake.nextBotMessage(USER)).text).toBe('Kamu menulis: halo');
    h.handler.received = [];
    const odd = [
      { update_id: 11, edited_message: { message_id: 1, date: 1, edit_date: 2, chat, from, text: 'ubah' } },
      { update_id: 12, channel_post: { message_id: 1, date: 1, chat: { id: -100, type: 'channel', title: 'c' }, text: 'p' } },
      { update_id: 13, poll: { id: '1', question: 'q', options: [], total_voter_count: 0, is_closed: false, is_anonymous: true, type: 'regular', allows_multiple_answers: false } },
      { update_id: 14, some_future_update: { whatever: true } },
      { update_id: 15, message: { message_id: 2, date: 1, chat, from, sticker: { file_id: 's', file_unique_id: 'u', type: 'regular', width: 1, height: 1, is_animated: false, is_video: false } } },
      { update_id: 16, message: { message_id: 3, date: 1, chat: { id: -5, type: 'group', title: 'g' }, from, text: 'di grup' } },
      { update_id: 17, callback_query: { id: '99', from, chat_instance: '1', data: 'garbage' } },
    ];
    for (const u of odd) expect((await post(u)).status, JSON.stringify(u)).toBe(200);
    // Only the private sticker reaches the service, as unsupported content it answers kindly.
    expect(h.handler.received.map((m) => m.content)).toEqual([{ kind: 'unsupported', what: 'sticker' }]);
    expect((await h.fake.nextBotMessage(USER)).text).toBe('Tidak terbaca: sticker');
    expect(h.fake.callsTo('sendMessage')).toHaveLength(2);
    // and the channel still works
    h.fake.sendText(USER, 'lagi');
    expect((await h.fake.nextBotMessage(USER)).text).toBe('Kamu menulis: lagi');
  });

  it('a failed handler is tried again from the inbox: Telegram got 200 once, the reply comes once', async () => {
    h = await startHarness('webhook');
    const original = h.handler.handle.bind(h.handler);
    let failures = 1;
    h.handler.handle = async (m) => {
      if (failures-- > 0) throw new Error('database down');
      return original(m);
    };
    h.fake.sendText(USER, 'halo');
    const reply = await h.fake.nextBotMessage(USER);
    expect(reply.text).toBe('Kamu menulis: halo');
    expect(h.fake.webhookDeliveries.map((d) => d.status)).toEqual([200]);
    expect(h.handler.received).toHaveLength(1);
    await h.inbox.drained();
    expect(h.fake.chat(USER).botMessages).toHaveLength(1);
  });
});

describe('restarts', () => {
  it('direct-id buttons work after a restart; index and paging buttons are declared expired', async () => {
    h = await startHarness('polling');
    const fake = h.fake;
    fake.sendText(USER, 'pilih');
    const list = await fake.nextBotMessage(USER);
    await h.restart();
    fake.pressButtonText(USER, 'Opsi 3', { messageId: list.message_id });
    expect((await fake.nextBotMessage(USER)).text).toBe('Pilihan: opsi-3');

    fake.sendText(USER, 'panjang');
    const longList = await fake.nextBotMessage(USER);
    await h.restart();
    const received = h.handler.received.length;
    fake.pressButtonText(USER, 'Pilihan A', { messageId: longList.message_id });
    await fake.waitFor(() => fake.callbackAnswers.length === 2 && longList.inlineKeyboard === undefined);
    expect(fake.callbackAnswers[1]!.text).toMatch(/tidak berlaku/);
    expect(h.handler.received.length).toBe(received);
  });
});
