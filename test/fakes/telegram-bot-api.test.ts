/* eslint-disable @typescript-eslint/no-explicit-any -- raw Bot API JSON in assertions */
/**
 * The fake Bot API must reject what Telegram rejects: every limit and rejection here is
 * proven against raw HTTP (and grammY for multipart), so adapter tests can trust it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bot, InputFile } from 'grammy';
import { parseTelegramHtml, startFakeTelegram, type FakeTelegram, type Json } from './telegram-bot-api.js';

const TOKEN = '424242:fake-token-for-tests';
let fake: FakeTelegram;

async function call(method: string, body: Json = {}, opts: { token?: string; form?: boolean; get?: boolean } = {}) {
  const url = `${fake.apiRoot}/bot${opts.token ?? TOKEN}/${method}`;
  let res: Response;
  if (opts.get) {
    const qs = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as [string, string]));
    res = await fetch(`${url}?${qs}`);
  } else if (opts.form) {
    const form = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as [string, string]));
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  } else {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
  return { status: res.status, body: (await res.json()) as Json & { ok: boolean; result?: any; description?: string; error_code?: number; parameters?: Json } };
}

const USER = 5001;

beforeEach(async () => {
  fake = await startFakeTelegram({ token: TOKEN, webhook: { retryBaseMs: 20, retryMaxMs: 80 }, callbackQueryTtlMs: 200 });
});
afterEach(async () => {
  await fake.close();
});

describe('routing and auth', () => {
  it('answers getMe with JSON, form and GET bodies', async () => {
    const a = await call('getMe');
    expect(a.status).toBe(200);
    expect(a.body.result).toMatchObject({ id: 424242, is_bot: true, username: 'SuaraDesaTestBot' });
    expect((await call('getMe', {}, { form: true })).status).toBe(200);
    expect((await call('getMe', {}, { get: true })).status).toBe(200);
  });

  it('rejects a wrong token with 401 Unauthorized', async () => {
    const r = await call('getMe', {}, { token: '424242:wrong' });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
  });

  it('answers an unknown method with 404 Not Found', async () => {
    const r = await call('sendTelepathy', { chat_id: 1 });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });
});

describe('getUpdates', () => {
  it('holds a long poll until an update arrives', async () => {
    const started = Date.now();
    const pending = call('getUpdates', { timeout: 5 });
    setTimeout(() => fake.sendText(USER, 'halo'), 50);
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.body.result).toHaveLength(1);
    const u = r.body.result[0];
    expect(u.message).toMatchObject({
      message_id: 1,
      text: 'halo',
      from: { id: USER, is_bot: false, language_code: 'id' },
      chat: { id: USER, type: 'private' },
    });
    expect(typeof u.message.date).toBe('number');
  });

  it('returns an empty list when the timeout passes', async () => {
    const r = await call('getUpdates', { timeout: 1 });
    expect(r.body).toEqual({ ok: true, result: [] });
  });

  it('offset confirms earlier updates; limit caps a batch', async () => {
    const a = fake.sendText(USER, 'satu');
    const b = fake.sendText(USER, 'dua');
    fake.sendText(USER, 'tiga');
    const first = await call('getUpdates', { limit: 2 });
    expect(first.body.result.map((u: Json) => u.update_id)).toEqual([a.update_id, b.update_id]);
    const again = await call('getUpdates', {});
    expect(again.body.result).toHaveLength(3); // nothing confirmed yet
    const next = await call('getUpdates', { offset: b.update_id + 1 });
    expect(next.body.result.map((u: any) => u.message.text)).toEqual(['tiga']);
    expect(fake.pendingUpdateCount()).toBe(1);
  });

  it('marks /commands with bot_command entities', async () => {
    fake.sendCommand(USER, 'start', '81_05_15_2004');
    const r = await call('getUpdates', {});
    expect(r.body.result[0].message).toMatchObject({ text: '/start 81_05_15_2004', entities: [{ type: 'bot_command', offset: 0, length: 6 }] });
  });

  it('terminates an older concurrent long poll with 409', async () => {
    const older = call('getUpdates', { timeout: 5 });
    await new Promise((r) => setTimeout(r, 50));
    const newer = call('getUpdates', { timeout: 1 });
    const o = await older;
    expect(o.status).toBe(409);
    expect(o.body.description).toMatch(/terminated by other getUpdates request/);
    await newer;
  });

  it('refuses getUpdates with 409 while a webhook is set', async () => {
    expect((await call('setWebhook', { url: 'http://127.0.0.1:1/hook' })).body.ok).toBe(true);
    const r = await call('getUpdates', {});
    expect(r.status).toBe(409);
    expect(r.body.description).toMatch(/^Conflict: can't use getUpdates method while webhook is active/);
  });
});

describe('webhook', () => {
  let server: http.Server;
  let hookUrl: string;
  let received: { body: any; secret: string | undefined }[];
  let answer: () => number;

  beforeEach(async () => {
    received = [];
    answer = () => 200;
    server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        received.push({ body: JSON.parse(data), secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined });
        res.writeHead(answer()).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  });

  it('validates secret_token: 1-256 of A-Za-z0-9_-', async () => {
    for (const bad of ['', 'has space', 'ümlaut', 'x'.repeat(257), 'semi;colon']) {
      const r = await call('setWebhook', { url: hookUrl, secret_token: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.description).toBe('Bad Request: secret token contains unallowed characters');
    }
    expect((await call('setWebhook', { url: hookUrl, secret_token: 'a'.repeat(256) })).status).toBe(200);
  });

  it('rejects an invalid URL', async () => {
    expect((await call('setWebhook', { url: 'not a url' })).status).toBe(400);
  });

  it('POSTs updates with the secret header and reports info', async () => {
    await call('setWebhook', { url: hookUrl, secret_token: 'rahasia_1', allowed_updates: ['message'] });
    fake.sendText(USER, 'halo');
    await fake.waitFor(() => received.length === 1);
    expect(received[0]!.secret).toBe('rahasia_1');
    expect(received[0]!.body.message.text).toBe('halo');
    const info = (await call('getWebhookInfo')).body.result;
    expect(info).toMatchObject({ url: hookUrl, pending_update_count: 0, allowed_updates: ['message'] });
    // allowed_updates filters what is delivered
    fake.blockBot(USER);
    fake.sendText(USER + 1, 'lagi');
    await fake.waitFor(() => received.length === 2);
    expect(received.map((r) => Object.keys(r.body)[1])).toEqual(['message', 'message']);
  });

  it('retries non-2xx with doubling backoff and keeps one chat in order', async () => {
    let failures = 2;
    answer = () => (failures-- > 0 ? 500 : 200);
    await call('setWebhook', { url: hookUrl });
    const a = fake.sendText(USER, 'satu');
    const b = fake.sendText(USER, 'dua');
    await fake.waitFor(() => received.length === 4);
    expect(received.map((r) => r.body.update_id)).toEqual([a.update_id, a.update_id, a.update_id, b.update_id]);
    const tries = fake.webhookDeliveries.filter((d) => d.update_id === a.update_id);
    expect(tries.map((d) => d.status)).toEqual([500, 500, 200]);
    const gap1 = tries[1]!.at - tries[0]!.at;
    const gap2 = tries[2]!.at - tries[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(15);
    expect(gap2).toBeGreaterThanOrEqual(35); // doubled
    expect((await call('getWebhookInfo')).body.result.last_error_message).toMatch(/500/);
  });

  it('retries after a network error', async () => {
    await call('setWebhook', { url: 'http://127.0.0.1:1/nowhere' });
    fake.sendText(USER, 'halo');
    await fake.waitFor(() => fake.webhookDeliveries.length >= 2);
    expect(fake.webhookDeliveries[0]!.error).toBeDefined();
    expect(fake.pendingUpdateCount()).toBe(1);
    // moving the hook to a working URL delivers the pending update
    await call('setWebhook', { url: hookUrl });
    await fake.waitFor(() => received.length === 1);
  });

  it('deleteWebhook hands pending updates back to getUpdates unless dropped', async () => {
    answer = () => 500;
    await call('setWebhook', { url: hookUrl });
    fake.sendText(USER, 'halo');
    await fake.waitFor(() => received.length >= 1);
    await call('deleteWebhook');
    const r = await call('getUpdates', {});
    expect(r.body.result.map((u: any) => u.message.text)).toEqual(['halo']);
    await call('deleteWebhook', { drop_pending_updates: true });
    expect((await call('getUpdates', {})).body.result).toEqual([]);
  });
});

describe('sendMessage', () => {
  beforeEach(() => {
    fake.sendText(USER, 'halo');
  });

  it('sends to a known chat and records what the user sees', async () => {
    const r = await call('sendMessage', { chat_id: USER, text: '<b>Halo</b> &amp; selamat &#128075;', parse_mode: 'HTML' });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ message_id: 2, chat: { id: USER }, text: 'Halo & selamat 👋', entities: [{ type: 'bold', offset: 0, length: 4 }] });
    const m = await fake.nextBotMessage(USER);
    expect(m.text).toBe('Halo & selamat 👋');
    expect(fake.chat(USER).messages.map((x) => x.from)).toEqual(['user', 'bot']);
  });

  it('rejects an unknown chat and a missing chat_id', async () => {
    expect((await call('sendMessage', { chat_id: 999, text: 'x' })).body.description).toBe('Bad Request: chat not found');
    expect((await call('sendMessage', { text: 'x' })).body.description).toBe('Bad Request: chat_id is empty');
  });

  it('rejects empty text and text longer than 4096 after entity parsing', async () => {
    expect((await call('sendMessage', { chat_id: USER, text: '' })).body.description).toBe('Bad Request: message text is empty');
    expect((await call('sendMessage', { chat_id: USER, text: '   ' })).body.description).toBe('Bad Request: message text is empty');
    expect((await call('sendMessage', { chat_id: USER, text: '<b></b>', parse_mode: 'HTML' })).body.description).toBe('Bad Request: message text is empty');
    const long = await call('sendMessage', { chat_id: USER, text: 'a'.repeat(4097) });
    expect(long.status).toBe(400);
    expect(long.body.description).toBe('Bad Request: message is too long');
    // 4096 visible characters with markup around them is fine
    fake.setLimits({ enabled: false });
    expect((await call('sendMessage', { chat_id: USER, text: `<b>${'a'.repeat(4095)}</b>&amp;`, parse_mode: 'HTML' })).status).toBe(200);
    expect((await call('sendMessage', { chat_id: USER, text: '&amp;'.repeat(4097), parse_mode: 'HTML' })).status).toBe(400);
  });

  it.each([
    ['<x>unknown</x>', /Unsupported start tag "x"/],
    ['<div>block</div>', /Unsupported start tag "div"/],
    ['a < b', /Unsupported start tag|Unclosed start tag/],
    ['<b>open', /Can't find end tag corresponding to start tag "b"/],
    ['<b><i>x</b></i>', /Unmatched end tag/],
    ['x</b>', /Unexpected end tag/],
    ['Tom &nbsp; Jerry', /Unsupported HTML entity "&nbsp;"/],
    ['fish & chips', /Character entity expected/],
    ['<span>x</span>', /Tag "span" must have class "tg-spoiler"/],
    ['<b', /Unclosed start tag/],
  ])('rejects bad HTML %j', async (text, why) => {
    const r = await call('sendMessage', { chat_id: USER, text, parse_mode: 'HTML' });
    expect(r.status).toBe(400);
    expect(r.body.description).toMatch(/^Bad Request: can't parse entities: /);
    expect(r.body.description).toMatch(why);
  });

  it('accepts every supported tag, well nested', () => {
    const html =
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>' +
      '<a href="https://x.id/?a=1&amp;b=2">l</a><code>c</code><pre><code class="language-ts">p</code></pre>' +
      '<tg-spoiler>t</tg-spoiler><span class="tg-spoiler">h</span><blockquote>q</blockquote>&lt;&gt;&quot;&#x41;';
    const { text, entities } = parseTelegramHtml(html);
    expect(text).toBe('bsieunskdlcpth' + 'q<>"A');
    expect(entities.find((e) => e.type === 'text_link')).toMatchObject({ url: 'https://x.id/?a=1&b=2' });
  });

  it('sending plain text (no parse_mode) never parses markup', async () => {
    const r = await call('sendMessage', { chat_id: USER, text: 'a < b & <x>' });
    expect(r.body.result.text).toBe('a < b & <x>');
  });

  it('validates callback_data as 1-64 BYTES of UTF-8', async () => {
    fake.setLimits({ enabled: false });
    const kb = (data: string) => ({ chat_id: USER, text: 'pilih', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: data }]] } });
    expect((await call('sendMessage', kb('x'.repeat(64)))).status).toBe(200);
    expect((await call('sendMessage', kb('🌾'.repeat(16)))).status).toBe(200); // 64 bytes
    for (const data of ['x'.repeat(65), 'é'.repeat(33), '🌾'.repeat(17), '']) {
      const r = await call('sendMessage', kb(data));
      expect(r.status, data).toBe(400);
      expect(r.body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    }
  });

  it('rejects inline buttons without an action', async () => {
    const r = await call('sendMessage', { chat_id: USER, text: 'x', reply_markup: { inline_keyboard: [[{ text: 'A' }]] } });
    expect(r.body.description).toBe('Bad Request: text buttons are unallowed in the inline keyboard');
  });

  it('shows a reply keyboard with request_location and removes it', async () => {
    await call('sendMessage', {
      chat_id: USER,
      text: 'Lokasi?',
      reply_markup: { keyboard: [[{ text: '📍 Kirim lokasi', request_location: true }]], one_time_keyboard: true, resize_keyboard: true },
    });
    expect(fake.chat(USER).replyKeyboard).toMatchObject({ one_time_keyboard: true });
    await call('sendMessage', { chat_id: USER, text: 'ok', reply_markup: { remove_keyboard: true } });
    expect(fake.chat(USER).replyKeyboard).toBeUndefined();
    const long = await call('sendMessage', { chat_id: USER, text: 'x', reply_markup: { keyboard: [['a']], input_field_placeholder: 'p'.repeat(65) } });
    expect(long.status).toBe(400);
  });

  it('accepts form-urlencoded bodies with JSON-encoded markup', async () => {
    const r = await call('sendMessage', { chat_id: String(USER), text: 'form', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } }, { form: true });
    expect(r.status).toBe(200);
    expect(fake.chat(USER).lastBotMessage?.inlineKeyboard).toEqual([[{ text: 'A', callback_data: 'a' }]]);
  });
});

describe('edits and callback queries', () => {
  let messageId: number;
  beforeEach(async () => {
    fake.sendText(USER, 'halo');
    const r = await call('sendMessage', { chat_id: USER, text: 'Pilih', reply_markup: { inline_keyboard: [[{ text: 'Ya', callback_data: 'c:1:ya' }]] } });
    messageId = r.body.result.message_id;
  });

  it('editMessageReplyMarkup changes what the user sees and refuses a no-op', async () => {
    const kb = { inline_keyboard: [[{ text: 'Tidak', callback_data: 'c:1:tidak' }]] };
    expect((await call('editMessageReplyMarkup', { chat_id: USER, message_id: messageId, reply_markup: kb })).status).toBe(200);
    expect(fake.chat(USER).lastBotMessage?.inlineKeyboard).toEqual(kb.inline_keyboard);
    const same = await call('editMessageReplyMarkup', { chat_id: USER, message_id: messageId, reply_markup: kb });
    expect(same.status).toBe(400);
    expect(same.body.description).toMatch(/^Bad Request: message is not modified/);
    // removing it (no reply_markup) works once, then is not modified
    expect((await call('editMessageReplyMarkup', { chat_id: USER, message_id: messageId })).status).toBe(200);
    expect(fake.chat(USER).lastBotMessage?.inlineKeyboard).toBeUndefined();
    expect((await call('editMessageReplyMarkup', { chat_id: USER, message_id: messageId })).body.description).toMatch(/not modified/);
  });

  it('editMessageText refuses identical content and unknown messages', async () => {
    const kb = { inline_keyboard: [[{ text: 'Ya', callback_data: 'c:1:ya' }]] };
    const same = await call('editMessageText', { chat_id: USER, message_id: messageId, text: 'Pilih', reply_markup: kb });
    expect(same.body.description).toMatch(/message is not modified/);
    const changed = await call('editMessageText', { chat_id: USER, message_id: messageId, text: '<i>Pilih lagi</i>', parse_mode: 'HTML', reply_markup: kb });
    expect(changed.status).toBe(200);
    expect(fake.chat(USER).lastBotMessage).toMatchObject({ text: 'Pilih lagi', editCount: 1 });
    expect((await call('editMessageText', { chat_id: USER, message_id: 999, text: 'x' })).body.description).toBe('Bad Request: message to edit not found');
    expect((await call('editMessageText', { chat_id: USER, message_id: 1, text: 'x' })).body.description).toBe("Bad Request: message can't be edited");
  });

  it('pressButton produces a real callback_query; only visible buttons can be pressed', async () => {
    const u = fake.pressButton(USER, messageId, 'c:1:ya');
    const cq = u.callback_query as any;
    expect(cq).toMatchObject({ from: { id: USER, is_bot: false }, data: 'c:1:ya', message: { message_id: messageId, chat: { id: USER } } });
    expect(typeof cq.id).toBe('string');
    expect(typeof cq.chat_instance).toBe('string');
    expect(() => fake.pressButton(USER, messageId, 'c:1:nope')).toThrow(/no visible button/);
  });

  it('answerCallbackQuery: once, in time, text at most 200 characters', async () => {
    const id = (fake.pressButton(USER, messageId, 'c:1:ya').callback_query as any).id as string;
    expect((await call('answerCallbackQuery', { callback_query_id: id, text: 'x'.repeat(201) })).status).toBe(400);
    expect((await call('answerCallbackQuery', { callback_query_id: id, text: 'Oke' })).status).toBe(200);
    const twice = await call('answerCallbackQuery', { callback_query_id: id });
    expect(twice.status).toBe(400);
    expect(twice.body.description).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');
    expect((await call('answerCallbackQuery', { callback_query_id: '12345' })).body.description).toMatch(/query is too old/);
    const late = (fake.pressButton(USER, messageId, 'c:1:ya').callback_query as any).id as string;
    await new Promise((r) => setTimeout(r, 250));
    expect((await call('answerCallbackQuery', { callback_query_id: late })).body.description).toMatch(/query is too old/);
    expect(fake.callbackAnswers).toEqual([expect.objectContaining({ id, text: 'Oke' })]);
  });
});

describe('photos and files', () => {
  it('sendPhoto: caption 0-1024, multipart uploads, known file ids only', async () => {
    const photoUpdate = fake.sendPhoto(USER, { caption: 'sawah' });
    const sizes = (photoUpdate.message as any).photo as { file_id: string; width: number }[];
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes[sizes.length - 1]!.width).toBeGreaterThan(sizes[0]!.width);
    const largest = sizes[sizes.length - 1]!.file_id;

    const bot = new Bot(TOKEN, { client: { apiRoot: fake.apiRoot } });
    const byId = await bot.api.sendPhoto(USER, largest, { caption: 'ok' });
    expect(byId.photo?.length).toBeGreaterThan(0);
    const upload = await bot.api.sendPhoto(USER, new InputFile(Buffer.from('not really a jpeg'), 'a.jpg'), { caption: '<b>unggah</b>', parse_mode: 'HTML' });
    expect(upload.caption).toBe('unggah');
    expect(fake.callsTo('sendPhoto').at(-1)!.params.caption).toBe('<b>unggah</b>');
    await expect(bot.api.sendPhoto(USER, largest, { caption: 'c'.repeat(1025) })).rejects.toThrow(/message caption is too long/);
    await expect(bot.api.sendPhoto(USER, 'AgACunknown')).rejects.toThrow(/wrong file identifier/);

    const file = await bot.api.getFile(largest);
    expect(file.file_path).toMatch(/^photos\//);
    const dl = await fetch(`${fake.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect(dl.status).toBe(200);
    await expect(bot.api.getFile('nope')).rejects.toThrow(/invalid file_id/);
  });
});

describe('limits and blocking', () => {
  beforeEach(() => {
    fake.sendText(USER, 'halo');
    fake.sendText(USER + 1, 'halo');
  });

  it('429 with retry_after above the per-chat burst', async () => {
    fake.setLimits({ perChatBurst: 3, perChatPerSecond: 1 });
    for (let i = 0; i < 3; i++) expect((await call('sendMessage', { chat_id: USER, text: `m${i}` })).status).toBe(200);
    const r = await call('sendMessage', { chat_id: USER, text: 'm3' });
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    // another chat is not affected
    expect((await call('sendMessage', { chat_id: USER + 1, text: 'x' })).status).toBe(200);
    expect(fake.chat(USER).botMessages).toHaveLength(3);
  });

  it('429 above the global rate across chats', async () => {
    fake.setLimits({ globalPerSecond: 5, perChatBurst: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call('sendMessage', { chat_id: i % 2 ? USER : USER + 1, text: 'x' })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
  });

  it('403 for a chat that blocked the bot; blockBot emits my_chat_member kicked', async () => {
    const u = fake.blockBot(USER);
    expect(u.my_chat_member).toMatchObject({ chat: { id: USER, type: 'private' }, old_chat_member: { status: 'member' }, new_chat_member: { status: 'kicked', user: { id: 424242, is_bot: true } } });
    const r = await call('sendMessage', { chat_id: USER, text: 'x' });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    fake.blockUser(USER + 1);
    expect((await call('sendMessage', { chat_id: USER + 1, text: 'x' })).status).toBe(403);
    fake.unblockBot(USER);
    expect((await call('sendMessage', { chat_id: USER, text: 'x' })).status).toBe(200);
  });

  it('failNext forces an error once', async () => {
    fake.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    expect((await call('sendMessage', { chat_id: USER, text: 'x' })).status).toBe(500);
    expect((await call('sendMessage', { chat_id: USER, text: 'x' })).status).toBe(200);
  });
});

describe('helpers', () => {
  it('injectUpdate repeats an update_id as is', async () => {
    const u = fake.sendText(USER, 'halo');
    fake.injectUpdate(structuredClone(u));
    const r = await call('getUpdates', {});
    expect(r.body.result.map((x: Json) => x.update_id)).toEqual([u.update_id, u.update_id]);
  });

  it('chat views are live and looking does not create a chat', async () => {
    const view = fake.chat(USER);
    expect(view.messages).toEqual([]);
    expect((await call('sendMessage', { chat_id: USER, text: 'x' })).body.description).toBe('Bad Request: chat not found');
    const next = fake.nextBotMessage(USER);
    fake.sendText(USER, 'halo');
    await call('sendMessage', { chat_id: USER, text: 'balas' });
    expect((await next).text).toBe('balas');
    expect(view.messages.map((m) => m.text)).toEqual(['halo', 'balas']);
  });

  it('waitFor times out with a clear error', async () => {
    await expect(fake.waitFor(() => false, 50)).rejects.toThrow(/timed out/);
  });
});

describe('outbound checks: 429 shapes, counting, going down', () => {
  it('answers 429 without retry_after when asked to, and counts every 429', async () => {
    fake.addChat(USER);
    fake.setLimits({ perChatBurst: 1, perChatPerSecond: 1, retryAfter: false });
    expect((await call('sendMessage', { chat_id: USER, text: 'a' })).status).toBe(200);
    const r = await call('sendMessage', { chat_id: USER, text: 'b' });
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests' });
    fake.setLimits({ retryAfter: true, perChatBurst: 1 });
    await call('sendMessage', { chat_id: USER, text: 'c' });
    expect((await call('sendMessage', { chat_id: USER, text: 'd' })).body.parameters).toEqual({ retry_after: 1 });
    expect(fake.tooManyRequests).toBe(2);
  });

  it('enforces 30/s overall across chats and about 1/s per chat with a burst of 3', async () => {
    for (let i = 0; i < 60; i++) fake.addChat(USER + i);
    // All at once, so a slow machine can't let the bucket refill between them. On a loaded
    // machine 60 requests can take a second, and the bucket refills meanwhile: then the burst
    // is sent again (the buckets start full again) until one comes in over the limit.
    let overall: number[] = [];
    for (let burst = 1; burst <= 10; burst++) {
      fake.setLimits({});
      const refusedBefore = fake.tooManyRequests;
      const t0 = Date.now();
      overall = (await Promise.all(Array.from({ length: 60 }, (_, i) => call('sendMessage', { chat_id: USER + i, text: 'x' })))).map((r) => r.status);
      const refilled = Math.ceil(((Date.now() - t0) / 1000) * 30); // tokens that came back while the loop ran
      expect(overall.filter((s) => s === 200).length).toBeGreaterThanOrEqual(30);
      expect(overall.filter((s) => s === 200).length).toBeLessThanOrEqual(30 + refilled);
      expect(overall.filter((s) => s === 429).length).toBe(fake.tooManyRequests - refusedBefore);
      if (refilled < 30) break;
    }
    expect(overall).toContain(429);
    fake.setLimits({});
    const one: number[] = [];
    for (let i = 0; i < 5; i++) one.push((await call('sendMessage', { chat_id: USER, text: `m${i}` })).status);
    expect(one.slice(0, 3)).toEqual([200, 200, 200]);
    expect(one.slice(3)).toEqual([429, 429]);
  });

  it('counts the messages each chat received; edits and refusals do not count', async () => {
    fake.addChat(USER);
    fake.addChat(USER + 1);
    const m = await call('sendMessage', { chat_id: USER, text: 'a', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } });
    await call('editMessageReplyMarkup', { chat_id: USER, message_id: m.body.result.message_id });
    await call('sendMessage', { chat_id: USER + 1, text: 'b' });
    await call('sendMessage', { chat_id: USER + 1, text: '' });
    expect(fake.received(USER)).toBe(1);
    expect(fake.received(USER + 1)).toBe(1);
    expect(fake.received(USER + 2)).toBe(0);
    expect([...fake.receivedCounts()]).toEqual([[USER, 1], [USER + 1, 1]]);
    expect(fake.updates).toHaveLength(0); // addChat makes no update
  });

  it('goes down refusing connections and comes back on the same port', async () => {
    fake.addChat(USER);
    await fake.goDown('refuse');
    expect(fake.down).toBe('refuse');
    await expect(call('sendMessage', { chat_id: USER, text: 'x' })).rejects.toThrow();
    const bot = new Bot(TOKEN, { client: { apiRoot: fake.apiRoot } });
    await expect(bot.api.sendMessage(USER, 'x')).rejects.toThrow(/Network request/);
    await fake.comeBack();
    expect((await call('sendMessage', { chat_id: USER, text: 'x' })).status).toBe(200);
    expect(fake.received(USER)).toBe(1);
  });

  it('goes down answering 502 with an HTML page, and comes back', async () => {
    fake.addChat(USER);
    await fake.goDown('502');
    const res = await fetch(`${fake.apiRoot}/bot${TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: USER, text: 'x' }) });
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/502 Bad Gateway/);
    const bot = new Bot(TOKEN, { client: { apiRoot: fake.apiRoot } });
    await expect(bot.api.sendMessage(USER, 'x')).rejects.toThrow();
    await fake.comeBack();
    await expect(bot.api.sendMessage(USER, 'x')).resolves.toMatchObject({ text: 'x' });
    expect(fake.received(USER)).toBe(1);
  });
});
