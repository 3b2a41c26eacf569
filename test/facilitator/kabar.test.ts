/**
 * Kabar desa: `kabar` answers a resident with their village's figures (counts only); the monthly
 * job sends once across two instances, moves to the end of quiet hours, skips "berhenti kabar"
 * and a village a facilitator held.
 */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { ConversationService } from '../../src/conversation/service.js';
import { JobRunModel, MemberModel, OutboxModel, SubmissionModel, VillageNewsModel, VillagePlanModel, WorkshopModel } from '../../src/db/models.js';
import { setNewsHeld } from '../../src/db/repositories/village-news.js';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { facilitatorJobs } from '../../src/facilitator/jobs.js';
import { createLogger } from '../../src/logging/logger.js';
import { MongoRunCoordinator } from '../../src/schedule/coordinator.js';
import { startSchedules } from '../../src/schedule/index.js';
import { parseQuietHours } from '../../src/time/index.js';
import { ChatUser, loadRealFlows } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';
import { ids, KOTA_SIRIH, makeMember, memberIds, SOLANG, useFacilitatorFixture, wit } from './helpers.js';

useTestDatabase();
const fx = useFacilitatorFixture('2026-09-30 10:00', [OutboxModel, MemberModel, SubmissionModel, VillagePlanModel, WorkshopModel, VillageNewsModel, JobRunModel]);
const clock = fx.clock;

async function chat() {
  const { flows, i18n } = await loadRealFlows();
  return new ConversationService({
    flows, i18n, logger: createLogger({ level: 'silent' }), timeZone: 'Asia/Jayapura', runExpiryHours: 168, now: clock.now,
    extensions: createFacilitatorExtensions(fx.deps),
  });
}

async function riskReport(village: string, at: string, status: string) {
  await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId: new Types.ObjectId(), villageCode: village, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram',
    submittedAt: wit(at), answers: { type: 'banjir', place: 'Rumah Pak Karim', help: 'Terpal untuk Pak Karim' }, review: { status },
  });
}

/** Solang's month: 3 reports (one checked, one done), one too old, one elsewhere; a plan; a workshop. */
async function solangMonth() {
  await riskReport(SOLANG, '2026-09-05 10:00', 'diverifikasi');
  await riskReport(SOLANG, '2026-09-20 10:00', 'selesai');
  await riskReport(SOLANG, '2026-09-29 10:00', 'baru');
  await riskReport(SOLANG, '2026-08-01 10:00', 'selesai');
  await riskReport(KOTA_SIRIH, '2026-09-20 10:00', 'ditindaklanjuti');
  await VillagePlanModel.create({
    villageCode: SOLANG, year: 2026,
    activities: [{ title: 'Sumur bor', status: 'selesai' }, { title: 'Kebun pala', status: 'berjalan' }, { title: 'Koperasi', status: 'berjalan' }, { title: 'Jalan', status: 'belum' }],
  });
  await WorkshopModel.create({ title: 'Lokakarya 2027', villageCodes: [SOLANG], place: 'Balai Desa Solang', startsAt: wit('2026-10-20 09:00'), endsAt: wit('2026-10-21 15:00') });
}

const SOLANG_NEWS = [
  'Kabar desa Solang, 30 hari terakhir:',
  '• 3 laporan risiko masuk.',
  '• Oleh fasilitator: 1 diperiksa, 0 ditindaklanjuti, 1 selesai.',
  '• Rencana desa 2026: 1 dari 4 kegiatan selesai, 2 sedang berjalan.',
  '• Lokakarya berikutnya: Selasa, 20 Oktober 2026, di Balai Desa Solang.',
  'Kabar ini dikirim tiap bulan. Ketik BERHENTI KABAR untuk berhenti, KABAR untuk melihatnya kapan saja.',
].join('\n');

const text = (e: { messages: unknown[] }) => (e.messages[0] as { text: string }).text;

