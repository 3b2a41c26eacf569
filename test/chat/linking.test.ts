/**
 * One person on Telegram and WhatsApp (issue 22, points 1 and 2), on the local Bot API and Graph
 * API together: `hubungkan` gives a code, the code sent from the other app links both accounts
 * to one member; `datasaya` shows the one registration from either; a broadcast while the
 * WhatsApp window is closed (no template configured) reaches the person on Telegram and the
 * report counts that route; `hapusdata` removes both. Wrong codes die after 5 tries; a WhatsApp
 * person named by phone and business-scoped id stays one member whichever id comes later.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { LinkCodeModel, MemberModel, OutboxModel, SubmissionModel } from '../../src/db/models.js';
import { useLinkCode } from '../../src/db/repositories/links.js';
import { DEFAULT_REMINDERS, type FacilitatorDeps } from '../../src/facilitator/deps.js';
import { broadcastProgress, confirmBroadcast, createBroadcastDraft, progressText } from '../../src/facilitator/broadcasts.js';
import { createI18n, translatorFor } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-graph-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { TelegramUser } from '../helpers/telegram-user.js';

const TG_TOKEN = '777001:link-token-abcdefghijklmnopqrstuvwxyz';
const WA = { token: 'EAAG-link-token', secret: 'link-app-secret', phoneId: '106540352242988' };
const SOLANG = '81.05.15.2004';
const DAY = 24 * 3600_000;

let service: RunningService;
let tg: FakeTelegram;
let wa: FakeWhatsApp;
/** How far both the service's and WhatsApp's clocks are moved on (the 24-hour window). */
let shift = 0;
const now = () => new Date(Date.now() + shift);
/** The service's log, at every level. */
const logLines: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  tg = await startFakeTelegram({ token: TG_TOKEN, limits: { perChatBurst: 30 } });
  wa = await startFakeWhatsApp({ token: WA.token, appSecret: WA.secret, phoneNumberId: WA.phoneId, webhookUrl: `http://127.0.0.1:${port}/whatsapp/webhook`, now: () => now().getTime() });
  service = await startService(loadConfig({
    MONGODB_URI: uniqueDatabaseUri(), PORT: String(port),
    TELEGRAM_BOT_TOKEN: TG_TOKEN, TELEGRAM_API_ROOT: tg.apiRoot,
    // No WhatsApp templates at all: outside the window nothing may go free-form.
    WHATSAPP_ACCESS_TOKEN: WA.token, WHATSAPP_APP_SECRET: WA.secret, WHATSAPP_VERIFY_TOKEN: 'verify', WHATSAPP_PHONE_NUMBER_ID: WA.phoneId, WHATSAPP_API_BASE_URL: wa.baseUrl,
  }), createLogger({ level: 'trace', destination: new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }) }), { cron: false, now, telegramRateLimits: { perChatBurst: 30 } });
});

afterAll(async () => {
  await service?.stop();
  await tg?.close();
  await wa?.close();
});

async function registerOnTelegram(user: TelegramUser, name: string): Promise<void> {
  user.say('/start');
  user.press('Ya', await user.expect(/Apakah Anda setuju/));
  user.press('Tidak', await user.expect(/di bawah 17/));
  user.say(name);
  user.press('Teluk Waru', await user.expect(/kecamatan mana/));
  user.say('Solang');
  user.press('Warga desa', await user.expect(/ikut sebagai apa/));
  user.press('Kirim', await user.expect(/Periksa jawaban/));
  await user.expect(/Mau melakukan apa/);
}

async function registerOnWhatsApp(user: { phone: string }, name: string): Promise<void> {
  await wa.sendText(user, 'halo');
  await wa.expect(user, /Apakah Anda setuju/);
  await wa.press(user, 'Ya');
  await wa.press(user, 'Tidak');
  await wa.expect(user, /Siapa nama/);
  await wa.sendText(user, name);
  await wa.press(user, 'Teluk Waru');
  await wa.expect(user, /nama desa Anda/);
  await wa.sendText(user, 'Solang');
  await wa.press(user, 'Warga desa');
  await wa.expect(user, /Periksa jawaban/);
  await wa.press(user, 'Kirim');
  await wa.expect(user, /Mau melakukan apa/);
}

