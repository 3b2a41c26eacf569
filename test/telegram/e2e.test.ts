/**
 * The whole product over Telegram: the real service (flows, engine, MongoDB) behind grammY,
 * against the local Bot API server, in long-polling and webhook modes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { MemberModel, OutboxModel, SubmissionModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { replyKept, uniqueDatabaseUri } from '../helpers/db.js';

const TOKEN = '424242:e2e-token-abcdefghijklmnopqrstuvwxyz';
const SECRET = 'e2e_secret-42';

for (const mode of ['polling', 'webhook'] as const) {
  describe(`Telegram end to end (${mode})`, () => {
    let fake: FakeTelegram;
    let service: RunningService;
    let appUrl: string;

    beforeAll(async () => {
      // Real limits, with a burst that lets a test answer faster than a person would.
      fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 30 }, webhook: { retryBaseMs: 50, retryMaxMs: 500 } });
      const port = await freePort();
      appUrl = `http://127.0.0.1:${port}`;
      const config = loadConfig({
        MONGODB_URI: uniqueDatabaseUri(),
        PORT: String(port),
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.apiRoot,
        ...(mode === 'webhook' ? { TELEGRAM_WEBHOOK_URL: `${appUrl}/telegram/webhook`, TELEGRAM_WEBHOOK_SECRET: SECRET } : {}),
      });
      service = await startService(config, createLogger({ level: 'silent' }), { telegramRateLimits: { perChatBurst: 30 } });
    });

    afterAll(async () => {
      await service.stop();
      await fake.close();
    });

    it(mode === 'webhook' ? 'registered the webhook with its secret at start-up' : 'polls getUpdates with no webhook set', async () => {
      if (mode === 'webhook') {
        const set = fake.callsTo('setWebhook').at(-1);
        expect(set?.params).toMatchObject({ url: `${appUrl}/telegram/webhook`, secret_token: SECRET });
      } else {
        expect(fake.callsTo('deleteWebhook').length).toBeGreaterThan(0);
        await expect.poll(() => fake.calls.some((c) => c.method === 'getUpdates') || fake.pendingUpdateCount() === 0).toBe(true);
        expect(fake.callsTo('setWebhook')).toHaveLength(0);
      }
    });

    it('a 24-village list is buttons only, under its short question: 8 a page (the fake enforces 100 buttons), ▶ to page, a name typed works', async () => {
      const user = new TelegramUser(fake, 5090 + (mode === 'webhook' ? 1 : 0));
      user.say('/start');
      user.press('Ya', await user.expect(/Apakah Anda setuju/));
      user.press('Tidak', await user.expect(/di bawah 17/));
      user.say('Pak Hasan');
      user.press('Gorom Timur', await user.expect(/kecamatan mana/));
      const village = await user.expect(/nama desa Anda/);
      // The question first; no numbered list of 24 beside the buttons to push it off a 360x740 screen.
      expect(village.text).toBe('Apa nama desa Anda?\n\nTekan salah satu tombol (▶ untuk halaman berikutnya), atau ketik namanya.');
      expect(user.buttons(village)).toEqual(['Adar', 'Amarwatu', 'Aran', 'Armada', 'Bas', 'Basarin', 'Etaralu', 'Goha', '1/3', '▶']);
      user.press('▶', village);
      await fake.waitFor(() => user.buttons(village).includes('Kilkoda'));
      user.say('Kota Sirih');
      await user.expect(/ikut sebagai apa/);
      expect((await MemberModel.findOne({ platformUserId: String(user.id) }).lean())?.run?.state.answers.village).toBe('81.05.11.2003');
    });

    it('a new user registers with consent and files a complete risk report with buttons and a location', async () => {
      const user = new TelegramUser(fake, 5001);
      user.say('/start');
      await user.expect(/UU 27\/2022/);
      const consent = await user.expect(/Apakah Anda setuju/);
      user.press('Ya', consent);
      user.press('Tidak', await user.expect(/di bawah 17/));
      user.say('Ibu Siti <Ketua PKK> & anak');
      const kecamatan = await user.expect(/kecamatan mana/);
      user.press('Teluk Waru', kecamatan);
      const village = await user.expect(/nama desa Anda/);
      // The old keyboard is gone once answered: stale buttons cannot corrupt the run.
      await fake.waitFor(() => user.buttons(kecamatan).length === 0);
      // 11 villages: the first 8 and a ▶ button; typing the name works on any page.
      expect(user.buttons(village)).toEqual(expect.arrayContaining(['Bellis', '▶']));
      user.say('Solang');
      const role = await user.expect(/ikut sebagai apa/);
      // Typed instead of tapped: the list's buttons are gone as well.
      await fake.waitFor(() => user.buttons(village).length === 0);
      user.press('Warga desa', role);
      const summary = await user.expect(/Periksa jawaban/);
      expect(summary.text).toContain('Nama: Ibu Siti <Ketua PKK> & anak'); // HTML escaped on the way, shown as typed
      user.press('Kirim', summary);
      const menu = await user.expect(/Mau melakukan apa/);

      user.press('Laporan risiko', menu);
      user.press('Banjir rob', await user.expect(/Apa yang terjadi/));
      user.say('kemarin');
      await user.expect(/Kapan|Di mana/);
      user.say('Dusun Pantai');
      const askLocation = await user.expect(/kirim lokasi/i);
      // A location question offers the one-tap location button (reply keyboard).
      expect(askLocation.replyMarkup).toMatchObject({ keyboard: [[{ text: '📍 Kirim lokasi saya', request_location: true }], [{ text: 'Lewati' }]] });
      fake.sendLocation(user.id, -3.5167, 130.6667);
      user.press('Sedang', await user.expect(/Seberapa parah/));
      user.say('12');
      const livelihoods = await user.expect(/Usaha apa yang kena/);
      user.press('Ikan (nelayan)', livelihoods);
      await fake.waitFor(() => user.buttons(livelihoods).some((b) => b.startsWith('✅')));
      user.press('Kelapa atau kopra', livelihoods);
      await fake.waitFor(() => user.buttons(livelihoods).filter((b) => b.startsWith('✅')).length === 2);
      user.press('Selesai', livelihoods);
      await user.expect(/bantuan/i);
      user.say('lewati');
      await user.expect(/foto/i);
      const photoUpdate = fake.sendPhoto(user.id, { caption: "air masuk rumah" }) as unknown as { message: { photo: { file_id: string }[] } };
      const largest = photoUpdate.message.photo.at(-1)!.file_id;
      const reportSummary = await user.expect(/Periksa jawaban/);
      user.press('Kirim', reportSummary);
      await user.expect(/laporan Anda sudah tersimpan/);

      const member = await MemberModel.findOne({ channel: 'telegram', platformUserId: String(user.id) }).lean();
      expect(member).toMatchObject({ name: 'Ibu Siti <Ketua PKK> & anak', villageCode: '81.05.15.2004', role: 'warga' });
      const report = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'laporan-risiko' }).lean();
      expect(report?.villageCode).toBe('81.05.15.2004');
      expect(report?.channel).toBe('telegram');
      expect(report?.answers).toMatchObject({
        type: 'rob',
        place: 'Dusun Pantai',
        location: { latitude: -3.5167, longitude: 130.6667 },
        severity: 'sedang',
        households: 12,
        livelihoods: ['perikanan', 'kopra'],
      });
      expect(report?.answers.photo).toMatchObject({ fileId: largest });
    }, 60_000);

    it('pages a long village list and a 5,000-character answer gets a clear message', async () => {
      const user = new TelegramUser(fake, 5002);
      user.say('halo');
      user.press('Ya', await user.expect(/Apakah Anda setuju/));
      user.press('Tidak', await user.expect(/di bawah 17/));
      await user.expect(/Siapa nama/);
      user.say('x'.repeat(5000));
      await user.expect(/terlalu panjang \(5000 huruf\).*60 huruf/);
      user.say('Pak Umar');
      user.press('Gorom Timur', await user.expect(/kecamatan mana/));
      const list = await user.expect(/nama desa Anda/);
      // 23 villages: 8 a page, with ◀ ▶; every callback_data fits 64 bytes.
      expect(user.buttons(list)).toContain('▶');
      expect(user.buttons(list).some((b) => b.includes('Tinarin'))).toBe(false);
      for (const call of fake.callsTo('sendMessage').concat(fake.callsTo('editMessageReplyMarkup'))) {
        const keyboard = (call.params.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined)?.inline_keyboard ?? [];
        for (const b of keyboard.flat()) expect(Buffer.byteLength(b.callback_data ?? '', 'utf8')).toBeLessThanOrEqual(64);
      }
      user.press('▶', list);
      const has = (name: string) => user.buttons(list).some((b) => b.includes(name));
      await fake.waitFor(() => has('Goha') || has('Tinarin'));
      while (!has('Tinarin')) {
        if (!user.buttons(list).includes('▶')) throw new Error(`Tinarin not found; last page: ${user.buttons(list).join(', ')}`);
        const before = user.buttons(list).join();
        user.press('▶', list);
        await fake.waitFor(() => user.buttons(list).join() !== before);
      }
      user.press('Tinarin', list);
      await user.expect(/ikut sebagai apa/);
      const member = await MemberModel.findOne({ platformUserId: String(user.id) }).lean();
      expect(member?.run?.state.answers).toMatchObject({ kecamatan: 'Gorom Timur', village: '81.05.11.2017', name: 'Pak Umar' });
    }, 60_000);

    it('the menu (a turn that changes nothing) goes out at once, with no outbox entry, and never before the reply it follows', async () => {
      const user = new TelegramUser(fake, 5007);
      user.say('/start');
      user.press('Ya', await user.expect(/Apakah Anda setuju/));
      user.press('Tidak', await user.expect(/di bawah 17/));
      user.say('Mama Yuli');
      user.say('Teluk Waru');
      user.say('Solang');
      user.press('Warga desa', await user.expect(/ikut sebagai apa/));
      user.press('Kirim', await user.expect(/Periksa jawaban/));
      await user.expect(/Mau melakukan apa/);
      const member = await MemberModel.findOne({ platformUserId: String(user.id) }, { rev: 1 }).lean();

      // An answer (its reply owed with the commit) and "menu" right behind it: the menu comes second.
      const answer = user.say('2');
      const menu = user.say('menu');
      await fake.waitFor(() => fake.chat(user.id).botMessages.filter((m) => /Mau melakukan apa/.test(m.text ?? '')).length >= 2);
      const texts = fake.chat(user.id).botMessages.map((m) => m.text ?? '');
      const question = texts.findIndex((t) => /Apa yang terjadi/.test(t));
      expect(question).toBeGreaterThan(-1);
      expect(texts.findLastIndex((t) => /Mau melakukan apa/.test(t))).toBeGreaterThan(question);
      expect(await replyKept(`reply:telegram:tg:${answer.update_id}`)).toEqual({ kept: true, outboxEntries: expect.any(Number) });
      expect((await replyKept(`reply:telegram:tg:${answer.update_id}`)).outboxEntries).toBeLessThanOrEqual(1);

      // Once nothing is in hand for the chat, "menu" again: sent at once, nothing written.
      await service.dispatcher.drained();
      const before = service.dispatcher.stats.sentAtOnce;
      const again = user.say('menu');
      await expect.poll(() => fake.chat(user.id).botMessages.filter((m) => /Mau melakukan apa/.test(m.text ?? '')).length).toBe(3);
      expect(service.dispatcher.stats.sentAtOnce).toBe(before + 1);
      expect(await OutboxModel.countDocuments({ _id: { $in: [`reply:telegram:tg:${again.update_id}`, `reply:telegram:tg:${menu.update_id}`] } })).toBeLessThanOrEqual(1);
      expect(await OutboxModel.countDocuments({ _id: `reply:telegram:tg:${again.update_id}` })).toBe(0);
      // The member was written by the answer, not by either menu.
      const after = await MemberModel.findOne({ platformUserId: String(user.id) }, { rev: 1 }).lean();
      expect(after!.rev).toBe(member!.rev + 1);
    }, 60_000);

    it('a repeated update_id produces one reply and one stored answer', async () => {
      const user = new TelegramUser(fake, 5003);
      user.say('halo');
      user.press('Ya', await user.expect(/Apakah Anda setuju/));
      user.press('Tidak', await user.expect(/di bawah 17/));
      await user.expect(/Siapa nama/);
      const update = user.say('Mama Ani');
      fake.injectUpdate(structuredClone(update));
      await user.expect(/kecamatan mana/);
      // Wait for the repeat to have arrived and been acknowledged, not for a while.
      await expect.poll(() => fake.pendingUpdateCount(), { timeout: 5000 }).toBe(0);
      await service.inbox.drained();
      await service.dispatcher.drained();
      const asked = fake.chat(user.id).botMessages.filter((m) => /kecamatan mana/.test(m.text ?? ''));
      expect(asked).toHaveLength(1);
      const member = await MemberModel.findOne({ platformUserId: String(user.id) }).lean();
      const run = member?.run;
      expect(run?.state.answers.name).toBe('Mama Ani');
      expect(run?.state.history.filter((p: { id?: string }) => p.id === 'name')).toHaveLength(1);
      expect(await replyKept(`reply:telegram:tg:${update.update_id}`)).toEqual({ kept: true, outboxEntries: expect.any(Number) });
      expect((await replyKept(`reply:telegram:tg:${update.update_id}`)).outboxEntries).toBeLessThanOrEqual(1);
    }, 30_000);

    it('speaks English to a member who switched language, including its own button', async () => {
      const user = new TelegramUser(fake, 5005);
      user.say('halo');
      await user.expect(/Apakah Anda setuju/);
      user.say('bahasa');
      const consent = await user.expect(/Do you agree/);
      user.press('Yes', consent);
      user.press('No', await user.expect(/under 17/));
      user.say('Ana');
      user.press('Teluk Waru', await user.expect(/district/i));
      user.say('Waru');
      user.press('Villager', await user.expect(/How do you take part/));
      user.press('Send', await user.expect(/check your answers/));
      user.press('Risk report', await user.expect(/What would you like to do/));
      await user.expect(/What happened/);
      user.say('other'); // on the second page of buttons; typing the label works too
      user.say('Jetty collapsed');
      user.say('today');
      user.say('Waru jetty');
      const askLocation = await user.expect(/location/i);
      expect(askLocation.replyMarkup).toMatchObject({ keyboard: [[{ text: '📍 Send my location', request_location: true }], [{ text: 'Skip' }]] });
    }, 30_000);

    if (mode === 'webhook') {
      it('answers 401 to a wrong secret and changes nothing', async () => {
        const update = {
          update_id: 999_999,
          message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: 5999, type: 'private', first_name: 'X' }, from: { id: 5999, is_bot: false, first_name: 'X' }, text: 'halo' },
        };
        for (const secret of ['wrong', undefined]) {
          const res = await fetch(`${appUrl}/telegram/webhook`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(secret ? { 'X-Telegram-Bot-Api-Secret-Token': secret } : {}) },
            body: JSON.stringify(update),
          });
          expect(res.status).toBe(401);
        }
        expect(await MemberModel.countDocuments({ platformUserId: '5999' })).toBe(0);
        const garbled = await fetch(`${appUrl}/telegram/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': SECRET },
          body: '{"update_id": 1, "message": ',
        });
        expect(garbled.status).toBe(400);
        expect(((await garbled.json()) as { message: string }).message).toContain('not valid JSON');
        expect(fake.chat(5999).botMessages).toHaveLength(0);
      });
    }

    it('marks a member who blocks the bot, and unmarks them when they come back', async () => {
      const user = new TelegramUser(fake, 5004);
      user.say('halo');
      await user.expect(/Apakah Anda setuju/);
      fake.blockBot(user.id);
      await expect.poll(async () => (await MemberModel.findOne({ platformUserId: String(user.id) }).lean())?.blocked, { timeout: 5000 }).toBe(true);
      const { enqueue } = await import('../../src/pipeline/outbox.js');
      service.dispatcher.wake(await enqueue([{ id: 'test-reminder-5004', kind: 'reminder', channel: 'telegram', to: String(user.id), messages: [{ text: 'Pengingat' }] }]));
      await expect.poll(async () => (await OutboxModel.findById('test-reminder-5004').lean())?.status, { timeout: 5000 }).toBe('blocked');
      const refused = fake.callsTo('sendMessage').filter((c) => c.params.chat_id === user.id && c.status === 403);
      expect(refused.map((c) => c.params.text)).toEqual(['Pengingat']);
    });
  });
}
