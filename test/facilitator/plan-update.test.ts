/** The yearly plan-update campaign: the right people, by role, once each, at the configured local time, never in quiet hours. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FacilitatorDeps } from '../../src/facilitator/deps.js';
import { JobRunModel, MemberModel, OutboxModel, SubmissionModel, VillageModel, VillagePlanModel, WorkshopModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { MongoRunCoordinator } from '../../src/schedule/coordinator.js';
import { startSchedules } from '../../src/schedule/index.js';
import { facilitatorJobs } from '../../src/facilitator/jobs.js';
import { runPlanUpdateCampaign, seedPlanUpdateDates, setPlanUpdateDate } from '../../src/facilitator/plan-update.js';
import { useTestDatabase } from '../helpers/db.js';
import { Clock, ids, KOTA_SIRIH, makeDeps, makeMember, memberIds, SOLANG, TZ, wit } from './helpers.js';

useTestDatabase();

const clock = new Clock(wit('2026-09-01 10:00'));
let deps: FacilitatorDeps;

beforeAll(async () => {
  await seedVillages();
  deps = await makeDeps(clock);
});
beforeEach(async () => {
  for (const m of [OutboxModel, MemberModel, JobRunModel, VillagePlanModel, SubmissionModel, WorkshopModel] as const) await (m as typeof OutboxModel).deleteMany({});
  await VillageModel.updateMany({}, { $set: { planUpdateDate: null, planUpdateSeededAt: null, assisted: false } });
  await setPlanUpdateDate(SOLANG, wit('2026-10-15 00:00'), TZ);
});

const text = (e: { messages: unknown[] }) => (e.messages[0] as { text: string }).text;

describe('plan-update reminders', () => {
  it('go out 30, 14, 7 and 1 days before at 08:00 WIT, once each, by role and language, across two instances', async () => {
    const warga = await makeMember({ name: 'Siti' });
    const pokja = await makeMember({ role: 'pokja', language: 'en' });
    const fac = await makeMember({ role: 'fasilitator' });
    const stopped = await makeMember({ optedOut: true });
    const noConsent = await makeMember({ consent: false });
    const elsewhere = await makeMember({ village: KOTA_SIRIH });
    await VillagePlanModel.create({
      villageCode: SOLANG, year: 2025,
      activities: [
        { title: 'Kebun pala bersama', status: 'berjalan', percentDone: 40, lastReportAt: wit('2026-03-01 10:00') },
        { title: 'Koperasi ikan', status: 'belum' },
        { title: 'Sumur bor', status: 'selesai', percentDone: 100 },
      ],
    });
    await SubmissionModel.create({ runId: new (await import('mongoose')).Types.ObjectId(), memberId: warga._id, villageCode: SOLANG, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', answers: {}, submittedAt: wit('2026-08-01 10:00') });

    const a = startSchedules(facilitatorJobs, deps, { cron: false, coordinator: new MongoRunCoordinator('a', clock.now) });
    const b = startSchedules(facilitatorJobs, deps, { cron: false, coordinator: new MongoRunCoordinator('b', clock.now) });
    const tick = async (at: string) => {
      clock.set(wit(at));
      await Promise.all([a.runDue(wit(at)), b.runDue(wit(at))]);
    };
    try {
      await tick('2026-09-15 07:45');
      expect(await OutboxModel.countDocuments({})).toBe(0);
      await tick('2026-09-15 08:00');
      const first = await OutboxModel.find({ _id: /^plan:/ }).lean();
      expect(memberIds(first)).toEqual(ids(warga, pokja, fac));
      for (const nobody of [stopped, noConsent, elsewhere]) expect(first.some((e) => String(e.memberId) === String(nobody._id))).toBe(false);
      expect(first.map((e) => e._id).sort()).toEqual([warga, pokja, fac].map((m) => `plan:${SOLANG}:2026-10-15:30:${String(m._id)}`).sort());
      for (const e of first) {
        expect(e.availableAt.toISOString()).toBe(wit('2026-09-15 08:00').toISOString());
        expect(e.expiresAt!.toISOString()).toBe(wit('2026-10-15 00:00').toISOString());
      }
      const toWarga = text(first.find((e) => String(e.memberId) === String(warga._id))!);
      expect(toWarga).toContain('Pemutakhiran rencana penghidupan desa Solang: Kamis, 15 Oktober 2026 (30 hari lagi).');
      expect(toWarga).toContain('profil desa');
      const toPokja = text(first.find((e) => String(e.memberId) === String(pokja._id))!);
      expect(toPokja).toContain('Livelihood plan update of Solang: Thursday, 15 October 2026 (in 30 days).');
      expect(toPokja).toContain('1. Kebun pala bersama (Under way, 40%)');
      expect(toPokja).toContain('Koperasi ikan');
      expect(toPokja).not.toContain('Sumur bor');
      const toFac = text(first.find((e) => String(e.memberId) === String(fac._id))!);
      expect(toFac).toContain('Profil desa: belum ada jawaban tahun ini.');
      expect(toFac).toContain('Kegiatan belum dilaporkan tahun ini: 1 dari 2 yang belum selesai.');
      expect(toFac).toContain('Laporan risiko belum ditinjau: 1.');

      for (const at of ['2026-09-15 08:15', '2026-09-20 08:00', '2026-09-30 07:45']) await tick(at);
      expect(await OutboxModel.countDocuments({})).toBe(3);
      await tick('2026-10-01 08:00');
      expect(await OutboxModel.countDocuments({ _id: /:2026-10-15:14:/ })).toBe(3);
      await tick('2026-10-08 08:00');
      await tick('2026-10-14 08:00');
      await tick('2026-10-14 20:00');
      expect(await OutboxModel.countDocuments({ _id: /:2026-10-15:7:/ })).toBe(3);
      expect(await OutboxModel.countDocuments({ _id: /:2026-10-15:1:/ })).toBe(3);
      expect(await OutboxModel.countDocuments({})).toBe(12);
      expect(await JobRunModel.countDocuments({ job: 'plan-update-reminders' })).toBe(9);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('after a pause only the latest reminder due goes out; in quiet hours it waits for 06:00; the date rolls on a year after', async () => {
    await makeMember();
    clock.set(wit('2026-10-10 10:00')); // missed the 30 and 14 day ones
    await runPlanUpdateCampaign(deps);
    expect((await OutboxModel.find({}).lean()).map((e) => e._id.split(':')[3])).toEqual(['7']);

    await OutboxModel.deleteMany({});
    const late = { ...deps, reminders: { ...deps.reminders, planUpdateTime: { hour: 22, minute: 0 } } };
    clock.set(wit('2026-10-14 22:00'));
    await runPlanUpdateCampaign(late);
    const [e] = await OutboxModel.find({}).lean();
    expect(e!._id).toContain(':1:');
    expect(e!.availableAt.toISOString()).toBe(wit('2026-10-15 06:00').toISOString());

    clock.set(wit('2026-10-16 10:00'));
    await runPlanUpdateCampaign(deps);
    expect((await VillageModel.findOne({ code: SOLANG }).lean())!.planUpdateDate!.toISOString()).toBe(wit('2027-10-15 00:00').toISOString());
  });
});

describe('seeding the dates', () => {
  it('a year after the last workshop, else 17 September for assisted villages; a cleared date stays cleared', async () => {
    await VillageModel.updateMany({}, { $set: { planUpdateDate: null, planUpdateSeededAt: null } });
    await WorkshopModel.create({ title: '2024', villageCodes: [SOLANG], place: 'Balai', startsAt: wit('2024-09-24 09:00'), endsAt: wit('2024-09-25 16:00') });
    await VillageModel.updateOne({ code: KOTA_SIRIH }, { $set: { assisted: true } });
    const now = wit('2026-03-01 10:00');
    expect(await seedPlanUpdateDates(now, TZ)).toBe(2);
    const date = async (code: string) => (await VillageModel.findOne({ code }).lean())!.planUpdateDate?.toISOString() ?? null;
    expect(await date(SOLANG)).toBe(wit('2026-09-24 00:00').toISOString());
    expect(await date(KOTA_SIRIH)).toBe(wit('2026-09-17 00:00').toISOString());
    expect(await date('81.05.15.2001')).toBeNull();
    await setPlanUpdateDate(SOLANG, null, TZ);
    expect(await seedPlanUpdateDates(now, TZ)).toBe(0);
    expect(await date(SOLANG)).toBeNull();
  });
});