async function codeOn(user: TelegramUser): Promise<string> {
  user.say('hubungkan');
  const m = await user.expect(/Kode Anda: \d{6}/);
  expect(m.text).toMatch(/Kirim kode ini dari WhatsApp Anda dalam 10 menit/);
  return /Kode Anda: (\d{6})/.exec(m.text ?? '')![1]!;
}

const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

async function deps(): Promise<FacilitatorDeps> {
  return { i18n: await createI18n(), timeZone: 'Asia/Jayapura', quietHours: null, reminders: DEFAULT_REMINDERS, now, wake: () => service.dispatcher.wake() };
}

describe('one person, two channels', () => {
  it('registers on Telegram, links WhatsApp with the code; datasaya on WhatsApp shows the Telegram registration; a broadcast with the window closed reaches Telegram; hapusdata removes both', async () => {
    const maria = new TelegramUser(tg, 7001, 'Maria');
    const phone = { phone: '6281200007001' };
    await registerOnTelegram(maria, 'Ibu Maria');
    const code = await codeOn(maria);
    // The code is never stored as it was shown.
    expect(JSON.stringify(await LinkCodeModel.find().lean())).not.toContain(code);

    // A wrong code first: said kindly, and counted against the live code.
    await wa.sendText(phone, otherThan(code));
    await wa.expect(phone, /Kode itu salah atau sudah tidak berlaku/);
    expect((await LinkCodeModel.findOne().lean())!.tries).toBe(1);

    await wa.sendText(phone, code);
    const done = await wa.expect(phone, /Berhasil! Akun Telegram dan WhatsApp Anda sekarang terhubung/);
    expect(wa.textOf(done)).toMatch(/PAKAI WHATSAPP atau PAKAI TELEGRAM/);
    expect(await MemberModel.countDocuments()).toBe(1);

    // Found in the database by the linked address, not only in this process's cache.
    service.conversations.invalidate();
    await wa.sendText(phone, 'datasaya');
    const data = wa.textOf(await wa.expect(phone, /Data Anda yang kami simpan/));
    expect(data).toMatch(/Nama: Ibu Maria/);
    expect(data).toMatch(/Desa: Solang/);
    expect(data).toMatch(/Akun: Telegram, WhatsApp\. Pesan dari kami lewat akun yang terakhir Anda pakai\./);
    expect(await SubmissionModel.countDocuments({ flowId: 'daftar' })).toBe(1);
    // Neither the code nor the phone number reached the log, at any level.
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.includes(code) || l.includes(phone.phone))).toEqual([]);

    // A day and more later: WhatsApp (used last) is closed and has no template for broadcasts.
    shift = DAY + 3600_000;
    const d = await deps();
    const { id } = await createBroadcastDraft({ text: { id: 'Lokakarya desa hari Sabtu.' }, villageCodes: [SOLANG] }, d);
    await confirmBroadcast(id, d);
    const siaran = await maria.expect(/Lokakarya desa hari Sabtu\./);
    expect(siaran.text).toMatch(/^Pesan dari fasilitator/);
    await service.dispatcher.drained();
    expect(wa.botMessages(phone).some((m) => /Lokakarya desa/.test(wa.textOf(m)))).toBe(false);
    const progress = await broadcastProgress(id);
    expect(progress).toMatchObject({ sent: 1, skipped: 0, failed: 0, routes: { 'whatsapp>telegram': 1 } });
    const t = translatorFor(d.i18n, 'id');
    expect(progressText({ text: { id: 'Lokakarya desa hari Sabtu.' }, status: 'done' }, progress, t)).toContain('Terkirim: 1 (ke Telegram karena WhatsApp di luar 24 jam: 1)');

    // hapusdata on WhatsApp: the member and what either account left in the outbox go.
    await wa.sendText(phone, 'hapusdata');
    await wa.expect(phone, /Hapus data Anda\?/);
    await wa.press(phone, 'Ya, hapus');
    await wa.expect(phone, /Data Anda sudah dihapus/);
    await service.inbox.drained(); // the reply goes out before the deletion ends
    expect(await MemberModel.countDocuments()).toBe(0);
    expect(await OutboxModel.countDocuments({ channel: 'telegram', to: '7001', status: { $ne: 'sending' } })).toBe(0);
    maria.say('datasaya');
    await maria.expect(/Kami tidak menyimpan data Anda/);
  });
});

