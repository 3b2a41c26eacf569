/**
 * Issue 18.7: `npm run seed -- --demo` is safe to run twice and after real data (a plan
 * import for a demo village), and never leaves half of itself behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FacilitatorAssignmentModel, MemberModel, SubmissionModel, VillageModel, VillagePlanModel, WorkshopModel, WorkspaceSettingModel } from '../../src/db/models.js';
import { DemoSeedError, removeDemo, seedDemo } from '../../src/db/demo-seed.js';
import { seedVillages } from '../../src/db/seed.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

const NOW = new Date('2026-12-08T00:00:00Z');
const demoCounts = async () => ({
  members: await MemberModel.countDocuments({ platformUserId: { $regex: '^demo:' } }),
  submissions: await SubmissionModel.countDocuments({ demo: true }),
  plans: await VillagePlanModel.countDocuments({ demo: true }),
  workshops: await WorkshopModel.countDocuments({ demo: true }),
  assignments: await FacilitatorAssignmentModel.countDocuments(),
  assisted: await VillageModel.countDocuments({ assisted: true }),
});

let firstCounts: Awaited<ReturnType<typeof demoCounts>>;
let demoVillage: string;

beforeAll(async () => {
  await seedVillages();
  await seedDemo(NOW);
  firstCounts = await demoCounts();
  demoVillage = (await VillagePlanModel.findOne({ demo: true }).sort({ villageCode: 1 }).lean())!.villageCode;
});

describe('seed --demo', () => {
  it('after a real plan import for a demo village, twice: the real plan is kept, the rest of the demo loads, and it says so', async () => {
    expect(firstCounts.plans).toBe(15);
    await removeDemo();
    await VillagePlanModel.create({ villageCode: demoVillage, year: 2026, goals: [{ title: 'Tujuan asli' }], activities: [{ title: 'Kegiatan asli', status: 'berjalan', percentDone: 50 }] });
    const result = await seedDemo(NOW);
    expect(result.keptPlans.map((p) => p.code)).toEqual([demoVillage]);
    const plans = await VillagePlanModel.find({ villageCode: demoVillage }).lean();
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ goals: [expect.objectContaining({ title: 'Tujuan asli' })] });
    expect(plans[0]!.demo).not.toBe(true);
    expect(await VillagePlanModel.countDocuments({ demo: true })).toBe(14);
    expect(await SubmissionModel.countDocuments({ demo: true, villageCode: demoVillage, flowId: 'kemajuan-kegiatan' })).toBe(0);
    expect(await SubmissionModel.countDocuments({ demo: true, villageCode: demoVillage, flowId: 'laporan-risiko' })).toBeGreaterThan(0);
    // And a second run over it changes nothing.
    const again = await seedDemo(NOW);
    expect(again.keptPlans).toEqual(result.keptPlans);
    expect(await VillagePlanModel.countDocuments({ villageCode: demoVillage })).toBe(1);
    expect(again.submissions).toBe(result.submissions);
    expect(await demoCounts()).toEqual({ ...firstCounts, plans: 14, submissions: result.submissions, members: result.members });
    await VillagePlanModel.deleteOne({ villageCode: demoVillage });
  });

  it('a failure midway leaves nothing of the demo, and says plainly what happened', async () => {
    await removeDemo();
    const before = await demoCounts();
    let villages = 0;
    const failing = seedDemo(NOW, { onVillage: async () => { if (++villages === 7) throw new Error('disk full'); } });
    await expect(failing).rejects.toThrow(DemoSeedError);
    await expect(failing).rejects.toThrow(/disk full.*removed again/);
    expect(await demoCounts()).toEqual(before);
    expect(await WorkspaceSettingModel.countDocuments({ _id: { $in: ['demo-seed', 'demo-assisted'] } })).toBe(0);
  });

  it('a run killed midway is cleared by the next one', async () => {
    await MemberModel.create({ channel: 'web', platformUserId: 'demo:999', name: 'Sisa (contoh)', role: 'warga' });
    await WorkspaceSettingModel.updateOne({ _id: 'demo-seed' }, { $set: { value: 'writing' } }, { upsert: true });
    const result = await seedDemo(NOW);
    expect(result.clearedHalf).toBe(true);
    expect(await MemberModel.countDocuments({ platformUserId: 'demo:999' })).toBe(0);
    expect(await demoCounts()).toEqual(firstCounts);
  });
});