describe('kabar desa in chat', () => {
  it('KABAR answers with the village figures, never a name or a report text', async () => {
    await solangMonth();
    const svc = await chat();
    const siti = new ChatUser(svc, 'siti');
    await makeMember({ channel: 'web', platformUserId: siti.id, name: 'Ibu Siti' });
    await siti.say('kabar');
    expect(siti.lastText).toBe(SOLANG_NEWS);
    expect(siti.lastText).not.toContain('Karim');

    const elsewhere = new ChatUser(svc, 'ali');
    await makeMember({ channel: 'web', platformUserId: elsewhere.id, village: KOTA_SIRIH });
    await elsewhere.say('Kabar');
    expect(elsewhere.lastText).toContain('Kabar desa Kota Sirih, 30 hari terakhir:\n• 1 laporan risiko masuk.\n• Oleh fasilitator: 0 diperiksa, 1 ditindaklanjuti, 0 selesai.');
    expect(elsewhere.lastText).toContain('• Rencana desa: belum ada kegiatan tercatat.\n• Belum ada jadwal lokakarya.');
  });

  it('BERHENTI KABAR stops only the news, KABAR LAGI resumes it; DATASAYA shows which', async () => {
    const svc = await chat();
    const siti = new ChatUser(svc, 'siti');
    const m = await makeMember({ channel: 'web', platformUserId: siti.id });
    await siti.say('berhenti kabar');
    expect(siti.lastText).toContain('kabar desa bulanan tidak dikirim lagi kepada Anda');
    expect((await MemberModel.findById(m._id).lean())).toMatchObject({ newsOff: true, optedOut: false });
    await siti.say('datasaya');
    expect(siti.lastText).toContain('Pengumuman: diterima\nKabar desa bulanan: dihentikan (KABAR LAGI untuk menerima lagi)');
    await siti.say('kabar lagi');
    expect(siti.lastText).toContain('kabar desa bulanan akan dikirim lagi');
    await siti.say('datasaya');
    expect(siti.lastText).toContain('Kabar desa bulanan: diterima (BERHENTI KABAR untuk berhenti)');
  });
});

describe('the monthly kabar', () => {
  it('goes once across two instances on the 1st at 09:00 WIT to residents who did not stop it, in their language', async () => {
    await solangMonth();
    const warga = await makeMember({ name: 'Siti' });
    const pokja = await makeMember({ role: 'pokja', language: 'en' });
    const stoppedNews = await makeMember();
    await MemberModel.updateOne({ _id: stoppedNews._id }, { $set: { newsOff: true } });
    const stoppedAll = await makeMember({ optedOut: true });
    const fac = await makeMember({ role: 'fasilitator' });
    const elsewhere = await makeMember({ village: KOTA_SIRIH });

    const a = startSchedules(facilitatorJobs, fx.deps, { cron: false, coordinator: new MongoRunCoordinator('a', clock.now) });
    const b = startSchedules(facilitatorJobs, fx.deps, { cron: false, coordinator: new MongoRunCoordinator('b', clock.now) });
    const tick = async (at: string) => {
      clock.set(wit(at));
      return (await Promise.all([a.runDue(wit(at)), b.runDue(wit(at))])).flat();
    };
    try {
      await tick('2026-10-01 08:59');
      expect(await OutboxModel.countDocuments({ _id: /^kabar:/ })).toBe(0);
      const ran = await tick('2026-10-01 09:00');
      expect(ran.filter((j) => j === 'village-news')).toHaveLength(1);
      const sent = await OutboxModel.find({ _id: /^kabar:/ }).lean();
      expect(memberIds(sent.filter((e) => e._id.startsWith('kabar:2026-10:')))).toEqual(ids(warga, pokja, elsewhere));
      for (const nobody of [stoppedNews, stoppedAll, fac]) expect(sent.some((e) => String(e.memberId) === String(nobody._id))).toBe(false);
      const toWarga = text(sent.find((e) => String(e.memberId) === String(warga._id))!);
      // The 30 days before 1 October: the report of 5 September is in, so are the other two.
      expect(toWarga).toBe(SOLANG_NEWS);
      expect(text(sent.find((e) => String(e.memberId) === String(pokja._id))!)).toMatch(/^News from Solang, last 30 days:\n• 3 risk reports came in\./);
      await tick('2026-10-02 09:00');
      expect(await OutboxModel.countDocuments({ _id: /^kabar:/ })).toBe(3);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('waits for the end of quiet hours, and a held village gets it the day after it is released', async () => {
    await makeMember({ name: 'Siti' });
    const elsewhere = await makeMember({ village: KOTA_SIRIH });
    await setNewsHeld(SOLANG, '2026-10', true, 'Pak Umar', clock.now());
    const deps = { ...fx.deps, quietHours: parseQuietHours('20:00-10:00') };
    const s = startSchedules(facilitatorJobs, deps, { cron: false, coordinator: new MongoRunCoordinator('q', clock.now) });
    try {
      clock.set(wit('2026-10-01 09:00'));
      await s.runDue(wit('2026-10-01 09:00'));
      const first = await OutboxModel.find({ _id: /^kabar:/ }).lean();
      expect(memberIds(first)).toEqual(ids(elsewhere));
      expect(first[0]!.availableAt.toISOString()).toBe(wit('2026-10-01 10:00').toISOString());

      expect(await setNewsHeld(SOLANG, '2026-10', false, 'Pak Umar', clock.now())).toBe(true);
      clock.set(wit('2026-10-02 09:00'));
      await s.runDue(wit('2026-10-02 09:00'));
      expect(await OutboxModel.countDocuments({ _id: /^kabar:2026-10:/ })).toBe(2);
      // Sent: too late to hold.
      expect(await setNewsHeld(SOLANG, '2026-10', true, 'Pak Umar', clock.now())).toBe(false);
    } finally {
      await s.stop();
    }
  });
});
