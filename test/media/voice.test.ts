/**
 * Voice notes as risk-report answers through the real service: Telegram through the local Bot API
 * (getFile, then the file URL) and WhatsApp through the local Graph API (media URL, then the bytes),
 * kept in GridFS under the id the answer carries; over the limits the person is told them in words.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { MemberModel, SubmissionModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { MEDIA_BUCKET, mediaIdFor } from '../../src/media/store.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-graph-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { oggOpus } from '../helpers/ogg.js';
import { TelegramUser } from '../helpers/telegram-user.js';

const TG_TOKEN = '424244:voice-token-abcdefghijklmnopqrstuvwxyz';
const WA = { token: 'EAAG-voice-token', appSecret: 'voice-app-secret', phoneNumberId: '106540352242955' };

const bucket = () => new mongoose.mongo.GridFSBucket(mongoose.connection.db!, { bucketName: MEDIA_BUCKET });
async function storedBytes(mediaId: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of bucket().openDownloadStream(new mongoose.Types.ObjectId(mediaId))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('voice notes as answers, end to end', () => {
  let tg: FakeTelegram;
  let wa: FakeWhatsApp;
  let service: RunningService;

  beforeAll(async () => {
    const port = await freePort();
    tg = await startFakeTelegram({ token: TG_TOKEN, limits: { perChatBurst: 30 } });
    wa = await startFakeWhatsApp({ ...WA, webhookUrl: `http://127.0.0.1:${port}/whatsapp/webhook` });
    const config = loadConfig({
      MONGODB_URI: uniqueDatabaseUri(),
      PORT: String(port),
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      WHATSAPP_ACCESS_TOKEN: WA.token,
      WHATSAPP_APP_SECRET: WA.appSecret,
      WHATSAPP_VERIFY_TOKEN: 'verify-voice',
      WHATSAPP_PHONE_NUMBER_ID: WA.phoneNumberId,
      WHATSAPP_API_BASE_URL: wa.baseUrl,
    });
    service = await startService(config, createLogger({ level: 'silent' }), { telegramRateLimits: { perChatBurst: 30 } });
  });

  afterAll(async () => {
    await service?.stop();
    await tg?.close();
    await wa?.close();
  });

  it('Telegram: the place is a voice note (getFile, stored once), one over five minutes is refused in words', async () => {
    const user = new TelegramUser(tg, 6101, 'Ibu Ani');
    user.say('/start 81_05_15_2004');
    user.press('Ya', await user.expect(/Apakah Anda setuju/));
    user.press('Tidak', await user.expect(/di bawah 17/));
    user.say('Ibu Ani');
    user.press('Warga desa', await user.expect(/ikut sebagai apa/));
    user.press('Kirim', await user.expect(/Periksa jawaban/));
    user.press('Laporan risiko', await user.expect(/Mau melakukan apa/));
    user.press('Banjir rob', await user.expect(/Apa yang terjadi/));
    // A voice note where only a date will do: told kindly, asked again.
    tg.sendVoice(user.id, oggOpus(3), { duration: 3 });
    await user.expect(/pesan suara belum bisa diterima\. Tulis saja jawabannya/);
    user.say('kemarin');
    const where = await user.expect(/Di mana/);
    expect(where.text).toContain('Kirim pesan suara saja, paling lama 5 menit');
    const tooLong = tg.sendVoice(user.id, oggOpus(400), { duration: 400 }) as unknown as { message: { voice: { file_id: string } } };
    await user.expect(/Pesan suara ini 6:40 menit, terlalu panjang\. Paling lama 5 menit/);
    const note = oggOpus(23);
    const update = tg.sendVoice(user.id, note, { duration: 23 }) as unknown as { message: { voice: { file_id: string } } };
    const fileId = update.message.voice.file_id;
    await user.expect(/kirim lokasi/i);
    user.say('lewati');
    user.press('Ringan', await user.expect(/Seberapa parah/));
    user.say('lewati');
    user.say('lewati');
    await user.expect(/bantuan/i);
    user.say('lewati');
    await user.expect(/foto/i);
    user.say('lewati');
    const review = await user.expect(/Periksa jawaban/);
    expect(review.text).toContain('Pesan suara 0:23 ✓');
    user.press('Kirim', review);
    await user.expect(/laporan Anda sudah tersimpan/);

    const member = await MemberModel.findOne({ channel: 'telegram', platformUserId: String(user.id) }).lean();
    const report = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'laporan-risiko' }).lean();
    const mediaId = mediaIdFor('telegram', fileId);
    expect(report?.answers.place).toEqual({ kind: 'voice', fileId, mediaId, seconds: 23, mimeType: 'audio/ogg' });
    await service.media.idle();
    expect((await storedBytes(mediaId)).equals(note)).toBe(true);
    // The one over the limit was never fetched nor kept.
    expect(tg.callsTo('getFile').map((c) => c.params.file_id)).toContain(fileId);
    expect(tg.callsTo('getFile').map((c) => c.params.file_id)).not.toContain(tooLong.message.voice.file_id);
    expect(await bucket().find({ _id: new mongoose.Types.ObjectId(mediaIdFor('telegram', tooLong.message.voice.file_id)) }).toArray()).toHaveLength(0);
  }, 60_000);

  it('WhatsApp: the help needed is a voice note, measured from its Ogg pages and stored before it is answered', async () => {
    const user = { phone: '6281234567101', name: 'Mama Yuli' };
    await wa.sendText(user, 'DAFTAR 81_05_15_2004');
    await wa.press(user, 'Ya');
    await wa.press(user, 'Tidak');
    await wa.expect(user, /Siapa nama/);
    await wa.sendText(user, 'Mama Yuli');
    await wa.press(user, 'Warga desa');
    await wa.press(user, 'Kirim');
    await wa.expect(user, /Mau melakukan apa/);
    await wa.press(user, 'Laporan risiko');
    await wa.expect(user, /Apa yang terjadi/);
    await wa.sendText(user, '2');
    await wa.sendText(user, 'kemarin');
    await wa.expect(user, /Di mana/);
    await wa.sendText(user, 'Dusun Pantai');
    await wa.expect(user, /lokasi/i);
    await wa.sendText(user, 'lewati');
    await wa.press(user, 'Sedang');
    await wa.sendText(user, 'lewati');
    await wa.sendText(user, 'lewati');
    await wa.expect(user, /bantuan/i);
    const note = oggOpus(47);
    const sent = await wa.sendAudio(user, note);
    await wa.expect(user, /foto/i);
    await wa.sendText(user, 'lewati');
    const review = await wa.expect(user, /Periksa jawaban/);
    expect(wa.textOf(review)).toContain('Pesan suara 0:47 ✓');
    await wa.press(user, 'Kirim');
    await wa.expect(user, /laporan Anda sudah tersimpan/);

    const member = await MemberModel.findOne({ channel: 'whatsapp', platformUserId: user.phone }).lean();
    const report = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'laporan-risiko' }).lean();
    const mediaId = mediaIdFor('whatsapp', sent.mediaId);
    expect(report?.answers.help).toEqual({ kind: 'voice', fileId: sent.mediaId, mediaId, seconds: 47, mimeType: 'audio/ogg; codecs=opus' });
    expect((await storedBytes(mediaId)).equals(note)).toBe(true);
    expect(wa.mediaDownloads).toBe(1);
  }, 60_000);
});
