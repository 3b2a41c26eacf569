/**
 * A question's picture (XLSForm media::image) is sent as a photo before the question's text:
 * the engine puts it first (once, not again after a wrong answer), Telegram uploads the form's
 * file through the local Bot API, WhatsApp links it for the local Graph API to fetch.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramOutbound } from '../../src/channels/telegram/outbound.js';
import { createGraphClient } from '../../src/channels/whatsapp/graph.js';
import { createWhatsAppOutbound } from '../../src/channels/whatsapp/outbound.js';
import { parseFlow } from '../../src/engine/index.js';
import { flowMedia, flowMediaPath } from '../../src/media/flow-media.js';
import type { OutboundMessage } from '../../src/messages/index.js';
import { Chat } from '../engine/helpers.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-graph-api.js';
import { captureLogger } from '../pipeline/helpers.js';
import { tempDir } from '../xlsform/helpers.js';

const FLOW = 'id: cek-sumur\nversion: 1\nroles: [warga]\nquestions:\n  - { id: jumlah, type: integer, image: sumur.jpg }\n  - { id: peta, type: note, image: "https://example.org/peta.png" }\n  - { id: nama, type: text }\n';
const TOKEN = '424245:image-token-abcdefghijklmnopqrstuvwxyz';

describe('a question with a picture', () => {
  let flowsDir: string;
  let tg: FakeTelegram;
  let wa: FakeWhatsApp;

  beforeAll(async () => {
    flowsDir = path.join(await tempDir('question-image'), 'flows');
    await mkdir(path.join(flowsDir, 'media', 'cek-sumur'), { recursive: true });
    await writeFile(path.join(flowsDir, 'media', 'cek-sumur', 'sumur.jpg'), Buffer.from('\xff\xd8\xff\xe0 a small picture', 'latin1'));
    tg = await startFakeTelegram({ token: TOKEN });
    wa = await startFakeWhatsApp({ token: 'tok', phoneNumberId: '106540352242977' });
  });
  afterAll(async () => {
    await tg?.close();
    await wa?.close();
  });

  function firstTurn(): OutboundMessage[] {
    return new Chat(parseFlow(FLOW, 'cek-sumur.yaml')).last.messages;
  }

  it('the engine sends the picture first, once', () => {
    const chat = new Chat(parseFlow(FLOW, 'cek-sumur.yaml'));
    expect(chat.last.messages[0]).toEqual({ text: '', image: { flow: 'cek-sumur', file: 'sumur.jpg' }, expect: 'none' });
    expect(chat.last.messages[1]!.prompt?.question).toBeDefined();
    chat.send('banyak');
    expect(chat.last.messages.some((m) => m.image)).toBe(false); // asked again after a wrong answer: no second picture
    chat.send('3');
    // The note's picture (a URL), then the note, then the next question.
    expect(chat.last.messages[0]).toMatchObject({ image: { flow: 'cek-sumur', file: 'https://example.org/peta.png' } });
  });

  it('Telegram: the form file is uploaded with sendPhoto before the question', async () => {
    const chatId = 8101;
    tg.addChat({ id: chatId, first_name: 'Ani' });
    const channel = createTelegramOutbound({ api: new Api(TOKEN, { apiRoot: tg.apiRoot }), logger: captureLogger().logger, flowMedia: flowMedia(flowsDir) });
    const result = await channel.send({ to: String(chatId), messages: firstTurn(), replyTo: null, alreadySent: 0, kind: 'reply' });
    expect(result).toMatchObject({ ok: true });
    const seen = tg.chat(chatId).botMessages;
    expect(seen[0]!.photo).toBeDefined();
    expect(seen[1]!.text).toContain('jumlah');
    expect(tg.callsTo('sendPhoto')[0]!.params.photo).toMatch(/^attach:\/\//);
  });

  it('WhatsApp: the picture goes by its public link before the question; without a public address it is left out', async () => {
    const to = '6281200008101';
    wa.setLastInbound(to, Date.now());
    const graph = createGraphClient({ baseUrl: wa.baseUrl, apiVersion: 'v23.0', accessToken: 'tok' });
    const send = (publicBase?: string) => createWhatsAppOutbound({ graph, phoneNumberId: '106540352242977', logger: captureLogger().logger, lastInboundAt: async () => new Date(), flowMedia: flowMedia(flowsDir, publicBase) })
      .send({ to, messages: firstTurn(), replyTo: null, alreadySent: 0, kind: 'reply' });
    expect(await send('https://suaradesa.example.org')).toMatchObject({ ok: true });
    const [picture, question] = wa.calls.slice(-2).map((c) => c.body);
    expect(picture).toMatchObject({ type: 'image', image: { link: 'https://suaradesa.example.org/media/flows/cek-sumur/sumur.jpg' } });
    expect(question).toMatchObject({ type: 'text' });
    const before = wa.calls.length;
    expect(await send()).toMatchObject({ ok: true });
    expect(wa.calls.slice(before).map((c) => c.body.type)).toEqual(['text']);
  });

  it('a picture name never leaves the form media folder', () => {
    expect(flowMediaPath('/srv/flows', 'cek-sumur', 'sumur.jpg')).toBe('/srv/flows/media/cek-sumur/sumur.jpg');
    expect(flowMediaPath('/srv/flows', 'cek-sumur', '../../etc/passwd')).toBeNull();
    expect(flowMediaPath('/srv/flows', '..', 'x.jpg')).toBeNull();
    expect(flowMediaPath('/srv/flows', 'cek-sumur', '.env')).toBeNull();
  });
});
