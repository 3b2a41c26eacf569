import { describe, expect, it } from 'vitest';
import { seedVillages } from '../../src/db/seed.js';
import { MemberModel, SubmissionModel, VillageModel, ProcessedMessageModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

describe('village seed', () => {
  it('loads the 40 villages of the three kecamatan once, however often it runs', async () => {
    const first = await seedVillages();
    expect(first).toEqual({ inserted: 40, total: 40 });
    const second = await seedVillages();
    expect(second).toEqual({ inserted: 0, total: 40 });
    expect(await VillageModel.countDocuments()).toBe(40);
    const byKecamatan = await VillageModel.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$kecamatan', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(byKecamatan).toEqual([
      { _id: 'Gorom Timur', n: 23 },
      { _id: 'Pulau Panjang', n: 6 },
      { _id: 'Teluk Waru', n: 11 },
    ]);
  });

  it('keeps field spellings as aliases', async () => {
    const tubir = await VillageModel.findOne({ code: '81.05.15.2008' }).lean();
    expect(tubir?.name).toBe('Tubir Wasiwang');
    expect(tubir?.aliases).toEqual(['Tubir Masiwang']);
    expect((await VillageModel.findOne({ code: '81.05.11.2003' }).lean())?.aliases).toEqual(['Kotasiri', 'Kotasirih']);
  });

  it('does not overwrite what staff changed when it runs again', async () => {
    await VillageModel.updateOne({ code: '81.05.15.2004' }, { $set: { assisted: true } });
    await seedVillages();
    expect((await VillageModel.findOne({ code: '81.05.15.2004' }).lean())?.assisted).toBe(true);
  });
});

describe('unique indexes', () => {
  it('rejects a second member with the same channel and platform id', async () => {
    await MemberModel.create({ channel: 'telegram', platformUserId: '1001' });
    await expect(MemberModel.create({ channel: 'telegram', platformUserId: '1001' })).rejects.toMatchObject({ code: 11000 });
    // The same id on another channel is another person.
    await expect(MemberModel.create({ channel: 'whatsapp', platformUserId: '1001' })).resolves.toBeTruthy();
    expect(await MemberModel.countDocuments({ platformUserId: '1001' })).toBe(2);
  });

  it('rejects a duplicate village code and a second submission for one run', async () => {
    await expect(
      VillageModel.create({ code: '81.05.15.2004', name: 'Solang', kecamatan: 'Teluk Waru', kecamatanCode: '81.05.15', kabupaten: 'SBT' }),
    ).rejects.toMatchObject({ code: 11000 });
    const member = await MemberModel.create({ channel: 'web', platformUserId: 'w1' });
    const doc = { memberId: member._id, flowId: 'laporan-risiko', flowVersion: 1, channel: 'web', answers: {}, submittedAt: new Date() };
    const first = await SubmissionModel.create({ ...doc, runId: member._id });
    expect(first).toBeTruthy();
    await expect(SubmissionModel.create({ ...doc, runId: member._id })).rejects.toMatchObject({ code: 11000 });
  });

  it('rejects an inbound message id seen before', async () => {
    await ProcessedMessageModel.create({ _id: 'telegram:tg:1', receivedAt: new Date() });
    await expect(ProcessedMessageModel.create({ _id: 'telegram:tg:1', receivedAt: new Date() })).rejects.toMatchObject({ code: 11000 });
  });
});
