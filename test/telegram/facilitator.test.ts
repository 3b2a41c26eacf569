/**
 * The facilitator's side over Telegram, through the real service and the local Bot API:
 * a workshop made in chat reaches the village and its answers come back; a serious risk
 * report reaches the facilitator at once; LAPORAN reviews it and the reporter is told;
 * MASUK gives a sign-in link that opens the workspace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { MemberModel, SubmissionModel, WorkshopInviteModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { TelegramUser } from '../helpers/telegram-user.js';

const TOKEN = '515151:facilitator-token-abcdefghijklmnop';
const SOLANG = '81.05.15.2004';
const OTHER_VILLAGE = '81.05.09.2001';

// A clock that runs from 10:00 WIT tomorrow, so quiet hours (21:00-06:00 WIT) never hold a message back.
const started = Date.now();
const base = new Date(new Date(started + 24 * 3600_000).toISOString().slice(0, 10) + 'T01:00:00Z').getTime();
const now = () => new Date(base + (Date.now() - started));
const ddmmyyyy = (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${d.getUTCFullYear()}`;

async function member(id: number, name: string, role: 'warga' | 'fasilitator', villageCode: string) {
  return MemberModel.create({
    channel: 'telegram', platformUserId: String(id), name, role, villageCode, language: 'id',
    consent: { version: 'daftar v2', givenAt: now() }, registeredAt: now(), lastInboundAt: now(),
  });
}

describe('the facilitator on Telegram', () => {
  let fake: FakeTelegram;
  let service: RunningService;
  let fac: TelegramUser;
  let siti: TelegramUser;
  let elsewhere: TelegramUser;

  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 30 } });
    const port = await freePort();
    const config = loadConfig({ MONGODB_URI: uniqueDatabaseUri(), PORT: String(port), TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.apiRoot });
    service = await startService(config, createLogger({ level: 'silent' }), { now, cron: false, telegramRateLimits: { perChatBurst: 30 } });
    fac = new TelegramUser(fake, 7001, 'Rina');
    siti = new TelegramUser(fake, 7002, 'Siti');
    elsewhere = new TelegramUser(fake, 7003, 'Yosef');
    await member(fac.id, 'Bu Rina', 'fasilitator', SOLANG);
    await member(siti.id, 'Ibu Siti', 'warga', SOLANG);
    await member(elsewhere.id, 'Pak Yosef', 'warga', OTHER_VILLAGE);
    // The bot may only write to people who wrote to it first (Telegram's rule, kept by the fake).
    for (const person of [fac, siti, elsewhere]) {
      person.say('menu');
      await person.expect(/Mau melakukan apa/);
    }
  });

  afterAll(async () => {
    await service.stop();
    await fake.close();
  });

  it('makes a workshop in chat; a resident of the village gets it, answers hadir, and JADWAL shows the count', async () => {
    const day = new Date(now().getTime() + 10 * 24 * 3600_000);
    fac.say('jadwal baru');
    await fac.expect(/Apa nama acaranya/);
    fac.say('Lokakarya rencana desa 2027');
    fac.press('Pilih desa satu per satu', await fac.expect(/Untuk desa mana/));
    fac.press('Teluk Waru', await fac.expect(/Desanya di kecamatan mana/));
    await fac.expect(/Desa mana saja/);
    fac.say('Solang');
    await fac.expect(/Tanggal mulai/);
    fac.say(ddmmyyyy(day));
    await fac.expect(/Jam mulai/);
    fac.say('jam 9');
    await fac.expect(/Tanggal selesai/);
    fac.say('lewati');
    await fac.expect(/Jam selesai/);
    fac.say('2 siang');
    await fac.expect(/tempatnya/);
    fac.say('Balai Desa Solang');
    await fac.expect(/catatan/i);
    fac.say('lewati');
    const review = await fac.expect(/Periksa jawaban/);
    // A time reads as a time ("09.00"), not as a number ("9" or "13,3").
    expect(review.text).toContain('Jam mulai: 09.00');
    expect(review.text).toContain('Jam selesai: 14.00');
    // One confirmation: the review counts who is told, and its KIRIM announces.
    expect(review.text).toContain('Akan dikirim ke 2 orang (Telegram 2).');
    fac.press('Kirim', review);
    await fac.expect(/sudah diumumkan ke 2 orang/);

    const invitation = await siti.expect(/Undangan lokakarya/);
    expect(invitation.text).toMatch(/Waktu: \w+, \d+ \w+ \d{4}, 09\.00-14\.00 WIT/);
    expect(invitation.text).toContain('Tempat: Balai Desa Solang');
    expect(siti.buttons(invitation)).toEqual(['Hadir', 'Tidak hadir', 'Mungkin']);
    siti.press('Hadir', invitation);
    await siti.expect(/Anda tercatat hadir/);
    await expect.poll(() => WorkshopInviteModel.countDocuments({ response: 'hadir' })).toBe(1);

    fac.say('jadwal');
    await fac.expect(/Lokakarya yang akan datang \(1\)/);
    const workshop = await fac.expect(/Lokakarya rencana desa 2027/);
    expect(workshop.text).toContain('Jawaban: 1 hadir, 0 mungkin, 0 tidak hadir, 1 belum menjawab (dari 2 orang)');
    expect(fac.buttons(workshop)).toEqual(['Batalkan lokakarya ini']);
    // Another village's resident heard nothing after their menu.
    expect(fake.chat(elsewhere.id).botMessages).toHaveLength(1);
  }, 60_000);

  it('a serious risk report reaches the village facilitator within seconds, and LAPORAN reviews it; the reporter is told', async () => {
    siti.say('menu');
    siti.press('Laporan risiko', await siti.expect(/Mau melakukan apa/));
    siti.press('Banjir rob', await siti.expect(/Apa yang terjadi/));
    await siti.expect(/Kapan/);
    siti.say('kemarin');
    await siti.expect(/Di mana/);
    siti.say('Dusun Pantai');
    await siti.expect(/kirim lokasinya/);
    siti.say('lewati');
    siti.press('Berat', await siti.expect(/Seberapa parah/));
    await siti.expect(/berapa keluarga/);
    siti.say('30');
    const livelihoods = await siti.expect(/Usaha apa yang kena/);
    siti.press('Ikan (nelayan)', livelihoods);
    await fake.waitFor(() => siti.buttons(livelihoods).some((b) => b.startsWith('✅')));
    siti.press('Selesai', livelihoods);
    await siti.expect(/Bantuan apa/);
    siti.say('air bersih');
    await siti.expect(/foto/i);
    siti.say('lewati');
    const sent = Date.now();
    siti.press('Kirim', await siti.expect(/Periksa jawaban/));
    const thanks = await siti.expect(/Fasilitator desa Anda sudah diberi tahu/);
    expect(thanks.text).not.toMatch(/akan diberi tahu/);

    const alert = await fac.expect(/Dusun Pantai/, 5000);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(alert.text).toContain('Solang');
    expect(alert.text).toContain('Ibu Siti');

    fac.say('laporan');
    await fac.expect(/1 laporan baru/);
    const item = await fac.expect(/Dusun Pantai/);
    expect(fac.buttons(item)).toEqual(['Diverifikasi', 'Ditindaklanjuti', 'Selesai', 'Ditolak']);
    fac.press('Diverifikasi', item);
    await fac.expect(/Status laporan diubah menjadi: Diverifikasi/);
    await siti.expect(/sudah diperiksa fasilitator/);
    const report = await SubmissionModel.findOne({ flowId: 'laporan-risiko' }).lean();
    expect(report?.review?.status).toBe('diverifikasi');

    fac.say('laporan');
    await fac.expect(/Tidak ada laporan baru/);
  }, 60_000);

  it('a serious report an admin enters in the workspace for a resident reaches the village facilitator in chat', async () => {
    const admin = await member(7009, 'Pak Admin', 'fasilitator', SOLANG);
    await MemberModel.updateOne({ _id: admin._id }, { $set: { role: 'admin', villageCode: null } });
    const link = await service.workspace.createLoginLink(String(admin._id));
    const base = `http://127.0.0.1:${service.port}`;
    const signIn = await fetch(`${base}${new URL(link!.url).pathname}`, { method: 'POST', redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { csrfToken: string };
    const res = await fetch(`${base}/api/submissions/proxy`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': me.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({
        flowId: 'laporan-risiko', villageCode: SOLANG, forName: 'Ibu Maria', consentAloud: true,
        answers: { type: 'banjir', date: 'kemarin', place: 'Dusun Waimital', severity: 'berat' },
      }),
    });
    expect(res.status).toBe(201);
    const alert = await fac.expect(/Dusun Waimital/, 5000);
    expect(alert.text).toContain('Ibu Maria (Pak Admin)');
  }, 30_000);

  it('MASUK gives a facilitator a one-time link that opens the workspace, RINGKASAN a summary; for a resident they are ordinary words', async () => {
    fac.say('masuk');
    const link = await fac.expect(/Tautan masuk ruang kerja/);
    const url = /http:\/\/\S+/.exec(link.text ?? '')?.[0];
    expect(url).toMatch(new RegExp(`^http://localhost:${service.port}/masuk/`));
    const page = await fetch(url!.replace('localhost', '127.0.0.1'));
    expect(page.status).toBe(200);

    // Filling a form for a resident who can't type starts with the resident's name.
    fac.say('isi untuk warga');
    await fac.expect(/Siapa nama warga yang Anda bantu/);
    fac.say('batal');
    await fac.expect(/Mau melakukan apa|dibatalkan|Batalkan/);

    fac.say('ringkasan');
    const summary = await fac.expect(/Ringkasan Solang/);
    expect(summary.text).toContain('Laporan risiko: 2 (1 baru)'); // the one reviewed, and the admin's for Ibu Maria

    // For a resident those words are ordinary text: no link, no summary, the menu again.
    siti.say('masuk');
    await siti.expect(/Mau melakukan apa/);
    siti.say('ringkasan');
    await siti.expect(/Mau melakukan apa/);
    expect(fake.chat(siti.id).botMessages.some((m) => /Tautan masuk|Ringkasan Solang/.test(m.text ?? ''))).toBe(false);

    // The menu item's name picks the item, for a resident and for a facilitator (not the LAPORAN command).
    siti.say('Laporan risiko');
    await siti.expect(/Apa yang terjadi/);
    fac.say('laporan risiko');
    await fac.expect(/Apa yang terjadi/);
  }, 30_000);
});