describe('linking, the other cases', () => {
  it('both registered: the older registration is kept and the person is told; pakai telegram chooses the route', async () => {
    shift = 0;
    const phone = { phone: '6281200007002' };
    await registerOnWhatsApp(phone, 'Pak Yusuf');
    const yusuf = new TelegramUser(tg, 7002, 'Yusuf');
    await registerOnTelegram(yusuf, 'Yusuf T');
    const code = await codeOn(yusuf);
    await wa.sendText(phone, code);
    const done = wa.textOf(await wa.expect(phone, /sekarang terhubung/));
    expect(done).toMatch(/Anda pernah mendaftar di keduanya\. Kami simpan pendaftaran yang lebih lama \(di WhatsApp, /);
    const kept = await MemberModel.find({ $or: [{ platformUserId: phone.phone }, { platformUserId: '7002' }] }).lean();
    expect(kept.map((m) => [m.channel, m.name])).toEqual([['whatsapp', 'Pak Yusuf']]);
    expect(await SubmissionModel.countDocuments({ memberId: kept[0]!._id, flowId: 'daftar' })).toBe(1);

    // Both apps at once: one member, two queues, the guarded commit: each is answered.
    yusuf.say('bantuan');
    await wa.sendText(phone, 'bantuan');
    await yusuf.expect(/Cara menjawab/);
    await wa.expect(phone, /Cara menjawab/);

    yusuf.say('pakai telegram');
    await yusuf.expect(/Pesan dari kami sekarang dikirim lewat Telegram\./);
    yusuf.say('datasaya');
    const data = await yusuf.expect(/Data Anda yang kami simpan/);
    expect(data.text).toMatch(/Nama: Pak Yusuf/);
    expect(data.text).toMatch(/Akun: WhatsApp, Telegram\. Pesan dari kami lewat Telegram\./);
  });

  it('five wrong codes kill a code, and the account that sent them waits', async () => {
    const ana = new TelegramUser(tg, 7003, 'Ana');
    await registerOnTelegram(ana, 'Ana');
    const code = await codeOn(ana);
    const guesser = { phone: '6281200007003' };
    for (let i = 1; i <= 5; i++) {
      await wa.sendText(guesser, String((Number(code) + i) % 1_000_000).padStart(6, '0'));
      await wa.expect(guesser, /Kode itu salah/);
    }
    await wa.sendText(guesser, code);
    await wa.expect(guesser, /Terlalu banyak kode salah\. Coba lagi 10 menit lagi\./);
    // The right code from someone else: dead all the same.
    const late = { phone: '6281200007004' };
    await wa.sendText(late, code);
    await wa.expect(late, /Kode itu salah atau sudah tidak berlaku/);
    expect(await MemberModel.countDocuments({ platformUserId: '7003', links: { $exists: true } })).toBe(0);
  });

  it('a code sent back to the account that asked for it links nothing', async () => {
    const ida = new TelegramUser(tg, 7005, 'Ida');
    await registerOnTelegram(ida, 'Ida');
    const code = await codeOn(ida);
    ida.say(code);
    await ida.expect(/Kode ini dari akun ini sendiri/);
  });

  it('a WhatsApp person named by phone and business-scoped id, later by the id alone, stays one member', async () => {
    const both = { phone: '6281200007006', bsuid: 'ID.1349120865530274' };
    await wa.sendText(both, 'halo');
    await wa.expect(both, /Apakah Anda setuju/);
    const idOnly = { bsuid: both.bsuid };
    service.conversations.invalidate(); // found in the database, not in this process's cache
    await wa.sendText(idOnly, 'Ya');
    await wa.expect(idOnly, /di bawah 17/);
    const members = await MemberModel.find({ $or: [{ platformUserId: both.phone }, { platformUserId: both.bsuid }, { 'links.platformUserId': both.bsuid }] }).lean();
    expect(members).toHaveLength(1);
    expect(members[0]!.links?.map((l) => l.key)).toEqual([`whatsapp:${both.bsuid}`]);
  });
});

describe('linking, stopped half way', () => {
  it('the code message delivered again after a crash between its steps finishes the same link', async () => {
    const rita = new TelegramUser(tg, 7007, 'Rita');
    await registerOnTelegram(rita, 'Rita');
    const code = await codeOn(rita);
    const phone = { phone: '6281200007007' };
    await wa.sendText(phone, 'halo');
    await wa.expect(phone, /Apakah Anda setuju/);
    const keeper = (await MemberModel.findOne({ channel: 'telegram', platformUserId: '7007' }).lean())!;
    const loser = (await MemberModel.findOne({ channel: 'whatsapp', platformUserId: phone.phone }).lean())!;
    // The state a crash leaves after the code was taken and the address moved, before the rest.
    const wamid = 'wamid.HBgNNjI4MTIwMDAwNzAwNxUCABIYFjNFQjBDMEE3';
    expect(await useLinkCode(code, { messageId: wamid, keeperId: keeper._id, loserId: loser._id, bothRegistered: false, keptChannel: 'telegram', keptRegisteredAt: keeper.registeredAt! }, now())).toBe(true);
    await MemberModel.updateOne({ _id: keeper._id }, { $set: { links: [{ key: `whatsapp:${phone.phone}`, channel: 'whatsapp', platformUserId: phone.phone, linkedAt: now() }] }, $inc: { rev: 1 } });
    service.conversations.invalidate();

    await wa.sendMessage(phone, { type: 'text', text: { body: code } }, wamid);
    await wa.expect(phone, /Berhasil! Akun Telegram dan WhatsApp Anda sekarang terhubung/);
    expect(await MemberModel.countDocuments({ _id: loser._id })).toBe(0);
    const kept = (await MemberModel.findById(keeper._id).lean())!;
    expect(kept.links?.map((l) => l.key)).toEqual([`whatsapp:${phone.phone}`]);
    expect(kept.run).toBeNull(); // the other account's registration under way is not carried over
    await wa.sendText(phone, 'datasaya');
    expect(wa.textOf(await wa.expect(phone, /Data Anda yang kami simpan/))).toMatch(/Nama: Rita/);
  });
});

describe('linking, one account per app', () => {
  it('a WhatsApp account already linked cannot take a second Telegram account', async () => {
    const first = new TelegramUser(tg, 7008, 'Eko');
    await registerOnTelegram(first, 'Eko');
    const phone = { phone: '6281200007008' };
    await wa.sendText(phone, await codeOn(first));
    await wa.expect(phone, /sekarang terhubung/);
    const second = new TelegramUser(tg, 7009, 'Eko dua');
    await registerOnTelegram(second, 'Eko Dua');
    await wa.sendText(phone, await codeOn(second));
    await wa.expect(phone, /Salah satu dari kedua akun ini sudah terhubung dengan akun lain di aplikasi yang sama/);
    expect(await MemberModel.countDocuments({ platformUserId: '7009' })).toBe(1);
  });
});
